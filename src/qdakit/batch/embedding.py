"""Embedding for a batch: CPU threads, the embedder named by a picklable spec (so a worker can build
it), and the per-chunk embedder that embeds a chunk's texts in one call through the cache.
"""

from __future__ import annotations

import copy
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qdakit.embed import CachedEmbedder, EmbeddingCache
from qdakit.project import Project

__all__ = ["EmbedderSpec", "configure_threads"]


# --------------------------------------------------------------------------------------
# threads
# --------------------------------------------------------------------------------------
def configure_threads(threads: int | None = None, *, processes_per_machine: int = 1) -> int:
    """Set the CPU threads of the embedding model; returns the number set.

    By default each process gets ``physical cores // processes_per_machine``
    intra-op threads (at least one) and one inter-op thread. Why: the
    transformer's matrix products scale with physical cores but not with
    hyper-threads, and more threads than cores make them wait on each other;
    the model is one sequential stack of layers, so inter-op parallelism has
    nothing to overlap. With several worker processes on one machine (Dask),
    the cores are split between them. Also sets ``OMP_NUM_THREADS`` (if unset)
    for onnxruntime and NumPy started after this call.

    Parameters
    ----------
    threads : int, optional
        Threads for this process; default as above.
    processes_per_machine : int, default 1
        Worker processes sharing this machine.
    """
    from qdakit.embed.fast import _physical_cores

    n = int(threads) if threads else max(1, _physical_cores() // max(1, int(processes_per_machine)))
    os.environ.setdefault("OMP_NUM_THREADS", str(n))
    try:
        import torch
    except ImportError:  # pragma: no cover - torch comes with sentence-transformers
        return n
    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set, or parallel work already started: it can be set once only
        pass
    return n


# --------------------------------------------------------------------------------------
# embedders for a batch
# --------------------------------------------------------------------------------------
class _SharedCache(EmbeddingCache):
    """An :class:`EmbeddingCache` that waits (up to a minute) for other writers.

    Several worker processes may write the same cache file; SQLite lets one
    write at a time and the others wait for the lock instead of failing.
    """

    def __init__(self, path: str | os.PathLike[str], timeout: float = 60.0) -> None:
        super().__init__(path)
        self._con.close()
        self._con = sqlite3.connect(self.path, timeout=timeout)


@dataclass(frozen=True)
class EmbedderSpec:
    """A recipe for an embedder, sent to workers instead of a loaded model.

    Parameters
    ----------
    kind : {"minilm", "static", "onnx"}
        See :func:`qdakit.embed.fast.load_embedder`.
    device : str
        Torch device for ``minilm``.
    cache : str, optional
        Embedding cache file (SQLite) to read and fill, as seen where the embedder
        is built; ``"default"``: ``embeddings.sqlite`` in :func:`qdakit.embed.fast.cache_dir`
        there; None: no persistent cache.
    threads : int, optional
        CPU threads (:func:`configure_threads`); default: physical cores.
    model_path : str, optional
        Folder of the built ``static``/``onnx`` model (default: the cache dir).
    """

    kind: str = "minilm"
    device: str = "cpu"
    cache: str | None = None
    threads: int | None = None
    model_path: str | None = None

    def build(self) -> Any:
        """The embedder (models load on first use; ``static``/``onnx`` are built if missing)."""
        from qdakit.embed.fast import cache_dir, load_embedder

        configure_threads(self.threads)
        emb = load_embedder(self.kind, device=self.device, path=self.model_path)
        if not self.cache:
            return emb
        path = cache_dir() / "embeddings.sqlite" if self.cache == "default" else Path(self.cache)
        return CachedEmbedder(emb, _SharedCache(path))


_THREAD = threading.local()


class _ChunkEmbedder:
    """What the suggester embeds with during a batch: a per-chunk memo in front of the real embedder.

    :meth:`prefetch` embeds all of a chunk's texts in one length-sorted call
    (through the persistent cache, when the inner embedder has one); the
    suggester's own calls then find them here. :meth:`clear` drops the chunk.
    Built lazily from an :class:`EmbedderSpec` on a worker, so pickling ships
    the recipe, never a loaded model.
    """

    def __init__(self, inner: Any) -> None:
        self._source = inner
        self._memo: dict[str, np.ndarray] = {}
        self.n_encoded = 0

    def __repr__(self) -> str:
        return f"_ChunkEmbedder({self._source!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"_source": self._source, "_memo": {}, "n_encoded": 0}

    @property
    def source(self) -> Any:
        """The embedder instance or :class:`EmbedderSpec` this wraps."""
        return self._source

    @property
    def inner(self) -> Any:
        """The embedder itself: built from a spec once per thread (models, cache connections)."""
        if not isinstance(self._source, EmbedderSpec):
            return self._source
        built = _THREAD.__dict__.setdefault("embedders", {})
        if self._source not in built:
            built[self._source] = self._source.build()
        return built[self._source]

    @property
    def model_id(self) -> str:
        return str(self.inner.model_id)

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def prefetch(self, texts: Iterable[str]) -> int:
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            self._memo.update(zip(missing, self.inner.encode(missing), strict=True))
            self.n_encoded += len(missing)
        return len(missing)

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None,
               show_progress: bool = False) -> np.ndarray:
        self.prefetch(texts)
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.array([self._memo[t] for t in texts], dtype=np.float32)

    def clear(self) -> None:
        self._memo.clear()


def _resolve_embedder(embedder: Any, project: Project, cache: str | os.PathLike[str] | None,
                      device: str) -> Any:
    """An Embedder instance or an EmbedderSpec from what the caller gave."""
    if embedder is None:
        embedder = "minilm"
    if isinstance(embedder, str):
        path = cache if cache else EmbeddingCache.for_project(project.path).path
        return EmbedderSpec(kind=embedder, device=device, cache=str(path))
    return embedder


def _batch_suggester(suggester: Any, embedder: _ChunkEmbedder) -> Any:
    """A shallow copy of a fitted suggester that embeds through ``embedder`` and holds no memo."""
    s = copy.copy(suggester)
    s.__dict__.pop("_memo", None)
    s.embedder = embedder
    s.embedder_ = embedder
    return s

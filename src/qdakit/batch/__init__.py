"""Pre-coding large batches of transcript files: streaming, checkpointed, resumable
(:mod:`~qdakit.batch.pipeline`), one chunk at a time (:mod:`~qdakit.batch.chunks`,
:mod:`~qdakit.batch.embedding`), on this machine or on Dask (:mod:`~qdakit.batch.dask_backend`).
"""

from __future__ import annotations

from qdakit.batch.chunks import ChunkResult, precode_files
from qdakit.batch.embedding import EmbedderSpec, configure_threads
from qdakit.batch.pipeline import (
    Backend,
    BatchProgress,
    BatchReport,
    LocalBackend,
    fit_batch_suggester,
    plan_chunks,
    run_batch,
)

__all__ = [
    "Backend",
    "BatchProgress",
    "BatchReport",
    "ChunkResult",
    "EmbedderSpec",
    "LocalBackend",
    "configure_threads",
    "fit_batch_suggester",
    "plan_chunks",
    "precode_files",
    "run_batch",
]

"""Sentence embeddings: the :class:`Embedder` protocol, the sentence-transformers embedder,
a persistent cache, a deterministic fake for tests, and fast (static, ONNX) embedders.

Every embedder returns a float32 array of shape ``(n, dim)`` whose rows have
unit L2 norm, in the order of the input texts. Empty (or whitespace-only)
texts are refused with :class:`EmptyTextError`, which names the index: an
empty segment has no meaning to place, and a silent zero vector would make it
"similar" to nothing and everything at once. Callers that may hold empty
segments (the suggester) drop them first and say so.

Modules: :mod:`~qdakit.embed.base` (protocol, hash, errors),
:mod:`~qdakit.embed.sentence` (sentence-transformers), :mod:`~qdakit.embed.e5` (multilingual),
:mod:`~qdakit.embed.cache`,
:mod:`~qdakit.embed.fake`, :mod:`~qdakit.embed.build` (building fast models),
:mod:`~qdakit.embed.finetune` (opt-in fine-tuning on a project's codings),
:mod:`~qdakit.embed.tokens` and :mod:`~qdakit.embed.fast` (fast embedders).

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

from qdakit.embed.base import (
    DEFAULT_MODEL_ID,
    Embedder,
    EmptyTextError,
    LongTextWarning,
    default_model_path,
    text_hash,
)
from qdakit.embed.cache import CachedEmbedder, EmbeddingCache, project_embedder
from qdakit.embed.e5 import E5_MODEL_ID, E5Embedder
from qdakit.embed.fake import FakeEmbedder
from qdakit.embed.finetune import FineTuneError, fine_tuned_embedder
from qdakit.embed.sentence import SentenceTransformerEmbedder, pool_chunks, split_token_ranges

__all__ = [
    "DEFAULT_MODEL_ID",
    "E5_MODEL_ID",
    "CachedEmbedder",
    "E5Embedder",
    "Embedder",
    "EmbeddingCache",
    "EmptyTextError",
    "FakeEmbedder",
    "FineTuneError",
    "LongTextWarning",
    "SentenceTransformerEmbedder",
    "default_model_path",
    "fine_tuned_embedder",
    "pool_chunks",
    "project_embedder",
    "split_token_ranges",
    "text_hash",
]

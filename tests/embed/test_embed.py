"""Tests of qdakit.embed: the fake embedder, the cache, the sentence-transformers embedder."""

from __future__ import annotations

import doctest
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qdakit.embed
from qdakit.embed import (
    DEFAULT_MODEL_ID,
    CachedEmbedder,
    Embedder,
    EmbeddingCache,
    EmptyTextError,
    FakeEmbedder,
    LongTextWarning,
    SentenceTransformerEmbedder,
    text_hash,
)
from qdakit.errors import QdakitError


def test_doctests() -> None:
    assert doctest.testmod(qdakit.embed, raise_on_error=False).failed == 0


# -- fake -------------------------------------------------------------------------------
def test_fake_shape_dtype_norm_and_determinism() -> None:
    texts = ["we meet monthly", "Funding was cut last year.", "we meet monthly"]
    X = FakeEmbedder(dim=32).encode(texts)
    assert X.shape == (3, 32) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(X[0], X[2])
    np.testing.assert_array_equal(X, FakeEmbedder(dim=32).encode(texts))  # a fresh instance agrees
    assert not np.allclose(X, FakeEmbedder(dim=32, seed=1).encode(texts))


def test_fake_shared_words_are_closer() -> None:
    X = FakeEmbedder().encode(["partners meet every month to share news",
                               "the partners meet every week",
                               "funding for staff was cut"])
    assert X[0] @ X[1] > X[0] @ X[2] + 0.2


def test_fake_and_cached_satisfy_protocol(tmp_path: Path) -> None:
    fake = FakeEmbedder()
    assert isinstance(fake, Embedder)
    assert isinstance(CachedEmbedder(fake, tmp_path / "c.sqlite"), Embedder)
    # (isinstance on Python 3.11 reads ``dim``, which would load the model: check the class instead)
    assert all(hasattr(SentenceTransformerEmbedder, m) for m in ("model_id", "dim", "encode"))
    assert SentenceTransformerEmbedder()._st is None  # lazy: nothing loaded by the constructor


def test_empty_text_is_refused_with_its_index() -> None:
    with pytest.raises(EmptyTextError, match="text 1 is empty") as info:
        FakeEmbedder().encode(["fine", "   ", "also fine"])
    assert isinstance(info.value, QdakitError) and isinstance(info.value, ValueError)
    with pytest.raises(TypeError, match="not one string"):
        FakeEmbedder().encode("one string")  # type: ignore[arg-type]
    assert FakeEmbedder(dim=8).encode([]).shape == (0, 8)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(min_size=1).filter(str.strip), min_size=1, max_size=5))
def test_fake_rows_are_unit_norm(texts: list[str]) -> None:
    X = FakeEmbedder(dim=16).encode(texts)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-4)


# -- cache --------------------------------------------------------------------------------
def test_cache_round_trip_and_persistence(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "e.sqlite"
    V = np.arange(6, dtype=np.float32).reshape(2, 3)
    with EmbeddingCache(path) as cache:
        cache.put("m", ["a", "b"], V)
        assert len(cache) == 2
    with EmbeddingCache(path) as cache:
        got = cache.get("m", ["b", "x", "a", "b"])
        assert sorted(got) == [0, 2, 3]
        np.testing.assert_array_equal(got[0], V[1])
        np.testing.assert_array_equal(got[2], V[0])
        assert cache.get("other-model", ["a"]) == {}
        with pytest.raises(ValueError, match="one vector per text"):
            cache.put("m", ["a"], V)


def test_cache_for_project_is_a_separate_file(tmp_path: Path) -> None:
    with EmbeddingCache.for_project(tmp_path / "study.qdakit") as cache:
        assert cache.path == tmp_path / "study.qdakit.embeddings.sqlite"
    assert len(text_hash("x")) == 64


def test_second_run_embeds_nothing(tmp_path: Path) -> None:
    texts = ["alpha beta", "gamma delta", "alpha beta", "epsilon"]
    inner = FakeEmbedder()
    first = CachedEmbedder(inner, tmp_path / "c.sqlite")
    X1 = first.encode(texts)
    assert inner.n_calls == 1 and inner.n_texts == 3  # deduplicated, one batch
    first.cache.close()
    second = CachedEmbedder(inner, EmbeddingCache(tmp_path / "c.sqlite"))
    X2 = second.encode(texts)
    assert inner.n_calls == 1 and inner.n_texts == 3  # nothing embedded again
    assert second.n_hits == 4 and second.n_misses == 0
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_allclose(X1, FakeEmbedder().encode(texts), rtol=1e-6)
    # only the misses of a mixed call are embedded, in one call
    X3 = second.encode(["new text", "alpha beta", "another new one"])
    assert inner.n_calls == 2 and inner.n_texts == 5
    np.testing.assert_array_equal(X3[1], X1[0])


def test_cache_keys_include_the_model(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    a, b = FakeEmbedder(seed=0), FakeEmbedder(seed=1)
    CachedEmbedder(a, cache).encode(["same text"])
    CachedEmbedder(b, cache).encode(["same text"])
    assert a.n_texts == 1 and b.n_texts == 1 and len(cache) == 2


# -- the real model ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.mark.realmodel
def test_minilm_end_to_end(minilm: SentenceTransformerEmbedder, tmp_path: Path) -> None:
    texts = ["The council cut our funding last year.",
             "We lost money because the budget was reduced.",
             "My cat likes to sleep in the sun.",
             "Partners meet every month to share information."]
    X = minilm.encode(texts, batch_size=2)
    assert minilm.model_id == DEFAULT_MODEL_ID and minilm.dim == 384
    assert X.shape == (4, 384) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    assert X[0] @ X[1] > X[0] @ X[2] + 0.2
    assert X[0] @ X[1] > X[0] @ X[3]
    # input order is kept whatever the length sorting did
    np.testing.assert_allclose(minilm.encode(texts[::-1]), X[::-1], atol=1e-5)
    # the cache hands back the same vectors without calling the model again
    cached = CachedEmbedder(minilm, tmp_path / "c.sqlite")
    np.testing.assert_allclose(cached.encode(texts), X, atol=1e-5)
    assert cached.encode(texts[:2]).shape == (2, 384) and cached.n_misses == 4 and cached.n_hits == 2


@pytest.mark.realmodel
def test_minilm_chunks_long_texts_and_says_so(minilm: SentenceTransformerEmbedder) -> None:
    funding = "The council cut our funding and the budget for staff was reduced. "
    cat = "My cat likes to sleep in the warm sun on the windowsill. "
    long_text = funding * 30 + cat * 30  # ~900 tokens, beyond MiniLM's 256
    with pytest.warns(LongTextWarning, match="1 of 3 texts"):
        X = minilm.encode([long_text, funding * 10, cat * 10])
    assert minilm.last_chunked == [0]
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    # pooled over chunks, both halves count (truncation would keep only the first: cos ~0.24 to the cat)
    assert X[0] @ X[1] > 0.6 and X[0] @ X[2] > 0.6
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        minilm.encode(["short again"])
    assert minilm.last_chunked == []
    with pytest.raises(EmptyTextError, match="text 0"):
        minilm.encode([""])

"""Fast embedders built offline from the bundled model: static (model2vec), ONNX int8, token-sorted torch."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from qdakit.embed import DEFAULT_MODEL_ID, EmptyTextError, LongTextWarning, SentenceTransformerEmbedder
from qdakit.embed.fast import (
    EmbedderBuildError,
    OnnxEmbedder,
    StaticEmbedder,
    TokenSortedEmbedder,
    _require,
    build_static,
    cache_dir,
    load_embedder,
    model_dir,
)

TEXTS = ["we meet every month and email the minutes", "we meet every month", "the funding was cut",
         "money from the grant pays for a coordinator", "nobody really leads, the chair rotates"]
WORDS = sorted({w for t in TEXTS for w in re.findall(r"\w+", t)})


@pytest.fixture(scope="module")
def tiny_static(tmp_path_factory):
    """A static model over the few tokens of TEXTS (a full build passes 30k tokens through the model)."""
    pytest.importorskip("model2vec", reason="the static embedder needs model2vec (extra: scale)")
    pytest.importorskip("skeletoken", reason="building the static embedder needs skeletoken (extra: scale)")
    keep = [*WORDS, "[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]", ",", "."]
    pattern = "^(?!(?:" + "|".join(re.escape(w) for w in keep) + ")$)"
    out = tmp_path_factory.mktemp("models") / "static"
    return build_static(out, pca_dims=16, token_remove_pattern=pattern)


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("QDAKIT_CACHE", str(tmp_path / "q"))
    assert cache_dir() == tmp_path / "q" and model_dir("onnx") == tmp_path / "q" / "models" / "onnx"
    monkeypatch.delenv("QDAKIT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_dir() == tmp_path / "x" / "qdakit"
    with pytest.raises(ValueError, match="static"):
        model_dir("minilm")


def test_static_embedder_contract(tiny_static):
    emb = StaticEmbedder(tiny_static, build=False)
    assert emb.model_id.startswith(DEFAULT_MODEL_ID + "+static-m2v16-") and emb.dim == 16
    X = emb.encode(TEXTS + ["🙂"])
    assert X.shape == (6, 16) and X.dtype == np.float32
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    assert X[0] @ X[1] > X[0] @ X[2]  # shared words are closer
    assert np.allclose(emb.encode(TEXTS[::-1]), X[:5][::-1], atol=1e-6)  # input order
    with pytest.raises(EmptyTextError, match="text 1"):
        emb.encode(["ok", "  "])
    assert emb.encode([]).shape == (0, 16)
    assert not list(tiny_static.parent.glob(".building-*"))  # the build was renamed into place


def test_static_model_id_names_the_build(tiny_static, tmp_path):
    import pickle

    emb = StaticEmbedder(tiny_static, build=False)
    emb.encode(TEXTS[:1])
    clone = pickle.loads(pickle.dumps(emb))  # a worker gets the path, not the loaded model
    assert clone._model is None and clone.model_id == emb.model_id
    with pytest.raises(EmbedderBuildError, match="qdakit embedder build"):
        StaticEmbedder(tmp_path / "nothing", build=False).model_id  # noqa: B018


def test_load_embedder_checks_kind_and_device(tiny_static):
    with pytest.raises(ValueError, match="minilm, static, onnx"):
        load_embedder("bert")
    with pytest.raises(ValueError, match="CPU only"):
        load_embedder("static", device="cuda", path=tiny_static)
    assert isinstance(load_embedder("static", path=tiny_static, build=False), StaticEmbedder)
    assert isinstance(load_embedder("minilm"), TokenSortedEmbedder)


def test_a_missing_package_is_named_with_the_fix():
    with pytest.raises(EmbedderBuildError, match=r"qdakit\[scale\]"):
        _require("no_such_package_qdakit", "static")


@pytest.mark.realmodel
def test_token_sorted_embedder_matches_the_plain_one():
    long_text = " ".join(TEXTS * 40) + "."
    texts = [*TEXTS, long_text, "Yes."]
    plain = SentenceTransformerEmbedder()
    fast = TokenSortedEmbedder()
    assert fast.model_id == plain.model_id  # they share a cache
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        A = plain.encode(texts)
        B = fast.encode(texts)
    assert sum(issubclass(w.category, LongTextWarning) for w in caught) == 2
    assert fast.last_chunked == [5]
    assert np.abs(A[[0, 1, 2, 3, 4, 6]] - B[[0, 1, 2, 3, 4, 6]]).max() < 1e-5
    assert float(A[5] @ B[5]) > 0.999


@pytest.mark.realmodel
def test_onnx_embedder_builds_offline_and_agrees_with_torch(tmp_path):
    pytest.importorskip("onnxruntime", reason="the onnx embedder needs onnxruntime (extra: scale)")
    pytest.importorskip("onnx", reason="building the onnx embedder needs onnx (extra: scale)")
    emb = load_embedder("onnx", path=tmp_path / "onnx")  # built on first use
    assert isinstance(emb, OnnxEmbedder) and "+onnx-int8-pc-" in emb.model_id and emb.dim == 384
    X = emb.encode(TEXTS)
    T = SentenceTransformerEmbedder().encode(TEXTS)
    assert X.dtype == np.float32 and np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    assert (X * T).sum(axis=1).min() > 0.95


def test_cli_embedder_build_reports_an_existing_build(tiny_static):
    import typer
    from typer.testing import CliRunner

    from qdakit.cli.batch import register

    app = typer.Typer()
    app.command("noop")(lambda: None)
    register(app)
    r = CliRunner().invoke(app, ["embedder", "build", "--kind", "static", "--out", str(tiny_static)])
    assert r.exit_code == 0, r.output
    assert "already built" in r.output and "static-m2v16" in r.output
    r = CliRunner().invoke(app, ["embedder", "build", "--kind", "bert"])
    assert r.exit_code != 0

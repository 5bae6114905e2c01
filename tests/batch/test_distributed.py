"""The Dask backend: workers read, segment, embed and suggest; the client writes, once per chunk."""

from __future__ import annotations

import pytest

from qdakit.batch import EmbedderSpec, fit_batch_suggester, run_batch
from qdakit.embed import FakeEmbedder
from support import BATCH_PARAMS as PARAMS
from support import make_project, stored, write_batch

distributed = pytest.importorskip("distributed", reason="the dask backend needs dask[distributed] (extra: scale)")

from qdakit.batch.dask_backend import DaskBackend, _install_model


@pytest.fixture
def projects(tmp_path):
    files = write_batch(tmp_path / "batch", 6)
    a = make_project(tmp_path / "a.qdakit")
    b = make_project(tmp_path / "b.qdakit")
    yield a, b, files
    a.close()
    b.close()


def test_threaded_local_cluster_gives_the_local_result(projects):
    a, b, files = projects
    local = run_batch(a, files, embedder=FakeEmbedder(dim=128), chunk_bytes=1, **PARAMS)
    with DaskBackend(n_workers=2, processes=False) as backend:
        assert backend.n_running() == 2
        seen = []
        report = run_batch(b, files, embedder=FakeEmbedder(dim=128), backend=backend, chunk_bytes=1,
                           progress=lambda p: seen.append(p.files_done), **PARAMS)
    assert report.model == local.model and report.segments_precoded == 36 == local.segments_precoded
    assert stored(a, local.model) == stored(b, report.model)
    assert seen == list(range(7))
    again = run_batch(b, files, embedder=FakeEmbedder(dim=128), backend="dask", **PARAMS)
    assert again.files_skipped == 6 and again.suggestions == 0  # resumes from the same checkpoints


def test_worker_processes_get_the_fitted_suggester_and_a_recipe(projects, monkeypatch, tmp_path):
    """Two worker processes: everything they need crosses by pickling (the suggester, an embedder recipe)."""
    a, b, files = projects
    suggester = fit_batch_suggester(a, embedder=FakeEmbedder(dim=128), **PARAMS)
    local = run_batch(a, files, suggester=suggester, chunk_bytes=1)
    with DaskBackend(n_workers=2, processes=True) as backend:
        pids = set(backend.client.run(lambda: __import__("os").getpid()).values())
        report = run_batch(b, files, suggester=suggester, backend=backend, chunk_bytes=1)
    assert len(pids) == 2
    assert report.model == local.model and stored(a, local.model) == stored(b, report.model)


def test_worker_spec_splits_threads_and_keeps_the_cache(tmp_path):
    spec = EmbedderSpec("minilm", cache=str(tmp_path / "c.sqlite"))
    local = DaskBackend(n_workers=2)._worker_spec(spec)
    assert local.threads is not None and local.threads >= 1 and local.cache == spec.cache
    remote = DaskBackend("tcp://127.0.0.1:1")._worker_spec(spec)
    assert remote.threads is None and remote.cache == "default"


def test_built_model_is_copied_to_a_worker_without_it(tmp_path):
    import json

    files = {"model.bin": b"weights", "qdakit-build.json": json.dumps({"weights_sha256": "abc"}).encode()}
    target = tmp_path / "static"
    assert _install_model("static", "abc", files, str(target)) == "installed"
    assert (target / "model.bin").read_bytes() == b"weights"
    assert _install_model("static", "abc", files, str(target)) == "present"

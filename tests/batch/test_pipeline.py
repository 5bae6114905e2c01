"""Batch pre-coding: streaming chunks, one transaction each, resumable (even after kill -9)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from qdakit import Project
from qdakit.batch import (
    BatchProgress,
    EmbedderSpec,
    configure_threads,
    fit_batch_suggester,
    plan_chunks,
    precode_files,
    run_batch,
)
from qdakit.embed import CachedEmbedder, EmbeddingCache, FakeEmbedder
from qdakit.errors import CodingError, ImportFormatError
from support import BATCH_PARAMS as PARAMS
from support import ROOT, TALK, make_project, stored, write_batch


def test_batch_imports_precodes_and_checkpoints_each_chunk(setup):
    p, files, _ = setup
    emb = FakeEmbedder(dim=128)
    seen: list[BatchProgress] = []
    report = run_batch(p, [files[0].parent], embedder=emb, chunk_bytes=1, progress=seen.append, **PARAMS)
    assert report.files == 8 and report.transcripts_added == 8 and report.segments_added == 8 * 12
    assert report.segments_precoded == 8 * 6  # the respondents' turns, not the interviewer's
    assert report.suggestions == len(p.suggestions()) > 0
    assert [s.files_done for s in seen] == list(range(9))  # one checkpoint per chunk (a file each here)
    sugg = p.suggestions()
    assert sugg["segment_id"].str.startswith("b").all()  # only the batch's transcripts
    assert not sugg["segment_id"].isin(p.segments().query("is_researcher")["id"]).any()
    assert len(p.precoded(report.model)) == 48
    assert report.model.startswith("qdakit-suggest:fake-128-0:")
    assert not report.errors


def test_rerun_skips_finished_files_without_reading_them(setup, monkeypatch):
    p, files, _ = setup
    emb = FakeEmbedder(dim=128)
    first = run_batch(p, files, embedder=emb, chunk_bytes=1, **PARAMS)
    from qdakit.batch import chunks as pipeline  # where a chunk's files are read

    read = []
    original = pipeline._read
    monkeypatch.setattr(pipeline, "_read", lambda paths, *a: read.append(paths) or original(paths, *a))
    again = run_batch(p, files, embedder=emb, chunk_bytes=1, **PARAMS)
    assert again.model == first.model and again.files_skipped == 8
    assert again.segments_precoded == again.suggestions == again.transcripts_added == 0
    assert read == []  # nothing was read again
    assert len(p.suggestions()) == first.suggestions


def test_interrupted_run_resumes_to_the_same_result(setup, tmp_path):
    p, files, _ = setup
    emb = FakeEmbedder(dim=128)

    def stop_after_three(progress: BatchProgress) -> None:
        if progress.files_done >= 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(p, files, embedder=emb, chunk_bytes=1, progress=stop_after_three, **PARAMS)
    assert len(p.transcripts()) == 4 + 3
    resumed = run_batch(p, files, embedder=emb, chunk_bytes=1, **PARAMS)
    assert resumed.files_skipped == 3 and resumed.transcripts_added == 5
    with make_project(tmp_path / "clean.qdakit") as clean:
        full = run_batch(clean, files, embedder=emb, chunk_bytes=1, **PARAMS)
        assert full.model == resumed.model
        assert stored(p, full.model) == stored(clean, full.model)


KILL_SCRIPT = """
import sys, time
sys.path.insert(0, {tests!r})
from qdakit import Project
from qdakit.embed import FakeEmbedder
from qdakit.batch.pipeline import run_batch

class SlowEmbedder(FakeEmbedder):
    def encode(self, texts, **kw):
        print("encoding", flush=True)
        time.sleep(0.5)  # the test kills us here, in the middle of a chunk
        return super().encode(texts, **kw)

def step(progress):
    print("stored", progress.files_done, flush=True)

with Project.open({project!r}) as p:
    run_batch(p, [{folder!r}], embedder=SlowEmbedder(dim=128), chunk_bytes=1, progress=step, **{params!r})
print("finished", flush=True)
"""


def test_kill_9_loses_only_the_chunk_in_flight_and_resume_completes(setup, tmp_path):
    """SIGKILL while a chunk is being embedded, then resume: nothing lost, nothing stored twice."""
    p, files, _ = setup
    path = p.path
    p.close()
    script = tmp_path / "run.py"
    script.write_text(KILL_SCRIPT.format(tests=str(ROOT / "tests"), project=str(path), folder=str(files[0].parent),
                                         params=PARAMS))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=env)
    try:
        stored_3 = False
        for line in proc.stdout:  # type: ignore[union-attr]
            stored_3 = stored_3 or line.startswith("stored 3")
            if stored_3 and line.startswith("encoding"):  # the fourth chunk is in flight
                break
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()  # type: ignore[union-attr]
    assert proc.returncode == -signal.SIGKILL
    with Project.open(path) as q:
        assert len(q.transcripts()) == 4 + 3  # three chunks stored, the fourth lost whole
        model = q.suggestions()["model"].iloc[0]
        assert len(q.precoded(model)) == 3 * 6
        resumed = run_batch(q, files, embedder=FakeEmbedder(dim=128), chunk_bytes=1, **PARAMS)
        assert resumed.model == model and resumed.files_skipped == 3 and resumed.transcripts_added == 5
        sugg = q.suggestions()
        assert not sugg.duplicated(["segment_id", "code", "model"]).any()
        assert len(q.precoded(model)) == 48
        with make_project(tmp_path / "clean.qdakit") as clean:
            full = run_batch(clean, files, embedder=FakeEmbedder(dim=128), chunk_bytes=1, **PARAMS)
            assert stored(q, model) == stored(clean, full.model)


def test_one_encode_call_per_chunk_and_no_memo_left(setup):
    p, files, _ = setup
    emb = FakeEmbedder(dim=128)
    suggester = fit_batch_suggester(p, embedder=emb, **PARAMS)
    calls = emb.n_calls
    report = run_batch(p, files, suggester=suggester, chunk_bytes=2 * files[0].stat().st_size)
    assert emb.n_calls - calls == 4  # 8 files, 2 per chunk: one length-sorted call per chunk
    assert report.texts_embedded == 8 * 6 + 4 * 6  # respondents' turns + each chunk's distinct questions
    result = precode_files(files[:2], suggester, top_k=2)
    assert "_memo" not in suggester.__dict__  # the chunk's embeddings are not kept
    assert result.scored and len(result.items) == 2


def test_cache_is_shared_across_runs_and_projects(setup, tmp_path):
    p, files, _ = setup
    cache = tmp_path / "shared.embeddings.sqlite"
    inner = FakeEmbedder(dim=128)
    run_batch(p, files, embedder=CachedEmbedder(inner, cache), **PARAMS)
    with make_project(tmp_path / "other.qdakit") as other:
        inner2 = FakeEmbedder(dim=128)
        run_batch(other, files, embedder=CachedEmbedder(inner2, cache), **PARAMS)
        assert inner2.n_texts == 0  # fit and batch: everything came from the cache
    with EmbeddingCache(cache) as c:
        assert len(c) > 48


def test_named_embedder_spec_and_thread_settings(setup, monkeypatch):
    p, files, _ = setup
    monkeypatch.setattr(EmbedderSpec, "build", lambda self: FakeEmbedder(dim=128))
    report = run_batch(p, files[:2], embedder="minilm", **PARAMS)
    assert report.segments_precoded == 12
    n = configure_threads(1)
    import torch

    assert n == 1 and torch.get_num_threads() == 1
    assert configure_threads(processes_per_machine=64) == 1


def test_unreadable_files_are_reported_or_stop_the_run(setup, tmp_path):
    p, files, _ = setup
    bad = tmp_path / "batch" / "b999.txt"
    bad.write_text("   \n", encoding="utf-8")
    emb = FakeEmbedder(dim=128)
    with pytest.raises(ImportFormatError):
        run_batch(p, files + [bad], embedder=emb, chunk_bytes=1, **PARAMS)
    assert len(p.transcripts()) == 4 + 8  # the chunks before the bad file are stored
    report = run_batch(p, files + [bad], embedder=emb, chunk_bytes=1, on_error="skip", **PARAMS)
    assert report.files_skipped == 8 and len(report.errors) == 1 and "b999.txt" in report.errors[0]
    assert report.errors[0].count(str(bad)) == 1  # the file is named once, not once per layer


def survey_table(folder: Path, name: str = "wave3.csv") -> Path:
    """Open answers to one question, a row per respondent; some left it blank, two answered alike."""
    rows = ["respondent,answer,age"] + [f"R{k:02d},\"{text}\",{30 + k}" for k, text in enumerate(TALK)]
    rows += ["R90,,41", "R91,No.,52", "R92,No.,60"]
    f = folder / name
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return f


def test_survey_tables_are_batched_with_their_columns(setup, tmp_path):
    p, _, _ = setup
    table = survey_table(tmp_path)
    emb = FakeEmbedder(dim=128)
    report = run_batch(p, [table], embedder=emb, on_error="skip", **PARAMS)  # no 'text' column
    assert report.transcripts_added == 0 and "no column 'text'" in report.errors[0]
    columns = {"text": "answer", "speaker": "respondent", "skip_empty": True}
    report = run_batch(p, [table], embedder=emb, columns=columns, **PARAMS)
    assert not report.errors and report.transcripts_added == 1  # the table is one transcript, named after it
    seg = p.segments(p.find_transcript(name="wave3").id)
    assert len(seg) == len(TALK) + 2 and seg["speaker"].tolist()[-2:] == ["R91", "R92"]  # the blank answer left out
    assert report.segments_precoded == len(seg) and set(p.suggestions()["segment_id"]) <= set(seg["id"])
    again = run_batch(p, [table], embedder=emb, columns=columns, **PARAMS)
    assert again.files_skipped == 1 and again.segments_precoded == 0


def test_existing_transcripts_are_precoded_not_reimported_and_clashes_skipped(setup, tmp_path):
    from qdakit.io.importer import import_files

    p, files, _ = setup
    import_files(p, files[:2])  # imported earlier by `qdakit import`
    clash = tmp_path / "other" / "b002.txt"  # same name as a batch file, other text
    clash.parent.mkdir()
    clash.write_text("Interviewer: hello?\n\nZ: something else entirely\n", encoding="utf-8")
    import_files(p, [clash])
    report = run_batch(p, files, embedder=FakeEmbedder(dim=128), on_error="skip", **PARAMS)
    assert report.transcripts_added == 5 and report.segments_precoded == 7 * 6
    assert len(report.errors) == 1 and "b002" in report.errors[0]


def test_zero_shot_batch_calibrates_on_its_first_files(tmp_path):
    p = make_project(tmp_path / "p.qdakit", coded=False)
    p2 = make_project(tmp_path / "q.qdakit", coded=False)
    files = write_batch(tmp_path / "batch")
    with pytest.raises(CodingError, match="nothing to fit"):
        fit_batch_suggester(p, embedder=FakeEmbedder(dim=128))
    a = run_batch(p, files, embedder=FakeEmbedder(dim=128), **PARAMS)
    b = run_batch(p2, files, embedder=FakeEmbedder(dim=128), **PARAMS)
    assert a.model == b.model and a.segments_precoded == 48
    assert run_batch(p, files, embedder=FakeEmbedder(dim=128), **PARAMS).files_skipped == 8
    p.close()
    p2.close()


def test_plan_chunks_groups_files_by_size(tmp_path):
    files = write_batch(tmp_path, 5)
    size = files[0].stat().st_size
    assert plan_chunks(files, 1) == [[str(f)] for f in files]
    assert [len(c) for c in plan_chunks(files, 2 * size)] == [2, 2, 1]
    with pytest.raises(ValueError, match="positive"):
        plan_chunks(files, 0)


def test_cli_batch(setup, monkeypatch):
    import typer
    from typer.testing import CliRunner

    from qdakit.cli.batch import register

    p, files, _ = setup
    path = p.path
    p.close()
    monkeypatch.setattr(EmbedderSpec, "build", lambda self: FakeEmbedder(dim=128))
    app = typer.Typer()
    app.command("noop")(lambda: None)
    register(app)
    runner = CliRunner()
    args = ["batch", str(files[0].parent), "-p", str(path), "--chunk-kb", "1", "--min-examples", "3",
            "--min-similarity", "0"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "Pre-coded 48 segments of 8 new transcripts" in r.output
    r = runner.invoke(app, args)
    assert r.exit_code == 0 and "8 of 8 files already done" in r.output
    r = runner.invoke(app, ["batch", str(files[0]), "-p", str(path), "--backend", "ray"])
    assert r.exit_code != 0 and "local" in r.output
    table = survey_table(files[0].parent)
    r = runner.invoke(app, ["batch", str(table), "-p", str(path), "--min-examples", "3", "--min-similarity", "0",
                            "--text-column", "answer", "--transcript-column", "respondent", "--speaker-column", "",
                            "--skip-empty"])
    # a transcript per respondent: the two alike answers clash, and are listed (exit 1), not fatal
    assert r.exit_code == 1 and f"of {len(TALK) + 1} new transcripts" in r.output, r.output
    assert "not pre-coded (1 file(s) or transcript(s))" in r.output and "R92" in r.output


def test_copies_inside_one_chunk_are_reported_not_fatal(setup, tmp_path):
    p, files, _ = setup
    copy = tmp_path / "batch" / "copy-of-b000.txt"
    copy.write_text(files[0].read_text(encoding="utf-8"), encoding="utf-8")
    report = run_batch(p, [files[0], copy, files[1]], embedder=FakeEmbedder(dim=128), **PARAMS)
    assert report.transcripts_added == 2 and len(report.errors) == 1 and "copy-of-b000" in report.errors[0]


def test_heap_before_the_run_is_kept_out_of_collection_only_during_it(setup):
    import gc

    p, files, _ = setup
    during: list[int] = []
    run_batch(p, files[:2], embedder=FakeEmbedder(dim=128), chunk_bytes=1,
              progress=lambda _: during.append(gc.get_freeze_count()), **PARAMS)
    assert during[0] == 0 and min(during[1:]) > 0  # frozen while chunks run (not before the first)
    assert gc.get_freeze_count() == 0  # and thawed after
    empty = files[0].parent / "zz-empty.txt"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ImportFormatError):  # thawed when the run fails, too
        run_batch(p, [files[2], empty], embedder=FakeEmbedder(dim=128), chunk_bytes=1, **PARAMS)
    assert gc.get_freeze_count() == 0 and p.precoded_sources([str(files[2])], p.suggestions()["model"][0])
    gc.freeze()  # someone else's freeze (before forking workers) is theirs to undo
    try:
        frozen = gc.get_freeze_count()
        run_batch(p, files[4:6], embedder=FakeEmbedder(dim=128), chunk_bytes=1, **PARAMS)
        assert gc.get_freeze_count() > frozen // 2  # still frozen (objects freed by refcount leave it)
    finally:
        gc.unfreeze()


def test_batch_with_unreadable_files_exits_1_from_the_command_line(setup, tmp_path, monkeypatch, capsys):
    from qdakit.cli import main

    p, files, _ = setup
    path = p.path
    p.close()
    monkeypatch.setattr(EmbedderSpec, "build", lambda self: FakeEmbedder(dim=128))
    table = survey_table(tmp_path)  # read without its column options: no 'text' column
    monkeypatch.setattr(sys, "argv", ["qdakit", "batch", str(files[0]), str(table), "-p", str(path),
                                      "--min-examples", "3", "--min-similarity", "0"])
    with pytest.raises(SystemExit) as exit_:
        main()
    out = capsys.readouterr()
    assert exit_.value.code == 1 and "no column 'text'" in out.err
    assert "Pre-coded 6 segments of 1 new transcripts" in out.out  # the readable file is stored all the same


def test_a_new_model_supersedes_the_pending_suggestions_of_the_last_batch_run(setup):
    p, files, _ = setup
    emb = FakeEmbedder(dim=128)
    first = run_batch(p, files, embedder=emb, chunk_bytes=1, **PARAMS)
    p.code("t0#1", "Clear leadership", "SM")  # new human labels: a new model
    again = run_batch(p, files, embedder=emb, chunk_bytes=1, **PARAMS)
    assert again.model != first.model and again.segments_precoded == first.segments_precoded
    pending = p.suggestions(status="pending")
    assert not pending.duplicated(["segment_id", "code"]).any() and set(pending["model"]) == {again.model}
    assert len(p.suggestions(status="superseded")) == first.suggestions

"""One bad file never blocks a batch: it is set aside alone, listed, recorded, and not retried until it changes.

Issue 28: a file that failed on every run (an RTF whose lone surrogate broke
the hashing when its chunk was stored) took its whole chunk down with it, on
every re-run, so the batch could never finish.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from qdakit.batch import EmbedderSpec, run_batch
from qdakit.batch import chunks as chunk_mod
from qdakit.embed import FakeEmbedder
from support import BATCH_PARAMS as PARAMS


def _failing_store(bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Storing any chunk that holds ``bad`` fails, as the lone surrogate did when it was hashed."""
    real = chunk_mod._store

    def store(project, result, model):  # type: ignore[no-untyped-def]
        if any(t.source == bad for t, _ in result.items):
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return real(project, result, model)

    monkeypatch.setattr(chunk_mod, "_store", store)


def test_a_file_that_fails_when_stored_is_set_aside_and_its_chunk_stored(setup, monkeypatch):
    p, files, _ = setup
    bad = str(files[3])
    _failing_store(bad, monkeypatch)
    emb = FakeEmbedder(dim=128)
    report = run_batch(p, files, embedder=emb, chunk_bytes=1 << 30, on_error="skip", **PARAMS)  # one chunk
    assert report.transcripts_added == 7  # the seven others, though they shared the chunk
    assert len(report.errors) == 1 and report.errors[0].startswith(f"{bad}: UnicodeEncodeError")
    assert set(p.failed_sources(report.model)) == {bad}  # in the checkpoint

    read: list[list[str]] = []
    real_read = chunk_mod._read
    monkeypatch.setattr(chunk_mod, "_read", lambda paths, *a, **k: read.append(paths) or real_read(paths, *a, **k))
    again = run_batch(p, files, embedder=emb, chunk_bytes=1 << 30, on_error="skip", **PARAMS)
    assert read == [] and not again.errors  # not retried: the file has not changed
    assert again.files_skipped == 7 and again.failed_before == report.errors

    monkeypatch.undo()  # the store works again, and the file is fixed (changed): it is retried
    Path(bad).write_text(Path(bad).read_text(encoding="utf-8") + "\nR3: one more thing.\n", encoding="utf-8")
    fixed = run_batch(p, files, embedder=emb, chunk_bytes=1 << 30, on_error="skip", **PARAMS)
    assert fixed.transcripts_added == 1 and not fixed.errors and not fixed.failed_before
    assert p.failed_sources(fixed.model) == {}


def test_any_exception_of_a_reader_is_reported_not_raised(setup, monkeypatch):
    p, files, _ = setup
    real = chunk_mod.read_transcripts

    def read(path, **kwargs):  # type: ignore[no-untyped-def]
        if str(path) == str(files[0]):
            raise RecursionError("maximum recursion depth exceeded in a third-party parser")
        return real(path, **kwargs)

    monkeypatch.setattr(chunk_mod, "read_transcripts", read)
    report = run_batch(p, files, embedder=FakeEmbedder(dim=128), chunk_bytes=1, on_error="skip", **PARAMS)
    assert report.transcripts_added == 7
    assert report.errors == [f"{files[0]}: RecursionError: maximum recursion depth exceeded in a third-party parser"]


def test_an_rtf_with_a_lone_surrogate_is_precoded(setup):
    p, files, tmp_path = setup
    rtf = tmp_path / "batch" / "notes.rtf"
    rtf.write_text("{\\rtf1\\ansi Interviewer: How do you plan?\\par R9: We plan \\u-10240? in May, "
                   "with the council and \\u27?[2J the trust.\\par}", encoding="ascii")
    report = run_batch(p, [*files, rtf], embedder=FakeEmbedder(dim=128), chunk_bytes=1, on_error="skip", **PARAMS)
    assert not report.errors and report.transcripts_added == 9
    text = next(t for t in p.iter_transcripts() if t.name == "notes").text
    assert "\ufffd" in text and "\x1b" not in text


def test_the_command_line_lists_earlier_failures_and_exits_0(setup, monkeypatch, capsys):
    from qdakit.cli import main

    p, files, _ = setup
    path = p.path
    p.close()
    bad = str(files[2])
    _failing_store(bad, monkeypatch)
    monkeypatch.setattr(EmbedderSpec, "build", lambda self: FakeEmbedder(dim=128))
    argv = ["qdakit", "batch", *map(str, files), "-p", str(path), "--min-examples", "3", "--min-similarity", "0"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as first:
        main()
    assert first.value.code == 1 and bad in capsys.readouterr().err
    main()  # the rerun finishes: nothing new failed
    err = capsys.readouterr().err
    assert "skipped 1 file(s) that failed in an earlier run" in err and bad in err

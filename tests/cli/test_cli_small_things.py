"""Smaller rough edges of the command line (issue 26.8): -p before the command, Ctrl-C in precode, tidy notes."""

from __future__ import annotations

import sys
import warnings

import pytest

from qdakit.cli import main
from qdakit.embed import FakeEmbedder, LongTextWarning
from support import code_transcripts, partnership_project


def _run(monkeypatch, capsys, *argv: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["qdakit", *argv])
    code: object = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return (0 if code is None else code), out.out + out.err  # type: ignore[return-value]


@pytest.fixture
def study(tmp_path):
    path = tmp_path / "p.qdakit"
    p = partnership_project(path)
    code_transcripts(p, range(3))
    p.close()
    return path


def test_project_option_before_the_command(study, monkeypatch, capsys):
    monkeypatch.delenv("QDAKIT_PROJECT", raising=False)
    code, out = _run(monkeypatch, capsys, "-p", str(study), "status")
    assert code == 0, out
    assert "transcripts" in out and "4" in out
    code, out = _run(monkeypatch, capsys, f"--project={study}", "codings", "list", "--coder", "JR", "-n", "2")
    assert code == 0, out


def test_ctrl_c_in_precode_says_it_was_interrupted_and_that_a_rerun_resumes(study, monkeypatch, capsys):
    from qdakit.suggest import precode as precode_module

    monkeypatch.setattr(precode_module, "default_embedder", lambda project, device="cpu": FakeEmbedder(dim=32))

    class Fitted:
        def set_params(self, **_: object) -> Fitted:
            return self

    monkeypatch.setattr(precode_module, "fit_suggester", lambda *a, **k: Fitted())

    def interrupted(*_a: object, **_k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(precode_module, "precode", interrupted)
    code, out = _run(monkeypatch, capsys, "precode", "-p", str(study), "--no-verdict")
    assert code == 130
    assert "interrupted" in out and "pre-coding" in out and "again to resume" in out and "Traceback" not in out


def test_report_prints_tidy_notes_not_raw_warnings(study, monkeypatch, capsys, tmp_path):
    import qdakit.analysis.report as report_module

    def build_report(project, out, **_: object):  # noqa: ANN001, ANN202 - the report's own warnings
        for _i in range(3):
            warnings.warn("2 long turns were embedded in chunks (e.g. t1#3)", LongTextWarning, stacklevel=2)
        warnings.warn("a library's own remark", UserWarning, stacklevel=2)
        out.write_text("<html></html>", encoding="utf-8")
        return out

    monkeypatch.setattr(report_module, "build_report", build_report)
    code, out = _run(monkeypatch, capsys, "report", "-p", str(study), "--ner", "off", "--out", str(tmp_path / "r.html"))
    assert code == 0, out
    assert out.count("note: 2 long turns were embedded in chunks") == 1
    assert "LongTextWarning" not in out and "a library's own remark" not in out and ".py:" not in out

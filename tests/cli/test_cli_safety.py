"""Issue 14 on the command line: init --force keeps what it replaces, re-imports say so, errors stay one line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from qdakit import Code, Codebook, Project
from support import make_transcript


def _main(argv: list[str], monkeypatch, capsys, stdin: str | None = None) -> tuple[int, str, str]:  # noqa: ANN001
    from qdakit.cli import main

    monkeypatch.setattr(sys, "argv", ["qdakit", *argv])
    if stdin is not None:
        import io

        fake = io.StringIO(stdin)
        fake.isatty = lambda: True  # type: ignore[method-assign]
        monkeypatch.setattr(sys, "stdin", fake)
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def coded_path(tmp_path: Path) -> Path:
    path = tmp_path / "p.qdakit"
    with Project.create(path) as p:
        p.add_transcripts([make_transcript("t1", [("Ann", "We meet monthly."), ("Bob", "We email.")])])
        p.load_codebook(Codebook([Code("Communication")]))
        p.code("t1#0", "Communication", coder="JR")
    return path


def test_init_force_refuses_a_project_with_codings_without_a_terminal(coded_path, monkeypatch, capsys) -> None:
    code, _, err = _main(["init", str(coded_path), "--force"], monkeypatch, capsys)
    assert code == 1 and "holds 1 human codings" in err and "--yes-delete-codings" in err
    assert "Traceback" not in err
    with Project.open(coded_path) as p:
        assert len(p.codings()) == 1
    assert list(coded_path.parent.glob("*.bak")) == []


def test_init_force_asks_and_no_keeps_everything(coded_path, monkeypatch, capsys) -> None:
    code, out, err = _main(["init", str(coded_path), "--force"], monkeypatch, capsys, stdin="n\n")
    assert code == 130 and "Delete them all" in out
    with Project.open(coded_path) as p:
        assert len(p.codings()) == 1


def test_init_force_yes_delete_codings_keeps_a_backup(coded_path, monkeypatch, capsys) -> None:
    code, out, _ = _main(["init", str(coded_path), "--force", "--yes-delete-codings"], monkeypatch, capsys)
    assert code == 0 and "kept as" in out
    (backup,) = coded_path.parent.glob("p.qdakit.*.bak")
    with Project.open(backup) as old, Project.open(coded_path) as new:
        assert len(old.codings()) == 1 and new.codings().empty


def test_codings_import_twice_says_they_were_there(coded_path, monkeypatch, capsys, tmp_path) -> None:
    f = tmp_path / "c.csv"
    f.write_text("segment_id,code,coder\nt1#1,Communication,SM\n")
    argv = ["codings", "import", str(f), "-p", str(coded_path)]
    assert "Imported 1 codings (0 were already" in _main(argv, monkeypatch, capsys)[1]
    assert "Imported 0 codings (1 were already" in _main(argv, monkeypatch, capsys)[1]


@pytest.mark.parametrize("argv_tail, message", [
    (["import", "{tmp}/a.txt", "--encoding", "nosuch"], "unknown text encoding 'nosuch'"),
    (["codings", "import", "{tmp}/empty.csv"], "empty.csv"),
    (["codebook", "load", "{tmp}/bad.csv"], "more cells than columns"),
])
def test_bad_input_is_one_error_line(coded_path, monkeypatch, capsys, tmp_path, argv_tail, message) -> None:
    (tmp_path / "a.txt").write_text("Cy: hello\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "bad.csv").write_text("name,description\nA,one, two\n")
    code, _, err = _main([a.format(tmp=tmp_path) for a in argv_tail] + ["-p", str(coded_path)], monkeypatch, capsys)
    assert code == 1 and message in err.replace("\n", "") and "Traceback" not in err


def test_matrix_and_disagreement_exports_are_neutralised(coded_path, monkeypatch, capsys, tmp_path) -> None:
    with Project.open(coded_path) as p:
        p.load_codebook(Codebook([Code("=cmd|' /C calc'!A0")]))
        p.set_participant_attributes("=Ann", {"sector": "+x"})
        p.set_segment_participant("t1#0", "=Ann")
        p.code("t1#0", "=cmd|' /C calc'!A0", coder="SM")
    out = tmp_path / "m.csv"
    assert _main(["export", "--matrix", str(out), "-p", str(coded_path)], monkeypatch, capsys)[0] == 0
    text = out.read_text("utf-8-sig")
    assert "'=cmd" in text and "'=Ann" in text and "\n=" not in text and ",=" not in text
    dis = tmp_path / "d.csv"
    code, _, err = _main(["agree", "--coders", "JR", "--coders", "SM", "--out", str(dis), "-p", str(coded_path)],
                         monkeypatch, capsys)
    assert code == 0, err
    assert ",=" not in dis.read_text("utf-8-sig") and "'=cmd" in dis.read_text("utf-8-sig")


def test_resolve_reads_back_a_neutralised_disagreement_table(coded_path, monkeypatch, capsys, tmp_path) -> None:
    import csv

    with Project.open(coded_path) as p:
        p.load_codebook(Codebook([Code("=Sum")]))
        p.code("t1#0", "=Sum", coder="SM")  # JR has Communication there: a disagreement
    dis = tmp_path / "d.csv"
    _main(["agree", "--coders", "JR", "--coders", "SM", "--out", str(dis), "-p", str(coded_path)], monkeypatch, capsys)
    rows = list(csv.DictReader(dis.read_text("utf-8-sig").splitlines()))
    assert rows and rows[0]["only_SM"] == "'=Sum"  # neutralised in the file
    for r in rows:
        r["agreed_codes"] = "'=Sum"  # as a spreadsheet user types it to keep it text
    with dis.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    code, _, err = _main(["resolve", str(dis), "--coder", "AB", "-p", str(coded_path)], monkeypatch, capsys)
    assert code == 0, err
    with Project.open(coded_path) as p:
        assert set(p.codings(coder="AB")["code"]) == {"=Sum"}


@pytest.mark.parametrize("keep", [0.1, 0.3, 0.5, 0.8])
def test_a_truncated_project_is_one_error_line(coded_path, monkeypatch, capsys, keep) -> None:
    import sqlite3

    con = sqlite3.connect(coded_path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = coded_path.read_bytes()
    coded_path.write_bytes(data[: int(len(data) * keep)])
    for argv in (["status"], ["codings", "import", str(coded_path.parent / "none.csv")]):
        code, _, err = _main([*argv, "-p", str(coded_path)], monkeypatch, capsys)
        assert code == 1 and "Traceback" not in err
        assert "damaged" in err and "qdakit init" not in err

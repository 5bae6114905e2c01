"""Issue 14: exports neutralise formulas, write whole files atomically, and count what a format cannot hold."""

from __future__ import annotations

import csv
import io
import os
import stat
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from qdakit import Code, Codebook, Project
from qdakit.errors import ExportError, ReplacedCharacterWarning
from qdakit.io.codebook import read_codebook, write_codebook
from qdakit.io.codings import read_codings
from qdakit.io.exports import write_quotations
from qdakit.io.output import atomic_write, neutralise, unneutralise, write_table
from support import make_transcript

EVIL = '=HYPERLINK("http://evil.example","x") is what I typed.'
FORMULAS = [EVIL, "+1 cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTAB", "'=already quoted"]


@pytest.fixture
def evil(tmp_path: Path) -> Project:
    p = Project.create(tmp_path / "e.qdakit")
    p.add_transcripts([make_transcript("t1", [("Ann", EVIL), ("Bob", "+1 cmd|' /C calc'!A0"), ("Cy", "fine")])])
    p.load_codebook(Codebook([Code("=SUM(1+1)"), Code("@bad", description="-x")]))
    p.code("t1#0", "=SUM(1+1)", coder="-JR")
    p.code("t1#1", "@bad", coder="JR", memo="=1+1")
    p.code("t1#2", "@bad", coder="JR")
    yield p
    p.close()


def test_xlsx_quotes_hold_text_never_formulas(evil: Project, tmp_path: Path) -> None:
    out = write_quotations(evil, tmp_path / "q.xlsx")
    ws = openpyxl.load_workbook(out).active
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert EVIL in [c.value for c in cells]  # the participant's words, exactly
    assert {c.data_type for c in cells} == {"s"}  # all text; openpyxl would mark a formula "f"


def test_csv_quotes_are_neutralised_as_owasp_recommends(evil: Project, tmp_path: Path) -> None:
    out = write_quotations(evil, tmp_path / "q.csv")
    cells = [c for row in csv.reader(io.StringIO(out.read_text("utf-8-sig"))) for c in row]
    assert not any(c[:1] in ("=", "+", "-", "@", "\t", "\r") for c in cells)
    assert "'" + EVIL in cells


def test_quotes_csv_round_trips_through_the_codings_importer(evil: Project, tmp_path: Path) -> None:
    out = write_quotations(evil, tmp_path / "q.csv")
    back = read_codings(evil, out)
    assert sorted((c.code, c.coder, c.memo) for c in back) == sorted(
        (r.code, r.coder, r.memo) for r in evil.codings().itertuples())
    assert evil.add_codings(back) == []  # the same codings: nothing new


def test_codebook_csv_is_neutralised_and_round_trips(tmp_path: Path) -> None:
    cb = Codebook([Code("=SUM(1+1)", description="-2 is fine?", examples=("@home", "=x")),
                   Code("'quoted'", parent="=SUM(1+1)")])
    out = write_codebook(cb, tmp_path / "cb.csv")
    assert "\n=SUM" not in out.read_text("utf-8-sig")
    back = read_codebook(out)
    assert [(c.name, c.parent, c.description, c.examples) for c in back] == [
        (c.name, c.parent, c.description, c.examples) for c in cb]


@pytest.mark.parametrize("value", FORMULAS + ["''@twice", "plain", "a=b", "'", ""])
def test_neutralise_is_reversible(value: str) -> None:
    assert unneutralise(neutralise(value)) == value
    assert neutralise(value)[:1] not in ("=", "+", "-", "@", "\t", "\r")


def test_control_characters_in_xlsx_are_replaced_visibly_and_counted(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.qdakit") as p:
        p.add_transcripts([make_transcript("t1", [("Ann", "page\x0cbreak"), ("Bob", "nul\x00here"),
                                                  ("Cy", "fine")])])
        p.load_codebook(Codebook([Code("C")]))
        for seg in ("t1#0", "t1#1", "t1#2"):
            p.code(seg, "C", coder="JR")
        with pytest.warns(ReplacedCharacterWarning, match=r"q\.xlsx: 2 character"):
            out = write_quotations(p, tmp_path / "q.xlsx")
    ws = openpyxl.load_workbook(out).active
    assert ws.max_row == 4  # every quote is there
    quotes = [r[7] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert quotes == ["page\u240cbreak", "nul\u2400here", "fine"]
    with pytest.warns(ReplacedCharacterWarning):
        written = write_table(pd.DataFrame({"q": ["a\x01b", "c\ud800"]}), tmp_path / "t.xlsx")
    assert written.replaced == 2


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "q.csv"
    out.write_text("previous")

    def fail(f):  # noqa: ANN001, ANN202
        f.write(b"half a fi")
        raise OSError(28, "No space left on device")

    with pytest.raises(ExportError, match="the disk is full; nothing was written"):
        atomic_write(out, fail)
    assert out.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.csv"]


def test_written_files_get_the_umask_mode_not_0600(evil: Project, tmp_path: Path) -> None:
    from qdakit.io.refi import export_qdpx, write_qdc

    old = os.umask(0o022)
    try:
        files = [export_qdpx(evil, tmp_path / "x.qdpx") and tmp_path / "x.qdpx",
                 write_qdc(evil.codebook, tmp_path / "x.qdc"), write_quotations(evil, tmp_path / "q.csv")]
    finally:
        os.umask(old)
    assert [stat.S_IMODE(f.stat().st_mode) for f in files] == [0o644] * 3


def test_report_html_is_written_atomically(evil: Project, tmp_path: Path, monkeypatch) -> None:
    from qdakit.analysis.anonymise import Anonymiser
    from qdakit.analysis.report import build_report
    from qdakit.embed import FakeEmbedder

    out = tmp_path / "r.html"
    out.write_text("previous")
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(ExportError, match="disk is full"):  # the full disk shows when the data is flushed
        build_report(evil, out, anonymiser=Anonymiser(None), embedder=FakeEmbedder())
    assert out.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []

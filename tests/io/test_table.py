"""Tests for qdakit.io.table (.csv / .tsv / .xlsx pre-segmented transcripts)."""

from __future__ import annotations

import datetime as dt
import doctest
from pathlib import Path

import openpyxl
import pytest

import qdakit.io.table as table_module
from qdakit.errors import ImportFormatError
from qdakit.io.table import read_table
from support import write_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "io"


def _write(tmp_path: Path, content: str, name: str = "t.csv") -> Path:
    return write_file(tmp_path, content, name)


def _xlsx(path: Path, rows: list[list], sheet: str = "Sheet1", extra: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    if extra:
        wb.active.title = extra
        wb.active.append(["unrelated"])
        ws = wb.create_sheet(sheet)
    else:
        ws = wb.active
        ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _summary(parsed) -> list[tuple[str | None, str, int | None]]:
    parsed.check()
    return [(t.speaker, t.text, t.line) for t in parsed.turns]


def test_module_examples_run():
    assert doctest.testmod(table_module).failed == 0


def test_csv_fixture():
    path = FIXTURES / "segments.csv"
    fg1, fg2 = read_table(path, start_time="start", end_time="end")
    assert (fg1.name, fg2.name, fg1.source) == ("fg1", "fg2", str(path))
    # rows keep their order within a transcript; same-speaker rows are not merged
    assert _summary(fg1) == [
        ("Moderator", "Welcome everyone.", 2),
        ("Ana Lúcia", "Thanks, happy to be here.", 3),
        ("Ana Lúcia", "I work nights 🌙.", 4),
        ("Moderator", "Final question?", 7),
    ]
    times = [(t.start_time, t.end_time) for t in fg1.turns]
    assert times == [(0.0, 2.5), (3.0, 5.5), (5.5, 8.0), (9.0, 10.0)]
    assert _summary(fg2) == [("Moderator", "Let's begin.", 5), ("王芳", "我是老师。", 6)]
    cjk = fg2.turns[1]
    assert fg2.text[cjk.start - 4 : cjk.end] == "王芳: 我是老师。"


def test_xlsx(tmp_path):
    path = _xlsx(
        tmp_path / "coded.xlsx",
        [
            ["Speaker", "Text", "Start", "Notes"],
            ["Ann", "Hello 👋 — olá", 1.5, "x"],
            [None, None, None, None],  # blank row: skipped, later row numbers unchanged
            ["Bob", 42, "00:01:02.5", None],
            [None, "  no speaker  ", dt.time(0, 2, 3), None],
        ],
        sheet="Segments",
        extra="Cover",
    )
    (parsed,) = read_table(path, start_time="Start", sheet="Segments")
    assert parsed.name == "coded"
    assert _summary(parsed) == [("Ann", "Hello 👋 — olá", 2), ("Bob", "42", 4), (None, "no speaker", 5)]
    assert [t.start_time for t in parsed.turns] == [1.5, 62.5, 123.0]
    assert [t.end_time for t in parsed.turns] == [None, None, None]
    (by_index,) = read_table(path, sheet=1, name="seg")
    assert by_index.name == "seg"
    assert [t.text for t in by_index.turns] == [t.text for t in parsed.turns]


def test_missing_sheet(tmp_path):
    path = _xlsx(tmp_path / "b.xlsx", [["text"], ["hi"]], sheet="Data")
    with pytest.raises(ImportFormatError, match=r"b\.xlsx: no sheet 'Other'; the sheets are 'Data'.*--sheet"):
        read_table(path, sheet="Other")


def test_tsv_semicolon_and_quoted_multiline(tmp_path):
    (tsv,) = read_table(_write(tmp_path, "speaker\ttext\nAnn\tHi, there\n", "t.tsv"))
    assert _summary(tsv) == [("Ann", "Hi, there", 2)]
    content = 'speaker;text\nAnn;"Line one\nline two; still Ann"\nBob;Next\n'
    (semi,) = read_table(_write(tmp_path, content))
    assert _summary(semi) == [("Ann", "Line one\nline two; still Ann", 2), ("Bob", "Next", 3)]


def test_no_speaker_column_option_and_case_insensitive_headers(tmp_path):
    (parsed,) = read_table(_write(tmp_path, "TEXT,Who\nfirst,A\nsecond,B\n"), speaker=None)
    assert _summary(parsed) == [(None, "first", 2), (None, "second", 3)]
    (parsed,) = read_table(_write(tmp_path, "Text,Speaker\nfirst,A\n"))
    assert _summary(parsed) == [("A", "first", 2)]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {},
            r"t\.csv: no column 'text'; the columns found are 'utterance', 'who'\. "
            r"Pass the right header as text=\.\.\. \(on the command line --text-column\)",
        ),
        ({"text": "utterance"}, r"no column 'speaker'.*--speaker-column\).*speaker=None .*--speaker-column ''"),
        ({"text": "utterance", "speaker": "who", "transcript": "grp"}, r"column 'grp'.*--transcript-column"),
        # no command-line option for times: the message does not invent one
        ({"text": "utterance", "speaker": "who", "start_time": "t0"}, r"no column 't0'.*start_time=\.\.\.\.$"),
    ],
)
def test_missing_column(tmp_path, options, message):
    with pytest.raises(ImportFormatError, match=message):
        read_table(_write(tmp_path, "utterance,who\nhi,Ann\n"), **options)


def test_header_not_in_row_one(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A2"], wb.active["B2"] = "speaker", "text"
    wb.active["A3"], wb.active["B3"] = "Ann", "hi"
    wb.save(tmp_path / "late.xlsx")
    with pytest.raises(ImportFormatError, match=r"the header must be in row 1"):
        read_table(tmp_path / "late.xlsx")


def test_empty_text_cell(tmp_path):
    p = _write(tmp_path, "speaker,text\nAnn,hi\nBob,   \nAnn,bye\n")
    message = r"t\.csv, row 3: the text cell \(column 'text'\) is empty.*skip_empty=True"
    with pytest.raises(ImportFormatError, match=message):
        read_table(p)
    (parsed,) = read_table(p, skip_empty=True)
    assert _summary(parsed) == [("Ann", "hi", 2), ("Ann", "bye", 4)]


def test_empty_cell_in_xlsx(tmp_path):
    path = _xlsx(tmp_path / "e.xlsx", [["speaker", "text"], ["Ann", "hi"], ["Bob", None]])
    with pytest.raises(ImportFormatError, match=r"e\.xlsx, row 3: the text cell"):
        read_table(path)


def test_empty_transcript_cell(tmp_path):
    p = _write(tmp_path, "transcript,text\nfg1,hi\n,orphan\n")
    with pytest.raises(ImportFormatError, match=r"row 3: the transcript cell \(column 'transcript'\) is"):
        read_table(p, speaker=None)


@pytest.mark.parametrize("value", ["soon", "nan", "1:75", "1:2:3:4"])
def test_bad_time(tmp_path, value):
    p = _write(tmp_path, f"text,start\nhi,0\nho,{value}\n")
    with pytest.raises(ImportFormatError, match=rf"row 3: '{value}' in column 'start' is not a time"):
        read_table(p, speaker=None, start_time="start")


def test_csv_parser_error(tmp_path):
    p = _write(tmp_path, 'speaker,text\nAnn,"never closed\n')
    with pytest.raises(ImportFormatError, match=r"t\.csv: cannot read it as a table .*quoted"):
        read_table(p)


def test_header_only(tmp_path):
    with pytest.raises(ImportFormatError, match="a header but no rows"):
        read_table(_write(tmp_path, "speaker,text\n\n"))


def test_csv_encodings(tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes("speaker,text\nZoë,Ça va? 😀\n".encode("utf-8-sig"))
    (parsed,) = read_table(bom)
    assert _summary(parsed) == [("Zoë", "Ça va? 😀", 2)]  # the BOM is not part of the 'speaker' header
    win = tmp_path / "win.csv"
    win.write_bytes("speaker,text\nAnn,“the café”\n".encode("cp1252"))
    assert _summary(read_table(win)[0]) == [("Ann", "“the café”", 2)]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"speaker,text\nAnn,\x81\x8d\n")
    with pytest.raises(ImportFormatError, match=r"bad\.csv, line 2: cannot decode"):
        read_table(bad)


def test_empty_and_wrong_files(tmp_path):
    with pytest.raises(ImportFormatError, match="the file is empty"):
        read_table(_write(tmp_path, ""))
    fake = tmp_path / "fake.xlsx"
    fake.write_text("speaker,text\n")
    with pytest.raises(ImportFormatError, match=r"fake\.xlsx is not an Excel \.xlsx file \(it is not a zip"):
        read_table(fake)
    with pytest.raises(ImportFormatError, match=r"old \.xls workbooks are not supported; save it as \.xlsx"):
        read_table(_write(tmp_path, "x", "old.xls"))
    with pytest.raises(ImportFormatError, match=r"unknown table format '\.ods'"):
        read_table(_write(tmp_path, "x", "t.ods"))
    with pytest.raises(ImportFormatError, match="applies only to .xlsx"):
        read_table(_write(tmp_path, "text\nhi\n"), sheet="Data")
    with pytest.raises(ImportFormatError, match="file not found"):
        read_table(tmp_path / "nope.xlsx")

"""Tests for qdakit.io.word (.docx transcripts); documents are built with python-docx."""

from __future__ import annotations

import doctest
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

import qdakit.io.word as word_module
from qdakit.errors import ImportFormatError
from qdakit.io.word import read_docx
from support import turns_of


def _docx(path: Path, paragraphs: list[str | tuple[str, str]], table: bool = False) -> Path:
    """Write a .docx; a tuple is (text, style); '\\n' in a text becomes a line break."""
    d = docx.Document()
    for item in paragraphs:
        text, style = item if isinstance(item, tuple) else (item, None)
        p = d.add_paragraph(style=style)
        for k, piece in enumerate(text.split("\n")):
            run = p.add_run(piece)
            if k < text.count("\n"):
                run.add_break()
    if table:
        cells = d.add_table(rows=1, cols=2).rows[0].cells
        cells[0].text, cells[1].text = "Ann: from a table", "Bob: also ignored"
    d.save(path)
    return path


_summary = turns_of


def test_module_examples_run():
    assert doctest.testmod(word_module).failed == 0


def test_teams_export(tmp_path):
    path = _docx(
        tmp_path / "teams.docx",
        [
            "Weekly sync transcript",
            "3 March 2024, 10:02AM",
            "Helen Baxter   0:03",
            "Good morning, everyone.",
            "Shall we begin? 🙂",
            "José Núñez\t1:02:05",
            "Sí. 我们开始吧。",
            "",
            "Helen Baxter   1:02:10",
            "Great.",
        ],
    )
    parsed = read_docx(path)
    assert (parsed.name, parsed.source) == ("teams", str(path))
    assert _summary(parsed) == [
        ("Helen Baxter", "Good morning, everyone.\n\nShall we begin? 🙂"),
        ("José Núñez", "Sí. 我们开始吧。"),
        ("Helen Baxter", "Great."),
    ]
    assert [(t.start_time, t.end_time, t.line) for t in parsed.turns] == [
        (3.0, None, 3),
        (3725.0, None, 6),
        (3730.0, None, 9),
    ]
    jose = parsed.turns[1]
    assert parsed.text[jose.start - 12 : jose.end] == "José Núñez: Sí. 我们开始吧。"


def test_older_teams_layout_in_paragraphs(tmp_path):
    path = _docx(
        tmp_path / "old.docx",
        [
            "Meeting transcript",
            "0:0:0.0 --> 0:0:3.470",
            "Baxter, Helen",
            "Hello.",
            "0:0:3.470 --> 0:0:5.0",
            "Baxter, Helen",
            "Anyone there?",
            "0:0:6.120 --> 0:1:2.5",
            "Zoë Ng",
            "Yes, hi 👋.",
        ],
    )
    parsed = read_docx(path)
    assert _summary(parsed) == [("Baxter, Helen", "Hello. Anyone there?"), ("Zoë Ng", "Yes, hi 👋.")]
    assert [(t.start_time, t.end_time, t.line) for t in parsed.turns] == [(0.0, 5.0, 2), (6.12, 62.5, 8)]


def test_older_teams_layout_with_line_breaks(tmp_path):
    path = _docx(
        tmp_path / "old2.docx",
        ["0:0:1.0 --> 0:0:2.0\nAnn Lee\nFirst.", "0:0:2.0 --> 0:0:4.0\nBob\nSecond\nand more."],
    )
    parsed = read_docx(path)
    assert _summary(parsed) == [("Ann Lee", "First."), ("Bob", "Second\nand more.")]
    assert [t.line for t in parsed.turns] == [1, 2]


def test_ordinary_document_with_labels(tmp_path):
    path = _docx(
        tmp_path / "int.docx",
        [
            ("Interview 4", "Title"),
            "Recorded at the café, notes by R.",
            "Interviewer: How did it start?",
            "Ana: With a loan.",
            "",
            "Then a second one.\nOn the same terms.",
            "Note: phone rang.",
            ("Part two", "Heading 1"),
            "Interviewer: And now?",
            "Ana: 很好 — all good.",
        ],
        table=True,
    )
    parsed = read_docx(path)
    assert _summary(parsed) == [
        (None, "Recorded at the café, notes by R."),  # before the first label: kept, no speaker
        ("Interviewer", "How did it start?"),
        ("Ana", "With a loan.\n\nThen a second one.\nOn the same terms.\n\nNote: phone rang."),
        ("Interviewer", "And now?"),
        # a table row is read as a tab-separated line; "Ann" labels it once only, so it stays in the turn
        ("Ana", "很好 — all good.\n\nAnn: from a table\tBob: also ignored"),
    ]
    assert [t.line for t in parsed.turns] == [2, 3, 4, 9, 10]
    assert [(s.kind, parsed.text[s.start:s.end]) for s in parsed.spans if s.kind == "heading"] == [
        ("heading", "Interview 4"), ("heading", "Part two")]


def test_ordinary_document_without_labels(tmp_path):
    path = _docx(
        tmp_path / "memo.docx",
        [("Field notes", "Heading 1"), "First observation.", "", "  Second: with a colon.  ", "Third\nline."],
    )
    parsed = read_docx(path)
    assert _summary(parsed) == [
        (None, "First observation."),
        (None, "Second: with a colon."),
        (None, "Third\nline."),
    ]
    assert [t.line for t in parsed.turns] == [2, 4, 5]
    assert parsed.text == "Field notes\n\nFirst observation.\n\nSecond: with a colon.\n\nThird\nline."
    assert [(s.kind, s.start, s.end) for s in parsed.spans] == [("heading", 0, 11)]


def test_speakers_option(tmp_path):
    lines = ["Ann: Hi.", "Note: x.", "Bob: Yo.", "Note: y.", "Ann: Bye.", "Bob: Bye."]
    path = _docx(tmp_path / "s.docx", lines)
    # "Note" labels two paragraphs, so the heuristic takes it for a speaker ...
    assert [t.speaker for t in read_docx(path).turns] == ["Ann", "Note", "Bob", "Note", "Ann", "Bob"]
    # ... which the speakers option overrides
    parsed = read_docx(path, speakers=["Ann", "Bob"], name="s1")
    assert parsed.name == "s1"
    assert _summary(parsed)[:2] == [("Ann", "Hi.\n\nNote: x."), ("Bob", "Yo.\n\nNote: y.")]


@pytest.mark.parametrize(
    "content",
    [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an old binary .doc", "Ann: plain text saved as .docx\n".encode()],
)
def test_not_a_zip(tmp_path, content):
    p = tmp_path / "old.docx"
    p.write_bytes(content)
    with pytest.raises(
        ImportFormatError,
        match=r"old\.docx is not a Word \.docx file \(it is not a zip archive\); "
        r"if it is an old \.doc, save it as \.docx",
    ):
        read_docx(p)


def test_zip_that_is_not_a_word_document(tmp_path):
    p = tmp_path / "archive.docx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("notes.txt", "hello")
    with pytest.raises(ImportFormatError, match=r"archive\.docx is a zip archive but not a Word \.docx"):
        read_docx(p)


def test_workbook_renamed_docx(tmp_path):
    p = tmp_path / "book.docx"
    openpyxl.Workbook().save(p)
    with pytest.raises(ImportFormatError, match=r"book\.docx is a zip archive but not a Word"):
        read_docx(p)


def test_empty_and_missing_files(tmp_path):
    p = tmp_path / "empty.docx"
    p.write_bytes(b"")
    with pytest.raises(ImportFormatError, match="the file is empty"):
        read_docx(p)
    with pytest.raises(ImportFormatError, match="file not found"):
        read_docx(tmp_path / "nope.docx")
    with pytest.raises(ImportFormatError, match="no text in its paragraphs or tables"):
        read_docx(_docx(tmp_path / "blank.docx", ["", "  "]))
    # a document whose text is all in a table imports its rows
    assert read_docx(_docx(tmp_path / "table.docx", ["", "  "], table=True)).text == \
        "Ann: from a table\tBob: also ignored"

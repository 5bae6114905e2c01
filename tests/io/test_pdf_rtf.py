"""Tests for qdakit.io.pdf and qdakit.io.rtf, on small synthetic files (tests/fixtures/io/make_import_fixtures.py)."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

import qdakit.io.rtf as rtf_module
from qdakit.errors import ImportFormatError
from qdakit.io import read_transcripts
from qdakit.io.pdf import read_pdf, split_page_furniture
from qdakit.io.rtf import read_rtf

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "io"


def test_rtf_module_examples_run():
    assert doctest.testmod(rtf_module).failed == 0


@pytest.fixture(scope="module")
def paged():
    return read_pdf(FIXTURES / "paged.pdf")


def test_pdf_turns_and_times(paged):
    assert [t.speaker for t in paged.turns] == ["INTERVIEWER", "GARDENER 3"] * 4
    assert [t.start_time for t in paged.turns] == [5.0, 12.0, 100.0, 104.0, 150.0, 153.0, 190.0, 192.0]
    paged.check()


def test_pdf_turn_runs_over_a_page_break_without_the_page_furniture(paged):
    long_turn = paged.turns[1]
    assert long_turn.text.startswith("Eleven years now.")
    assert long_turn.text.endswith("That is the whole story of the plot.")
    assert "Allotment study" not in paged.text and "Page 2" not in paged.text
    # a label that opens a page is a label, not part of the turn before it
    assert paged.turns[6].text == "Anything else?"


def test_pdf_page_headers_and_numbers_are_set_aside_and_listed(paged):
    kinds = [(a.kind, a.text, a.where) for a in paged.set_aside]
    assert ("page_header", "Allotment study - transcript 7", "page 2") in kinds
    assert ("page_number", "Page 3 of 3", "page 3") in kinds
    assert {k for k, _, _ in kinds} == {"page_header", "page_number"}
    assert len(kinds) == 6


def test_page_furniture_needs_repetition_or_a_number():
    page = [("Interview with the baker", 10.0, 800.0), ("I: Hello.", 100.0, 800.0), ("12", 790.0, 800.0)]
    other = [("Interview with the baker", 10.0, 800.0), ("P: Hi.", 100.0, 800.0), ("13", 790.0, 800.0)]
    kept, aside = split_page_furniture([page, other])
    assert kept == [["I: Hello."], ["P: Hi."]]
    assert [a.kind for a in aside] == ["page_header", "page_number", "page_header", "page_number"]
    # a line at the top of one page only is text
    kept, aside = split_page_furniture([page[:2], [("P: Hi.", 10.0, 800.0)]])
    assert kept[0][0] == "Interview with the baker" and not aside


def test_scanned_pdf_is_refused_with_what_to_do():
    with pytest.raises(ImportFormatError, match="no text layer.*OCR"):
        read_pdf(FIXTURES / "scanned.pdf")


def test_not_a_pdf(tmp_path):
    p = tmp_path / "fake.pdf"
    p.write_text("I: hello\nP: hi\n")
    with pytest.raises(ImportFormatError, match="not a readable PDF"):
        read_pdf(p)
    with pytest.raises(ImportFormatError, match="file not found"):
        read_pdf(tmp_path / "none.pdf")


def test_form_feed_is_a_line_break(tmp_path):
    p = tmp_path / "ff.txt"
    p.write_text("[00:01] RESEARCHER:\nHi.\n[00:02] PARTICIPANT 1:\nHello.\n\f[04:57] RESEARCHER:\nBye.\n"
                 "[05:00] PARTICIPANT 1:\nBye.\n")
    parsed = read_transcripts(p)[0]
    assert "\f" not in parsed.text
    assert [(t.speaker, t.text) for t in parsed.turns] == [
        ("RESEARCHER", "Hi."), ("PARTICIPANT 1", "Hello."), ("RESEARCHER", "Bye."), ("PARTICIPANT 1", "Bye.")]


def test_rtf_field_notes_before_the_first_label_are_kept_unresolved():
    parsed = read_rtf(FIXTURES / "field_notes.rtf")
    assert [(t.speaker, t.text) for t in parsed.turns[:3]] == [
        (None, "- The reviewer opened the change on a laptop in the library."),
        (None, "- Notes by the observer, written before the interview started."),
        ("I", "What did you look at first?"),
    ]
    assert parsed.turns[5].text.endswith("And the café wifi was slow, so I read offline.")  # \'e9 decoded
    spans = {(s.kind, parsed.text[s.start:s.end]) for s in parsed.spans}
    assert {("title", "Session R2"), ("heading", "CONTEXT"), ("heading", "INTERVIEW"), ("bracketed", "[pause]")} <= spans


def test_rtf_errors(tmp_path):
    p = tmp_path / "plain.rtf"
    p.write_text("I: not really rtf")
    with pytest.raises(ImportFormatError, match="not an RTF file"):
        read_rtf(p)
    e = tmp_path / "empty.rtf"
    e.write_text(r"{\rtf1\ansi }")
    with pytest.raises(ImportFormatError, match="no text"):
        read_rtf(e)


def test_pdf_and_rtf_are_transcript_formats():
    from qdakit.io import TRANSCRIPT_SUFFIXES

    assert ".pdf" in TRANSCRIPT_SUFFIXES and ".rtf" in TRANSCRIPT_SUFFIXES
    assert read_transcripts(FIXTURES / "field_notes.rtf")[0].name == "field_notes"

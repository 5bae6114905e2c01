"""Word transcripts as a Danish study wrote them: legend, timestamps in several styles, tab-separated
lines, a table of time/speaker/text, stage directions (fixture: tests/fixtures/io/messy_da.docx)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qdakit.io.word import read_docx
from qdakit.model import looks_like_researcher

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "io"


@pytest.fixture(scope="module")
def messy():
    return read_docx(FIXTURES / "messy_da.docx")


def test_turns_from_paragraphs_tab_lines_and_table_rows(messy):
    assert [(t.speaker, t.start_time) for t in messy.turns] == [
        ("I1", 0.0), ("B", None), ("I2", None), ("B", None),
        ("I1", 101.0), ("B", 112.0),                 # time<TAB>speaker<TAB>text paragraphs
        ("I2", 125.0), ("B", 129.0), ("I1", 135.0),  # a Word table with time, speaker and text columns
        ("B", None),
    ]
    assert messy.turns[0].text == "Velkommen, og tak fordi vi måtte komme."
    assert messy.turns[7].text == "Ja, den er næsten fordoblet."
    messy.check()


def test_legend_names_the_speakers_and_is_not_a_turn(messy):
    assert messy.legend == {"I1": "Interviewer 1", "I2": "Interviewer 2", "B": "Beboer"}
    assert "Interviewer 1" not in " ".join(t.text for t in messy.turns)
    assert all(t.speaker not in ("K", "Interviewer 1") for t in messy.turns)


def test_stage_directions_stay_in_the_turn_marked_and_are_never_speakers(messy):
    spans = {(s.kind, messy.text[s.start:s.end]) for s in messy.spans}
    assert ("stage_direction", "[Alle griner lidt]") in spans
    assert ("bracketed", "[Kort pause]") in spans and ("bracketed", "[bynavn]") in spans
    assert messy.turns[1].text == "Selv tak. Kaffen er klar.\n\n[Alle griner lidt]"
    assert {t.speaker for t in messy.turns} == {"I1", "I2", "B"}


def test_heading_timestamps_and_legend_are_non_speech(messy):
    spans = {(s.kind, messy.text[s.start:s.end]) for s in messy.spans}
    assert {("heading", "Samtale 4"), ("timestamp", "00:00:05"), ("timestamp", "*0:0"), ("timestamp", "1:41"),
            ("legend", "I1 = Interviewer 1; I2 = Interviewer 2; B = Beboer")} <= spans


@pytest.mark.parametrize("label", ["I", "I1", "I2", "I 3", "Interviewer", "Interviewer 2", "Moderator",
                                   "Facilitator", "Researcher", "RESEARCHER", "R", "Q", "Int."])
def test_common_researcher_labels(label):
    assert looks_like_researcher(label)


@pytest.mark.parametrize("label", ["P1", "X", "PARTICIPANT 3", "Informant", "K", "Ann", None, "Ian", "R1", "Q3"])
def test_other_labels_are_not_researchers(label):
    assert not looks_like_researcher(label)

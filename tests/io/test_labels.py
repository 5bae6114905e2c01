"""Tests for qdakit.io.labels: speaker labels, timestamps, legends and stage directions as real files write them."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qdakit.io.labels as labels_module
from qdakit.io.labels import (
    find_legend,
    find_speaker_labels,
    is_stage_direction,
    is_timestamp_line,
    match_label,
    time_of,
)


def test_module_examples_run():
    assert doctest.testmod(labels_module).failed == 0


@pytest.mark.parametrize(
    "line, name, rest, time",
    [
        ("[04:57] RESEARCHER:", "RESEARCHER", "", 297.0),
        ("01:19 PARTICIPANT 12: Hi.", "PARTICIPANT 12", "Hi.", 79.0),
        ("*0:0 = I1: Velkommen.", "I1", "Velkommen.", 0.0),
        ("*1:14:56 = I1: Og så?", "I1", "Og så?", 4496.0),
        ("1.16.30 = I1: Hvorhen?", "I1", "Hvorhen?", 4590.0),
        ("1:41\tY\tJa, det gør jeg.", "Y", "Ja, det gør jeg.", 101.0),
        ("Y\t1:41\tJa.", "Y", "Ja.", 101.0),
        ("O:Hvor længe?", "O", "Hvor længe?", None),
        ("X (til I2): du må sige til.", "X", "du må sige til.", None),
        ("P3: fine", "P3", "fine", None),
    ],
)
def test_label_forms_in_real_files(line, name, rest, time):
    label = match_label(line)
    assert label is not None
    assert (label.name, line[label.content:], label.time) == (name, rest, time)


@pytest.mark.parametrize("line", ["word:no-space", "Hello:world", "[Alle griner lidt]", "[Kort pause]",
                                  "[Bynavn]", "12:30 is lunch", "Interviewer 1 (I1)"])
def test_not_labels(line):
    assert match_label(line) is None


def test_unknown_speaker_label_has_no_name():
    lines = ["I: Hej.", "X: Ja.", "I: Godt.", "X: Nej.", "[?]: med god grund."]
    found = find_speaker_labels(lines)
    assert found[-1] is not None and found[-1].name is None


def _names(lines, **kw):
    return [lab.name if lab else None for lab in find_speaker_labels(lines, **kw)]


def test_slips_of_known_speaker_codes_are_labels():
    lines = ["I: Hej.", "X: Ja.", "I: Godt.", "X. Ja, det er.", "M; Nej.", "M: Jo.", "I1 :Ja", "I1: Så.",
             "K Nej, aldrig.", "K: Jo."]
    assert _names(lines) == ["I", "X", "I", "X", "M", "M", "I1", "I1", "K", "K"]


def test_i_followed_by_a_word_is_not_a_slip():
    # "I" is a word in English and many codes; "I think" must stay text
    assert _names(["I: Hi.", "P: Yo.", "I: So?", "P: Well,", "I think so."]) == ["I", "P", "I", "P", None]


def test_timestamp_and_name_without_colon_is_a_label_for_a_known_speaker():
    lines = ["[47:30] RESEARCHER:", "Yes?", "[47:41] PARTICIPANT 2", "So, as you say.", "[47:48] RESEARCHER:",
             "No.", "[48:00] PARTICIPANT 2:", "Ok."]
    names = _names(lines)
    assert names[2] == "PARTICIPANT 2"
    assert find_speaker_labels(lines)[2].time == 2861.0
    assert _names(["[00:01] Ann: hi", "[00:02] Bob: yo", "[00:03] Ann: so", "[00:04] Carol"]) [3] is None


def test_once_only_label_with_a_timestamp_in_a_timestamped_file():
    lines = ["00:01 RESEARCHER:", "Hi all.", "00:05 PARTICIPANT 3:", "Hi.", "00:07 RESEARCHER:", "Go.",
             "00:09 PARTICIPANT 3:", "Ok.", "02:38 ALL PARTICIPANTS:", "Yes, we can.", "Hi PARTICIPANT 12:"]
    names = _names(lines)
    assert names[8] == "ALL PARTICIPANTS"
    assert names[10] is None  # "Hi PARTICIPANT 12:" is a greeting inside a turn, no time


def test_codes_joined_and_other_case():
    lines = ["I: a", "X: b", "Y: c", "I: d", "X: e", "Y: f", "X eller Y: g", "x: h", "SØN: i"]
    assert _names(lines) == ["I", "X", "Y", "I", "X", "Y", "X eller Y", "X", "SØN"]


@pytest.mark.parametrize(
    "lines, idx, legend",
    [
        (["Transskribering", "I1: Interviewer 1", "I2: Interviewer 2 ", "M: Mand", "K: Kvinde", "*0:0 = I1: Hej"],
         [1, 2, 3, 4], {"I1": "Interviewer 1", "I2": "Interviewer 2", "M": "Mand", "K": "Kvinde"}),
        (["Interview 2", "I = Interviewer; I2 = interviewer; Y = informant", "I: Hej"], [1],
         {"I": "Interviewer", "I2": "interviewer", "Y": "informant"}),
        (["Båndlængde 59:11", "Interviewer (I) Informant (X)", "0:00:00.0", "I: Så"], [1],
         {"I": "Interviewer", "X": "Informant"}),
        (["I1: Interviewer 1, I2: Interviewer 2; X: Informant", "00:00:07", "I1: Hej"], [0],
         {"I1": "Interviewer 1", "I2": "Interviewer 2", "X": "Informant"}),
        (["I = Interviewer; X = Informant, kvinde; Y = Informant, mand"], [0],
         {"I": "Interviewer", "X": "Informant, kvinde", "Y": "Informant, mand"}),
    ],
)
def test_legend_forms(lines, idx, legend):
    assert find_legend(lines) == (idx, legend)


@pytest.mark.parametrize("lines", [["I: Okay.", "X: Ja"], ["Q: Ready?", "A: Yes."], ["I: Hello participant?"]])
def test_turns_are_not_a_legend(lines):
    assert find_legend(lines) == ([], {})


def test_legend_lines_are_never_labels():
    lines = ["I1: Interviewer 1", "K: Kvinde", "", "I1: Velkommen.", "K: Tak.", "I1: Godt.", "K: Ja."]
    idx, _ = find_legend(lines)
    assert _names(lines)[:2] == ["I1", "K"]  # by form alone they look like turns ...
    assert [n for n in [lab.name if lab else None for lab in find_speaker_labels(lines, skip=idx)]][:2] == [None, None]


@pytest.mark.parametrize("line, ok", [("00:00:07", True), ("0:00:00.0", True), ("1:02:11.6", True),
                                      ("(07.45)", True), ("00.20.16", True), ("[12:03]", True),
                                      ("10.000 ja", False), ("5.000", False), ("at 12:03", False)])
def test_timestamp_lines(line, ok):
    assert is_timestamp_line(line) is ok


@pytest.mark.parametrize("line, ok", [("[Alle griner lidt]", True), ("(Går videre)", True), ("[Kort pause].", True),
                                      ("Ja [griner] nej", False), ("[?]: hm", False)])
def test_stage_direction_lines(line, ok):
    assert is_stage_direction(line) is ok


def test_time_of_written_forms():
    assert [time_of(s) for s in ["[01:49]", "*0:0", "1.16.30", "(07.45)", "0:00:00.0"]] == [
        109.0, 0.0, 4590.0, 465.0, 0.0]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="AnB1 .:：[]()*-–='’_xé0?", max_size=24),
       st.sampled_from(["", " ", "x", "Hello there", ":", "]", "**", "：好", "Hvor"]))
def test_label_of_a_line_is_the_label_of_its_head(head, rest):
    # match_label caches the check of a line's head: that must give what checking the whole line gives
    line = head + rest
    m = labels_module._LABEL.match(line)
    expected = labels_module._checked(m) if m else None
    if expected is not None and expected.form == "bracket" and not m["colon"] and not line[expected.content:].strip():
        expected = None  # a bracketed note alone on its line
    assert match_label(line) == expected

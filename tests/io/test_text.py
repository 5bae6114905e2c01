"""Tests for qdakit.io.text (plain-text and Markdown transcripts)."""

from __future__ import annotations

import doctest
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qdakit.io.text as text_module
from qdakit.errors import ImportFormatError
from qdakit.io.text import find_speaker_labels, match_label, read_text
from support import turns_of, write_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "io"


def _write(tmp_path: Path, content: str, name: str = "t.txt") -> Path:
    return write_file(tmp_path, content, name)


_summary = turns_of


def test_module_examples_run():
    assert doctest.testmod(text_module).failed == 0


def test_interview_fixture():
    path = FIXTURES / "interview.txt"
    parsed = read_text(path)
    parsed.check()
    assert parsed.name == "interview"
    assert parsed.source == str(path)
    assert parsed.text == path.read_text(encoding="utf-8")
    assert [t.speaker for t in parsed.turns] == ["Interviewer", "Zoë Müller", "Interviewer", "Zoë Müller"]
    assert [t.start_time for t in parsed.turns] == [5.0, 12.0, 160.0, 165.0]
    assert [t.line for t in parsed.turns] == [3, 5, 10, 11]
    assert all(t.end_time is None for t in parsed.turns)
    first, second, _, last = parsed.turns
    assert first.text == "Thanks for joining. How did the year go?"
    # "Note:" occurs once in a file with repeated labels: part of the turn;
    # the blank line inside the turn is kept for paragraph segmentation
    assert second.text == (
        "Honestly? Hard. We nearly closed in March.\n"
        "Note: the recording was paused here for two minutes.\n"
        "We reopened in May with a smaller menu 🙂.\n\n"
        "It took a while for the regulars to come back."
    )
    assert last.text == "The neighbours. 李先生 from the shop next door lent us a fridge."
    assert parsed.text[last.start : last.start + 15] == "The neighbours."
    assert "Interview 07" not in " ".join(t.text for t in parsed.turns)


def test_markdown_focus_group_fixture():
    parsed = read_text(FIXTURES / "focus_group.md", name="FG 3")
    assert parsed.name == "FG 3"
    assert _summary(parsed) == [
        (None, "Moderator notes are below."),  # text no label explains: a turn with no speaker, not dropped
        ("Moderator", "Let's start with how you get to work."),
        ("P3", "Bus, mostly. It's cheap but slow."),
        ("P4", "I cycle when it's dry."),  # once, but shaped like P3; ends at "## Costs"
        ("Moderator", "Has the fare rise changed anything?"),
        ("P3", "Yes, I walk more now."),
        ("P7", "I moved closer to work, actually."),
    ]
    assert [t.line for t in parsed.turns] == [3, 7, 9, 11, 15, 17, 19]
    assert [(s.kind, parsed.text[s.start:s.end]) for s in parsed.spans if s.kind == "heading"] == [
        ("heading", "# Focus group 3: commuting"), ("heading", "## Warm-up"), ("heading", "## Costs")]


@pytest.mark.parametrize(
    ("line", "name", "rest", "time"),
    [
        ("Interviewer: Hello", "Interviewer", "Hello", None),
        ("P3: yes", "P3", "yes", None),
        ("Helen Baxter: fine", "Helen Baxter", "fine", None),
        ("Dr. Smith: so", "Dr. Smith", "so", None),
        ("Mary-Jane O'Neil: ok", "Mary-Jane O'Neil", "ok", None),
        ("[Ann] hi", "Ann", "hi", None),
        ("[Ann]: hi", "Ann", "hi", None),
        ("**Ann:** hi", "Ann", "hi", None),
        ("**Ann**: hi", "Ann", "hi", None),
        ("[00:01:23] Ann: hi", "Ann", "hi", 83.0),
        ("(00:01:23) Ann: hi", "Ann", "hi", 83.0),
        ("00:01:23 Ann: hi", "Ann", "hi", 83.0),
        ("00:01:23 - Ann: hi", "Ann", "hi", 83.0),
        ("[1:02:03.5] [Bob] hi", "Bob", "hi", 3723.5),
        ("Interviewer:", "Interviewer", "", None),
        ("李明：你好", "李明", "你好", None),
    ],
)
def test_label_forms(line, name, rest, time):
    label = match_label(line)
    assert label is not None
    assert (label.name, line[label.content :], label.time) == (name, rest, time)


@pytest.mark.parametrize(
    "line",
    [
        "https://example.org is where it is",
        "12:30 was the time",
        "00:01:23 we started",
        "A sentence with far too many words: yes",
        "[inaudible] something",
        "[laughs]",
        "[Crosstalk]: noise",
        "[sic] lower",
        "word:no-space",
        "123: numbers only",
        "- Ann: a list item",
        "",
    ],
)
def test_not_labels(line):
    assert match_label(line) is None


def _names(lines: list[str], speakers=None) -> list[str | None]:
    return [lab.name if lab else None for lab in find_speaker_labels(lines, speakers)]


def test_heuristic_once_only_plain_label_is_not_a_speaker():
    lines = ["I: Hi.", "R: Hello.", "Note: quiet.", "I: Bye.", "R: Bye."]
    assert _names(lines) == ["I", "R", None, "I", "R"]


def test_heuristic_repeated_label_is_a_speaker():
    # the documented limitation: a false label used twice is taken as a speaker
    lines = ["I: Hi.", "Note: one.", "R: Hello.", "Note: two.", "I: Bye.", "R: Bye."]
    assert _names(lines) == ["I", "Note", "R", "Note", "I", "R"]


def test_heuristic_speakers_option_overrides():
    lines = ["I: Hi.", "Note: one.", "R: Hello.", "Note: two.", "Bo: once"]
    assert _names(lines, speakers=["I", "R", "Bo"]) == ["I", None, "R", None, "Bo"]


def test_heuristic_same_shape_or_markup_form():
    lines = ["Speaker 1: a", "Speaker 2: b", "Speaker 1: c", "Speaker 12: d"]
    assert _names(lines) == ["Speaker 1", "Speaker 2", "Speaker 1", "Speaker 12"]
    # explicit markup: a once-only [Cy] is a speaker where [Ann] repeats; plain Dee is not
    lines = ["[Ann] a", "[Bob] b", "[Ann] c", "[Cy] d", "Dee: e"]
    assert _names(lines) == ["Ann", "Bob", "Ann", "Cy", None]


def test_heuristic_short_excerpt_each_speaker_once():
    assert _names(["Title", "", "Ann: Hello.", "Bob: Hi."]) == [None, None, "Ann", "Bob"]
    # ... but not when a paragraph after the first label starts without one
    assert _names(["Note: x", "", "Some essay text.", "", "Update: y"]) == [None] * 5
    # a single distinct candidate is never enough
    assert _names(["Note: the tape ran out.", "", "More text."]) == [None, None, None]


def test_false_label_stays_in_turn(tmp_path):
    p = _write(tmp_path, "Q: How?\nA: Like this.\nNote: paused.\nStill A.\nQ: Ok.\nA: Yes.\n")
    parsed = read_text(p)
    assert _summary(parsed)[1] == ("A", "Like this.\nNote: paused.\nStill A.")


def test_text_on_the_line_after_the_label(tmp_path):
    content = "**Ann:**\n\nFirst para.\n\nSecond para.\n\n**Bob:**\nYes.\n**Ann:**\nOk.\n**Bob:** No.\n"
    p = _write(tmp_path, content)
    assert _summary(read_text(p)) == [
        ("Ann", "First para.\n\nSecond para."),
        ("Bob", "Yes."),
        ("Ann", "Ok."),
        ("Bob", "No."),
    ]


def test_label_with_no_text_is_dropped(tmp_path):
    p = _write(tmp_path, "Ann:\nBob: Hi.\nAnn: Hello.\nBob:   \n")
    assert _summary(read_text(p)) == [("Bob", "Hi."), ("Ann", "Hello.")]


def test_no_labels_gives_paragraph_turns(tmp_path):
    content = "# Field notes\n\nFirst paragraph\nwraps here.\n\n\n  Second one.  \n## Later\nThird.\n"
    p = _write(tmp_path, content)
    parsed = read_text(p)
    assert _summary(parsed) == [
        (None, "First paragraph\nwraps here."),
        (None, "Second one."),
        (None, "Third."),
    ]
    assert [t.line for t in parsed.turns] == [3, 7, 9]


def test_crlf_newlines_are_normalised(tmp_path):
    p = tmp_path / "crlf.txt"
    p.write_bytes(b"A: one\r\nB: two\r\n\r\nmore\r\nA: three\r\nB: four\r\n")
    parsed = read_text(p)
    assert "\r" not in parsed.text
    assert _summary(parsed)[1] == ("B", "two\n\nmore")


def test_utf8_bom(tmp_path):
    p = tmp_path / "bom.txt"
    p.write_bytes("A: café\nB: ok\nA: 你好\nB: 👍\n".encode("utf-8-sig"))
    parsed = read_text(p)
    assert not parsed.text.startswith("\ufeff")
    assert _summary(parsed) == [("A", "café"), ("B", "ok"), ("A", "你好"), ("B", "👍")]


def test_cp1252_fallback(tmp_path):
    p = tmp_path / "win.txt"
    content = "Ann: I said “the café was fine”.\nBob: It’s true.\nAnn: Yes.\nBob: No.\n"
    p.write_bytes(content.encode("cp1252"))
    parsed = read_text(p)
    assert _summary(parsed)[:2] == [("Ann", "I said “the café was fine”."), ("Bob", "It’s true.")]


def test_forced_encoding(tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes("Ann: ñandú\nBob: sí\n".encode("latin-1"))
    assert _summary(read_text(p, encoding="latin-1")) == [("Ann", "ñandú"), ("Bob", "sí")]


def test_undecodable_bytes(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"Ann: fine\nBob: \x81\x8d broken\n")
    with pytest.raises(ImportFormatError, match=r"bad\.txt, line 2: cannot decode .*--encoding"):
        read_text(p)


@pytest.mark.parametrize("content", [b"", b"  \n\n \t\n"])
def test_empty_file(tmp_path, content):
    p = tmp_path / "empty.txt"
    p.write_bytes(content)
    with pytest.raises(ImportFormatError, match=r"empty\.txt: the file is empty"):
        read_text(p)


def test_missing_file(tmp_path):
    with pytest.raises(ImportFormatError, match="file not found"):
        read_text(tmp_path / "nope.txt")


_LINES = st.sampled_from(
    ["", "  ", "Ann: hi", "Bob:", "[Cy] yes 🙂", "**Dee:** 你好", "# Heading", "Note: x", "plain", " indent "]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_LINES, min_size=1, max_size=25))
def test_offsets_always_match(lines):
    content = "\n".join(lines)
    if not content.strip():
        return
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "gen.md"
        p.write_text(content, encoding="utf-8")
        parsed = read_text(p)
    parsed.check()
    for turn in parsed.turns:
        assert turn.text and turn.text == turn.text.strip()


# that match_label's cache of a line's head gives what checking the whole line gives is
# tested in test_labels.py, where the label rules now live


def test_turn_text_is_trimmed_and_its_offsets_point_at_it(tmp_path):
    raw = "Title\n\nAnn:   \t spaced out  \n\nBob:\tx\nAnn: \u00a0nbsp\u00a0 \nBob:    \n"
    p = write_file(tmp_path, raw, "t.txt")
    t = read_text(p)
    assert [(u.speaker, u.text) for u in t.turns] == [("Ann", "spaced out"), ("Bob", "x"), ("Ann", "nbsp")]
    assert all(t.text[u.start:u.end] == u.text for u in t.turns)


SCRIPTS = {
    "ru": "Интервьюер: Как вы планируете работу?\nАнна: Мы планируем в мае, потом обсуждаем с советом.\n",
    "el": "Συνεντευκτής: Πώς σχεδιάζετε;\nΆννα: Σχεδιάζουμε τον Μάιο και συζητάμε με το συμβούλιο.\n",
    "ja": "インタビュアー: どのように計画しますか？\nアンナ: 五月に計画して、評議会と話し合います。\n",
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_in_scripts_without_nul_bytes(tmp_path, script, encoding):
    """Issue 28: Russian, Greek or Japanese saved as UTF-16 without a BOM imported as mojibake."""
    from qdakit.io.base import read_text_file

    p = tmp_path / f"{script}.txt"
    p.write_bytes(SCRIPTS[script].encode(encoding))
    assert read_text_file(p) == SCRIPTS[script]


def test_legacy_single_byte_text_still_reads_as_cp1252(tmp_path):
    from qdakit.io.base import read_text_file

    p = tmp_path / "w.txt"
    p.write_bytes("Interviewer: Café? Ann: Naïve, “yes”.\n".encode("cp1252"))
    assert read_text_file(p) == "Interviewer: Café? Ann: Naïve, “yes”.\n"

"""Tests for qdakit.io.subtitles (WebVTT and SRT)."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

import qdakit.io.subtitles as subtitles_module
from qdakit.errors import ImportFormatError
from qdakit.io.subtitles import read_srt, read_vtt
from support import turns_of, write_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "io"


def _write(tmp_path: Path, content: str, name: str = "t.vtt") -> Path:
    return write_file(tmp_path, content, name)


_summary = turns_of


def test_module_examples_run():
    assert doctest.testmod(subtitles_module).failed == 0


def test_teams_vtt_fixture():
    path = FIXTURES / "teams.vtt"
    parsed = read_vtt(path)
    assert (parsed.name, parsed.source) == ("teams", str(path))
    assert _summary(parsed) == [
        ("Helen Baxter", "Good morning, everyone. Shall we begin?"),  # two cues merged, <c> removed
        ("José Núñez", "Sí, claro & ready 🎉. 我们开始吧。"),
        ("Helen Baxter", "Great, thanks."),
    ]
    assert [(t.start_time, t.end_time) for t in parsed.turns] == [(1.2, 6.5), (7.0, 10.25), (11.0, 13.0)]
    assert [t.line for t in parsed.turns] == [1, 3, 4]
    jose = parsed.turns[1]
    assert parsed.text[jose.start - len("José Núñez: ") : jose.start] == "José Núñez: "
    assert parsed.text[jose.end - 6 : jose.end] == "我们开始吧。"
    assert parsed.text.startswith("Helen Baxter: Good morning")


def test_srt_fixture():
    parsed = read_srt(FIXTURES / "interview.srt")
    assert _summary(parsed) == [
        ("Interviewer", "How long have you lived here?"),  # two lines of one cue joined
        ("Amélie", "Since 2009. Before that, Kyoto — 京都."),  # unlabelled cue 3 continues Amélie
        ("Interviewer", "And why did you move?"),
        ("Amélie", "Work. 💼"),
    ]
    times = [(t.start_time, t.end_time) for t in parsed.turns]
    assert times == [(1.0, 3.5), (4.0, 8.0), (9.0, 10.0), (10.5, 12.0)]
    assert [t.line for t in parsed.turns] == [1, 2, 4, 5]


def test_vtt_several_voices_in_one_cue_and_settings(tmp_path):
    p = _write(
        tmp_path,
        "WEBVTT - a title\nKind: captions\n\nSTYLE\n::cue { color: red }\n\n"
        "00:01.000 --> 00:02.000 align:start line:0\n<v.loud Ann>Hi.</v>\n<v Bob>Hello!</v>\n\n"
        "1:00:03.000 --> 1:00:04.000\n<v Bob><b>Again</b> &lt;3</v>\n",
    )
    parsed = read_vtt(p)
    assert _summary(parsed) == [("Ann", "Hi."), ("Bob", "Hello! Again <3")]
    assert parsed.turns[1].start_time == 1.0
    assert parsed.turns[1].end_time == 3604.0


def test_vtt_with_name_labels_instead_of_voices(tmp_path):
    p = _write(
        tmp_path,
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAnn: One.\n\n00:00:02.000 --> 00:00:03.000\n"
        "Bob: Two.\n\n00:00:03.000 --> 00:00:04.000\nAnn: Three.\n\n"
        "00:00:04.000 --> 00:00:05.000\nBob: Four.\n",
    )
    assert _summary(read_vtt(p)) == [("Ann", "One."), ("Bob", "Two."), ("Ann", "Three."), ("Bob", "Four.")]


def test_label_alone_in_a_cue_names_the_next(tmp_path):
    p = _write(
        tmp_path,
        "1\n00:00:01,000 --> 00:00:02,000\nAnn:\n\n2\n00:00:02,000 --> 00:00:03,000\nHello.\n\n"
        "3\n00:00:03,000 --> 00:00:04,000\nBob: Hi.\n\n4\n00:00:04,000 --> 00:00:05,000\nAnn: Bye.\n\n"
        "5\n00:00:05,000 --> 00:00:06,000\nBob: Bye.\n",
        name="t.srt",
    )
    parsed = read_srt(p)
    assert _summary(parsed)[0] == ("Ann", "Hello.")
    assert (parsed.turns[0].start_time, parsed.turns[0].line) == (2.0, 2)


def test_no_speakers_each_cue_is_a_turn(tmp_path):
    p = _write(
        tmp_path,
        "WEBVTT\n\nc1\n00:00:01.000 --> 00:00:02.000\nFirst line\nwrapped.\n\n"
        "00:00:02.500 --> 00:00:03.000\n<i>Second.</i>\n",
    )
    parsed = read_vtt(p)
    assert _summary(parsed) == [(None, "First line wrapped."), (None, "Second.")]
    assert parsed.text == "First line wrapped.\n\nSecond."
    assert [(t.start_time, t.line) for t in parsed.turns] == [(1.0, 1), (2.5, 2)]


def test_srt_without_number_lines_and_with_font_tags(tmp_path):
    p = _write(
        tmp_path,
        "00:00:01,000 --> 00:00:02,000\n<font color=\"#fff\">{\\an8}Hi there.</font>\n\n"
        "00:00:02,000 --> 00:00:03,000\nBye.\n",
        name="t.srt",
    )
    assert _summary(read_srt(p)) == [(None, "Hi there."), (None, "Bye.")]


OK = "00:00:01.000 --> 00:00:02.000"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            "1\n00:00:01,000 --> 00:00:02,000\nHi.\n",
            r"t\.vtt, line 1: a WebVTT file must start with the line 'WEBVTT'.*\.srt",
            id="no-header",
        ),
        pytest.param(
            f"WEBVTT\n{OK}\nHi.\n",
            r"t\.vtt, line 2: the WEBVTT header must be followed by a blank line",
            id="no-blank-after-header",
        ),
        pytest.param(
            "WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nHi.\n",
            r"t\.vtt, line 3: expected cue 1 .*timing line",
            id="no-arrow",
        ),
        pytest.param(
            "WEBVTT\n\nid\n00:00:01.000 --> 00:0x:02.000\nHi.\n",
            r"t\.vtt, line 4: cue 1 has no valid timing line.*00:01:02\.500 --> 00:01:05\.000",
            id="bad-time",
        ),
        pytest.param(
            "WEBVTT\n\n00:00:01.000 --> 00:00:75.000\nHi.\n",
            r"line 3: cue 1 has no valid timing line",
            id="seconds-over-59",
        ),
        pytest.param(
            "WEBVTT\n\n00:00:01.000 -->\nHi.\n",
            r"line 3: cue 1 has no valid timing line",
            id="no-end-time",
        ),
        pytest.param(
            "WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nHi.\n",
            r"line 3: cue 1 ends \(00:00:02\.000\) before it starts \(00:00:05\.000\)",
            id="end-before-start",
        ),
        pytest.param(
            f"WEBVTT\n\n{OK}\n\n00:00:03.000 --> 00:00:04.000\nHi.\n",
            r"line 3: cue 1 has a timing line but no text; add its text or delete",
            id="no-text",
        ),
        pytest.param(
            f"WEBVTT\n\n{OK}\nHi.\n\nstray text\n",
            r"line 6: expected cue 2 .*remove the blank line above it",
            id="stray-text",
        ),
    ],
)
def test_malformed_vtt(tmp_path, content, message):
    with pytest.raises(ImportFormatError, match=message):
        read_vtt(_write(tmp_path, content))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            f"WEBVTT\n\n{OK}\nHi.\n",
            r"t\.srt, line 1: this is a WebVTT file, not SRT; name it \.vtt",
            id="vtt-content",
        ),
        pytest.param(
            "1\n00:00:01,000 --> 00:00:02,000\nHi.\n\nx\nHello.\n",
            r"t\.srt, line 5: expected cue 2",
            id="bad-number",
        ),
        pytest.param(
            "1\n00:00:01;000 --> 00:00:02,000\nHi.\n",
            r"t\.srt, line 2: cue 1 has no valid timing line.*00:01:02,500",
            id="bad-time",
        ),
        pytest.param(
            "1\n00:00:03,000 --> 00:00:02,000\nHi.\n",
            r"t\.srt, line 2: cue 1 ends",
            id="end-before-start",
        ),
        pytest.param(
            "1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:03,000 --> 00:00:04,000\nHi.\n",
            r"t\.srt, line 2: cue 1 has a timing line but no text",
            id="no-text",
        ),
        pytest.param("1\n", r"t\.srt, line 1: expected cue 1", id="number-only"),
    ],
)
def test_malformed_srt(tmp_path, content, message):
    with pytest.raises(ImportFormatError, match=message):
        read_srt(_write(tmp_path, content, name="t.srt"))


def test_vtt_utf8_bom_and_crlf(tmp_path):
    p = tmp_path / "bom.vtt"
    content = "WEBVTT\r\n\r\n00:00:01.000 --> 00:00:02.000\r\n<v Zoë>Ça va? 😀</v>\r\n"
    p.write_bytes(content.encode("utf-8-sig"))
    assert _summary(read_vtt(p)) == [("Zoë", "Ça va? 😀")]


def test_srt_cp1252(tmp_path):
    p = tmp_path / "win.srt"
    p.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nThe “café” isn’t open.\n".encode("cp1252"))
    assert _summary(read_srt(p)) == [(None, "The “café” isn’t open.")]


def test_undecodable_bytes(tmp_path):
    p = tmp_path / "bad.vtt"
    p.write_bytes(b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\x81\x9d\n")
    with pytest.raises(ImportFormatError, match=r"bad\.vtt, line 4: cannot decode"):
        read_vtt(p)


@pytest.mark.parametrize("reader", [read_vtt, read_srt])
def test_empty_file(tmp_path, reader):
    p = tmp_path / "empty.sub"
    p.write_bytes(b"\n\n")
    with pytest.raises(ImportFormatError, match="the file is empty"):
        reader(p)


def test_name_option(tmp_path):
    p = _write(tmp_path, "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi.\n")
    assert read_vtt(p, name="call 1").name == "call 1"


def test_short_srt_with_each_speaker_once(tmp_path):
    p = _write(
        tmp_path,
        "1\n00:00:01,000 --> 00:00:02,000\nAnn: Hi.\n\n2\n00:00:02,000 --> 00:00:03,000\nBob: Hello.\n",
        name="t.srt",
    )
    assert _summary(read_srt(p)) == [("Ann", "Hi."), ("Bob", "Hello.")]


def test_once_only_label_inside_a_speakers_cue_is_text(tmp_path):
    cues = ["Ann: One.", "Bob: Two.", "Note: this is text.", "Ann: Three.", "Bob: Four."]
    content = "WEBVTT\n\n" + "".join(
        f"00:00:0{k}.000 --> 00:00:0{k + 1}.000\n{cue}\n\n" for k, cue in enumerate(cues)
    )
    parsed = read_vtt(_write(tmp_path, content))
    assert _summary(parsed)[1] == ("Bob", "Two. Note: this is text.")

from __future__ import annotations

import pytest

from qdakit import ImportFormatError, read_questions
from qdakit.io.base import ParsedTranscript, TextBuilder
from qdakit.io.segment import assign_questions, looks_like_researcher, segment, slugify
from support import EXAMPLES


def _parsed(turns):
    b = TextBuilder()
    for speaker, text in turns:
        b.add(speaker, text)
    return ParsedTranscript("My Interview (1)", b.text, b.turns, source="x.txt")


def test_segment_by_turn_and_paragraph_offsets():
    parsed = _parsed([("Interviewer", "Hello?"), ("Ann", "First para.\n\n  Second para.  \n \nThird.")])
    t, segs = segment(parsed)
    assert t.id == "My-Interview-1"
    assert [s.text for s in segs] == ["Hello?", "First para.\n\n  Second para.  \n \nThird."]
    t, segs = segment(parsed, by="paragraph")
    assert [s.text for s in segs] == ["Hello?", "First para.", "Second para.", "Third."]
    assert [s.index for s in segs] == [0, 1, 2, 3]
    for s in segs:
        assert t.text[s.start:s.end] == s.text
        assert s.id == f"{t.id}#{s.index}"


def test_slug_and_researcher_labels():
    assert slugify("Café interview 3") == "Cafe-interview-3"
    assert all(map(looks_like_researcher, ["Interviewer", "moderator", "Facilitator 2", "I", "Int."]))
    assert not any(map(looks_like_researcher, ["Ian", "P3", "Helen Baxter", None]))


def test_read_questions(tmp_path):
    f = tmp_path / "q.txt"
    f.write_text("# questions\nQ1: What is it for?\n2. Who takes part?\nHow do you talk?\n")
    assert read_questions(f) == [("Q1", "What is it for?"), ("Q2", "Who takes part?"), ("Q3", "How do you talk?")]
    f.write_text("Q1: a\nQ1: b\n")
    with pytest.raises(ImportFormatError, match="line 2: question id Q1 already used at line 1"):
        read_questions(f)


def test_assign_questions_in_order_with_reworded_and_decoy_turns():
    parsed = _parsed([
        ("Moderator", "Welcome everyone, please tell us who you are and where you work."),
        ("P1", "I'm Ann from the trust."),
        ("Moderator", "So, um, what is the partnership actually trying to achieve, would you say?"),
        ("P1", "Better health for the estate."),
        ("Moderator", "Thanks. Anything else on what it's trying to achieve?"),  # probe, not Q2
        ("P2", "Jobs, I think."),
        ("Moderator", "Moving on - who takes part, and who is missing?"),
        ("P2", "The schools are missing."),
    ])
    _, segs = segment(parsed)
    qs = [("Q1", "What is the partnership trying to achieve?"), ("Q2", "Who takes part and who is missing?"),
          ("Q3", "How is the partnership evaluated?")]
    out, matches = assign_questions(segs, qs)
    assert [s.question for s in out] == [None, None, "Q1", "Q1", "Q1", "Q1", "Q2", "Q2"]
    assert [m.segment_id for m in matches][:2] == [segs[2].id, segs[6].id]
    assert matches[2].segment_id is None  # never asked


def test_example_focus_group_questions_found():
    fg = EXAMPLES / "focus_group"
    if not (fg / "FG01_Yr1.txt").exists():
        pytest.skip("example focus group not present")
    from qdakit.io.text import read_text

    _, segs = segment(read_text(fg / "FG01_Yr1.txt"))
    out, matches = assign_questions(segs, read_questions(fg / "questions.txt"))
    starts = {m.question: next(s for s in out if s.id == m.segment_id) for m in matches}
    assert all(s.speaker == "Moderator" for s in starts.values())
    # the moderator's wording, as written in the transcript (see examples/study/focus_group)
    assert "trying to achieve" in starts["Q1"].text
    assert "who's missing" in starts["Q2"].text
    assert "communicate" in starts["Q4"].text
    assert "next year" in starts["Q8"].text
    indices = [s.index for s in starts.values()]
    assert indices == sorted(indices)

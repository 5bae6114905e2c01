"""Speaker labels as transcribers really type them (issue 25): the known-speaker rule, and an audit
that searches every segment for label-like lines of the transcript's speakers.

Every fixture here is written for these tests (not copied from a real file): each imitates one way a
transcriber's label deviates from the file's own pattern.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdakit.io.audit import audit_transcript
from qdakit.io.labels import find_speaker_labels, known_speaker_rule, label_like
from qdakit.io.segment import segment
from qdakit.io.text import parse_text

# a timed English interview, every label "[mm:ss] NAME:" except the one under test
_TIMED = ("Interview 7\n\n[00:05] RESEARCHER: Thanks for joining. Shall we start?\n"
          "[00:09] PARTICIPANT 33: Sure, go ahead.\n[00:12] RESEARCHER: How does your team plan its work?\n"
          "{line}\nWe review it every second week.\n[01:40] RESEARCHER: And the testers?\n"
          "[01:44] PARTICIPANT 33: They sit with us.\n[01:50] RESEARCHER: Thank you.\n")
# a Danish household interview: a legend, codes, some labels with "*m:ss =" times
_CODED = ("I1: Interviewer 1\nI2: Interviewer 2\nK: Kvinde\n\n*0:0 = I1: Velkommen. Hvordan varmer I huset?\n\n"
          "K: Med fjernvarme.\n\nI2: Hvor varmt har I det?\n\nK: Omkring tyve grader.\n\n*1:40 = I1: Og om natten?\n\n"
          "K: Koldere. Vi skruer ned.\n\n{line}\n\nK: Nej, ikke endnu.\n\nI1: Tak.\n")


def _audit(text: str):
    parsed = parse_text(text, "t")
    _, segs = segment(parsed)
    return parsed, segs, audit_transcript(parsed, segs, language=False)


def _turn_of(parsed, line_text: str):
    """The turn whose label is on the line ``line_text`` (None when that line starts no turn)."""
    lineno = parsed.text.split("\n").index(line_text) + 1
    return next((t for t in parsed.turns if t.line == lineno), None)


@pytest.mark.parametrize("line, speaker, time, text", [
    ("28:32 PARTICIPANT 33? We plan in two-week sprints.", "PARTICIPANT 33", 1712.0, "We plan in two-week sprints."),
    ("[20:12] PARTICIPANT 33.", "PARTICIPANT 33", 1212.0, ""),
    ("[20:12] PARTICIPANT 33; We plan in sprints.", "PARTICIPANT 33", 1212.0, "We plan in sprints."),
    ("(1:02:03) PARTICIPANT 33 - We plan in sprints.", "PARTICIPANT 33", 3723.0, "We plan in sprints."),
    ("01:30 PARTICIPANT 33 – We plan in sprints.", "PARTICIPANT 33", 90.0, "We plan in sprints."),
    ("01:30 PARTICIPANT 33 We plan in sprints.", "PARTICIPANT 33", 90.0, "We plan in sprints."),  # no mark
    ("*2.33 = PARTICIPANT 33: We plan in sprints.", "PARTICIPANT 33", 153.0, "We plan in sprints."),
    ("* 15:15 = PARTICIPANT 33: We plan in sprints.", "PARTICIPANT 33", 915.0, "We plan in sprints."),
    ("1.02.03 PARTICIPANT 33? We plan in sprints.", "PARTICIPANT 33", 3723.0, "We plan in sprints."),
])
def test_a_timed_label_of_a_known_speaker_starts_its_turn_whatever_its_mark(line, speaker, time, text):
    parsed, segs, audit = _audit(_TIMED.format(line=line))
    turn = _turn_of(parsed, line)
    assert turn is not None and turn.speaker == speaker and turn.start_time == time
    assert turn.text == (f"{text}\nWe review it every second week." if text else "We review it every second week.")
    # the researcher's question is no longer holding the answer, and the audit says which line was split
    assert all(s.speaker == "RESEARCHER" for s in segs if "How does your team" in s.text)
    assert [k["text"] for k in audit.known_splits] == [line]
    assert audit.known_splits[0]["speaker"] == speaker and audit.merges == [] and audit.coverage == 1.0


@pytest.mark.parametrize("line, speaker, time, by_rule", [
    ("*2.33 = I1: Har I tænkt på en varmepumpe?", "I1", 153.0, 1),  # minutes.seconds, one dot
    ("* 15:15 = I2: Har I tænkt på en varmepumpe?", "I2", 915.0, 1),  # a space after the star
    ("*1.02.03 = I2: Har I tænkt på en varmepumpe?", "I2", 3723.0, 0),  # h.mm.ss: a label before issue 25 too
    ("*2.33 = I1 Har I tænkt på en varmepumpe?", "I1", 153.0, 1),  # the colon forgotten
    ("I2? Har I tænkt på en varmepumpe?", "I2", None, 1),  # a code, no time, where labels mostly have none
    ("I2 – Har I tænkt på en varmepumpe?", "I2", None, 1),
    ("*2.33 = I1\nHar I tænkt på en varmepumpe?", "I1", 153.0, 1),  # the label alone on its line
])
def test_danish_forms_of_a_known_code_start_its_turn(line, speaker, time, by_rule):
    parsed, segs, audit = _audit(_CODED.format(line=line))
    turn = _turn_of(parsed, line.split("\n")[0])
    assert turn is not None and (turn.speaker, turn.start_time) == (speaker, time)
    assert turn.text == "Har I tænkt på en varmepumpe?"
    # the woman's answer before it keeps only her words
    assert next(s for s in segs if s.text.startswith("Koldere")).text == "Koldere. Vi skruer ned."
    assert len(audit.known_splits) == by_rule and audit.merges == []


def test_the_split_time_and_label_are_marked_non_speech():
    parsed, _, audit = _audit(_CODED.format(line="* 15:15 = I2: Har I en varmepumpe?"))
    marked = {(s.kind, parsed.text[s.start:s.end]) for s in parsed.spans}
    assert ("timestamp", "* 15:15") in marked and ("speaker_label", "= I2:") in marked
    assert audit.coverage == 1.0


@pytest.mark.parametrize("line", [
    "PARTICIPANT 33? Your turn, tell us.",  # the researcher calls on someone: no time, a timed file
    "PARTICIPANT 33.",
    "PARTICIPANT 33 - what do you think?",
])
def test_an_untimed_name_in_a_timed_file_is_not_split_but_reported(line):
    parsed, segs, audit = _audit(_TIMED.format(line="[00:30] RESEARCHER: Let me ask the group.\n" + line))
    assert _turn_of(parsed, line) is None
    (merge,) = audit.merges
    holder = next(s for s in segs if line in s.text)
    assert merge["segment"] == holder.id and merge["text"] == line and merge["speaker"] == "PARTICIPANT 33"
    assert parsed.text[merge["offset"]:].startswith(line)
    assert parsed.text.split("\n")[merge["line"] - 1] == line
    assert audit.merged_turns == [holder.id]
    assert any("1 suspected merged turn" in w and holder.id in w for w in audit.warnings)
    assert f"{holder.id}, line {merge['line']}" in audit.report()


def test_a_label_after_a_paragraph_break_is_reported_when_segments_are_paragraphs():
    text = _TIMED.format(line="[00:30] RESEARCHER: Let me ask the group.\n\nPARTICIPANT 33? Your turn.")
    parsed = parse_text(text, "t")
    _, segs = segment(parsed, by="paragraph")
    audit = audit_transcript(parsed, segs, language=False)
    (merge,) = audit.merges
    holder = next(s for s in segs if s.id == merge["segment"])
    assert holder.text.startswith("PARTICIPANT 33? Your turn.\n") and merge["offset"] == holder.start


def test_the_pronoun_i_stays_conservative():
    text = ("I: Hvordan bor I?\n\nX: Godt. Vi har et hus.\n\nI: Og varmen?\n\nX: Fjernvarme.\n"
            "I think it is fine.\nI - I mean, mostly.\nI? Hmm.\n12:00 I went out.\n\nI: Tak.\n\nX: Selv tak.\n")
    parsed, segs, audit = _audit(text)
    answer = next(s for s in segs if s.text.startswith("Fjernvarme."))
    assert answer.speaker == "X" and answer.text.endswith("12:00 I went out.")  # nothing split on "I"
    # "I think" is speech; the three that look like a label of I are reported, not split
    assert [m["text"] for m in audit.merges] == ["I - I mean, mostly.", "I? Hmm.", "12:00 I went out."]
    like = label_like("12:00 I went out.", ["I", "X"])
    assert like is not None and not known_speaker_rule(like, mostly_timed=False)


def test_a_speaker_outside_the_legend_or_in_few_turns_is_flagged_with_its_turns():
    text = ("I = Interviewer; X = Informant\n\nI: Hej.\n\nX: Hej.\n\nT: Jeg kommer bare forbi.\n\nI: Hvem er det?\n\n"
            "X: Min nabo.\n\nT: Ja.\n\nI: Velkommen.\n\nX: Tak.\n")
    _, segs, audit = _audit(text)
    assert audit.flagged_speakers == {"T": "seen in 2 turns, not in the legend"}
    assert audit.flagged_turns == {"T": [s.id for s in segs if s.speaker == "T"]} and len(audit.flagged_turns["T"]) == 2
    assert "flagged speaker 'T': seen in 2 turns, not in the legend; segments t#2, t#5" in audit.report()


def test_an_audit_that_found_nothing_says_it_looked():
    _, _, audit = _audit(_TIMED.format(line="[01:00] PARTICIPANT 33: We plan in sprints."))
    assert audit.merges == [] and audit.known_splits == []
    assert "suspected merged turns: 0 (every segment searched for label-like lines of PARTICIPANT 33, RESEARCHER)" \
        in audit.report()


def test_explicit_speakers_are_the_known_speakers():
    lines = ["Ann: Hello.", "Bob: Hi.", "Note: this is read as speech", "02:10 Bob? Yes.", "02:20 Cy? No."]
    names = [lab.name if lab else None for lab in find_speaker_labels(lines, speakers=["Ann", "Bob"])]
    assert names == ["Ann", "Bob", None, "Bob", None]


# -- the property: a planted label of a known speaker is split or reported ------------------------------

_NAMES = ["RESEARCHER", "PARTICIPANT 3", "PARTICIPANT 33", "Ann", "Dr. Lee", "I", "I1", "K", "SØN"]
_STAMPS = ["", "28:32 ", "[20:12] ", "(1:02:03) ", "*2.33 = ", "* 15:15 = ", "*0:0 = ", "1.16.30 - ", "4.05 "]
_MARKS = [":", "?", ";", ".", " -", " –", " :", ""]
_WORDS = st.sampled_from(["we", "plan", "the", "work", "every", "week", "and", "then", "test", "it", "ok", "so"])
_SENTENCE = st.lists(_WORDS, min_size=1, max_size=8).map(lambda w: " ".join(w).capitalize() + ".")


@st.composite
def _transcripts(draw):
    speakers = draw(st.lists(st.sampled_from(_NAMES), min_size=2, max_size=3, unique=True))
    timed = draw(st.booleans())
    n = draw(st.integers(min_value=2 * len(speakers), max_value=3 * len(speakers) + 2))
    turns = []
    for k in range(n):
        head = f"[{k // 60:02d}:{k % 60:02d}] " if timed else ""
        body = draw(st.lists(_SENTENCE, min_size=1, max_size=3))
        turns.append([f"{head}{speakers[k % len(speakers)]}: {body[0]}", *body[1:]])
    where = draw(st.integers(min_value=0, max_value=n - 1))
    at = draw(st.integers(min_value=1, max_value=len(turns[where])))
    stamp, mark = draw(st.sampled_from(_STAMPS)), draw(st.sampled_from(_MARKS))
    if not stamp and not mark:
        mark = "."  # a name and nothing else, with no time, is not a label (it is speech: "Ann said")
    name = draw(st.sampled_from(speakers))
    planted = f"{stamp}{name}{mark} {draw(_SENTENCE)}"
    turns[where].insert(at, planted)
    sep, inner = draw(st.sampled_from(["\n", "\n\n"])), draw(st.sampled_from(["\n", "\n\n"]))
    return sep.join(inner.join(t) for t in turns) + "\n", planted, draw(st.sampled_from(["turn", "paragraph"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_transcripts())
def test_a_planted_label_of_a_known_speaker_is_split_or_reported(case):
    text, planted, by = case
    parsed = parse_text(text, "t")
    _, segs = segment(parsed, by=by)
    audit = audit_transcript(parsed, segs, language=False)
    assert audit.coverage == 1.0  # the coverage invariant, unchanged
    offset = parsed.text.index(planted)
    lineno = parsed.text.count("\n", 0, offset) + 1
    split = any(t.line == lineno for t in parsed.turns)
    reported = any(m["offset"] == offset for m in audit.merges)
    assert split or reported, (planted, text)

"""The coverage invariant, for every reader and every file we have: no character of speech vanishes.

Every non-blank character of a transcript's text lies in exactly one segment
or in a recorded non-speech span, and what a reader set aside is listed with
its kind. Checked over the test fixtures, the example study, and (when
present) every real transcript in ../shared/data/transcripts. Also pins the
example study to the segments it imported to before the audit existed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qdakit.io import TRANSCRIPT_SUFFIXES, read_transcripts
from qdakit.io.audit import CoverageError, audit_transcript, coverage_of
from qdakit.io.segment import segment
from qdakit.io.text import parse_text
from support import EXAMPLES, SHARED_DATA

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "io"
REAL = SHARED_DATA / "transcripts"


def _files(root: Path) -> list[Path]:
    return sorted(f for f in root.rglob("*") if f.suffix.lower() in TRANSCRIPT_SUFFIXES
                  and f.name != "questions.txt" and f.name != "scanned.pdf")


def _assert_covered(path: Path) -> None:
    for parsed in read_transcripts(path):
        parsed.check()
        _, segs = segment(parsed)
        audit = audit_transcript(parsed, segs, language=False)  # raises CoverageError on lost text
        assert audit.coverage == 1.0, path
        masks = coverage_of(parsed, segs)
        assert masks["segment"].max(initial=0) <= 1
        for span in parsed.spans:
            assert parsed.text[span.start:span.end].strip(), (path, span)


@pytest.mark.parametrize("path", _files(FIXTURES) + _files(EXAMPLES), ids=lambda p: p.name)
def test_coverage_of_fixtures_and_examples(path):
    _assert_covered(path)


@pytest.mark.skipif(not REAL.is_dir(), reason=f"real transcripts not present at {REAL}")
def test_coverage_of_every_real_transcript():
    files = _files(REAL)
    assert len(files) >= 30
    for f in files:
        _assert_covered(f)


_LINES = st.sampled_from([
    "", " ", "Ann: hi", "Bob:", "[Cy] yes", "**Dee:** 你好", "# Heading", "Note: x", "plain text here",
    "00:01:15", "*0:0 = I1: hej", "I1: Interviewer 1", "K: Kvinde", "[Alle griner]", "(Går videre)",
    "1:41\tY\tja", "X. Ja.", "[?]: hm", "REVIEW NOTES", "- a bullet", "[47:41] Ann", "Title line",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(_LINES, min_size=1, max_size=30), st.sampled_from(["blank", "line"]))
def test_coverage_property_of_the_line_parser(lines, paragraphs):
    text = "\n".join(lines)
    if not text.strip():
        return
    parsed = parse_text(text, "gen", paragraphs=paragraphs)
    parsed.check()
    # no turns at all (only headings, labels, times): then every character must be in a span
    segs = segment(parsed)[1] if parsed.turns else []
    audit = audit_transcript(parsed, segs, language=False)
    assert audit.coverage == 1.0
    for t in parsed.turns:
        assert t.text == t.text.strip() and t.text


def test_lost_text_is_caught():
    parsed = parse_text("Ann: hi\nBob: yo\nAnn: so\nBob: ok", "t")
    parsed.turns.pop()
    with pytest.raises(CoverageError, match="line 4"):
        audit_transcript(parsed, segment(parsed)[1], language=False)


def _pin(path: Path) -> dict:
    out = {}
    for parsed in read_transcripts(path):
        t, segs = segment(parsed)
        out = {"text_sha1": hashlib.sha1(t.text.encode()).hexdigest(),
               "segments": [[s.id, s.speaker, s.start, s.end, s.start_time, s.end_time,
                             hashlib.sha1(s.text.encode()).hexdigest()[:12]] for s in segs]}
    return out


def test_example_study_imports_exactly_as_before():
    # examples_pinned.json was written by the readers as they were before the import audit
    # (segments, ids, offsets, times and text hashes); the new readers must reproduce it exactly
    pinned = json.loads((FIXTURES / "examples_pinned.json").read_text(encoding="utf-8"))
    assert len(pinned) == 9
    for rel, expected in pinned.items():
        assert _pin(EXAMPLES / rel) == expected, rel

"""Issue 20: quotes are what the coder marked, trimmed at sentences, under one theme only."""
from __future__ import annotations

from dataclasses import replace

import pytest

from qdakit import Code, Codebook, Project
from qdakit.analysis.quotes import exemplar_quotes, trim_quote
from qdakit.embed import FakeEmbedder
from support import make_transcript

LONG = ("We started the partnership in a hurry. Nobody had time to agree what it was for. "
        "Then the money came, and the money decided. I think that was the real mistake we made. "
        "Later we tried to fix it with a workshop, but people had moved on by then.")


def test_trim_quote_at_sentence_with_ellipsis():
    assert trim_quote("Short and sweet.", 10) == "Short and sweet."
    assert trim_quote(LONG, 20) == ("We started the partnership in a hurry. Nobody had time to agree what it was for. …")
    assert trim_quote("one two three four five six", 3) == "… one two three …"
    assert trim_quote('He said "Go." Then we left the room quickly.', 3) == 'He said "Go." …'


@pytest.fixture
def proj(tmp_path):
    t, segs = make_transcript("i1", [("Interviewer", "Tell me about it?"), ("Helen", LONG),
                                     ("Helen", "The chair rotates and nobody really leads the meetings at all.")])
    segs = [replace(s, participant=None if s.speaker == "Interviewer" else "P01") for s in segs]
    p = Project.create(tmp_path / "q.qdakit")
    p.add_transcripts([(t, segs)])
    p.load_codebook(Codebook([Code("Aligned vision"), Code("Balance of resources"), Code("Clear leadership")]))
    start = t.text.index("Then the money came")
    end = t.text.index("mistake we made.") + len("mistake we made.")
    p.code("i1#1", "Balance of resources", "JR", start=start, end=end)
    p.code("i1#1", "Aligned vision", "JR")
    p.code("i1#2", "Clear leadership", "JR")
    yield p
    p.close()


def test_quote_is_the_coded_span(proj):
    q = exemplar_quotes(proj, embedder=FakeEmbedder(), n=1, repeat=True)
    row = q[q["theme"] == "Balance of resources"].iloc[0]
    assert row["quote"] == "Then the money came, and the money decided. I think that was the real mistake we made."


def test_long_segment_trimmed(proj):
    q = exemplar_quotes(proj, embedder=FakeEmbedder(), n=1, max_words=20, repeat=True)
    row = q[q["theme"] == "Aligned vision"].iloc[0]
    assert row["quote"].endswith("…") and len(row["quote"].split()) <= 21


def test_one_theme_per_passage_unless_asked(proj):
    once = exemplar_quotes(proj, embedder=FakeEmbedder(), n=3)
    assert once["segment_id"].is_unique
    twice = exemplar_quotes(proj, embedder=FakeEmbedder(), n=3, repeat=True)
    assert not twice["segment_id"].is_unique

from __future__ import annotations

from dataclasses import replace

import pytest

from qdakit import Code, Codebook, Project
from qdakit.analysis.anonymise import Anonymiser
from qdakit.analysis.quotes import attribution, exemplar_quotes
from qdakit.embed import FakeEmbedder
from support import make_transcript


@pytest.fixture
def proj(tmp_path):
    turns = [("Interviewer", "Tell me about meetings, please, in your own words."),
             ("Ann", "We meet monthly and the monthly meeting keeps everyone talking together."),
             ("Ann", "The monthly meeting is where we talk and share news with partners."),
             ("Bob", "We talk at the monthly meeting and share news by email too."),
             ("Cat", "Honestly the car park at the town hall is a nightmare on Tuesdays."),
             ("Bob", "Yes.")]
    t, segs = make_transcript("t", turns)
    segs = [replace(s, participant=None if s.speaker == "Interviewer" else s.speaker) for s in segs]
    p = Project.create(tmp_path / "q.qdakit")
    p.add_transcripts([(t, segs)])
    p.load_codebook(Codebook([Code("Communication"), Code("Meetings", parent="Communication")]))
    for sid in ("t#1", "t#2", "t#3", "t#4", "t#5"):
        p.code(sid, "Meetings", "JR")
    p.code("t#0", "Meetings", "JR")  # an interviewer turn: never quoted
    p.set_participant_attributes("Ann", {"sector": "VCS", "wave": "Yr1"})
    yield p
    p.close()


def test_typical_and_varied(proj):
    q = exemplar_quotes(proj, n=3, embedder=FakeEmbedder(dim=256))
    assert q["theme"].unique().tolist() == ["Communication"]
    assert q["participant"].tolist()[:2] != ["Ann", "Ann"]  # a second participant before Ann again
    assert set(q["participant"]) <= {"Ann", "Bob", "Cat"}
    assert "t#0" not in set(q["segment_id"]) and "t#5" not in set(q["segment_id"])  # interviewer; too short
    # the off-topic car-park turn is the least typical of the coded passages
    assert q.iloc[0]["segment_id"] != "t#4"


def test_attribution_and_anonymised_quotes(proj):
    q = exemplar_quotes(proj, level="code", n=5, embedder=FakeEmbedder(),
                        anonymiser=Anonymiser(None, terms={"town hall": "[place]"}))
    ann = q[q.participant == "Ann"].iloc[0]
    assert ann["attribution"] == "(Participant Ann, VCS, Yr1)"
    assert q[q.segment_id == "t#4"].iloc[0]["quote"].count("[place]") == 1
    assert attribution({"participant": None}) == "(Unknown speaker)"


def test_span_codings_quote_the_span(proj):
    seg = proj.segment("t#3")
    proj.code(seg.id, "Communication", "SM", start=seg.start, end=seg.start + len("We talk at the monthly meeting"))
    q = exemplar_quotes(proj, level="code", n=3, embedder=FakeEmbedder(), min_words=3)
    assert "We talk at the monthly meeting" in q[q.code == "Communication"]["quote"].tolist()


def test_one_passage_per_theme_and_different_speakers_without_attributes(tmp_path):
    """Issue 26.4: a turn coded by two coders (a span, the whole turn) is quoted once under its theme, and
    with no participant ids loaded the quotes still come from different speakers."""
    turns = [("Interviewer", "Tell me about meetings, please, in your own words."),
             ("Ann", "We meet monthly and the monthly meeting keeps everyone talking together well."),
             ("Ann", "The monthly meeting is where we talk and share news with partners every time."),
             ("Bob", "We talk at the monthly meeting and share news by email with the partners too."),
             ("Cat", "Our partners share news at the meeting and by email, which keeps us talking.")]
    t, segs = make_transcript("t", turns)
    with Project.create(tmp_path / "q.qdakit") as p:
        p.add_transcripts([(t, segs)])  # no attributes: no segment has a participant id
        p.load_codebook(Codebook([Code("Communication"), Code("Meetings", parent="Communication")]))
        for sid in ("t#1", "t#2", "t#3", "t#4"):
            p.code(sid, "Meetings", "JR")
        first = p.segment("t#1")
        p.code("t#1", "Meetings", "SM", start=first.start, end=first.start + len("We meet monthly and the monthly"
                                                                                " meeting keeps everyone"))
        p.code("t#1", "Communication", "SM")
        q = exemplar_quotes(p, n=3, embedder=FakeEmbedder(dim=256), min_words=3)
    assert not q["segment_id"].duplicated().any()
    assert sorted(q["segment_id"].map(lambda s: turns[int(s[2:])][0])) == ["Ann", "Bob", "Cat"]

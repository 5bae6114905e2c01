"""Content-analysis tables against counts worked out by hand (see the fixture's comments)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from qdakit import Code, Codebook, CodingError, Project, analysis
from support import make_transcript


@pytest.fixture
def fg(tmp_path):
    t, segs = make_transcript("fg", [
        ("Moderator", "Q1 asked"),           # 0
        ("P1", "point a1 and b"),            # 1: A1, B
        ("P1", "a1 again and a2"),           # 2: A1 (same point again), A2
        ("P2", "a1 too"),                    # 3: A1 (SM also codes B)
        ("Moderator", "Q2 asked"),           # 4
        ("P2", "b"),                         # 5: B
        ("P2", "b again"),                   # 6: B
    ])
    segs = [replace(s, question="Q1" if s.index < 4 else "Q2",
                    participant=None if s.speaker == "Moderator" else s.speaker) for s in segs]
    p = Project.create(tmp_path / "fg.qdakit")
    p.add_transcripts([(t, segs)])
    p.load_codebook(Codebook([Code("A"), Code("A1", parent="A"), Code("A2", parent="A"), Code("B")]))
    p.set_participant_attributes("P1", {"sector": "LA"})
    p.set_participant_attributes("P2", {"sector": "VCS"})
    p.set_participant_attributes("R", {"role": "moderator"})
    for seg, code in [(1, "A1"), (1, "B"), (2, "A1"), (2, "A2"), (3, "A1"), (5, "B"), (6, "B"),
                      (0, "B")]:  # the last one is on the moderator's turn: never counted
        p.code(f"fg#{seg}", code, "JR")
    p.code("fg#3", "B", "SM")
    yield p
    p.close()


def _table(freq, by="question", label="theme"):
    return {(r[by], r[label]): (r["count"], r["percent"]) for r in freq.to_dict("records")}


def test_theme_counts_follow_the_counting_rule(fg):
    t = _table(analysis.frequencies(fg, by="question", level="theme", coder="JR"))
    # Q1: P1 made points A1, B, A2 (A1 twice counts once); P2 made A1 -> A: 3, B: 1
    assert t[("Q1", "A")] == (3, 75.0) and t[("Q1", "B")] == (1, 25.0)
    # Q2: P2 made point B twice -> once
    assert t[("Q2", "B")] == (1, 100.0) and t[("Q2", "A")] == (0, 0.0)


def test_every_segment_rule(fg):
    t = _table(analysis.frequencies(fg, by="question", level="theme", rule="segment", coder="JR"))
    assert t[("Q1", "A")][0] == 4 and t[("Q1", "B")][0] == 1 and t[("Q2", "B")][0] == 2


def test_union_of_coders_and_code_level(fg):
    t = _table(analysis.frequencies(fg, by="question", level="theme"))
    assert t[("Q1", "B")] == (2, 40.0)  # SM's B on P2's turn is a new point
    codes = _table(analysis.frequencies(fg, by="question", level="code", coder="JR"), label="code")
    assert codes[("Q1", "A1")][0] == 2 and codes[("Q1", "A2")][0] == 1 and codes[("Q1", "A")][0] == 0


def test_by_attribute_and_whole_project(fg):
    t = _table(analysis.frequencies(fg, by="sector", coder="JR"), by="sector")
    assert t[("LA", "A")][0] == 2 and t[("VCS", "B")][0] == 1
    whole = analysis.frequencies(fg, by=None, coder="JR").set_index("theme")
    assert whole.loc["A", "count"] == 3 and whole.loc["B", "count"] == 2  # B: once from P1, once from P2
    with pytest.raises(CodingError, match="cannot group by 'nope': no coded segment has a value for it"):
        analysis.frequencies(fg, by="nope")


def test_summary_and_major_minor(fg):
    freq = analysis.frequencies(fg, by="question", coder="JR")
    summary = analysis.summarise(freq).set_index("question")
    q1 = summary.loc["Q1"]
    assert (q1["total"], q1["n"], q1["mean"], q1["median"], q1["min"], q1["max"], q1["range"]) == (4, 2, 2, 2, 1, 3, 2)
    assert q1["sd"] == pytest.approx(np.sqrt(2))
    classes = analysis.classify_themes(freq, min_total=4).set_index(["question", "theme"])["class"]
    assert classes[("Q1", "A")] == "major" and classes[("Q1", "B")] == "minor"
    few = analysis.classify_themes(freq).set_index(["question", "theme"])["class"]  # 4 codes: too few
    assert few[("Q1", "A")] == few[("Q1", "B")] == "too few codings to classify"


def test_cooccurrence(fg):
    m = analysis.cooccurrence(fg, coder="JR")
    assert m.loc["A1", "B"] == 1 and m.loc["A1", "A2"] == 1 and m.loc["A1", "A1"] == 3
    assert (m.values == m.values.T).all()


def test_wave_change_and_paired(tmp_path):
    p = Project.create(tmp_path / "w.qdakit")
    items = []
    for tid, wave, turns in [("y1", "Yr1", [("P1", "x"), ("P2", "y")]), ("y2", "Yr2", [("P1", "z")])]:
        t, segs = make_transcript(tid, turns)
        items.append((replace(t, attributes={"wave": wave}), [replace(s, participant=s.speaker) for s in segs]))
    p.add_transcripts(items)
    p.load_codebook(Codebook([Code("A"), Code("B")]))
    p.code("y1#0", "A", "JR")
    p.code("y1#1", "B", "JR")
    p.code("y2#0", "B", "JR")
    ch = analysis.wave_change(p).set_index("theme")
    assert ch.loc["A", "percent_Yr1"] == 50 and ch.loc["A", "percent_Yr2"] == 0
    assert ch.loc["B", "change_points"] == 50
    paired = analysis.wave_change(p, paired=True).set_index("theme")  # only P1 is in both waves
    assert paired.loc["A", "percent_Yr1"] == 100 and paired.loc["B", "percent_Yr2"] == 100
    p.close()

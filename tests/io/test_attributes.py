from __future__ import annotations

import pytest

from qdakit import AttributesError
from qdakit.io.attributes import read_attributes, resolve_attributes
from support import make_transcript

CSV = """participant,speaker,transcript,sector,wave,role
P01,Helen Baxter,int1,LA,Yr1,officer
P01,Helen Baxter,int2,LA,Yr2,officer
R1,Interviewer,,,,researcher
FG-P1,P1,fg,VCS,Yr1,manager
FG-P2,P2,fg,LA,Yr1,officer
R2,Moderator,fg,,,researcher
"""


def _items():
    return [make_transcript("int1", [("Interviewer", "Q?"), ("Helen Baxter", "A.")]),
            make_transcript("int2", [("Interviewer", "Q2?"), ("Helen Baxter", "B."), ("Dog", "Woof")]),
            make_transcript("fg", [("Moderator", "Q?"), ("P1", "x"), ("P2", "y")])]


def test_resolution_rules(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text(CSV)
    res = resolve_attributes(read_attributes(f), _items())
    by_id = {t.id: (t, segs) for t, segs in res.transcripts}
    t1, segs1 = by_id["int1"]
    assert t1.attributes == {"sector": "LA", "wave": "Yr1", "role": "officer"}
    assert [s.participant for s in segs1] == ["R1", "P01"]
    assert by_id["int2"][0].attributes["wave"] == "Yr2"
    fg, fg_segs = by_id["fg"]
    assert fg.attributes == {"wave": "Yr1"}  # shared by the participants, not the moderator
    assert [s.participant for s in fg_segs] == ["R2", "FG-P1", "FG-P2"]
    assert res.unresolved == {"int2": ["Dog"]}
    assert ("R1", None, {"role": "researcher"}) in res.participant_attributes


def test_unknown_speaker_names_file_and_line(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text(CSV + "P09,Hellen Baxter,int1,LA,Yr1,officer\n")
    with pytest.raises(AttributesError, match=r"p.csv, line 8: speaker 'Hellen Baxter' does not occur in "
                                              r"transcript 'int1'; its speakers are: Helen Baxter, Interviewer"):
        resolve_attributes(read_attributes(f), _items())
    f.write_text(CSV + "P10,Nobody,,VCS,,\n")
    with pytest.raises(AttributesError, match="line 8: speaker 'Nobody'.*any transcript"):
        resolve_attributes(read_attributes(f), _items())
    res = resolve_attributes(read_attributes(f), _items(), strict=False)
    assert [r.participant for r in res.skipped_rows] == ["P10"]


def test_rows_for_other_transcripts_are_skipped_not_fatal(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text(CSV)
    res = resolve_attributes(read_attributes(f), _items()[:1])
    assert {r.transcript for r in res.skipped_rows} == {"int2", "fg"}


def test_malformed_files(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("id,sector\nP1,LA\n")
    with pytest.raises(AttributesError, match="no 'participant' column"):
        read_attributes(f)
    f.write_text("participant,speaker\nP1,Ann\nP2,ann\n")
    with pytest.raises(AttributesError, match="line 3: speaker 'ann' is already described at line 2"):
        read_attributes(f)
    with pytest.raises(AttributesError, match="not found"):
        read_attributes(tmp_path / "missing.csv")

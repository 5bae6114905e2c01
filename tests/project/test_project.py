from __future__ import annotations

import hashlib
import sqlite3

import pandas as pd
import pytest

from qdakit import (
    Code,
    Codebook,
    CodebookError,
    CodingError,
    DuplicateTranscriptError,
    Project,
    ProjectError,
    Suggestion,
    Transcript,
)
from qdakit.project import store
from support import make_transcript


def test_create_refuses_existing_and_open_checks(tmp_path):
    path = tmp_path / "p.qdakit"
    Project.create(path).close()
    with pytest.raises(ProjectError, match="already exists"):
        Project.create(path)
    with pytest.raises(ProjectError, match="no such project"):
        Project.open(tmp_path / "missing.qdakit")
    (tmp_path / "junk.qdakit").write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(ProjectError, match="not a qdakit project"):
        Project.open(tmp_path / "junk.qdakit")


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "p.qdakit"
    Project.create(path).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(ProjectError, match="newer"):
        Project.open(path)


def test_segments_view_offsets_round_trip(project):
    df = project.segments()
    assert len(df) == 5
    for row in df.itertuples():
        assert project.transcript(row.transcript_id).text[row.start:row.end] == row.text
    assert list(df.columns[:4]) == ["id", "transcript_id", "transcript", "index"]


def test_duplicate_transcript_leaves_project_unchanged(project):
    before = project.summary()
    same_text = make_transcript("t9", [("Interviewer", "How do partners talk?"),
                                       ("Ann", "We meet monthly and email a lot."),
                                       ("Ann", "Funding was cut last year, so staff time is short.")])
    fresh = make_transcript("t3", [("Cat", "Something new.")])
    with pytest.raises(DuplicateTranscriptError, match="same text as transcript 't1'"):
        project.add_transcripts([fresh, same_text])
    assert project.summary() == before  # t3 was rolled back too


def test_recode_keeps_history_and_retract_marks(project):
    c = project.code("t1#1", "Communication", "JR")
    new = project.recode(c.id, "Clear leadership", "SM", memo="agreed in meeting")
    active = project.codings()
    assert active["code"].tolist() == ["Clear leadership"]
    hist = project.codings(history=True)
    assert hist.set_index("id").loc[c.id, "status"] == "superseded"
    assert hist.set_index("id").loc[new.id, "supersedes"] == c.id
    project.retract(new.id, "SM")
    assert project.codings().empty
    assert len(project.codings(history=True)) == 2
    with pytest.raises(CodingError, match="only an active coding"):
        project.retract(new.id, "SM")


def test_database_refuses_to_delete_or_edit_codings(project):
    c = project.code("t1#1", "Communication", "JR")
    con = project._con
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        con.execute("DELETE FROM codings WHERE id = ?", (c.id,))
    with pytest.raises(sqlite3.IntegrityError, match="cannot be changed"):
        con.execute("UPDATE codings SET coder = 'machine' WHERE id = ?", (c.id,))
    with pytest.raises(sqlite3.IntegrityError, match="named coder"):
        con.execute("UPDATE codings SET status = 'retracted' WHERE id = ?", (c.id,))
    assert project.coding(c.id).coder == "JR"


def test_span_must_lie_inside_segment(project):
    seg = project.segment("t1#1")
    ok = project.code(seg.id, "Communication", "JR", start=seg.start, end=seg.start + 5)
    assert (ok.start, ok.end) == (seg.start, seg.start + 5)
    with pytest.raises(CodingError, match="outside the segment"):
        project.code(seg.id, "Communication", "JR", start=seg.start, end=seg.end + 3)


def test_unknown_code_or_segment(project):
    with pytest.raises(CodingError, match="no code 'Nope'.*Communication"):
        project.code("t1#1", "Nope", "JR")
    with pytest.raises(CodingError, match="no segment"):
        project.code("zz#1", "Communication", "JR")


def test_suggestions_for_unknown_segments_or_codes_store_nothing(project):
    good = Suggestion("t1#2", "Funding", 0.9, "m")
    with pytest.raises(CodingError, match=r"no segment 'zz#1' in .* \(and 1 more\); nothing was stored"):
        project.add_suggestions([good, Suggestion("zz#1", "Funding", 0.8, "m"), Suggestion("zz#2", "Funding", 0.8, "m")])
    with pytest.raises(CodingError, match="no code 'Nope'"):
        project.add_suggestions([good, Suggestion("t1#1", "Nope", 0.8, "m")])
    assert project.suggestions().empty
    assert project.add_suggestions([]) == 0


def test_suggestions_accept_reject_needs_named_coder(project):
    project.add_suggestions([Suggestion("t1#2", "Funding", 0.91, "test-model", "similar to ..."),
                             Suggestion("t2#1", "Communication", 0.4, "test-model")])
    ids = project.suggestions()["id"].tolist()
    assert project.codings().empty  # suggestions are not codings
    with pytest.raises(CodingError, match="named human coder"):
        project.accept(ids[0], coder=" ")
    coding = project.accept(ids[0], coder="JR")
    assert coding.coder == "JR" and coding.code == "Funding"
    project.reject(ids[1], coder="SM")
    s = project.suggestions().set_index("id")
    assert s.loc[ids[0], "status"] == "accepted" and s.loc[ids[0], "coding_id"] == coding.id
    assert s.loc[ids[1], "status"] == "rejected" and s.loc[ids[1], "decided_by"] == "SM"
    with pytest.raises(CodingError, match="already accepted"):
        project.reject(ids[0], coder="SM")


def test_load_codebook_merges_updates_and_protects_used_codes(project):
    project.code("t1#1", "Communication", "JR")
    counts = project.load_codebook(Codebook([Code("communication", description="new words"), Code("Evaluation")]))
    assert counts == {"added": 1, "updated": 1, "renamed": 1, "removed": 0}
    cb = project.codebook
    assert cb["communication"].description == "new words"
    assert project.codings()["code"].tolist() == ["communication"]  # same code, renamed in place
    with pytest.raises(CodebookError, match="in use: communication"):
        project.load_codebook(Codebook([Code("Evaluation")]), replace=True)
    assert len(project.codebook) == 5
    project.load_codebook(Codebook([Code("communication"), Code("Evaluation")]), replace=True)
    assert project.codebook.names == ("communication", "Evaluation")


def test_codebook_with_cycle_or_dangling_parent_changes_nothing(project):
    with pytest.raises(CodebookError, match="cycle"):
        project.load_codebook(Codebook([Code("Funding", parent="Clear leadership"),
                                        Code("Clear leadership", parent="Funding")]))
    # an incoming codebook must be self-contained: parents are resolved within the file
    with pytest.raises(CodebookError, match="not in the codebook"):
        project.load_codebook(Codebook([Code("Balance of resources", parent="Funding")]))
    assert project.codebook.path("Funding") == ("Balance of resources", "Funding")


def test_attributes_views(project):
    project.set_participant_attributes("P1", {"sector": "VCS"})
    project.set_participant_attributes("P1", {"wave": "Yr1"}, "t1")
    for s in project.iter_segments("t1"):
        if s.speaker == "Ann":
            project.set_segment_participant(s.id, "P1")
    df = project.segments().set_index("id")
    assert df.loc["t1#1", "sector"] == "VCS" and df.loc["t1#1", "wave"] == "Yr1"
    assert pd.isna(df.loc["t2#1", "participant"])
    assert len(project.participants()) == 2


def test_version_1_project_is_migrated_on_open(tmp_path):
    path = tmp_path / "old.qdakit"
    Project.create(path).close()
    con = sqlite3.connect(path)
    con.execute("DROP TABLE precoded")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with Project.open(path) as p:
        assert p._scalar("SELECT value FROM meta WHERE key = 'schema_version'") == str(store.SCHEMA_VERSION)
        assert p.precoded("m") == set()


def test_version_2_project_gets_the_indexes_of_version_3(tmp_path):
    path = tmp_path / "old.qdakit"
    Project.create(path).close()
    con = sqlite3.connect(path)
    con.execute("CREATE INDEX segments_transcript ON segments(transcript_id)")  # as version 2 made it
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with Project.open(path) as p:
        assert p._scalar("SELECT value FROM meta WHERE key = 'schema_version'") == str(store.SCHEMA_VERSION)
        names = {r[0] for r in p._con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "segments_transcript" not in names
        # lookups by transcript still go through an index (the one of UNIQUE (transcript_id, idx))
        plan = " ".join(str(tuple(r)) for r in p._con.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM segments WHERE transcript_id = ? ORDER BY idx", ("t",)))
        assert "USING INDEX" in plan and "TEMP B-TREE" not in plan, plan
        # the next transcript's position comes from an index, not a scan past every transcript's text
        plan = " ".join(str(tuple(r)) for r in p._con.execute(
            "EXPLAIN QUERY PLAN SELECT coalesce(max(position), -1) FROM transcripts"))
        assert "transcripts_position" in plan, plan
        plan = " ".join(str(tuple(r)) for r in p._con.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM transcripts WHERE source IN (?, ?)", ("a.txt", "b.txt")))
        assert "transcripts_source" in plan, plan


def test_lookups_for_resuming_a_batch(project):
    t1 = project.transcripts().set_index("id").loc["t1"]
    text = project.transcript("t1").text
    assert project.find_transcript(id="t1").name == "t1"
    assert project.find_transcript(name="nope", text=text).id == "t1"  # found by its text
    assert project.find_transcript(id="t9", name="t9", text="other words") is None
    assert project.find_transcript(id="t1").source == t1["source"]
    # issue 26.8: the same type as transcript(); the old dict access still works, with a warning
    found = project.find_transcript(id="t1")
    assert found == project.transcript("t1") and isinstance(found, Transcript)
    with pytest.warns(DeprecationWarning, match="use .sha256"):
        assert found["sha256"] == found.sha256 == hashlib.sha256(found.text.encode()).hexdigest()
    project.mark_precoded(["t1#1", "t1#2"], "m1")
    project.mark_precoded(["t2#1"], "m2")
    assert project.precoded("m1") == {"t1#1", "t1#2"}
    assert project.precoded("m1", among=["t1#2", "t2#1", "zz"]) == {"t1#2"}
    many = [f"x{i}" for i in range(1200)] + ["t1#1"]  # over the 500-per-query batches
    assert project.precoded("m1", among=many) == {"t1#1"}
    assert project.precoded_sources(["t1.txt", "t2.txt", "t3.txt"], "m1") == {"t1.txt"}
    assert project.precoded_sources(["t1.txt", "t2.txt"], "m2") == {"t2.txt"}
    assert project.coded_transcripts() == []
    project.code("t2#1", "Clear leadership", "JR")
    assert project.coded_transcripts() == ["t2"]


def test_codings_with_segments_in_one_call(project):
    """Issue 26.8: segment text, speaker, participant and attributes beside each coding, with no merge."""
    project.set_participant_attributes("P-Ann", {"sector": "VCS"})
    project.set_segment_participant("t1#1", "P-Ann")
    seg = project.segment("t1#2")
    project.code("t1#1", "Communication", "JR")
    project.code("t1#2", "Funding", "JR", start=seg.start, end=seg.start + len("Funding was cut"))
    plain = project.codings()
    df = project.codings(with_segments=True)
    assert list(df.columns[:len(plain.columns)]) == list(plain.columns) and len(df) == len(plain)
    rows = df.set_index("segment_id")
    assert rows.loc["t1#1", "coded_text"] == rows.loc["t1#1", "text"] == "We meet monthly and email a lot."
    assert rows.loc["t1#2", "coded_text"] == "Funding was cut" and rows.loc["t1#2", "text"].startswith("Funding")
    assert rows.loc["t1#1", ["speaker", "participant", "person", "sector"]].tolist() == ["Ann", "P-Ann", "P-Ann",
                                                                                        "VCS"]
    assert rows.loc["t1#2", "person"] == "Ann (t1)" and not rows["is_researcher"].any()
    assert {"transcript", "question", "segment_start", "segment_end"} <= set(df.columns)

"""Reviewed marks ("no code applies"), machine codings and superseded suggestions in the store."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from qdakit import Codebook, CodingError, Project, Suggestion
from qdakit.project import store

#: the migration step that adds reviewed marks, machine codings and superseded suggestions
_MACHINE_CODER_STEP = next(v for v, steps in store._MIGRATIONS.items() if any("machine_codings" in s for s in steps))


def test_mark_reviewed_records_who_read_what(project):
    project.code("t1#1", "Communication", "JR")
    assert project.mark_reviewed(["t1#1", "t1#2", "t1#2"], "JR") == 2
    assert project.mark_reviewed(["t1#2"], "JR") == 0  # already there
    marks = project.reviewed()
    assert marks[["segment_id", "coder", "coded"]].values.tolist() == [["t1#1", "JR", True], ["t1#2", "JR", False]]
    assert project.reviewed(uncoded=True)["segment_id"].tolist() == ["t1#2"]  # read, no code applies
    assert project.codings()["segment_id"].tolist() == ["t1#1"]  # a mark is not a coding


def test_mark_reviewed_is_all_or_nothing_and_needs_a_coder(project):
    with pytest.raises(CodingError, match="no segment 'nope'.*no segment was marked"):
        project.mark_reviewed(["t1#1", "nope"], "JR")
    assert project.reviewed().empty
    with pytest.raises(CodingError, match="name of the human coder"):
        project.mark_reviewed(["t1#1"], " ")


def test_labels_version_changes_with_human_labels_only(project):
    v0 = project.labels_version()
    project.add_suggestions([Suggestion("t1#1", "Communication", 0.9, "m1")])
    assert project.labels_version() == v0  # a pending suggestion is no human label
    project.mark_reviewed(["t1#2"], "SM")
    v1 = project.labels_version()
    assert v1 != v0
    project.code("t1#1", "Communication", "JR")
    assert project.labels_version() not in (v0, v1)


def test_machine_codings_replace_each_other_and_touch_nothing_human(project):
    project.code("t1#1", "Communication", "JR")
    frame = pd.DataFrame({"segment_id": ["t1#1", "t1#2"], "code": ["Communication", None], "score": [0.8, None],
                          "model": ["m-a", "m-b"], "fold": [0, 1]})
    assert project.set_machine_codings(frame, run="crossval:1", labels="x") == 2
    got = project.machine_codings()
    assert got["code"].tolist() == ["Communication", None] and got["run"].eq("crossval:1").all()
    project.set_machine_codings(frame.iloc[:1], run="crossval:2", labels="y")
    assert project.machine_codings()["run"].tolist() == ["crossval:2"]
    assert len(project.codings()) == 1 and project.suggestions().empty
    with pytest.raises(CodingError, match="no code 'Nope'"):
        project.set_machine_codings(frame.assign(code="Nope"), run="r", labels="z")
    assert project.machine_codings()["run"].tolist() == ["crossval:2"]  # failed write changed nothing


def test_removing_a_code_removes_its_machine_codings_not_turning_them_into_no_code(project):
    frame = pd.DataFrame({"segment_id": ["t1#1", "t1#2"], "code": ["Funding", None], "score": [0.7, None],
                          "model": ["m", "m"], "fold": [0, 0]})
    project.set_machine_codings(frame, run="crossval:1", labels="x")
    kept = Codebook([c for c in project.codebook if c.name != "Funding"])
    project.load_codebook(kept, replace=True)
    got = project.machine_codings()
    assert got["segment_id"].tolist() == ["t1#2"] and got["code"].tolist() == [None]  # only the real "no code"


def test_supersede_hides_older_pending_suggestions_but_keeps_them(project):
    project.add_suggestions([Suggestion("t1#1", "Communication", 0.9, "old"),
                             Suggestion("t1#2", "Funding", 0.9, "old")])
    project.reject(int(project.suggestions()["id"].iloc[1]), "JR")
    project.add_suggestions([Suggestion("t1#1", "Communication", 0.8, "new")])
    assert project.supersede_suggestions(["t1#1", "t1#2"], "new") == 1  # the rejection stays a rejection
    pending = project.suggestions(status="pending")
    assert pending[["segment_id", "code", "model"]].values.tolist() == [["t1#1", "Communication", "new"]]
    assert project.suggestions(status="superseded")["model"].tolist() == ["old"]
    assert set(project.suggestions()["status"]) == {"superseded", "rejected", "pending"}
    old_id = int(project.suggestions(status="superseded")["id"].iloc[0])
    with pytest.raises(CodingError, match="superseded"):
        project.accept(old_id, "JR")


def test_accepting_a_code_the_coder_already_applied_adds_no_second_coding(project):
    project.add_suggestions([Suggestion("t1#1", "Communication", 0.9, "m")])
    project.code("t1#1", "Communication", "JR")
    coding = project.accept(int(project.suggestions()["id"].iloc[0]), "JR")
    assert len(project.codings()) == 1 and coding.id == project.codings()["id"].iloc[0]
    assert project.suggestions()["status"].tolist() == ["accepted"]


def test_a_project_of_the_previous_version_gains_the_tables_on_open(tmp_path):
    path = tmp_path / "old.qdakit"
    with Project.create(path) as p:
        p.add_transcripts([])
    con = sqlite3.connect(path)
    con.execute("DROP TABLE reviewed")
    con.execute("DROP TABLE machine_codings")
    con.execute("DROP TABLE superseded_suggestions")
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(_MACHINE_CODER_STEP),))
    con.commit()
    con.close()
    with Project.open(path) as p:
        assert p._scalar("SELECT value FROM meta WHERE key = 'schema_version'") == str(store.SCHEMA_VERSION)
        assert p.reviewed().empty and p.machine_codings().empty
        assert "status" in p.suggestions().columns

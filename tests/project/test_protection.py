"""Issue 14: the schema refuses every raw-SQL way of losing a human coding; open checks; two reviewers; duplicates."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import time
from pathlib import Path

import pytest

from qdakit import Code, Codebook, Project
from qdakit.errors import CodingError, ProjectBusyError, ProjectError, QdakitError
from qdakit.model import Suggestion
from qdakit.project import guard, store


def _raw(path: Path, *statements: str, fk: bool = True) -> None:
    """Run SQL as another tool would (the sqlite3 shell has foreign keys off)."""
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA foreign_keys = {'ON' if fk else 'OFF'}")
    try:
        for s in statements:
            con.execute(s)
        con.commit()
    finally:
        con.close()


@pytest.fixture
def coded(project: Project) -> Project:
    project.code("t1#1", "Communication", coder="JR")
    project.code("t1#2", "Funding", coder="JR", memo="cut")
    return project


@pytest.mark.parametrize("sql", [
    "INSERT OR REPLACE INTO codings (id, segment_id, code_guid, coder, created) "
    "SELECT id, segment_id, code_guid, 'EVIL', created FROM codings WHERE id = 1",
    "REPLACE INTO codings (id, segment_id, code_guid, coder, created) "
    "SELECT id, segment_id, code_guid, 'EVIL', created FROM codings WHERE id = 1",
    "UPDATE codings SET id = 99 WHERE id = 1",
    "UPDATE OR REPLACE codings SET id = 2 WHERE id = 1",
    "UPDATE codings SET status_changed_by = 'EVIL' WHERE id = 1",
])
@pytest.mark.parametrize("fk", [True, False])
def test_raw_sql_cannot_replace_or_rekey_a_coding(coded: Project, sql: str, fk: bool) -> None:
    before = coded.codings(history=True).to_dict("records")
    with pytest.raises(sqlite3.DatabaseError, match="coding"):
        _raw(coded.path, sql, fk=fk)
    assert coded.codings(history=True).to_dict("records") == before


@pytest.mark.parametrize("sql", [
    "DELETE FROM segments WHERE id = 't1#1'",
    "DELETE FROM codes",
    "DELETE FROM transcripts WHERE id = 't1'",
    "REPLACE INTO segments SELECT * FROM segments WHERE id = 't1#1'",
    "UPDATE OR REPLACE segments SET idx = 1 WHERE id = 't1#0'",  # would delete the coded t1#1
    "UPDATE segments SET text = 'changed' WHERE id = 't1#1'",
    "REPLACE INTO codes (guid, name, position) VALUES ('x', 'communication', 9)",
    "UPDATE OR REPLACE codes SET name = 'Communication' WHERE name = 'Clear leadership'",
    "UPDATE codes SET guid = 'other' WHERE name = 'Communication'",
    "REPLACE INTO transcripts SELECT 'tx', name, source, text, 'sha', attributes, imported_at, position "
    "FROM transcripts WHERE id = 't1'",
    "UPDATE OR REPLACE transcripts SET name = 't1' WHERE id = 't2'",
    "UPDATE transcripts SET text = 'other words' WHERE id = 't1'",
])
def test_parents_of_codings_cannot_go_even_with_foreign_keys_off(coded: Project, sql: str) -> None:
    before = coded.codings().to_dict("records")
    with pytest.raises(sqlite3.DatabaseError, match="human codings"):
        _raw(coded.path, sql, fk=False)
    assert coded.codings().to_dict("records") == before


def test_what_is_not_coded_stays_editable(coded: Project) -> None:
    _raw(coded.path, "DELETE FROM codes WHERE name = 'Clear leadership'",
         "UPDATE segments SET participant = 'P1' WHERE id = 't1#1'",
         "UPDATE codes SET description = 'new' WHERE name = 'Communication'", fk=False)
    assert "Clear leadership" not in coded.codebook
    assert coded.codebook["Communication"].description == "new"


def test_open_refuses_writes_when_a_protective_trigger_is_gone(coded: Project) -> None:
    path = coded.path
    coded.close()
    _raw(path, "DROP TRIGGER codings_never_replaced")
    with Project.open(path) as p:
        assert len(p.codings()) == 2  # still readable
        with pytest.raises(ProjectError, match="codings_never_replaced.*read-only"):
            p.code("t2#1", "Communication", coder="SM")
        with pytest.raises(sqlite3.OperationalError, match="readonly"):  # even raw writes on this connection
            p._con.execute("DELETE FROM questions")


def test_open_refuses_writes_when_foreign_keys_are_broken(project: Project) -> None:
    path = project.path
    project.close()
    _raw(path, "INSERT INTO suggestions (segment_id, code_guid, score, model, created) "
               "VALUES ('nowhere', 'nocode', 0.5, 'm', 'now')", fk=False)
    with Project.open(path) as p, pytest.raises(ProjectError, match="foreign-key check"):
        p.set_questions([("Q1", "Why?")])


def test_a_damaged_file_is_called_damaged_not_missing(coded: Project) -> None:
    path = coded.path
    coded.close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ProjectError) as info:
        with Project.open(path) as p:
            p.codings()
            p.code("t2#1", "Communication", coder="SM")
    assert "qdakit init" not in str(info.value) and "damaged" in str(info.value)


def test_a_foreign_sqlite_file_is_refused_unchanged(tmp_path: Path) -> None:
    f = tmp_path / "other.db"
    _raw(f, "CREATE TABLE x (a)")
    with pytest.raises(ProjectError, match="not a qdakit project"):
        Project.open(f)
    con = sqlite3.connect(f)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    con.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_a_write_failure_of_the_file_system_is_one_clear_error(coded: Project, monkeypatch) -> None:
    err = store._write_error(coded._con, sqlite3.OperationalError("database or disk is full"))
    assert isinstance(err, ProjectError) and "disk is full" in str(err) and "Nothing was written" in str(err)
    err = store._write_error(coded._con, sqlite3.OperationalError("attempt to write a readonly database"))
    assert "read-only" in str(err)


def test_a_busy_project_waits_visibly_then_fails_cleanly(coded: Project, monkeypatch, capsys) -> None:
    monkeypatch.setenv("QDAKIT_BUSY_TIMEOUT", "1.5")
    other = sqlite3.connect(coded.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        t0 = time.monotonic()
        with pytest.raises(ProjectBusyError, match="QDAKIT_BUSY_TIMEOUT"):
            coded.code("t2#1", "Communication", coder="SM")
        assert time.monotonic() - t0 >= 1.5
        assert "waiting for another process" in capsys.readouterr().err
    finally:
        other.execute("ROLLBACK")
        other.close()
    coded.code("t2#1", "Communication", coder="SM")  # free again


def test_old_projects_get_the_protection_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.qdakit"
    Project.create(path).close()
    names = [s.split()[2] for s in guard.PROTECT_STEP if s.startswith("CREATE TRIGGER")]
    _raw(path, *[f"DROP TRIGGER {n}" for n in names if n != "codings_content_immutable"],
         "UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    with Project.open(path) as p:
        have = {r[0] for r in p._con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert set(names) <= have and p._con.refuse_writes is None


# -- 3: two reviewers at once ------------------------------------------------------------------------
def _review(path: Path, coder: str, ids: list[int], start: mp.Event, out: mp.Queue) -> None:
    start.wait()
    accepted = 0
    with Project.open(path) as p:
        for i in ids:
            try:
                p.accept(i, coder)
                accepted += 1
            except CodingError:
                pass
    out.put(accepted)


def test_two_processes_accepting_the_same_suggestions_accept_each_once(project: Project) -> None:
    segs = ["t1#1", "t1#2", "t2#1", "t1#0"]
    project.add_suggestions([Suggestion(segs[i % 4], code, 0.9, f"m{i}")
                             for i, code in enumerate(["Communication", "Funding", "Clear leadership"] * 10)])
    ids = project.suggestions()["id"].tolist()
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_review, args=(project.path, who, ids, start, out)) for who in ("JR", "SM")]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
    counts = [out.get(timeout=5), out.get(timeout=5)]
    assert sum(counts) == len(ids)  # each suggestion accepted by exactly one of them
    s = project.suggestions()
    assert (s["status"] == "accepted").all()
    codings = project.codings(history=True)
    for row in s.itertuples():  # the coding of each suggestion belongs to the coder recorded as deciding it
        assert codings.set_index("id").loc[row.coding_id, "coder"] == row.decided_by
    # no coder holds the same code twice on a segment
    assert not codings.duplicated(["segment_id", "code", "coder"]).any()


# -- 4: no duplicate codings ------------------------------------------------------------------------------
def test_an_identical_coding_is_not_added_twice(project: Project) -> None:
    first = project.code("t1#1", "Communication", coder="JR")
    again = project.code("t1#1", "Communication", coder=" JR ")
    assert again.id == first.id and len(project.codings()) == 1
    project.code("t1#1", "Communication", coder="SM")  # another coder: a coding of its own
    project.code("t1#1", "Communication", coder="JR", start=first_start(project), end=first_start(project) + 2)
    assert len(project.codings()) == 3
    added = project.add_codings([c for c in [project.coding(first.id)] * 2])
    assert added == []


def first_start(project: Project) -> int:
    return project.segment("t1#1").start


def test_accept_does_not_duplicate_the_coders_coding(project: Project) -> None:
    mine = project.code("t1#1", "Communication", coder="JR")
    project.add_suggestions([Suggestion("t1#1", "Communication", 0.9, "m")])
    sid = int(project.suggestions()["id"][0])
    assert project.accept(sid, "JR").id == mine.id
    assert len(project.codings()) == 1
    assert project.suggestion(sid).status == "accepted"


def test_a_recode_to_the_same_code_is_kept_as_a_new_coding(project: Project) -> None:
    c = project.code("t1#1", "Communication", coder="JR")
    new = project.recode(c.id, "Communication", coder="JR", memo="checked")
    assert new.id != c.id and project.codings()["id"].tolist() == [new.id]


# -- 8: init --force keeps what it replaces --------------------------------------------------------------------
def test_overwrite_refuses_a_project_with_codings_unless_told(coded: Project) -> None:
    path = coded.path
    coded.close()
    with pytest.raises(ProjectError, match="holds 2 human codings"):
        Project.create(path, overwrite=True)
    assert len(list(path.parent.glob("*.bak"))) == 0
    with Project.open(path) as p:
        assert len(p.codings()) == 2
    with Project.create(path, overwrite=True, delete_codings=True) as p:
        assert p.codings().empty and p.backup is not None
        backup = p.backup
    with Project.open(backup) as old:
        assert len(old.codings()) == 2  # the backup is a whole, openable project


def test_overwrite_without_codings_keeps_a_backup_too(project: Project) -> None:
    path = project.path
    project.close()
    with Project.create(path, overwrite=True) as p:
        assert p.backup is not None and p.backup.name.startswith(path.name + ".")
    assert p.backup.is_file()


def test_empty_coder_is_a_coding_error(project: Project) -> None:
    for bad in ("", "  "):
        with pytest.raises(CodingError, match="named coder"):
            project.code("t1#1", "Communication", coder=bad)
        with pytest.raises(QdakitError):
            project.recode(project.code("t1#1", "Funding", coder="JR").id, "Communication", coder=bad)


def test_a_transcript_level_role_does_not_make_the_interviewer_a_participant(project: Project) -> None:
    project.set_transcript_attributes("t1", {"role": "participant", "site": "north"})
    project.set_participant_attributes("Ann", {"role": "participant"})
    project.set_segment_participant("t1#1", "Ann")
    df = project.segments("t1").set_index("id")
    assert bool(df.loc["t1#0", "is_researcher"])  # 'Interviewer', no row of its own: never counted as speech
    assert not bool(df.loc["t1#1", "is_researcher"])
    project.set_participant_attributes("Ann", {"role": "interviewer"})  # the speaker's own row wins
    assert bool(project.segments("t1").set_index("id").loc["t1#1", "is_researcher"])


def test_loading_the_same_codebook_again_reports_no_change(project: Project, tmp_path: Path) -> None:
    from qdakit.io.codebook import read_codebook

    f = tmp_path / "cb.yaml"
    f.write_text("codes:\n  - name: Trust\n    description: belief\n    codes:\n      - name: Doubt\n"
                 "        examples: [not sure]\n")
    assert project.load_codebook(read_codebook(f))["added"] == 2
    assert project.load_codebook(read_codebook(f)) == {"added": 0, "updated": 0, "renamed": 0, "removed": 0}


def test_a_qdc_renaming_a_used_code_by_guid_reports_a_rename(project: Project, tmp_path: Path) -> None:
    from qdakit.io.refi import read_qdc, write_qdc

    project.code("t1#1", "Communication", coder="JR")
    guid = project.codebook["Communication"].guid
    renamed = [c if c.name != "Communication" else Code("Information sharing", None, c.description, guid=guid)
               for c in project.codebook]
    counts = project.load_codebook(read_qdc(write_qdc(Codebook(renamed), tmp_path / "cb.qdc")))
    assert counts == {"added": 0, "updated": 0, "renamed": 1, "removed": 0}
    assert project.codings()["code"].tolist() == ["Information sharing"]


@pytest.mark.parametrize("column", ["memo", "start", "end"])
def test_open_refuses_writes_when_a_column_of_human_work_was_dropped(coded: Project, column: str) -> None:
    """Issue 28: ALTER TABLE codings DROP COLUMN memo succeeded and the open check did not see it."""
    path = coded.path
    coded.close()
    _raw(path, f'ALTER TABLE codings DROP COLUMN "{column}"')
    with Project.open(path) as p:
        with pytest.raises(ProjectError, match=rf"lost column\(s\) that hold human work \(codings\.{column}\).*"
                           "read-only"):
            p.code("t2#1", "Communication", coder="SM")
        assert len(p.segments()) > 0  # what is intact still reads


def test_a_fresh_project_has_every_required_column(project: Project) -> None:
    assert guard.schema_drift(project._con) == []


def test_a_failed_create_leaves_no_file_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 28: init on a full disk left a 4 KB file that was no project, while saying nothing was written."""
    def full(con: sqlite3.Connection) -> None:
        con.execute("CREATE TABLE half (x)")  # something reached the disk before it filled
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "initialise", full)
    path = tmp_path / "new.qdakit"
    with pytest.raises(ProjectError, match="disk is full.*Nothing was left behind"):
        Project.create(path)
    assert sorted(tmp_path.iterdir()) == []

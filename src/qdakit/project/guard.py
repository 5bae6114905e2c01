"""What keeps a project file safe to write: the protective triggers, the checks on open, backups.

Human codings are protected by the schema itself, so that no tool (the
``sqlite3`` shell, a script, a future bug) can lose one: besides the base
schema's triggers (a coding is never deleted; its content never changes; its
status only moves from ``active`` to ``superseded``/``retracted`` by a named
coder), :data:`PROTECT_STEP` (a migration step) makes SQLite refuse

* ``INSERT OR REPLACE`` / ``REPLACE INTO`` over an existing coding (REPLACE
  deletes without firing delete triggers), and changing a coding's ``id``;
* changing who retracted or superseded a coding, or when;
* deleting, replacing or re-keying a segment, transcript or code that a coding
  points to, by trigger, so it holds with foreign keys off (the ``sqlite3``
  shell's default).

:func:`verify` runs on every open: the columns that hold human work must all
be there (``ALTER TABLE codings DROP COLUMN memo`` succeeds in SQLite and wipes
every memo), the protective triggers must be there as written, and a quick
integrity and foreign-key check must pass; otherwise the project opens
read-only and every write raises :class:`ProjectError` naming what is wrong.
:func:`backup` copies a project (consistently, through SQLite's backup API)
before ``init --force`` replaces it.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["PROTECT_STEP", "PROTECTIVE_TRIGGERS", "REQUIRED_COLUMNS", "verify", "schema_drift", "backup",
           "human_codings"]

#: migration step: the triggers that make the schema refuse every way of losing a human coding
PROTECT_STEP: list[str] = [
    """CREATE TRIGGER codings_content_immutable
BEFORE UPDATE OF id, segment_id, code_guid, coder, start, "end", memo, created, supersedes ON codings
BEGIN
    SELECT RAISE(ABORT, 'a human coding cannot be changed; recode creates a new coding');
END""",
    """CREATE TRIGGER codings_never_replaced BEFORE INSERT ON codings
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM codings WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'a human coding cannot be replaced; recode creates a new coding');
END""",
    """CREATE TRIGGER codings_decision_kept BEFORE UPDATE OF status_changed_by, status_changed_at ON codings
WHEN NEW.status IS OLD.status
BEGIN
    SELECT RAISE(ABORT, 'only an active coding can be superseded or retracted; who did it and when cannot be changed');
END""",
    """CREATE TRIGGER segments_coded_kept BEFORE DELETE ON segments
WHEN EXISTS (SELECT 1 FROM codings WHERE segment_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'a segment with human codings cannot be deleted');
END""",
    """CREATE TRIGGER segments_coded_fixed BEFORE UPDATE OF id, transcript_id, idx, text, start, "end" ON segments
WHEN EXISTS (SELECT 1 FROM codings WHERE segment_id = OLD.id)
    OR EXISTS (SELECT 1 FROM segments s JOIN codings k ON k.segment_id = s.id WHERE s.rowid != OLD.rowid
               AND (s.id = NEW.id OR (s.transcript_id = NEW.transcript_id AND s.idx = NEW.idx)))
BEGIN
    SELECT RAISE(ABORT, 'a segment with human codings cannot be changed or replaced');
END""",
    """CREATE TRIGGER segments_coded_not_replaced BEFORE INSERT ON segments
WHEN EXISTS (SELECT 1 FROM segments s JOIN codings k ON k.segment_id = s.id
             WHERE s.id = NEW.id OR (s.transcript_id = NEW.transcript_id AND s.idx = NEW.idx))
BEGIN
    SELECT RAISE(ABORT, 'a segment with human codings cannot be replaced');
END""",
    """CREATE TRIGGER transcripts_coded_kept BEFORE DELETE ON transcripts
WHEN EXISTS (SELECT 1 FROM segments s JOIN codings k ON k.segment_id = s.id WHERE s.transcript_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'a transcript with human codings cannot be deleted');
END""",
    """CREATE TRIGGER transcripts_coded_fixed BEFORE UPDATE OF id, name, text, sha256 ON transcripts
WHEN EXISTS (SELECT 1 FROM segments s JOIN codings k ON k.segment_id = s.id WHERE s.transcript_id = OLD.id)
    OR EXISTS (SELECT 1 FROM transcripts t JOIN segments s ON s.transcript_id = t.id JOIN codings k
               ON k.segment_id = s.id WHERE t.rowid != OLD.rowid
               AND (t.id = NEW.id OR t.name = NEW.name OR t.sha256 = NEW.sha256))
BEGIN
    SELECT RAISE(ABORT, 'a transcript with human codings cannot be changed or replaced');
END""",
    """CREATE TRIGGER transcripts_coded_not_replaced BEFORE INSERT ON transcripts
WHEN EXISTS (SELECT 1 FROM transcripts t JOIN segments s ON s.transcript_id = t.id JOIN codings k
             ON k.segment_id = s.id WHERE t.id = NEW.id OR t.name = NEW.name OR t.sha256 = NEW.sha256)
BEGIN
    SELECT RAISE(ABORT, 'a transcript with human codings cannot be replaced');
END""",
    """CREATE TRIGGER codes_used_kept BEFORE DELETE ON codes
WHEN EXISTS (SELECT 1 FROM codings WHERE code_guid = OLD.guid)
BEGIN
    SELECT RAISE(ABORT, 'a code used by human codings cannot be deleted');
END""",
    """CREATE TRIGGER codes_used_fixed BEFORE UPDATE OF guid, name ON codes
WHEN (NEW.guid != OLD.guid AND EXISTS (SELECT 1 FROM codings WHERE code_guid = OLD.guid))
    OR EXISTS (SELECT 1 FROM codes c JOIN codings k ON k.code_guid = c.guid WHERE c.rowid != OLD.rowid
               AND (c.guid = NEW.guid OR c.name = NEW.name COLLATE NOCASE))
BEGIN
    SELECT RAISE(ABORT, 'a code used by human codings cannot lose its guid or be replaced');
END""",
    """CREATE TRIGGER codes_used_not_replaced BEFORE INSERT ON codes
WHEN EXISTS (SELECT 1 FROM codes c JOIN codings k ON k.code_guid = c.guid
             WHERE c.guid = NEW.guid OR c.name = NEW.name COLLATE NOCASE)
BEGIN
    SELECT RAISE(ABORT, 'a code used by human codings cannot be replaced');
END""",
]
# idempotent: each trigger is dropped first, so the step can run on a file that has some of them
PROTECT_STEP = [x for s in PROTECT_STEP for x in (f"DROP TRIGGER IF EXISTS {s.split()[2]}", s)]

_BASE_TRIGGERS = ("codings_never_deleted", "codings_status_one_way")


def _name(statement: str) -> str | None:
    m = re.match(r"\s*CREATE TRIGGER (\w+)", statement)
    return m.group(1) if m else None


def _norm(sql: str) -> str:
    return " ".join(sql.split())


#: name -> SQL of every trigger that protects human codings (checked on open)
PROTECTIVE_TRIGGERS: dict[str, str] = {n: _norm(s) for s in PROTECT_STEP if (n := _name(s))}


#: the columns each table holding human work must have (more are allowed: a later step may add some)
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "transcripts": ("id", "name", "source", "text", "sha256", "attributes", "imported_at", "position"),
    "segments": ("id", "transcript_id", "idx", "speaker", "participant", "text", "start", "end", "start_time",
                 "end_time", "question"),
    "codes": ("guid", "name", "parent", "description", "inclusion", "exclusion", "examples", "colour", "position"),
    "codings": ("id", "segment_id", "code_guid", "coder", "start", "end", "memo", "created", "status",
                "supersedes", "status_changed_by", "status_changed_at"),
    "suggestions": ("id", "segment_id", "code_guid", "score", "model", "created", "status"),
    "reviewed": ("segment_id", "coder", "created"),
}


def schema_drift(con: sqlite3.Connection) -> list[str]:
    """``table.column`` for each required column (:data:`REQUIRED_COLUMNS`) the file no longer has."""
    gone = []
    for table, columns in REQUIRED_COLUMNS.items():
        have = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}  # noqa: S608 - fixed names
        gone += [f"{table}.{c}" for c in columns if c not in have] if have else [f"{table} (the whole table)"]
    return gone


def verify(con: sqlite3.Connection, path: Path) -> str | None:
    """Why ``path`` must not be written (missing protection or columns, damage), or None if it is sound."""
    gone = schema_drift(con)
    if gone:
        return (f"{path}: the project has lost column(s) that hold human work ({', '.join(gone)}); the file "
                "was altered outside qdakit (ALTER TABLE ... DROP COLUMN). Restore it from a backup; it is "
                "opened read-only, and reads of those columns fail.")
    have = {r[0]: _norm(r[1] or "") for r in con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}
    missing = [n for n in _BASE_TRIGGERS if n not in have]
    missing += [n for n, s in PROTECTIVE_TRIGGERS.items() if have.get(n) != s]
    if missing:
        return (f"{path}: the triggers that protect human codings are missing or changed "
                f"({', '.join(missing)}); the file was altered outside qdakit. Restore it from a backup, "
                "or copy its data into a new project; it is opened read-only.")
    problems = [r[0] for r in con.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        return (f"{path}: the project file is damaged ({'; '.join(problems)}); restore it from a backup. "
                "It is opened read-only.")
    orphans = con.execute("PRAGMA foreign_key_check").fetchall()
    if orphans:
        tables = sorted({r[0] for r in orphans})
        return (f"{path}: {len(orphans)} rows of {', '.join(tables)} point to rows that are gone (foreign-key "
                "check); the file was altered outside qdakit. Restore it from a backup; it is opened read-only.")
    return None


def human_codings(path: Path) -> int:
    """How many human codings (any status) the project file at ``path`` holds (0 if it has none or is no project)."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        return 0
    try:
        return int(con.execute("SELECT count(*) FROM codings").fetchone()[0])
    except sqlite3.DatabaseError:
        return 0
    finally:
        con.close()


def backup(path: Path) -> Path:
    """Copy the project at ``path`` to ``<name>.<UTC time>.bak`` beside it; returns the copy's path.

    Uses SQLite's online backup, so the copy is consistent even while another
    process writes; a file that is not a readable database is copied byte for byte.
    """
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.{stamp}.bak")
    try:
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(target)
            with dst:
                src.backup(dst)
            dst.close()
        finally:
            src.close()
    except sqlite3.DatabaseError:
        target.unlink(missing_ok=True)
        target.write_bytes(path.read_bytes())
    return target

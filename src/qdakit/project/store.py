"""The SQLite schema of a project file, its version, and transactions.

Kept apart from :mod:`qdakit.project` so the API reads as the researcher's
workflow and the SQL lives in one place. The schema protects human work in the
database itself: triggers refuse to delete a coding or to change what a coding
says (segment, code, coder, span, memo, time); only its status may move from
``active`` to ``superseded`` or ``retracted``, and only through the Project API,
which records the human who did it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from qdakit.errors import ProjectError

__all__ = ["SCHEMA_VERSION", "connect", "initialise", "check_version", "transaction"]

SCHEMA_VERSION = 4

#: statements taking a project from version N to N + 1, applied on open
_MIGRATIONS: dict[int, list[str]] = {
    1: [
        # pre-coding checkpoints: a segment is done for a model once its suggestions are stored
        'CREATE TABLE precoded (segment_id TEXT NOT NULL REFERENCES segments(id), model TEXT NOT NULL, '
        'done_at TEXT NOT NULL, PRIMARY KEY (segment_id, model))',
    ],
    2: [
        # the UNIQUE (transcript_id, idx) index already serves lookups by transcript; a second
        # index on transcript_id alone only slowed every segment insert (by a fifth)
        "DROP INDEX IF EXISTS segments_transcript",
        # adding transcripts asks for max(position): without an index that read every row,
        # past each transcript's text, once per batch chunk (quadratic in the project's size)
        "CREATE INDEX IF NOT EXISTS transcripts_position ON transcripts(position)",
        # a batch run (and its resumption) asks, chunk by chunk, which source files are done
        "CREATE INDEX IF NOT EXISTS transcripts_source ON transcripts(source)",
    ],
    # the machine as a coder: reviewed marks, cross-validated machine codings, superseded suggestions
    3: [
        # "I read this segment": with no coding by that coder, it means "no code applies"
        "CREATE TABLE IF NOT EXISTS reviewed (segment_id TEXT NOT NULL REFERENCES segments(id), "
        "coder TEXT NOT NULL CHECK (length(trim(coder)) > 0), created TEXT NOT NULL, "
        "PRIMARY KEY (segment_id, coder))",
        # the machine coder's out-of-fold codings, for agreement only (never suggestions, never
        # human codings); code_guid NULL: the machine read the segment and applied no code
        "CREATE TABLE IF NOT EXISTS machine_codings (id INTEGER PRIMARY KEY AUTOINCREMENT, run TEXT NOT NULL, "
        "segment_id TEXT NOT NULL REFERENCES segments(id), code_guid TEXT, "
        "score REAL, model TEXT NOT NULL, fold INTEGER NOT NULL, labels TEXT NOT NULL, created TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS machine_codings_segment ON machine_codings(segment_id)",
        # a pending suggestion of an earlier model, re-judged by a newer one: hidden from review and
        # export, kept for history (a table beside suggestions: their status CHECK cannot be altered
        # in place, and every statement here stays safe to run twice)
        "CREATE TABLE IF NOT EXISTS superseded_suggestions (suggestion_id INTEGER PRIMARY KEY "
        "REFERENCES suggestions(id), model TEXT NOT NULL, superseded_at TEXT NOT NULL)",
    ],
}

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE transcripts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    source TEXT,
    text TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    attributes TEXT NOT NULL DEFAULT '{}',
    imported_at TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE segments (
    id TEXT PRIMARY KEY,
    transcript_id TEXT NOT NULL REFERENCES transcripts(id),
    idx INTEGER NOT NULL,
    speaker TEXT,
    participant TEXT,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    start_time REAL,
    end_time REAL,
    question TEXT,
    UNIQUE (transcript_id, idx),  -- also the index for lookups by transcript
    CHECK (start >= 0 AND "end" >= start)
);

-- participant attributes: transcript_id '' holds attributes valid in every transcript
CREATE TABLE participant_attributes (
    participant TEXT NOT NULL,
    transcript_id TEXT NOT NULL DEFAULT '',
    attributes TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (participant, transcript_id)
);

CREATE TABLE questions (id TEXT PRIMARY KEY, text TEXT NOT NULL, position INTEGER NOT NULL);

CREATE TABLE codes (
    guid TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    parent TEXT REFERENCES codes(guid),
    description TEXT NOT NULL DEFAULT '',
    inclusion TEXT NOT NULL DEFAULT '',
    exclusion TEXT NOT NULL DEFAULT '',
    examples TEXT NOT NULL DEFAULT '[]',
    colour TEXT,
    position INTEGER NOT NULL
);

CREATE TABLE codings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    segment_id TEXT NOT NULL REFERENCES segments(id),
    code_guid TEXT NOT NULL REFERENCES codes(guid),
    coder TEXT NOT NULL CHECK (length(trim(coder)) > 0),
    start INTEGER,
    "end" INTEGER,
    memo TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'superseded', 'retracted')),
    supersedes INTEGER REFERENCES codings(id),
    status_changed_by TEXT,
    status_changed_at TEXT
);
CREATE INDEX codings_segment ON codings(segment_id);

CREATE TRIGGER codings_never_deleted BEFORE DELETE ON codings
BEGIN
    SELECT RAISE(ABORT, 'human codings are never deleted; retract or recode instead');
END;

CREATE TRIGGER codings_content_immutable
BEFORE UPDATE OF segment_id, code_guid, coder, start, "end", memo, created, supersedes ON codings
BEGIN
    SELECT RAISE(ABORT, 'a human coding cannot be changed; recode creates a new coding');
END;

CREATE TRIGGER codings_status_one_way BEFORE UPDATE OF status ON codings
WHEN OLD.status != 'active' OR NEW.status NOT IN ('superseded', 'retracted')
    OR NEW.status_changed_by IS NULL
BEGIN
    SELECT RAISE(ABORT, 'only an active coding can be superseded or retracted, by a named coder');
END;

CREATE TABLE suggestions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    segment_id TEXT NOT NULL REFERENCES segments(id),
    code_guid TEXT NOT NULL REFERENCES codes(guid),
    score REAL NOT NULL,
    model TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    created TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    coding_id INTEGER REFERENCES codings(id)
);
CREATE INDEX suggestions_segment ON suggestions(segment_id);
"""


def connect(path: str | Path) -> sqlite3.Connection:
    """Open a connection in autocommit mode; transactions are explicit."""
    con = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    return con


def initialise(con: sqlite3.Connection) -> None:
    """Create the schema in an empty database."""
    with transaction(con):
        for statement in _split(_SCHEMA):
            con.execute(statement)
        for version in sorted(_MIGRATIONS):
            for statement in _MIGRATIONS[version]:
                con.execute(statement)
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        con.execute("INSERT INTO meta VALUES ('application', 'qdakit')")


def check_version(con: sqlite3.Connection, path: Path) -> None:
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise ProjectError(
            f"{path}: not a qdakit project ({exc}). Create one with `qdakit init`."
        ) from None
    if row is None:
        raise ProjectError(f"{path}: not a qdakit project (no schema version).")
    version = int(row["value"])
    if version > SCHEMA_VERSION:
        raise ProjectError(
            f"{path}: project schema version {version} is newer than this qdakit "
            f"understands ({SCHEMA_VERSION}); upgrade qdakit."
        )
    if version < SCHEMA_VERSION:
        with transaction(con):
            for v in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[v]:
                    con.execute(statement)
            con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))


@contextmanager
def transaction(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All-or-nothing: commit if the block succeeds, roll back on any exception."""
    if con.in_transaction:  # nested: the outer transaction decides
        yield con
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")


def _split(script: str) -> list[str]:
    """Split the schema into statements, keeping trigger bodies whole."""
    statements, buf, in_trigger = [], [], False
    for line in script.splitlines():
        if line.strip().startswith("--") or not line.strip():
            continue
        buf.append(line)
        upper = line.strip().upper()
        if upper.startswith("CREATE TRIGGER"):
            in_trigger = True
        if (in_trigger and upper == "END;") or (not in_trigger and upper.endswith(";")):
            statements.append("\n".join(buf))
            buf, in_trigger = [], False
    return statements


def _sha(text: str) -> str:
    """The sha256 of a text (UTF-8), as stored in ``transcripts.sha256``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _ts(value: datetime) -> str:
    """A timestamp as stored: ISO 8601."""
    return value.isoformat()

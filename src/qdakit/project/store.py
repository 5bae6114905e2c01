"""The SQLite schema of a project file, its version, and transactions.

Kept apart from :mod:`qdakit.project` so the API reads as the researcher's
workflow and the SQL lives in one place. The schema protects human work in the
database itself: triggers refuse to delete a coding or to change what a coding
says (segment, code, coder, span, memo, time); only its status may move from
``active`` to ``superseded`` or ``retracted``, and only through the Project API,
which records the human who did it. Migration step 3 (issue 14, from
:mod:`qdakit.project.guard`) closes the raw-SQL ways around those triggers.

Writes wait for another process's write to finish: with a visible message on
standard error after a second, and a clean :class:`~qdakit.errors.ProjectBusyError`
after ``QDAKIT_BUSY_TIMEOUT`` seconds (default 60). A project that failed its
checks on open (:func:`qdakit.project.guard.verify`) refuses every write.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from qdakit.errors import ProjectBusyError, ProjectError
from qdakit.project.guard import PROTECT_STEP, verify

__all__ = ["SCHEMA_VERSION", "connect", "use_wal", "open_checked", "initialise", "check_version", "transaction"]

SCHEMA_VERSION = 7

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
    # --- step 3: the import audit (issue 15) ---------------------------------------------
    3: [
        # what the import made of each transcript file (coverage, unresolved text, speakers,
        # suspected merged turns, non-speech by kind, language), as JSON; see qdakit.io.audit
        # researchers: the speaker labels the file's own legend calls interviewers (JSON list)
        "CREATE TABLE IF NOT EXISTS import_audits (transcript_id TEXT PRIMARY KEY REFERENCES transcripts(id), "
        "language TEXT, researchers TEXT NOT NULL DEFAULT '[]', audit TEXT NOT NULL)",
    ],
    # --- step 4: the schema refuses every raw-SQL way of losing a human coding (issue 14) ----
    # (REPLACE over a coding, a changed id, deleting or replacing what a coding points to,
    # with foreign keys off too); see qdakit.project.guard.
    4: PROTECT_STEP,
    # --- step 5: the machine as a coder (issue 17): reviewed marks, cross-validated machine
    # codings, superseded suggestions
    5: [
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
    # --- step 6: the browser workbench (issue 29): a log of coders' decisions that can be undone,
    # the history of undone "no code applies" marks, codebook edits by name, anonymisation choices
    6: [
        # one row per decision a coder made in the workbench or `qdakit review` (accept, reject, recode,
        # nocode, code, retract, recode_coding); undo marks the row undone and reverses its effect
        # (a coding made is retracted, a coding retracted is restored as a new coding, suggestions go
        # back to pending): nothing is deleted
        "CREATE TABLE IF NOT EXISTS decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "coder TEXT NOT NULL CHECK (length(trim(coder)) > 0), kind TEXT NOT NULL, "
        "segment_id TEXT NOT NULL REFERENCES segments(id), suggestions TEXT NOT NULL DEFAULT '[]', "
        "coding_made INTEGER REFERENCES codings(id), coding_retracted INTEGER REFERENCES codings(id), "
        "reviewed_added INTEGER NOT NULL DEFAULT 0, detail TEXT NOT NULL DEFAULT '', created TEXT NOT NULL, "
        "undone_by TEXT, undone_at TEXT)",
        "CREATE INDEX IF NOT EXISTS decisions_coder ON decisions(coder, id)",
        # a "read, no code applies" mark withdrawn by an undo: moved here, kept with who undid it
        "CREATE TABLE IF NOT EXISTS reviewed_undone (segment_id TEXT NOT NULL, coder TEXT NOT NULL, "
        "created TEXT NOT NULL, undone_by TEXT NOT NULL, undone_at TEXT NOT NULL)",
        # what a named coder changed in the codebook (add, edit, rename, move, merge), as JSON detail
        "CREATE TABLE IF NOT EXISTS codebook_changes (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "coder TEXT NOT NULL CHECK (length(trim(coder)) > 0), action TEXT NOT NULL, code_guid TEXT, "
        "detail TEXT NOT NULL DEFAULT '{}', created TEXT NOT NULL)",
        # a human's keep-or-replace choice for a name the anonymiser found (term as it appears, its kind)
        "CREATE TABLE IF NOT EXISTS anonymise_choices (term TEXT NOT NULL, kind TEXT NOT NULL DEFAULT '', "
        "choice TEXT NOT NULL CHECK (choice IN ('keep', 'replace')), replacement TEXT NOT NULL DEFAULT '', "
        "coder TEXT NOT NULL CHECK (length(trim(coder)) > 0), created TEXT NOT NULL, PRIMARY KEY (term))",
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


class Connection(sqlite3.Connection):
    """A project connection; ``refuse_writes`` holds why writing is refused (None: writes allowed)."""

    refuse_writes: str | None = None


def connect(path: str | Path) -> Connection:
    """Open a connection in autocommit mode; transactions are explicit.

    Changes nothing in the file: :func:`use_wal` switches it to WAL once it is
    known to be a qdakit project.
    """
    con = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=1.0,
                          factory=Connection)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA foreign_keys = ON")
    return con


def use_wal(con: sqlite3.Connection) -> None:
    """Write-ahead logging (readers never wait for a writer) and the matching sync level."""
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")


def open_checked(path: Path) -> Connection:
    """Open an existing project: version check, migrations, WAL, then :func:`~qdakit.project.guard.verify`.

    A file that is not a qdakit project is left exactly as it was. A damaged,
    unprotected or read-only project opens with writes refused (``refuse_writes``).
    """
    try:
        con = connect(path)
        check_version(con, path)
    except sqlite3.DatabaseError as exc:
        raise _open_error(path, exc) from None
    try:
        use_wal(con)
    except sqlite3.OperationalError as exc:
        con.refuse_writes = str(_write_error(con, exc)).replace(" Nothing was written.", "")
    try:
        problem = verify(con, path)
    except sqlite3.DatabaseError as exc:  # the check itself could not read the file
        problem = str(_open_error(path, exc))
    if problem:
        con.refuse_writes = problem
    if con.refuse_writes:
        con.execute("PRAGMA query_only = ON")
    return con


def _open_error(path: Path, exc: sqlite3.DatabaseError) -> ProjectError:
    msg = str(exc)
    if "unable to open" in msg or "readonly" in msg or not os.access(path, os.R_OK):
        return ProjectError(f"{path}: cannot open the project ({msg}); the file or its folder is not readable "
                            "and writable by you. Fix the permissions, or copy the project to a folder you own.")
    if "malformed" in msg or "corrupt" in msg:
        return ProjectError(f"{path}: the project file is damaged ({msg}); restore it from a backup "
                            "(init --force keeps one as NAME.<time>.bak).")
    return ProjectError(f"{path}: not a qdakit project ({msg}). Create one with `qdakit init`.")


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
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        raise ProjectError(f"{path}: not a qdakit project ({exc}). Create one with `qdakit init`.") from None
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
    refused = getattr(con, "refuse_writes", None)
    if refused:
        raise ProjectError(f"{refused} Nothing was written.")
    _begin(con)
    try:
        yield con
    except BaseException as exc:
        if con.in_transaction:
            con.execute("ROLLBACK")
        if isinstance(exc, sqlite3.OperationalError):  # full disk, read-only file: one clear line
            raise _write_error(con, exc) from None
        raise
    else:
        try:
            con.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise _write_error(con, exc) from None


def _busy_timeout() -> float:
    try:
        return float(os.environ.get("QDAKIT_BUSY_TIMEOUT", "60"))
    except ValueError:
        return 60.0


def _begin(con: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE (take the write lock now), waiting visibly while another process writes."""
    deadline, told = time.monotonic() + _busy_timeout(), False
    while True:
        try:
            con.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise _write_error(con, exc) from None
            if time.monotonic() >= deadline:
                raise ProjectBusyError(
                    f"{_path(con)}: another process has been writing to the project for more than "
                    f"{_busy_timeout():.0f} s (database is locked). Wait for it to finish (or close it) and "
                    "run the command again; set QDAKIT_BUSY_TIMEOUT=SECONDS to wait longer.") from None
            if not told:
                print(f"waiting for another process writing to {_path(con)} ...", file=sys.stderr, flush=True)
                told = True


def _path(con: sqlite3.Connection) -> str:
    row = con.execute("PRAGMA database_list").fetchone()
    return row[2] if row else "the project"


def _write_error(con: sqlite3.Connection, exc: sqlite3.OperationalError) -> ProjectError:
    """A clear error for a write the file system refused (read-only file or folder, full disk)."""
    msg, path = str(exc), _path(con)
    if "readonly" in msg or "read-only" in msg or "unable to open" in msg:
        return ProjectError(f"{path}: cannot write the project ({msg}); the file or its folder is read-only. "
                            "qdakit writes the file and a -wal file beside it: make both writable, or work on a "
                            "copy. Nothing was written.")
    if "full" in msg:
        return ProjectError(f"{path}: the disk is full ({msg}); free some space and run the command again. "
                            "Nothing was written.")
    return ProjectError(f"{path}: cannot write the project ({msg}). Nothing was written.")


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

"""A qdakit project: one SQLite file holding transcripts, codebook, codings, suggestions.

Every write runs in one transaction, so a failed import or save leaves the file
as it was. Human codings are never deleted and never changed: a recode creates a
new coding that supersedes the old one (kept as history), a retraction marks a
coding retracted, and both record the human who did it. Machine suggestions are
stored apart and become codings only through :meth:`Project.accept` by a named
coder.

Examples
--------
>>> import tempfile, pathlib
>>> from qdakit import Project, Transcript, Segment, Codebook, Code
>>> path = pathlib.Path(tempfile.mkdtemp()) / "demo.qdakit"
>>> with Project.create(path) as p:
...     t = Transcript("t1", "t1", "Ann: We met monthly.")
...     _ = p.add_transcripts([(t, [Segment("t1#0", "t1", 0, "Ann", "We met monthly.", 5, 20)])])
...     _ = p.load_codebook(Codebook([Code("Communication")]))
...     c = p.code("t1#0", "Communication", coder="JR")
...     p.codings()[["segment_id", "code", "coder"]].values.tolist()
[['t1#0', 'Communication', 'JR']]
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from qdakit.errors import CodebookError, CodingError, DuplicateTranscriptError, ProjectError
from qdakit.model import (
    Code,
    Codebook,
    Coding,
    Segment,
    Transcript,
    utcnow,
)
from qdakit.project import guard, store
from qdakit.project.codebook_edits import CodebookEdits
from qdakit.project.coders import CoderRecords
from qdakit.project.decisions import DecisionLog
from qdakit.project.segment_views import SegmentViews, _segment
from qdakit.project.store import _sha, _ts
from qdakit.project.suggestions import SuggestionStore

__all__ = ["Project"]


class Project(SegmentViews, SuggestionStore, CoderRecords, DecisionLog, CodebookEdits):
    """Open a project with :meth:`create` or :meth:`open`, not the constructor.

    Machine suggestions and the pre-coding checkpoints are read and written through the methods of
    :class:`~qdakit.project.suggestions.SuggestionStore`; the logged, undoable decisions of coders
    (the workbench and ``qdakit review``) through :class:`~qdakit.project.decisions.DecisionLog`;
    codebook edits by a named coder and anonymisation choices through those of
    :class:`~qdakit.project.codebook_edits.CodebookEdits`; segments as views (the reading order, a turn's
    neighbours, the DataFrame with attributes resolved) through :class:`~qdakit.project.segment_views.SegmentViews`.
    """

    def __init__(self, path: Path, con: sqlite3.Connection) -> None:
        self.path = path
        self._con = con
        #: where :meth:`create` copied the file it replaced (``overwrite=True``), else None
        self.backup: Path | None = None

    # -- lifecycle ----------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, *, overwrite: bool = False, delete_codings: bool = False) -> Project:
        """Create a new, empty project file at ``path``.

        ``overwrite=True`` replaces an existing file, after copying it to
        ``<name>.<UTC time>.bak`` beside it; if that file holds human codings,
        ``delete_codings=True`` must say so too (CLI: ``init --force`` asks, or
        ``--yes-delete-codings``), else :class:`ProjectError` and nothing changes.
        """
        p, backup = Path(path), None
        if p.exists():
            if not overwrite:
                raise ProjectError(
                    f"{p}: already exists. Open it with Project.open, or pass "
                    "overwrite=True (CLI: --force) to start again."
                )
            n = guard.human_codings(p)
            if n and not delete_codings:
                raise ProjectError(
                    f"{p}: holds {n} human codings; replacing it would delete them. Pass delete_codings=True "
                    "(CLI: answer the prompt of init --force, or --yes-delete-codings) if you mean it; a "
                    "backup is kept either way. Nothing was changed.")
            backup = guard.backup(p)
            for suffix in ("", "-wal", "-shm"):
                Path(str(p) + suffix).unlink(missing_ok=True)
        p.parent.mkdir(parents=True, exist_ok=True)
        con = None
        try:
            con = store.connect(p)
            store.use_wal(con)
            store.initialise(con)
        except (sqlite3.DatabaseError, OSError) as exc:
            if con is not None:
                con.close()
            for suffix in ("", "-wal", "-shm", "-journal"):  # a half-made file is no project: leave none behind
                Path(str(p) + suffix).unlink(missing_ok=True)
            raise ProjectError(f"{p}: cannot create the project here ({exc}); choose a folder you can "
                               "write to, with free space. Nothing was left behind.") from None
        project = cls(p, con)
        project.backup = backup
        return project

    @classmethod
    def open(cls, path: str | Path) -> Project:
        """Open an existing project file.

        Changes nothing in a file that is not a qdakit project. A project whose
        protective triggers are missing or that fails a quick integrity or
        foreign-key check opens read-only: every write raises :class:`ProjectError`
        saying why (see :mod:`qdakit.project.guard`).
        """
        p = Path(path)
        if not p.is_file():
            raise ProjectError(f"{p}: no such project file. Create one with `qdakit init {p}`.")
        con = store.open_checked(p)
        return cls(p, con)

    def close(self) -> None:
        """Close the SQLite connection (``with Project.open(...)`` does it for you)."""
        self._con.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        n = self._scalar("SELECT count(*) FROM transcripts")
        return f"Project({str(self.path)!r}, {n} transcripts)"

    def transaction(self):  # noqa: ANN201 - context manager
        """Group several writes into one all-or-nothing transaction."""
        return store.transaction(self._con)

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._con.execute(sql, params).fetchone()
        return None if row is None else row[0]

    # -- transcripts and segments --------------------------------------------
    def add_transcripts(self, items: Iterable[tuple[Transcript, Sequence[Segment]]]) -> int:
        """Add transcripts with their segments, all or nothing. Returns how many were added.

        Raises :class:`DuplicateTranscriptError` if a transcript of the same id,
        name or text is already in the project or in ``items``. The same text
        under two transcripts of one source file (two respondents of a survey
        table who both answered "No.") is not a copy: it is stored, its digest
        salted with the transcript id.
        """
        items = list(items)
        query = "SELECT id, name, source FROM transcripts WHERE id = ? OR name = ? OR sha256 = ?"
        with store.transaction(self._con) as con:
            pos = self._scalar("SELECT coalesce(max(position), -1) FROM transcripts") + 1
            for offset, (t, segments) in enumerate(items):
                digest = _sha(t.text)
                clash = con.execute(query, (t.id, t.name, digest)).fetchone()
                if clash is not None and t.source and clash["source"] == t.source and clash["id"] != t.id \
                        and clash["name"] != t.name:
                    digest = _sha(f"{t.id}\x00{t.text}")
                    clash = con.execute(query, (t.id, t.name, digest)).fetchone()
                if clash is not None:
                    same = "the same text as" if clash["name"] != t.name else "the same name as"
                    raise DuplicateTranscriptError(
                        f"{t.source or t.name}: transcript {t.name!r} has {same} transcript "
                        f"{clash['name']!r} already in the project (from {clash['source']}). "
                        "Nothing was imported. Rename the file, or leave it out if it is a copy."
                    )
                con.execute(
                    "INSERT INTO transcripts VALUES (?,?,?,?,?,?,?,?)",
                    (t.id, t.name, t.source, t.text, digest, json.dumps(dict(t.attributes)),
                     _ts(utcnow()), pos + offset),
                )
                for s in segments:
                    if s.transcript_id != t.id or t.text[s.start : s.end] != s.text:
                        raise ProjectError(
                            f"{t.source or t.name}: segment {s.id} does not match its transcript "
                            f"text at {s.start}:{s.end}; this is a bug in the reader."
                        )
                con.executemany(
                    "INSERT INTO segments VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    [(s.id, s.transcript_id, s.index, s.speaker, s.participant, s.text, s.start,
                      s.end, s.start_time, s.end_time, s.question) for s in segments],
                )
        return len(items)

    def transcript(self, transcript_id: str) -> Transcript:
        """The transcript with this id or name; a :class:`ProjectError` if there is none."""
        row = self._con.execute(
            "SELECT * FROM transcripts WHERE id = ? OR name = ?", (transcript_id, transcript_id)
        ).fetchone()
        if row is None:
            raise ProjectError(f"no transcript {transcript_id!r} in {self.path}")
        return Transcript(row["id"], row["name"], row["text"], row["source"], json.loads(row["attributes"]))

    def iter_transcripts(self) -> Iterable[Transcript]:
        """Every transcript, in import order, one at a time (the texts are not all held at once)."""
        for row in self._con.execute("SELECT * FROM transcripts ORDER BY position"):
            yield Transcript(row["id"], row["name"], row["text"], row["source"], json.loads(row["attributes"]))

    def transcripts(self) -> pd.DataFrame:
        """One row per transcript: id, name, source, characters, segments, and its attributes."""
        rows = self._con.execute(
            "SELECT t.id, t.name, t.source, length(t.text) AS characters, t.attributes, "
            "(SELECT count(*) FROM segments s WHERE s.transcript_id = t.id) AS segments "
            "FROM transcripts t ORDER BY t.position"
        ).fetchall()
        records = [{k: r[k] for k in ("id", "name", "source", "characters", "segments")}
                   | json.loads(r["attributes"]) for r in rows]
        return pd.DataFrame.from_records(
            records, columns=None if records else ["id", "name", "source", "characters", "segments"]
        )

    def segment(self, segment_id: str) -> Segment:
        """The segment with this id (``P01_LA_Yr1#5``); a :class:`CodingError` if there is none."""
        row = self._con.execute("SELECT * FROM segments WHERE id = ?", (segment_id,)).fetchone()
        if row is None:
            raise CodingError(f"no segment {segment_id!r} in {self.path}")
        return _segment(row)

    # -- participants, attributes, questions ----------------------------------
    def set_participant_attributes(
        self,
        participant: str,
        attributes: Mapping[str, str],
        transcript_id: str | None = None,
    ) -> None:
        """Set attributes of a participant, in every transcript or in one (e.g. wave)."""
        with store.transaction(self._con) as con:
            con.execute(
                "INSERT INTO participant_attributes VALUES (?,?,?) ON CONFLICT(participant, transcript_id) "
                "DO UPDATE SET attributes = excluded.attributes",
                (participant, transcript_id or "", json.dumps(dict(attributes))),
            )

    def set_transcript_attributes(self, transcript_id: str, attributes: Mapping[str, str]) -> None:
        """Replace a transcript's attributes (``apply_attributes`` computes them from a participants file)."""
        with store.transaction(self._con) as con:
            n = con.execute("UPDATE transcripts SET attributes = ? WHERE id = ?",
                            (json.dumps(dict(attributes)), transcript_id)).rowcount
            if n == 0:
                raise ProjectError(f"no transcript {transcript_id!r} in {self.path}")

    def set_segment_participant(self, segment_id: str, participant: str | None) -> None:
        """Set (or clear, with ``None``) the participant id a segment's speaker stands for."""
        with store.transaction(self._con) as con:
            con.execute("UPDATE segments SET participant = ? WHERE id = ?", (participant, segment_id))

    def participants(self) -> pd.DataFrame:
        """One row per (participant, transcript) attribute record; transcript '' = all."""
        rows = self._con.execute(
            "SELECT participant, transcript_id, attributes FROM participant_attributes "
            "ORDER BY participant, transcript_id").fetchall()
        records = [{"participant": r[0], "transcript_id": r[1]} | json.loads(r[2]) for r in rows]
        return pd.DataFrame.from_records(records, columns=None if records else ["participant", "transcript_id"])

    def set_questions(self, questions: Sequence[tuple[str, str]]) -> None:
        """Record the focus-group questions as (id, text), in order."""
        with store.transaction(self._con) as con:
            for pos, (qid, text) in enumerate(questions):
                con.execute("INSERT INTO questions VALUES (?,?,?) ON CONFLICT(id) DO UPDATE SET "
                            "text = excluded.text, position = excluded.position", (qid, text, pos))

    def questions(self) -> pd.DataFrame:
        """The focus-group questions: one row per question, ``id`` and ``text``, in order."""
        return pd.read_sql_query("SELECT id, text FROM questions ORDER BY position", self._con)

    # -- codebook -------------------------------------------------------------
    @property
    def codebook(self) -> Codebook:
        """The project's codebook, codes in their stored order with their parents."""
        rows = self._con.execute(
            "SELECT c.*, p.name AS parent_name FROM codes c LEFT JOIN codes p ON p.guid = c.parent "
            "ORDER BY c.position").fetchall()
        return Codebook(
            Code(r["name"], r["parent_name"], r["description"], r["inclusion"], r["exclusion"],
                 tuple(json.loads(r["examples"])), r["colour"], r["guid"]) for r in rows
        )

    def load_codebook(self, codebook: Codebook, *, replace: bool = False) -> dict[str, int]:
        """Merge ``codebook`` into the project's codebook, all or nothing.

        New codes are added; codes of the same name (case-insensitive) take the
        new definition, parent and colour but keep their identity, so codings
        stay attached. With ``replace=True``, codes missing from ``codebook``
        are removed, unless a coding or suggestion uses them (then nothing
        changes and :class:`CodebookError` names them).

        A code whose guid is already in the project (a ``.qdc`` from another
        tool) is that code, renamed if its name changed.

        Returns counts: ``{"added": n, "updated": n, "renamed": n, "removed": n}``
        (``updated``: codes whose definition, parent or colour changed).
        """
        current = {c.name.casefold(): c for c in self.codebook}
        by_guid = {c.guid: c for c in current.values()}
        merged: list[Code] = []
        added = updated = renamed = 0
        matched: set[str] = set()
        for code in codebook:
            old = by_guid.get(code.guid) or current.get(code.name.casefold())
            if old is None:
                added += 1
                merged.append(code)
                continue
            matched.add(old.guid)
            renamed += old.name != code.name
            updated += ((code.parent or "").casefold(), code.description, code.inclusion, code.exclusion,
                        tuple(code.examples), code.colour) != ((old.parent or "").casefold(), old.description,
                                                               old.inclusion, old.exclusion, tuple(old.examples),
                                                               old.colour)
            merged.append(Code(code.name, code.parent, code.description, code.inclusion,
                               code.exclusion, code.examples, code.colour, old.guid))
        kept = [c for c in current.values() if c.guid not in matched]
        removed = kept if replace else []
        if not replace:
            merged = [*kept, *merged]
        # validate the final tree before writing anything
        final = Codebook(
            [Code(c.name, _parent_name(c.parent, merged), c.description, c.inclusion, c.exclusion,
                  c.examples, c.colour, c.guid) for c in merged],
            source=codebook.source,
        )
        if removed:
            used = self._con.execute(
                f"SELECT DISTINCT c.name FROM codes c WHERE c.guid IN ({','.join('?' * len(removed))}) AND "
                "(EXISTS (SELECT 1 FROM codings k WHERE k.code_guid = c.guid) OR "
                "EXISTS (SELECT 1 FROM suggestions s WHERE s.code_guid = c.guid))",
                [c.guid for c in removed]).fetchall()
            if used:
                raise CodebookError(
                    f"{codebook.source or 'codebook'}: replacing the codebook would remove codes that "
                    f"are in use: {', '.join(r[0] for r in used)}. Keep them in the file, or merge "
                    "without --replace. Nothing was changed."
                )
        by_name = {c.name: c for c in final}
        with store.transaction(self._con) as con:
            con.execute("UPDATE codes SET parent = NULL")
            for c in removed:
                # the machine's cross-validated codings of a removed code go too: left behind they would
                # read as "the machine applied no code" (they are recomputed from the human codings)
                con.execute("DELETE FROM machine_codings WHERE code_guid = ?", (c.guid,))
                con.execute("DELETE FROM codes WHERE guid = ?", (c.guid,))
            for pos, c in enumerate(final):
                # UPDATE, then INSERT if new: an upsert would fire the schema's guard against replacing a used code
                values = (c.name, c.description, c.inclusion, c.exclusion, json.dumps(list(c.examples)), c.colour,
                          pos, c.guid)
                if not con.execute("UPDATE codes SET name=?, description=?, inclusion=?, exclusion=?, examples=?, "
                                   "colour=?, position=? WHERE guid=?", values).rowcount:
                    con.execute("INSERT INTO codes (name, description, inclusion, exclusion, examples, colour, "
                                "position, guid) VALUES (?,?,?,?,?,?,?,?)", values)
            for c in final:
                if c.parent is not None:
                    con.execute("UPDATE codes SET parent = ? WHERE guid = ?", (by_name[c.parent].guid, c.guid))
        return {"added": added, "updated": updated, "renamed": renamed, "removed": len(removed)}

    def _code_guid(self, name: str) -> str:
        guid = self._scalar("SELECT guid FROM codes WHERE name = ?", (name,))
        if guid is None:
            names = [r[0] for r in self._con.execute("SELECT name FROM codes ORDER BY position LIMIT 12")]
            raise CodingError(
                f"no code {name!r} in the project's codebook (codes: {', '.join(names) or 'none'}). "
                "Load a codebook with `qdakit codebook load FILE` or add the code first."
            )
        return guid

    # -- human codings ----------------------------------------------------------
    def add_codings(self, codings: Iterable[Coding]) -> list[Coding]:
        """Store human codings, all or nothing; returns the ones added, with ids.

        A coding identical to an active one (same segment, code, coder and
        span), or to one earlier in ``codings``, is not added again, so
        re-importing a file changes nothing; ``len(codings) - len(returned)``
        were already there. A recode (``supersedes`` set) is always added.
        """
        codings = list(codings)
        guids: dict[str, str] = {}  # code name -> guid, looked up once per code
        for c in codings:
            if c.code not in guids:
                guids[c.code] = self._code_guid(c.code)
        seg_ids = list(dict.fromkeys(c.segment_id for c in codings))
        bounds = {r[0]: (r[1], r[2]) for b in range(0, len(seg_ids), 500) for r in self._con.execute(
            f'SELECT id, start, "end" FROM segments WHERE id IN ({",".join("?" * len(seg_ids[b:b + 500]))})',
            seg_ids[b:b + 500])}
        # what is there already: one set, read once, instead of a query per row (which scanned every
        # coding of the segment each time: 40,000 rows on one segment took 106 s)
        seen: set[tuple[Any, ...]] = {tuple(r) for b in range(0, len(seg_ids), 500) for r in self._con.execute(
            "SELECT segment_id, code_guid, coder, start, \"end\" FROM codings WHERE status = 'active' AND "
            f'segment_id IN ({",".join("?" * len(seg_ids[b:b + 500]))})', seg_ids[b:b + 500])}
        rows: list[tuple[Any, ...]] = []
        kept: list[Coding] = []
        stamps: dict[datetime, str] = {}
        for c in codings:
            key = (c.segment_id, guids[c.code], c.coder.strip(), c.start, c.end)
            if c.supersedes is None and key in seen:
                continue
            seen.add(key)
            if c.segment_id not in bounds:
                self.segment(c.segment_id)  # raises: no such segment
            lo, hi = bounds[c.segment_id]
            if c.start is not None and c.end is not None and not (lo <= c.start and c.end <= hi):
                raise CodingError(
                    f"coding of {c.code!r} by {c.coder} on segment {c.segment_id}: span {c.start}:{c.end} "
                    f"is outside the segment ({lo}:{hi}). Spans are offsets into the "
                    "transcript text and must lie inside the segment."
                )
            stamp = stamps.get(c.created) or stamps.setdefault(c.created, _ts(c.created))
            rows.append((*key, c.memo, stamp, c.supersedes))
            kept.append(c)
        with store.transaction(self._con) as con:
            # one statement for all rows; AUTOINCREMENT ids are consecutive inside this transaction
            # (checked below), so each coding gets its id without a round trip per row
            first = self._scalar("SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'codings'), 0), "
                                 "coalesce((SELECT max(id) FROM codings), 0))") + 1
            con.executemany("INSERT INTO codings (segment_id, code_guid, coder, start, \"end\", memo, created, "
                            "status, supersedes) VALUES (?,?,?,?,?,?,?,'active',?)", rows)
            last = self._scalar("SELECT max(id) FROM codings")
            if rows and last != first + len(rows) - 1:  # pragma: no cover - another writer inside our transaction
                raise CodingError("codings were written by someone else during this import; nothing was stored. "
                                  "Run the import again.")
        return [Coding(c.segment_id, c.code, r[2], c.start, c.end, c.memo, c.created, first + k, "active",
                       c.supersedes) for k, (c, r) in enumerate(zip(kept, rows, strict=True))]

    def _same_coding(self, segment_id: str, code_guid: str, coder: str, start: int | None,
                     end: int | None) -> int | None:
        """The id of the active coding with exactly this segment, code, coder and span, if any."""
        return self._scalar('SELECT id FROM codings WHERE status = \'active\' AND segment_id = ? AND code_guid = ? '
                            'AND coder = ? AND start IS ? AND "end" IS ? ORDER BY id LIMIT 1',
                            (segment_id, code_guid, coder, start, end))

    def code(self, segment_id: str, code: str, coder: str, *, start: int | None = None,
             end: int | None = None, memo: str = "") -> Coding:
        """Record that ``coder`` applied ``code`` to a segment (optionally a span of it).

        If that coder already has exactly this coding, it is returned and nothing is added.
        """
        c = Coding(segment_id, code, coder, start, end, memo)
        with store.transaction(self._con):
            added = self.add_codings([c])
            same = self._same_coding(segment_id, self._code_guid(code), c.coder.strip(), start, end)
            if added or same is None:
                return added[0]
            return self.coding(same)

    def recode(self, coding_id: int, code: str, coder: str, *, memo: str = "") -> Coding:
        """Replace a coding by one with another code; the old one is kept as superseded."""
        old = self.coding(coding_id)
        with store.transaction(self._con):
            new = self.add_codings([Coding(old.segment_id, code, coder, old.start, old.end, memo,
                                           supersedes=old.id)])[0]
            self._set_status(coding_id, "superseded", coder)
        return new

    def retract(self, coding_id: int, coder: str, *, memo: str = "") -> None:
        """Withdraw a coding (a human decision); it stays in the history as retracted."""
        self.coding(coding_id)
        self._set_status(coding_id, "retracted", coder)

    def _set_status(self, coding_id: int, status: str, by: str) -> None:
        if not by or not by.strip():
            raise CodingError("changing a coding's status needs a named coder")
        try:
            with store.transaction(self._con) as con:
                con.execute("UPDATE codings SET status = ?, status_changed_by = ?, status_changed_at = ? "
                            "WHERE id = ?", (status, by.strip(), _ts(utcnow()), coding_id))
        except sqlite3.IntegrityError as exc:
            raise CodingError(f"coding {coding_id}: {exc}") from None

    def coding(self, coding_id: int) -> Coding:
        """The human coding with this id, whatever its status (active, superseded or retracted)."""
        row = self._con.execute(
            "SELECT k.*, c.name AS code FROM codings k JOIN codes c ON c.guid = k.code_guid WHERE k.id = ?",
            (coding_id,)).fetchone()
        if row is None:
            raise CodingError(f"no coding with id {coding_id} in {self.path}")
        return Coding(row["segment_id"], row["code"], row["coder"], row["start"], row["end"], row["memo"],
                      datetime.fromisoformat(row["created"]), row["id"], row["status"], row["supersedes"])

    def codings(self, *, history: bool = False, coder: str | None = None,
                with_segments: bool = False) -> pd.DataFrame:
        """Human codings (active ones; ``history=True`` adds superseded and retracted).

        Columns: id, segment_id, transcript_id, code, coder, start, end, memo,
        created, status, supersedes. ``start``/``end`` are the coded span's
        offsets into the transcript, missing when the whole segment is coded.

        ``with_segments=True`` adds, in the same call, what every count needs
        beside a coding: ``coded_text`` (the coded span, or the whole segment),
        then the segment's columns as :meth:`segments` gives them: transcript
        (its name), index, speaker, participant, question, text (the whole
        segment), segment_start, segment_end, start_time, end_time,
        is_researcher, ``person`` (:func:`qdakit.project.views.person`: the
        participant id, else the speaker within the transcript) and one column
        per attribute (sector, wave, role, ...).

        Examples
        --------
        >>> df = project.codings(with_segments=True)  # doctest: +SKIP
        >>> df[~df.is_researcher].groupby(["code", "sector"]).person.nunique()  # doctest: +SKIP
        """
        sql = ("SELECT k.id, k.segment_id, s.transcript_id, c.name AS code, k.coder, k.start, k.\"end\", "
               "k.memo, k.created, k.status, k.supersedes FROM codings k "
               "JOIN codes c ON c.guid = k.code_guid JOIN segments s ON s.id = k.segment_id")
        where, params = [], []
        if not history:
            where.append("k.status = 'active'")
        if coder is not None:
            where.append("k.coder = ?")
            params.append(coder)
        if where:
            sql += " WHERE " + " AND ".join(where)
        df = pd.read_sql_query(sql + " ORDER BY k.id", self._con, params=params)
        for col in ("start", "end", "supersedes"):
            df[col] = df[col].astype("Int64")
        if with_segments:
            from qdakit.project.views import codings_with_segments

            return codings_with_segments(df, self.segments())
        return df

    def coders(self) -> list[str]:
        """The names of the coders with at least one active coding, sorted."""
        return [r[0] for r in self._con.execute(
            "SELECT DISTINCT coder FROM codings WHERE status = 'active' ORDER BY coder")]

    # -- overview -----------------------------------------------------------------
    def summary(self) -> dict[str, int]:
        """Counts of the project. ``participants`` and ``researchers`` are the distinct people
        (:func:`qdakit.project.views.person`: the participant id, else the speaker label within its
        transcript) of the non-researcher and researcher segments; ``unresolved_segments`` those with no
        speaker and no participant, as the import audit counts unresolved text."""
        from qdakit.project.views import person

        q = self._scalar
        seg = self.segments()
        who = person(seg) if len(seg) else pd.Series([], dtype=object)
        res = seg["is_researcher"].astype(bool) if len(seg) else pd.Series([], dtype=bool)
        return {
            "transcripts": q("SELECT count(*) FROM transcripts"),
            "segments": q("SELECT count(*) FROM segments"),
            "speakers": q("SELECT count(DISTINCT speaker) FROM segments"),
            "participants": int(who[~res].dropna().nunique()),
            "researchers": int(who[res].dropna().nunique()),
            "unresolved_segments": int(who.isna().sum()),
            "questions": q("SELECT count(*) FROM questions"),
            "codes": q("SELECT count(*) FROM codes"),
            "codings": q("SELECT count(*) FROM codings WHERE status = 'active'"),
            "coders": q("SELECT count(DISTINCT coder) FROM codings WHERE status = 'active'"),
            "suggestions_pending": q("SELECT count(*) FROM suggestions WHERE status = 'pending' AND id NOT IN "
                                     "(SELECT suggestion_id FROM superseded_suggestions)"),
        }


def _parent_name(parent: str | None, codes: Sequence[Code]) -> str | None:
    """Resolve a parent name case-insensitively against the merged code list."""
    if parent is None:
        return None
    for c in codes:
        if c.name.casefold() == parent.casefold():
            return c.name
    return parent

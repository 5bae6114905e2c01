"""Machine suggestions in the project file: storing them, the decisions of named human coders
(accept, reject), and the checkpoints of pre-coding runs. A suggestion becomes a human coding only
through :meth:`SuggestionStore.accept` by a named coder.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from qdakit.errors import CodingError
from qdakit.model import Coding, Suggestion, Transcript, utcnow
from qdakit.project import store
from qdakit.project.store import _sha, _ts

_FAILED = "batch_failed\t"  # meta keys of files a batch could not pre-code: prefix, model, tab, source

__all__ = ["SuggestionStore"]


class SuggestionStore:
    """The suggestion side of :class:`~qdakit.project.Project` (a mixin: it uses the project's connection)."""

    path: Path
    _con: sqlite3.Connection

    if TYPE_CHECKING:  # provided by Project
        def _code_guid(self, name: str) -> str: ...

        def code(self, segment_id: str, code: str, coder: str, *, start: int | None = None,
                 end: int | None = None, memo: str = "") -> Coding: ...

        def coding(self, coding_id: int) -> Coding: ...

    def add_suggestions(self, suggestions: Iterable[Suggestion]) -> int:
        """Store machine suggestions (pending); never touches human codings."""
        items = list(suggestions)
        if not items:
            return 0
        ids = list(dict.fromkeys(s.segment_id for s in items))
        known = set(self._in_batches("SELECT id FROM segments WHERE id IN ({})", ids))  # a batch stores thousands
        missing = [i for i in ids if i not in known]
        if missing:
            raise CodingError(f"no segment {missing[0]!r} in {self.path}"
                              + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                              + "; nothing was stored")
        guids = {c: self._code_guid(c) for c in dict.fromkeys(s.code for s in items)}
        with store.transaction(self._con) as con:
            con.executemany(
                "INSERT INTO suggestions (segment_id, code_guid, score, model, reason, status, created) "
                "VALUES (?,?,?,?,?,'pending',?)",
                [(s.segment_id, guids[s.code], float(s.score), s.model, s.reason, _ts(s.created)) for s in items])
        return len(items)

    #: a pending suggestion that a newer model has re-judged shows as "superseded" (recorded in a table
    #: beside suggestions, not as a stored status: the status CHECK of older project files cannot change)
    _STATUS = ("CASE WHEN s.status = 'pending' AND s.id IN (SELECT suggestion_id FROM superseded_suggestions) "
               "THEN 'superseded' ELSE s.status END")

    def suggestion(self, suggestion_id: int) -> Suggestion:
        """The machine suggestion with this id, with its current status."""
        row = self._con.execute(
            f"SELECT s.*, {self._STATUS} AS shown, c.name AS code, x.model AS superseded_by FROM suggestions s "
            "JOIN codes c ON c.guid = s.code_guid LEFT JOIN superseded_suggestions x ON x.suggestion_id = s.id "
            "WHERE s.id = ?", (suggestion_id,)).fetchone()
        if row is None:
            raise CodingError(f"no suggestion with id {suggestion_id} in {self.path}")
        return Suggestion(row["segment_id"], row["code"], row["score"], row["model"], row["reason"],
                          row["shown"], datetime.fromisoformat(row["created"]), row["id"],
                          row["decided_by"] or row["superseded_by"])

    def suggestions(self, status: str | None = None) -> pd.DataFrame:
        """Machine suggestions. Columns: id, segment_id, code, score, model, reason, status, decided_by, coding_id.

        ``status``: ``"pending"`` (to review: the latest model's), ``"accepted"``,
        ``"rejected"``, ``"superseded"`` (pending ones re-judged by a newer model:
        kept for history, never reviewed nor exported) or None for all.
        """
        sql = (f"SELECT s.id, s.segment_id, c.name AS code, s.score, s.model, s.reason, {self._STATUS} AS status, "
               "s.created, s.decided_by, s.coding_id FROM suggestions s JOIN codes c ON c.guid = s.code_guid")
        params: list[str] = []
        if status is not None:
            sql += f" WHERE {self._STATUS} = ?"
            params.append(status)
        return pd.read_sql_query(sql + " ORDER BY s.id", self._con, params=params)

    def supersede_suggestions(self, segment_ids: Iterable[str], model: str) -> int:
        """Mark the pending suggestions of other models on these segments as superseded by ``model``.

        Called when ``model`` has judged the segments afresh (a new pre-coding
        run): their older pending suggestions are kept for history but no longer
        shown for review nor exported, so a segment never shows the same code
        twice. Decided suggestions (accepted, rejected) stay as they are.
        Returns how many were superseded.
        """
        ids, now, n = list(dict.fromkeys(str(s) for s in segment_ids)), _ts(utcnow()), 0
        with store.transaction(self._con) as con:
            for b in range(0, len(ids), 500):
                part = ids[b:b + 500]
                n += con.execute(
                    "INSERT OR IGNORE INTO superseded_suggestions SELECT id, ?, ? FROM suggestions WHERE status = "
                    f"'pending' AND model != ? AND segment_id IN ({','.join('?' * len(part))})",
                    [model, now, model, *part]).rowcount
        return n

    def accept(self, suggestion_id: int, coder: str, *, memo: str = "") -> Coding:
        """A named human coder accepts a suggestion: it becomes that coder's coding.

        Decided inside one write transaction (the status is read under the write
        lock and changed only if still pending), so two reviewers accepting the
        same suggestion at once give one coding and one error. If the coder
        already has that code on that segment, the suggestion points to that
        coding and no second one is made.
        """
        if not coder or not coder.strip():
            raise CodingError("accepting a suggestion needs a named human coder (coder='JR')")
        with store.transaction(self._con) as con:
            s = self._decidable(suggestion_id)
            coding = self.code(s.segment_id, s.code, coder, memo=memo)  # an identical coding is not made twice
            self._decide(con, suggestion_id, "accepted", coder, coding.id)
        return coding

    def reject(self, suggestion_id: int, coder: str) -> None:
        """A named human coder rejects a suggestion; the rejection is kept for learning."""
        if not coder or not coder.strip():
            raise CodingError("rejecting a suggestion needs a named human coder")
        with store.transaction(self._con) as con:
            self._decidable(suggestion_id)
            self._decide(con, suggestion_id, "rejected", coder, None)

    def _decide(self, con: sqlite3.Connection, suggestion_id: int, status: str, coder: str,
                coding_id: int | None) -> None:
        n = con.execute("UPDATE suggestions SET status=?, decided_by=?, decided_at=?, coding_id=? "
                        "WHERE id=? AND status='pending'",
                        (status, coder.strip(), _ts(utcnow()), coding_id, suggestion_id)).rowcount
        if n != 1:  # cannot happen under the write lock; kept as the guard the conditional UPDATE gives
            raise CodingError(f"suggestion {suggestion_id} was decided by someone else meanwhile; nothing was stored")

    def _decidable(self, suggestion_id: int) -> Suggestion:
        s = self.suggestion(suggestion_id)
        if s.status == "superseded":
            raise CodingError(f"suggestion {suggestion_id} was superseded by {s.decided_by}, which judged its "
                              "segment afresh; review that model's suggestions (`qdakit suggestions`)")
        if s.status != "pending":
            raise CodingError(f"suggestion {suggestion_id} was already {s.status} by {s.decided_by}")
        return s

    def mark_precoded(self, segment_ids: Iterable[str], model: str) -> None:
        """Record that pre-coding with ``model`` finished for these segments (a checkpoint)."""
        now = _ts(utcnow())
        with store.transaction(self._con) as con:
            con.executemany("INSERT OR IGNORE INTO precoded VALUES (?,?,?)",
                            [(sid, model, now) for sid in segment_ids])

    def precoded(self, model: str, among: Iterable[str] | None = None) -> set[str]:
        """Segments already pre-coded with ``model`` (only those in ``among``, if given)."""
        if among is None:
            return {r[0] for r in self._con.execute("SELECT segment_id FROM precoded WHERE model = ?", (model,))}
        return set(self._in_batches("SELECT segment_id FROM precoded WHERE model = ? AND segment_id IN ({})",
                                    list(dict.fromkeys(among)), (model,)))

    def decided_by_humans(self, among: Iterable[str]) -> set[str]:
        """Of these segments, those a human has coded (an active coding) or marked as read."""
        ids = list(dict.fromkeys(among))
        return (set(self._in_batches("SELECT segment_id FROM codings WHERE status = 'active' AND segment_id IN ({})",
                                     ids))
                | set(self._in_batches("SELECT segment_id FROM reviewed WHERE segment_id IN ({})", ids)))

    def mark_failed(self, source: str, model: str, message: str, signature: str) -> None:
        """Record that the batch could not pre-code the file ``source`` with ``model`` (a checkpoint).

        ``signature`` (size and modification time) tells a rerun whether the
        file changed since; :meth:`failed_sources` lists what is recorded. Kept
        in ``meta`` (one key per file and model), which needs no schema step.
        """
        value = json.dumps({"message": message, "signature": signature, "at": _ts(utcnow())})
        with store.transaction(self._con) as con:
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"{_FAILED}{model}\t{source}", value))

    def failed_sources(self, model: str) -> dict[str, dict[str, str]]:
        """The files a batch with ``model`` could not pre-code: source -> {message, signature, at}."""
        prefix = f"{_FAILED}{model}\t"
        rows = self._con.execute("SELECT key, value FROM meta WHERE substr(key, 1, ?) = ?", (len(prefix), prefix))
        return {r[0][len(prefix):]: json.loads(r[1]) for r in rows}

    def clear_failed(self, source: str, model: str) -> None:
        """Forget a recorded failure (the file was pre-coded after all)."""
        with store.transaction(self._con) as con:
            con.execute("DELETE FROM meta WHERE key = ?", (f"{_FAILED}{model}\t{source}",))

    def precoded_sources(self, sources: Iterable[str], model: str) -> set[str]:
        """Of these source files, those whose transcripts a run with ``model`` has pre-coded (to resume)."""
        return set(self._in_batches(
            "SELECT DISTINCT t.source FROM transcripts t WHERE t.source IN ({}) AND EXISTS (SELECT 1 "
            "FROM segments s JOIN precoded p ON p.segment_id = s.id WHERE s.transcript_id = t.id AND p.model = ?)",
            list(dict.fromkeys(sources)), (), (model,)))

    def find_transcript(self, *, id: str | None = None, name: str | None = None,  # noqa: A002 - the column
                        text: str | None = None) -> Transcript | None:
        """The transcript with this id, name or text (the first found), or None.

        Returns a :class:`~qdakit.model.Transcript`, as :meth:`Project.transcript` does (its
        ``sha256`` is that of the text). ``t["name"]`` still works, with a DeprecationWarning.
        """
        row = self._con.execute("SELECT id, name, text, source, attributes FROM transcripts WHERE id = ? OR "
                                "name = ? OR sha256 = ?", (id, name, None if text is None else _sha(text))).fetchone()
        return None if row is None else Transcript(row["id"], row["name"], row["text"], row["source"],
                                                   json.loads(row["attributes"]))

    def coded_transcripts(self) -> list[str]:
        """Ids of the transcripts that hold an active human coding or a rejected suggestion."""
        return sorted(r[0] for r in self._con.execute(
            "SELECT DISTINCT s.transcript_id FROM segments s WHERE s.id IN "
            "(SELECT segment_id FROM codings WHERE status = 'active' UNION "
            "SELECT segment_id FROM suggestions WHERE status = 'rejected')"))

    def _in_batches(self, sql: str, values: list[str], before: tuple[Any, ...] = (),
                    after: tuple[Any, ...] = ()) -> Iterator[Any]:
        """First column of ``sql`` run over ``values`` 500 at a time (``{}``: the placeholders)."""
        for b in range(0, len(values), 500):
            part = values[b:b + 500]
            yield from (r[0] for r in self._con.execute(sql.format(",".join("?" * len(part))),
                                                          [*before, *part, *after]))

"""A coder's decisions, logged so that each can be undone: the review and hand-coding side of a project.

Every decision a named coder makes in the browser workbench or in ``qdakit review``
goes through one method here and is logged in the ``decisions`` table with what it
changed:

* :meth:`DecisionLog.decide`: on a machine suggestion, ``accept`` (it becomes the
  coder's coding), ``reject``, ``recode`` (reject it and apply another code) or
  ``nocode`` (reject every pending suggestion on the segment: the coder read it and
  no code applies);
* :meth:`DecisionLog.code_span`: hand-code a segment or an exact character span of it;
* :meth:`DecisionLog.mark_no_code`: "read, no code applies" on a turn;
* :meth:`DecisionLog.remove_coding` and :meth:`DecisionLog.recode_coding`: withdraw or
  re-code one of the coder's own codings.

:meth:`DecisionLog.undo` reverses a decision without deleting anything: a coding the
decision made is retracted, a coding it withdrew comes back as a new coding with the
same segment, code, coder and span, suggestions it decided are pending again, and a
"no code applies" mark it added is moved to ``reviewed_undone``. The decision row stays,
marked with who undid it and when. A coder undoes only their own decisions.

Each method is one write transaction, so two coders deciding at once never lose or
double a decision: the second one gets a :class:`~qdakit.errors.CodingError` saying
who decided first.

:class:`DecisionLog` is a mixin of :class:`~qdakit.project.Project`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from qdakit.errors import CodingError
from qdakit.model import Coding, Decision, Suggestion, utcnow
from qdakit.project import store
from qdakit.project.store import _ts

__all__ = ["DecisionLog", "DECISION_KINDS"]

#: what a logged decision can be
DECISION_KINDS = ("accept", "reject", "recode", "nocode", "code", "retract", "recode_coding")
_SUGGESTION_ACTIONS = ("accept", "reject", "recode", "nocode")


class DecisionLog:
    """Logged, undoable decisions of named coders (mixed into :class:`~qdakit.project.Project`)."""

    path: Path
    _con: sqlite3.Connection

    if TYPE_CHECKING:  # provided by Project and its other mixins
        def _code_guid(self, name: str) -> str: ...

        def _same_coding(self, segment_id: str, code_guid: str, coder: str, start: int | None,
                         end: int | None) -> int | None: ...

        def code(self, segment_id: str, code: str, coder: str, *, start: int | None = None,
                 end: int | None = None, memo: str = "") -> Coding: ...

        def coding(self, coding_id: int) -> Coding: ...

        def recode(self, coding_id: int, code: str, coder: str, *, memo: str = "") -> Coding: ...

        def retract(self, coding_id: int, coder: str, *, memo: str = "") -> None: ...

        def add_codings(self, codings: Any) -> list[Coding]: ...

        def segment(self, segment_id: str) -> Any: ...

        def suggestion(self, suggestion_id: int) -> Suggestion: ...

        def accept(self, suggestion_id: int, coder: str, *, memo: str = "") -> Coding: ...

        def reject(self, suggestion_id: int, coder: str) -> None: ...

        def mark_reviewed(self, segment_ids: Any, coder: str) -> int: ...

    # -- deciding on a suggestion ------------------------------------------------------
    def decide(self, suggestion_id: int, action: str, coder: str, *, code: str | None = None) -> Decision:
        """A named coder's decision on a pending suggestion, logged so it can be undone.

        ``action``: ``"accept"``, ``"reject"``, ``"recode"`` (reject, and apply ``code``
        to the segment instead) or ``"nocode"`` (reject every pending suggestion on the
        segment and mark it read: no code applies). Raises :class:`CodingError` if the
        suggestion was decided meanwhile (naming who decided it) and stores nothing.

        Examples
        --------
        >>> d = project.decide(12, "accept", "JR")          # doctest: +SKIP
        >>> project.undo(coder="JR").kind                   # doctest: +SKIP
        'accept'
        """
        coder = _coder(coder)
        if action not in _SUGGESTION_ACTIONS:
            raise CodingError(f"unknown decision {action!r} on suggestion {suggestion_id}; use one of "
                              f"{', '.join(_SUGGESTION_ACTIONS)}")
        if action == "recode" and not code:
            raise CodingError(f"recoding suggestion {suggestion_id} needs the code to apply instead")
        with store.transaction(self._con):
            s = self.suggestion(suggestion_id)
            made: int | None = None
            decided = [suggestion_id]
            reviewed = 0
            if action == "accept":
                before = self._same_coding(s.segment_id, self._code_guid(s.code), coder, None, None)
                coding = self.accept(suggestion_id, coder)
                made = coding.id if before is None else None
            elif action == "reject":
                self.reject(suggestion_id, coder)
            elif action == "recode":
                assert code is not None
                self.reject(suggestion_id, coder)
                made = self._code_new(s.segment_id, code, coder, None, None, f"recoded suggestion {suggestion_id}")
            else:
                self.reject(suggestion_id, coder)  # raises if someone decided it meanwhile
                others = self._pending_on(s.segment_id)
                for sid in others:
                    self.reject(sid, coder)
                decided += others
                reviewed = self.mark_reviewed([s.segment_id], coder)
            return self._log_decision(coder, action, s.segment_id, decided, made, None, reviewed,
                             (code or "") if action == "recode" else s.code)

    # -- hand-coding ---------------------------------------------------------------------
    def code_span(self, segment_id: str, code: str, coder: str, *, start: int | None = None,
                  end: int | None = None, memo: str = "") -> Decision:
        """``coder`` applies ``code`` to a segment or to the span ``start:end`` of it (transcript offsets).

        Logged, so :meth:`undo` can withdraw it. If the coder already has exactly this
        coding nothing new is made and the decision records that (undo then changes nothing).
        """
        coder = _coder(coder)
        with store.transaction(self._con):
            made = self._code_new(segment_id, code, coder, start, end, memo)
            return self._log_decision(coder, "code", segment_id, [], made, None, 0,
                             code if start is None else f"{code} {start}:{end}")

    def mark_no_code(self, segment_id: str, coder: str) -> Decision:
        """``coder`` read the segment and no code applies: a reviewed mark; pending suggestions on it are rejected."""
        coder = _coder(coder)
        with store.transaction(self._con):
            self.segment(segment_id)
            pending = self._pending_on(segment_id)
            for sid in pending:
                self.reject(sid, coder)
            added = self.mark_reviewed([segment_id], coder)
            return self._log_decision(coder, "nocode", segment_id, pending, None, None, added, "")

    def remove_coding(self, coding_id: int, coder: str) -> Decision:
        """Withdraw one of ``coder``'s own codings (it is retracted, kept in the history)."""
        coder = _coder(coder)
        with store.transaction(self._con):
            old = self._own_active(coding_id, coder)
            self.retract(coding_id, coder, memo="removed in the workbench")
            return self._log_decision(coder, "retract", old.segment_id, [], None, coding_id, 0, old.code)

    def recode_coding(self, coding_id: int, code: str, coder: str) -> Decision:
        """Replace one of ``coder``'s own codings by one with ``code`` (same span); the old one is superseded."""
        coder = _coder(coder)
        with store.transaction(self._con):
            old = self._own_active(coding_id, coder)
            new = self.recode(coding_id, code, coder)
            return self._log_decision(coder, "recode_coding", old.segment_id, [], new.id, coding_id, 0,
                             f"{old.code} -> {code}")

    # -- undo ----------------------------------------------------------------------------
    def undo(self, decision_id: int | None = None, *, coder: str) -> Decision:
        """Undo ``coder``'s decision ``decision_id`` (default: their latest one not yet undone).

        Nothing is deleted: a coding the decision made is retracted, a coding it withdrew
        comes back as a new coding, the suggestions it decided are pending again and a
        "no code applies" mark it added moves to the history. Raises :class:`CodingError`
        when there is nothing to undo, the decision is another coder's or already undone,
        or its coding was changed since (undo that change first).
        """
        coder = _coder(coder)
        with store.transaction(self._con) as con:
            if decision_id is None:
                row = con.execute("SELECT * FROM decisions WHERE coder = ? AND undone_at IS NULL "
                                  "ORDER BY id DESC LIMIT 1", (coder,)).fetchone()
                if row is None:
                    raise CodingError(f"{coder} has no decision left to undo in {self.path}")
            else:
                row = con.execute("SELECT * FROM decisions WHERE id = ?", (decision_id,)).fetchone()
                if row is None:
                    raise CodingError(f"no decision {decision_id} in {self.path}")
                if row["coder"] != coder:
                    raise CodingError(f"decision {decision_id} was made by {row['coder']}; only they can undo it")
                if row["undone_at"] is not None:
                    raise CodingError(f"decision {decision_id} was already undone by {row['undone_by']}")
            now = _ts(utcnow())
            if row["coding_made"] is not None:
                made = self.coding(int(row["coding_made"]))
                if made.status != "active":
                    raise CodingError(f"decision {row['id']}: its coding {made.id} was {made.status} since; "
                                      "undo that change first. Nothing was changed.")
                self.retract(int(row["coding_made"]), coder, memo=f"undo of decision {row['id']}")
            if row["coding_retracted"] is not None:
                old = self.coding(int(row["coding_retracted"]))
                self.add_codings([Coding(old.segment_id, old.code, old.coder, old.start, old.end, old.memo)])
            for sid in json.loads(row["suggestions"]):
                con.execute("UPDATE suggestions SET status = 'pending', decided_by = NULL, decided_at = NULL, "
                            "coding_id = NULL WHERE id = ?", (int(sid),))
            if row["reviewed_added"]:
                kept = con.execute("SELECT * FROM reviewed WHERE segment_id = ? AND coder = ?",
                                   (row["segment_id"], coder)).fetchone()
                if kept is not None:
                    con.execute("INSERT INTO reviewed_undone VALUES (?,?,?,?,?)",
                                (kept["segment_id"], kept["coder"], kept["created"], coder, now))
                    con.execute("DELETE FROM reviewed WHERE segment_id = ? AND coder = ?", (row["segment_id"], coder))
            con.execute("UPDATE decisions SET undone_by = ?, undone_at = ? WHERE id = ?", (coder, now, row["id"]))
            return self.decision(int(row["id"]))

    # -- reading the log -------------------------------------------------------------------
    def decision(self, decision_id: int) -> Decision:
        """The logged decision with this id (what a coder did, and whether it was undone)."""
        row = self._con.execute("SELECT * FROM decisions WHERE id = ?", (decision_id,)).fetchone()
        if row is None:
            raise CodingError(f"no decision {decision_id} in {self.path}")
        return _decision(row)

    def decisions(self, *, coder: str | None = None, limit: int | None = None,
                  include_undone: bool = True) -> pd.DataFrame:
        """The decision log, newest first. Columns: id, coder, kind, segment_id, suggestions,
        coding_made, coding_retracted, reviewed_added, detail, created, undone_by, undone_at."""
        sql, params = "SELECT * FROM decisions", []
        where = []
        if coder is not None:
            where.append("coder = ?")
            params.append(coder)
        if not include_undone:
            where.append("undone_at IS NULL")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        df = pd.read_sql_query(sql, self._con, params=params)
        for col in ("coding_made", "coding_retracted"):
            df[col] = df[col].astype("Int64")
        return df

    # -- helpers -------------------------------------------------------------------------------
    def _code_new(self, segment_id: str, code: str, coder: str, start: int | None, end: int | None,
                  memo: str) -> int | None:
        """Apply a code; the id of the coding made, or None if the coder already had exactly it."""
        if self._same_coding(segment_id, self._code_guid(code), coder, start, end) is not None:
            return None
        return self.code(segment_id, code, coder, start=start, end=end, memo=memo).id

    def _own_active(self, coding_id: int, coder: str) -> Coding:
        c = self.coding(coding_id)
        if c.coder != coder:
            raise CodingError(f"coding {coding_id} is {c.coder}'s; a coder changes only their own codings "
                              "(code the segment yourself instead)")
        if c.status != "active":
            raise CodingError(f"coding {coding_id} was already {c.status}; nothing was changed")
        return c

    def _pending_on(self, segment_id: str) -> list[int]:
        return [int(r[0]) for r in self._con.execute(
            "SELECT id FROM suggestions WHERE segment_id = ? AND status = 'pending' AND id NOT IN "
            "(SELECT suggestion_id FROM superseded_suggestions) ORDER BY id", (segment_id,))]

    def _log_decision(self, coder: str, kind: str, segment_id: str, suggestions: Sequence[int], made: int | None,
             retracted: int | None, reviewed: int, detail: str) -> Decision:
        cur = self._con.execute(
            "INSERT INTO decisions (coder, kind, segment_id, suggestions, coding_made, coding_retracted, "
            "reviewed_added, detail, created) VALUES (?,?,?,?,?,?,?,?,?)",
            (coder, kind, segment_id, json.dumps([int(s) for s in suggestions]), made, retracted,
             int(bool(reviewed)), detail, _ts(utcnow())))
        assert cur.lastrowid is not None
        return self.decision(cur.lastrowid)


def _coder(coder: str) -> str:
    if not coder or not str(coder).strip():
        raise CodingError("a decision needs the name of the human coder who makes it (coder='JR'; "
                          "qdakit serve --coder JR)")
    return str(coder).strip()


def _decision(row: sqlite3.Row) -> Decision:
    return Decision(
        id=row["id"], coder=row["coder"], kind=row["kind"], segment_id=row["segment_id"],
        suggestions=tuple(int(s) for s in json.loads(row["suggestions"])),
        coding_made=row["coding_made"], coding_retracted=row["coding_retracted"],
        reviewed_added=bool(row["reviewed_added"]), detail=row["detail"],
        created=datetime.fromisoformat(row["created"]),
        undone_by=row["undone_by"],
        undone_at=None if row["undone_at"] is None else datetime.fromisoformat(row["undone_at"]))

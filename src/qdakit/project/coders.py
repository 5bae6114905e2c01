"""What the coders read, and what the machine coded: reviewed marks and machine codings.

Three records that sit beside human codings and never change them:

* **reviewed marks** (table ``reviewed``): a named human read a segment. With
  no coding of theirs on it, the mark says "no code applies": the segment is
  a negative for every code, and a unit of agreement where that coder found
  nothing. :meth:`CoderRecords.mark_reviewed` adds them;
* **machine codings** (table ``machine_codings``): the machine coder's
  out-of-fold codings of the segments humans coded or read (see
  :mod:`qdakit.suggest.crossval`), stored for agreement only: they are not
  suggestions (nothing to review or accept) and not human codings. A new run
  replaces the previous one; ``labels`` records which human labels it
  learned from, so a caller can tell whether it is still current
  (:meth:`CoderRecords.labels_version`);
* **stored results** (rows ``result:<name>`` of ``meta``): tables derived
  from the codings, such as the machine's learning curves, kept under a key
  naming what they were made from, so a report of an unchanged project
  reuses them (:meth:`CoderRecords.stored_result`).

:class:`CoderRecords` is a base class (a mixin) of :class:`~qdakit.project.Project`,
which provides the connection (``_con``), ``path`` and ``_code_guid``.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from qdakit.errors import CodingError
from qdakit.model import utcnow
from qdakit.project import store
from qdakit.project.store import _ts

__all__ = ["CoderRecords"]


class CoderRecords:
    """Reviewed marks and machine codings of a project (mixed into :class:`Project`)."""

    path: Path
    _con: sqlite3.Connection

    if TYPE_CHECKING:  # provided by Project
        def _code_guid(self, name: str) -> str: ...

    # -- reviewed ("I read this segment") -------------------------------------------
    def mark_reviewed(self, segment_ids: Iterable[str], coder: str) -> int:
        """Record that ``coder`` read these segments; where they coded nothing, no code applies.

        Marks already there are kept as they were. All or nothing: an unknown
        segment id stores no mark. Returns how many marks were added.

        Examples
        --------
        >>> project.mark_reviewed(["P01#3", "P01#4"], "JR")  # doctest: +SKIP
        2
        """
        if not coder or not str(coder).strip():
            raise CodingError("a reviewed mark needs the name of the human coder who read the segments")
        ids = list(dict.fromkeys(str(s) for s in segment_ids))
        known = {r[0] for r in self._con.execute(
            f"SELECT id FROM segments WHERE id IN ({','.join('?' * len(ids))})", ids)} if ids else set()
        missing = [i for i in ids if i not in known]
        if missing:
            raise CodingError(f"no segment {missing[0]!r} in {self.path}"
                              + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                              + "; no segment was marked reviewed. Segment ids are listed by Project.segments()"
                              " (or `qdakit export --quotes`).")
        now = _ts(utcnow())
        with store.transaction(self._con) as con:
            before = con.total_changes
            con.executemany("INSERT OR IGNORE INTO reviewed VALUES (?,?,?)", [(i, coder.strip(), now) for i in ids])
            return int(con.total_changes - before)

    def reviewed(self, *, coder: str | None = None, uncoded: bool = False) -> pd.DataFrame:
        """Reviewed marks. Columns: segment_id, transcript_id, coder, created, coded.

        ``coded`` says whether that coder has an active coding on the segment;
        ``uncoded=True`` keeps only the marks without one ("no code applies").
        """
        sql = ("SELECT r.segment_id, s.transcript_id, r.coder, r.created, EXISTS (SELECT 1 FROM codings k "
               "WHERE k.segment_id = r.segment_id AND k.coder = r.coder AND k.status = 'active') AS coded "
               "FROM reviewed r JOIN segments s ON s.id = r.segment_id")
        params: list[str] = []
        if coder is not None:
            sql += " WHERE r.coder = ?"
            params.append(coder)
        df = pd.read_sql_query(sql + " ORDER BY s.transcript_id, s.idx, r.coder", self._con, params=params)
        df["coded"] = df["coded"].astype(bool)
        return df[~df["coded"]].reset_index(drop=True) if uncoded else df

    # -- machine codings (agreement only) -------------------------------------------
    def labels_version(self) -> str:
        """12 hex digits naming the human labels: active codings, reviewed marks, rejections, codebook.

        Stored with machine codings, so that they can be recognised as stale
        once a human codes, reviews or rejects anything more.
        """
        h = hashlib.sha256()
        for sql in ("SELECT segment_id, code_guid, coder FROM codings WHERE status = 'active' "
                    "ORDER BY segment_id, code_guid, coder",
                    "SELECT segment_id, coder FROM reviewed ORDER BY segment_id, coder",
                    "SELECT segment_id, code_guid FROM suggestions WHERE status = 'rejected' "
                    "ORDER BY segment_id, code_guid",
                    "SELECT guid, name, description, inclusion, examples FROM codes ORDER BY guid"):
            for row in self._con.execute(sql):
                h.update(("\x1f".join(map(str, tuple(row))) + "\x1e").encode())
            h.update(b"\x1d")
        return h.hexdigest()[:12]

    def set_machine_codings(self, frame: pd.DataFrame, *, run: str, labels: str) -> int:
        """Replace the stored machine codings by ``frame`` (one cross-validation run).

        ``frame`` has columns ``segment_id``, ``code`` (missing: read, no
        code), ``score``, ``model``, ``fold``. Machine codings are not human
        codings: replacing them touches no coding and no suggestion.
        """
        need = {"segment_id", "code", "score", "model", "fold"}
        if not need <= set(frame.columns):
            raise CodingError(f"machine codings need columns {sorted(need)}; got {list(frame.columns)}")
        guids = {c: self._code_guid(c) for c in frame["code"].dropna().unique()}
        now = _ts(utcnow())
        rows = [(run, str(r.segment_id), guids[r.code] if pd.notna(r.code) else None,
                 None if pd.isna(r.score) else float(r.score), str(r.model), int(r.fold), labels, now)
                for r in frame.itertuples()]
        with store.transaction(self._con) as con:
            con.execute("DELETE FROM machine_codings")
            con.executemany("INSERT INTO machine_codings (run, segment_id, code_guid, score, model, fold, labels, "
                            "created) VALUES (?,?,?,?,?,?,?,?)", rows)
        return len(rows)

    def machine_codings(self) -> pd.DataFrame:
        """The stored machine codings. Columns: segment_id, transcript_id, code, score, model, fold, run,
        labels, created; ``code`` is None where the machine read a segment and applied no code."""
        df = pd.read_sql_query(
            "SELECT m.segment_id, s.transcript_id, c.name AS code, m.score, m.model, m.fold, m.run, m.labels, "
            "m.created FROM machine_codings m JOIN segments s ON s.id = m.segment_id "
            "LEFT JOIN codes c ON c.guid = m.code_guid ORDER BY m.id", self._con)
        df["code"] = df["code"].astype(object).where(df["code"].notna(), None)
        return df

    # -- derived results kept while their inputs are unchanged ---------------------
    def stored_result(self, name: str, key: str) -> pd.DataFrame | None:
        """A table stored by :meth:`store_result` under ``name``, if it was made with the same ``key``.

        ``key`` names everything the table was computed from (e.g. :meth:`labels_version`, the
        settings and the model id); another key means the stored table is stale: None.
        """
        row = self._con.execute("SELECT value FROM meta WHERE key = ?", (f"result:{name}",)).fetchone()
        if row is None:
            return None
        stored = json.loads(row[0])
        if stored.get("key") != key:
            return None
        return pd.read_json(io.StringIO(stored["frame"]), orient="split")

    def store_result(self, name: str, key: str, frame: pd.DataFrame) -> None:
        """Keep a derived table (e.g. the machine's learning curves) until its ``key`` changes."""
        value = json.dumps({"key": key, "frame": frame.to_json(orient="split", index=False)})
        with store.transaction(self._con) as con:
            con.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        (f"result:{name}", value))

"""Segments as the analysis sees them: in reading order, with a turn's neighbours, and as a DataFrame with
participant and transcript attributes resolved and researchers marked.

:class:`SegmentViews` is a mixin of :class:`~qdakit.project.Project` (it uses the project's connection); reading
only, it never writes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from qdakit.model import RESEARCHER_ROLES, Segment, looks_like_researcher

__all__ = ["SegmentViews"]


class SegmentViews:
    """Reading segments (mixed into :class:`~qdakit.project.Project`)."""

    path: Path
    _con: sqlite3.Connection

    if TYPE_CHECKING:  # provided by Project
        def segment(self, segment_id: str) -> Segment: ...

    def iter_segments(self, transcript_id: str | None = None) -> Iterable[Segment]:
        """Every segment (or one transcript's), in transcript order, as :class:`Segment` objects."""
        sql = "SELECT s.* FROM segments s JOIN transcripts t ON t.id = s.transcript_id"
        params: tuple[str, ...] = ()
        if transcript_id is not None:
            sql += " WHERE s.transcript_id = ?"
            params = (transcript_id,)
        for row in self._con.execute(sql + " ORDER BY t.position, s.idx", params):
            yield _segment(row)

    def neighbours(self, segment_id: str, before: int = 2, after: int = 1) -> tuple[list[Segment], list[Segment]]:
        """The ``before`` segments just before ``segment_id`` in its transcript and the ``after`` just after it."""
        seg = self.segment(segment_id)
        rows = self._con.execute("SELECT * FROM segments WHERE transcript_id = ? AND idx BETWEEN ? AND ? ORDER BY idx",
                                 (seg.transcript_id, seg.index - before, seg.index + after)).fetchall()
        found = [_segment(r) for r in rows]
        return [s for s in found if s.index < seg.index], [s for s in found if s.index > seg.index]

    def segments(self, transcript_id: str | None = None) -> pd.DataFrame:
        """One row per segment with its attributes resolved.

        Columns: id, transcript_id, transcript, index, speaker, participant,
        question, text, start, end, start_time, end_time, then one column per
        attribute (transcript attributes overlaid by the participant's), and
        ``is_researcher`` (the speaker's own ``role`` is researcher, interviewer,
        moderator or facilitator; without one, the label reads like one (``I``,
        ``Interviewer`` ...) or the transcript's legend calls the speaker an
        interviewer; only then the transcript's ``role``).
        """
        sql = ("SELECT s.*, t.name AS transcript, t.attributes AS t_attrs FROM segments s "
               "JOIN transcripts t ON t.id = s.transcript_id")
        params: tuple[str, ...] = ()
        if transcript_id is not None:
            sql += " WHERE s.transcript_id = ?"
            params = (transcript_id,)
        rows = self._con.execute(sql + " ORDER BY t.position, s.idx", params).fetchall()
        pattrs = self._participant_attributes()
        legend = {r[0]: set(json.loads(r[1])) for r in self._con.execute(
            "SELECT transcript_id, researchers FROM import_audits")}
        records = []
        t_attrs: dict[str, dict[str, str]] = {}  # each transcript's attributes parsed once, not once per segment
        for r in rows:
            if r["transcript_id"] not in t_attrs:
                t_attrs[r["transcript_id"]] = json.loads(r["t_attrs"])
            attrs = dict(t_attrs[r["transcript_id"]])
            own: dict[str, str] = {}  # the speaker's own rows win over the transcript's for role
            if r["participant"] is not None:
                own = pattrs.get((r["participant"], ""), {}) | pattrs.get((r["participant"], r["transcript_id"]), {})
                attrs |= own
            rec = {
                "id": r["id"], "transcript_id": r["transcript_id"], "transcript": r["transcript"],
                "index": r["idx"], "speaker": r["speaker"], "participant": r["participant"],
                "question": r["question"], "text": r["text"], "start": r["start"], "end": r["end"],
                "start_time": r["start_time"], "end_time": r["end_time"],
            }
            rec |= {k: v for k, v in attrs.items() if k not in rec}
            role = str(own.get("role", "")).strip().lower()
            if not role and (looks_like_researcher(r["speaker"]) or r["speaker"] in legend.get(r["transcript_id"], ())):
                role = "interviewer"  # an 'I:'/'Interviewer' label is never counted by a transcript-level role
            role = role or str(attrs.get("role", "")).strip().lower()
            rec["is_researcher"] = role in RESEARCHER_ROLES
            records.append(rec)
        base = ["id", "transcript_id", "transcript", "index", "speaker", "participant", "question",
                "text", "start", "end", "start_time", "end_time", "is_researcher"]
        df = pd.DataFrame.from_records(records, columns=None if records else base)
        extra = [c for c in df.columns if c not in base]
        return df[base + extra]

    def _participant_attributes(self) -> dict[tuple[str, str], dict[str, str]]:
        return {(r[0], r[1]): json.loads(r[2]) for r in
                self._con.execute("SELECT participant, transcript_id, attributes FROM participant_attributes")}


def _segment(row: sqlite3.Row) -> Segment:
    return Segment(row["id"], row["transcript_id"], row["idx"], row["speaker"], row["text"], row["start"],
                   row["end"], row["start_time"], row["end_time"], row["question"], row["participant"])

"""Replacing the segments of a transcript already in a project (``qdakit import --resplit``).

A transcript imported before a reader rule existed (a turn merged into the
previous speaker's) can be cut again, but only while no human decision rests
on its segments: a segment's id is its transcript and its position, so
re-cutting renumbers every segment after the first change, and a human coding
would have to move. :func:`resegment_blockers` counts what would have to move;
:func:`replace_segments` refuses while any of it exists (the schema's triggers
refuse too), and otherwise swaps the segments in one transaction, dropping only
machine output that pointed at the old segments (pending suggestions,
pre-coding marks, the machine coder's codings), which is counted and can be
produced again.
"""

from __future__ import annotations

from collections.abc import Sequence

from qdakit.errors import ProjectError
from qdakit.model import Segment
from qdakit.project.project import Project

__all__ = ["resegment_blockers", "refuse_resegmenting", "replace_segments"]

_OF = "IN (SELECT id FROM segments WHERE transcript_id = ?)"
#: human decisions on a transcript's segments, which a re-cut would have to move
_BLOCKERS = {
    "human codings": f"SELECT count(*) FROM codings WHERE segment_id {_OF}",
    "reviewed marks": f"SELECT count(*) FROM reviewed WHERE segment_id {_OF}",
    "decided suggestions": f"SELECT count(*) FROM suggestions WHERE status != 'pending' AND segment_id {_OF}",
}
#: machine output on them, dropped by a re-cut (statements run in this order)
_MACHINE = {
    "superseded marks": "DELETE FROM superseded_suggestions WHERE suggestion_id IN "
                        f"(SELECT id FROM suggestions WHERE segment_id {_OF})",
    "pending suggestions": f"DELETE FROM suggestions WHERE segment_id {_OF}",
    "pre-coding marks": f"DELETE FROM precoded WHERE segment_id {_OF}",
    "machine codings": f"DELETE FROM machine_codings WHERE segment_id {_OF}",
}


def resegment_blockers(project: Project, transcript_id: str) -> dict[str, int]:
    """``{what: how many}`` of the human decisions on a transcript's segments (codings of any status,
    reviewed marks, accepted or rejected suggestions); empty when it can be re-cut."""
    counts = {what: int(project._scalar(sql, (transcript_id,))) for what, sql in _BLOCKERS.items()}
    return {what: n for what, n in counts.items() if n}


def refuse_resegmenting(project: Project, transcript_id: str, name: str) -> None:
    """Raise :class:`ProjectError` saying how many human decisions a re-cut would have to move, if any."""
    blockers = resegment_blockers(project, transcript_id)
    if blockers:
        raise ProjectError(f"{name}: re-splitting would have to move "
                           + ", ".join(f"{n} {what}" for what, n in blockers.items())
                           + " to new segments; nothing was changed. qdakit never moves a human decision: "
                           "leave the transcript as it is, or import the file again under a new name and code it there")


def replace_segments(project: Project, transcript_id: str, segments: Sequence[Segment]) -> dict[str, int]:
    """Replace a transcript's segments with ``segments``; returns ``{machine output: rows dropped}``.

    Raises :class:`ProjectError` naming how many human decisions would have to
    move when there are any; then nothing changes.
    """
    t = project.transcript(transcript_id)
    for s in segments:
        if s.transcript_id != t.id or t.text[s.start:s.end] != s.text:
            raise ProjectError(f"{t.name}: segment {s.id} does not match the stored transcript text at "
                               f"{s.start}:{s.end}; nothing was changed (a reader bug; please report it)")
    dropped: dict[str, int] = {}
    with project.transaction() as con:
        refuse_resegmenting(project, t.id, t.name)  # inside the transaction: nothing can slip in between
        for what, sql in _MACHINE.items():
            n = con.execute(sql, (t.id,)).rowcount
            if n:
                dropped[what] = n
        con.execute("DELETE FROM segments WHERE transcript_id = ?", (t.id,))
        con.executemany(
            "INSERT INTO segments VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(s.id, s.transcript_id, s.index, s.speaker, s.participant, s.text, s.start, s.end,
              s.start_time, s.end_time, s.question) for s in segments])
    return dropped

"""What each workbench page shows, read from the project: plain dataclasses for the templates.

No statistic or rule lives here: progress is counted by the project's own views, the
review queue's order comes from :mod:`qdakit.suggest`, agreement from
:mod:`qdakit.agreement`. What this module owns is the shape of a page: a transcript
cut into the pieces its codings' spans make (so that a highlight is exactly the
stored span), the chips beside each turn, the suggestion under review and its context.

Offsets: every piece carries its start offset into the transcript text (a Python
``str`` index, i.e. code points), so the page's script turns a browser selection into
exact transcript offsets whatever the text holds (emoji, combining accents, CJK). A
carriage return is a piece of its own rendered empty, since HTML parsing turns CR LF
into LF and the offsets would otherwise drift.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from qdakit.project import Project
from qdakit.project.audits import load_audits

__all__ = ["Piece", "Chip", "Turn", "TranscriptRow", "transcript_rows", "transcript_turns", "turn",
           "code_classes", "ReviewItem", "review_item", "review_queue", "reading_order", "recent_codes"]

_PALETTE = 12  # colour classes c0 ... c11 in workbench.css


@dataclass(frozen=True)
class Piece:
    """A run of transcript text with the same codings over it."""

    start: int
    text: str
    own: tuple[int, ...] = ()
    other: tuple[int, ...] = ()
    cr: bool = False
    colour: str = ""
    codes: str = ""


@dataclass(frozen=True)
class Chip:
    """A coding (human) or a pending suggestion (machine) shown beside a turn."""

    id: int
    code: str
    colour: str
    coder: str = ""
    span: tuple[int, int] | None = None
    excerpt: str = ""
    score: float | None = None
    reason: str = ""


@dataclass
class Turn:
    id: str
    index: int
    speaker: str
    start: int
    end: int
    researcher: bool
    pieces: list[Piece] = field(default_factory=list)
    own: list[Chip] = field(default_factory=list)
    other: list[Chip] = field(default_factory=list)
    suggestions: list[Chip] = field(default_factory=list)
    read_no_code: bool = False


@dataclass(frozen=True)
class TranscriptRow:
    id: str
    name: str
    segments: int
    participant_segments: int
    coded: int
    read_no_code: int
    pending: int
    language: str
    warnings: tuple[str, ...]


def code_classes(project: Project) -> dict[str, str]:
    """A colour class per code name, by its place in the codebook (stable across pages)."""
    return {name: f"c{i % _PALETTE}" for i, name in enumerate(project.codebook.names)}


def transcript_rows(project: Project, coder: str) -> list[TranscriptRow]:
    """Every transcript with this coder's progress and its import audit's warnings."""
    segs = project.segments()[["id", "transcript_id", "is_researcher"]]
    by_t = segs.groupby("transcript_id", sort=False)
    mine = project.codings(coder=coder)
    coded = mine.groupby("transcript_id")["segment_id"].nunique() if len(mine) else pd.Series(dtype=int)
    nocode = project.reviewed(coder=coder, uncoded=True)
    nocode_n = nocode.groupby("transcript_id").size() if len(nocode) else pd.Series(dtype=int)
    pending = project.suggestions(status="pending")
    seg_t = dict(zip(segs["id"], segs["transcript_id"], strict=True))
    pending_n = pending["segment_id"].map(seg_t).value_counts() if len(pending) else pd.Series(dtype=int)
    audits = load_audits(project)
    rows = []
    for t in project.transcripts().itertuples():
        g = by_t.get_group(t.id) if t.id in by_t.groups else segs.iloc[:0]
        audit = audits.get(t.id, {})
        rows.append(TranscriptRow(
            id=t.id, name=t.name, segments=len(g), participant_segments=int((~g["is_researcher"]).sum()),
            coded=int(coded.get(t.id, 0)), read_no_code=int(nocode_n.get(t.id, 0)),
            pending=int(pending_n.get(t.id, 0)), language=str(audit.get("language") or ""),
            warnings=tuple(_audit_warnings(audit))))
    return rows


def _audit_warnings(audit: dict[str, Any]) -> list[str]:
    """The import audit's warnings (coverage, unresolved text, suspected merged turns, flagged speakers)."""
    found = [str(w) for w in audit.get("warnings") or []]
    return found[:4] + ([f"and {len(found) - 4} more (qdakit import --check)"] if len(found) > 4 else [])


def transcript_turns(project: Project, transcript_id: str, coder: str,
                     segment_ids: set[str] | None = None) -> list[Turn]:
    """The transcript as turns, each cut into pieces by the codings' spans, with its chips."""
    text = project.transcript(transcript_id).text
    segs = project.segments(transcript_id)
    if segment_ids is not None:
        segs = segs[segs["id"].isin(segment_ids)]
    colours = code_classes(project)
    codings = project.codings()
    codings = codings[codings["transcript_id"] == transcript_id]
    by_seg: dict[str, list[Any]] = defaultdict(list)
    for c in codings.itertuples():
        by_seg[c.segment_id].append(c)
    pending = project.suggestions(status="pending")
    pend_by: dict[str, list[Any]] = defaultdict(list)
    ids = set(segs["id"])
    for s in pending[pending["segment_id"].isin(ids)].sort_values("score", ascending=False).itertuples():
        pend_by[s.segment_id].append(s)
    nocode = set(project.reviewed(coder=coder, uncoded=True)["segment_id"])
    turns = []
    for s in segs.itertuples():
        t = Turn(id=s.id, index=int(s.index), speaker=str(s.speaker or ""), start=int(s.start), end=int(s.end),
                 researcher=bool(s.is_researcher), read_no_code=s.id in nocode)
        spans: list[tuple[int, int, int, bool, str]] = []
        for c in by_seg.get(s.id, []):
            own = c.coder == coder
            has_span = not pd.isna(c.start)
            a, b = (int(c.start), int(c.end)) if has_span else (t.start, t.end)
            chip = Chip(int(c.id), c.code, colours.get(c.code, "c0"), c.coder, (a, b) if has_span else None,
                        _excerpt(text[a:b]) if has_span else "")
            (t.own if own else t.other).append(chip)
            if has_span:
                spans.append((a, b, int(c.id), own, c.code))
        t.suggestions = [Chip(int(x.id), x.code, colours.get(x.code, "c0"), score=float(x.score),
                              reason=str(x.reason)) for x in pend_by.get(s.id, [])]
        t.pieces = _pieces(text, t.start, t.end, spans, colours)
        turns.append(t)
    return turns


def turn(project: Project, transcript_id: str, segment_id: str, coder: str) -> Turn:
    """One turn, as :func:`transcript_turns` draws it (to refresh it after a decision)."""
    found = transcript_turns(project, transcript_id, coder, {segment_id})
    if not found:
        raise KeyError(segment_id)
    return found[0]


def _pieces(text: str, start: int, end: int, spans: list[tuple[int, int, int, bool, str]],
            colours: dict[str, str]) -> list[Piece]:
    cuts = {start, end}
    for a, b, *_ in spans:
        cuts.update((max(start, min(a, end)), max(start, min(b, end))))
    cuts.update(i for i in range(start, end) if text[i] == "\r")
    cuts.update(i + 1 for i in range(start, end) if text[i] == "\r")
    bounds = sorted(cuts)
    out = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        if a >= b:
            continue
        cover = [sp for sp in spans if sp[0] <= a and b <= sp[1]]
        own = tuple(sp[2] for sp in cover if sp[3])
        other = tuple(sp[2] for sp in cover if not sp[3])
        first_own = next((sp for sp in cover if sp[3]), None)
        out.append(Piece(a, "" if text[a:b] == "\r" else text[a:b], own, other, text[a:b] == "\r",
                         colours.get(first_own[4], "c0") if first_own else "",
                         ", ".join(dict.fromkeys(sp[4] for sp in cover))))
    return out


def _excerpt(text: str, words: int = 8) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


# -- review -------------------------------------------------------------------------------------
@dataclass
class ReviewItem:
    suggestion: Any
    segment: Any
    before: list[Any]
    after: list[Any]
    definition: dict[str, str]
    examples: list[Any]
    position: int
    total: int


def review_queue(project: Project, order: str, ranked: list[str] | None = None,
                 positions: dict[str, int] | None = None, pending: pd.DataFrame | None = None) -> pd.DataFrame:
    """Pending suggestions in review order.

    ``best``: highest score first. ``transcript``: transcript by transcript, turn by turn,
    best first within a turn. ``next``: the segments in ``ranked`` (the active-learning
    order of :func:`qdakit.suggest.precode.next_to_code`) first, then the rest best-first.
    """
    if pending is None:
        pending = project.suggestions(status="pending")
    if pending.empty:
        return pending
    if order == "best":
        return pending.sort_values(["score", "id"], ascending=[False, True])
    pos = positions if positions is not None else reading_order(project)
    pending = pending.assign(_pos=pending["segment_id"].map(pos))
    if order == "transcript":
        return pending.sort_values(["_pos", "score"], ascending=[True, False])
    if order == "next" and ranked:
        rank = {sid: i for i, sid in enumerate(ranked)}
        pending = pending.assign(_rank=pending["segment_id"].map(rank).fillna(len(rank)))
        return pending.sort_values(["_rank", "score", "_pos"], ascending=[True, False, True])
    return pending.sort_values(["score", "_pos"], ascending=[False, True])  # "next" with nothing ranked


def reading_order(project: Project) -> dict[str, int]:
    """Each segment's place in reading order (transcript by transcript, turn by turn)."""
    return {s.id: i for i, s in enumerate(project.iter_segments())}


def review_item(project: Project, queue: pd.DataFrame, skip: set[int], coder: str,
                first: int | None = None) -> ReviewItem | None:
    """The first suggestion of ``queue`` not skipped (``first``, if still pending: one just undone), with the
    turns around it and examples of its code."""
    left = queue[~queue["id"].isin(skip)] if len(queue) else queue
    if left.empty:
        return None
    if first is not None and (left["id"] == first).any():
        left = pd.concat([left[left["id"] == first], left[left["id"] != first]])
    s = left.iloc[0]
    seg = project.segment(str(s["segment_id"]))
    before, after = project.neighbours(seg.id, 2, 1)
    code = next((c for c in project.codebook if c.name == s["code"]), None)
    definition = {"description": code.description, "inclusion": code.inclusion,
                  "exclusion": code.exclusion} if code else {}
    human = project.codings()
    human = human[(human["code"] == s["code"]) & (human["segment_id"] != seg.id)]
    reason = str(s["reason"])
    named = [sid for sid in dict.fromkeys(human["segment_id"]) if sid in reason]  # the suggester's nearest ones
    chosen = named[:3] or list(dict.fromkeys(human["segment_id"]))[:3]
    examples = [project.segment(sid) for sid in chosen]
    return ReviewItem(s, seg, before, after, definition, examples, len(queue) - len(left) + 1, len(queue))


def recent_codes(project: Project, coder: str, n: int = 9) -> list[str]:
    """The codes this coder applied most recently, newest first (the picker's number keys)."""
    mine = project.codings(coder=coder)
    return list(dict.fromkeys(mine["code"].iloc[::-1]))[:n]

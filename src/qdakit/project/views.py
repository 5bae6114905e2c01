"""Small views of the project's DataFrames shared by several steps (quotes, themes, the report)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["attribution", "codings_with_segments", "person"]


def attribution(row: Any, keys: Sequence[str] = ("sector", "wave")) -> str:
    """``(Participant P01, LA, Yr1)`` from a segment row's participant and attributes."""
    parts = [f"Participant {row['participant']}" if pd.notna(row.get("participant")) else "Unknown speaker"]
    parts += [str(row[k]) for k in keys if k in row and pd.notna(row[k]) and str(row[k]).strip()]
    return "(" + ", ".join(parts) + ")"


def person(segments: pd.DataFrame) -> pd.Series:
    """Who speaks in each segment, the one notion of a participant every count uses.

    The participant id where the attributes name one; else the speaker label
    within its transcript (``"Tom (P02_VCS_Yr1)"``: the same label in two
    transcripts may be two people); else missing (a segment with no speaker:
    unresolved, as the import audit counts it). Whether the person is a
    researcher is the segment's ``is_researcher``.

    ``segments`` needs the columns ``participant``, ``speaker`` and ``transcript_id``.
    """
    label = segments["speaker"].astype(object)
    by_label = label.where(label.isna(), label.astype(str) + " (" + segments["transcript_id"].astype(str) + ")")
    return segments["participant"].astype(object).where(segments["participant"].notna(), by_label)


def codings_with_segments(codings: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """:meth:`Project.codings` with ``coded_text`` and the segments' columns (``Project.codings(with_segments=True)``).

    The segments' ``id``, ``start`` and ``end`` become ``segment_id``, ``segment_start``
    and ``segment_end``; ``person`` is :func:`person`.
    """
    seg = segments.assign(person=person(segments) if len(segments) else pd.Series([], dtype=object)).rename(
        columns={"id": "segment_id", "start": "segment_start", "end": "segment_end"}).drop(columns=["transcript_id"])
    out = codings.merge(seg, on="segment_id", how="left", validate="many_to_one")
    spans = zip(out["start"], out["end"], out["segment_start"], out["text"], strict=True)
    coded = [text if pd.isna(a) or pd.isna(b) else str(text)[int(a) - int(s0):int(b) - int(s0)]
             for a, b, s0, text in spans]
    out.insert(len(codings.columns), "coded_text", pd.Series(coded, index=out.index, dtype=object))
    return out

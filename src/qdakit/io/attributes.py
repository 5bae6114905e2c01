"""Participant attributes from a CSV or Excel file, joined on speaker labels.

Columns: ``participant`` (required: the id used in reports, e.g. ``P04``),
``speaker`` (the label used in the transcripts; defaults to the participant
id), ``transcript`` (optional: the transcript name the row applies to; empty =
every transcript), and any number of attribute columns (``sector``, ``wave``,
``role``, ...).

Rules, applied by :func:`resolve_attributes`:

* A segment's speaker is resolved to a participant by the row naming its
  transcript and speaker label, else by a row without transcript for that label
  (case-insensitive). Unresolved speakers keep ``participant=None`` and are
  listed in the import report.
* A transcript's attributes are the values shared by every row naming it: for
  an interview, its participant's (sector, wave); for a focus group, what all
  its participants have in common (e.g. wave).
* A segment's attributes are its transcript's, overlaid by its participant's.
* A row naming a speaker that occurs in no transcript it could apply to is an
  error naming the file and line (a typo would otherwise silently drop data).
* ``role`` values ``researcher``, ``interviewer``, ``moderator``,
  ``facilitator`` mark researchers: their turns are not coded or counted.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from qdakit.errors import AttributesError, ImportFormatError
from qdakit.io.base import read_text_file, reading
from qdakit.io.limits import check_zip
from qdakit.model import RESEARCHER_ROLES as _RESEARCHER
from qdakit.model import Segment, Transcript

__all__ = ["AttributeRow", "read_attributes", "resolve_attributes", "AttributeResolution"]

_KEYS = ("participant", "speaker", "transcript")


@dataclass(frozen=True, slots=True)
class AttributeRow:
    participant: str
    speaker: str
    transcript: str | None
    attributes: Mapping[str, str]
    line: int
    source: str


def read_attributes(path: str | Path) -> list[AttributeRow]:
    """Read a participants file (``.csv``, ``.tsv``, ``.xlsx``); all values as text."""
    p = Path(path)
    fix = "save it as a CSV with a header row: participant,speaker,transcript,<attributes...>"
    try:
        if not p.is_file():
            raise AttributesError(f"{p}: attributes file not found")
        if p.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
            check_zip(p, "Excel .xlsx workbook")
            with reading(p, "an Excel .xlsx workbook", fix):
                df = pd.read_excel(p, dtype=str, engine="openpyxl")
        else:
            text = read_text_file(p)  # UTF-8, UTF-16 or cp1252; control characters removed with a warning
            with reading(p, "a participants table", fix):
                df = pd.read_csv(io.StringIO(text), dtype=str, sep=None if p.suffix.lower() == ".tsv" else ",",
                                 engine="python", skip_blank_lines=True)
    except ImportFormatError as exc:
        raise AttributesError(str(exc)) from None
    df.columns = [str(c).strip() for c in df.columns]
    lower = {c.lower(): c for c in df.columns}
    if "participant" not in lower:
        raise AttributesError(f"{p}, line 1: no 'participant' column (found: {', '.join(df.columns)}). "
                              "Add a participant id column; see `qdakit import --help`.")
    attr_cols = [c for c in df.columns if c.lower() not in _KEYS]
    rows: list[AttributeRow] = []
    seen: dict[tuple[str, str], int] = {}

    def cell(rec: dict, col: str) -> str:
        v = rec.get(lower[col]) if col in lower else None
        return "" if v is None or (isinstance(v, float) and v != v) else str(v).strip()

    for i, rec in enumerate(df.to_dict("records"), start=2):
        pid = cell(rec, "participant")
        if not pid:
            if not any(cell(rec, c.lower()) for c in df.columns if c.lower() in _KEYS):
                continue  # blank line
            raise AttributesError(f"{p}, line {i}: empty participant id; every row needs one")
        speaker = cell(rec, "speaker") or pid
        transcript = cell(rec, "transcript") or None
        key = ((transcript or "").casefold(), speaker.casefold())
        if key in seen:
            raise AttributesError(f"{p}, line {i}: speaker {speaker!r}"
                                  f"{' in ' + transcript if transcript else ''} is already described at "
                                  f"line {seen[key]}; keep one row per speaker and transcript")
        seen[key] = i
        attrs = {c: str(rec[c]).strip() for c in attr_cols
                 if rec[c] is not None and not (isinstance(rec[c], float) and rec[c] != rec[c])
                 and str(rec[c]).strip()}
        rows.append(AttributeRow(pid, speaker, transcript, attrs, i, str(p)))
    return rows


@dataclass
class AttributeResolution:
    """What :func:`resolve_attributes` produced, to be written in one transaction."""

    transcripts: list[tuple[Transcript, list[Segment]]]
    participant_attributes: list[tuple[str, str | None, dict[str, str]]]
    unresolved: dict[str, list[str]] = field(default_factory=dict)  # transcript name -> speakers
    skipped_rows: list[AttributeRow] = field(default_factory=list)  # rows for transcripts not present


def resolve_attributes(
    rows: Sequence[AttributeRow],
    transcripts: Sequence[tuple[Transcript, list[Segment]]],
    *,
    other_speakers: Iterable[str] = (),
    strict: bool = True,
) -> AttributeResolution:
    """Join attribute rows to transcripts and segments (see module docstring).

    ``other_speakers`` are labels already in the project, so a global row for
    a speaker imported earlier is not reported unknown. With ``strict=False``
    unknown speakers are skipped instead of raising.
    """
    by_name = {}
    for t, segs in transcripts:
        by_name[t.name.casefold()] = (t, segs)
        by_name[t.id.casefold()] = (t, segs)
    all_labels = {s.speaker.casefold() for _, segs in transcripts for s in segs if s.speaker}
    all_labels |= {x.casefold() for x in other_speakers}
    specific: dict[tuple[str, str], AttributeRow] = {}
    general: dict[str, AttributeRow] = {}
    skipped: list[AttributeRow] = []
    for row in rows:
        label = row.speaker.casefold()
        if row.transcript is None:
            if label not in all_labels:
                if not strict:
                    skipped.append(row)
                    continue
                raise AttributesError(
                    f"{row.source}, line {row.line}: speaker {row.speaker!r} (participant "
                    f"{row.participant}) does not occur in any transcript. Check the spelling against "
                    "the speaker labels (`qdakit status --speakers`), or add a transcript column.")
            general[label] = row
            continue
        hit = by_name.get(row.transcript.casefold())
        if hit is None:
            skipped.append(row)
            continue
        t, segs = hit
        speakers = sorted({s.speaker for s in segs if s.speaker})
        if label not in {s.casefold() for s in speakers}:
            if not strict:
                skipped.append(row)
                continue
            raise AttributesError(
                f"{row.source}, line {row.line}: speaker {row.speaker!r} does not occur in transcript "
                f"{t.name!r}; its speakers are: {', '.join(speakers) or 'none'}. Fix the speaker column.")
        specific[(t.id, label)] = row
    out_transcripts: list[tuple[Transcript, list[Segment]]] = []
    unresolved: dict[str, list[str]] = {}
    for t, segs in transcripts:
        t_rows = [r for (tid, _), r in specific.items() if tid == t.id]
        # researcher rows (no wave, no sector) must not hide what the participants share
        t_rows = [r for r in t_rows if r.attributes.get("role", "").lower() not in _RESEARCHER] or t_rows
        shared: dict[str, str] = {}
        if t_rows:
            keys = set.intersection(*(set(r.attributes) for r in t_rows))
            shared = {k: t_rows[0].attributes[k] for k in sorted(keys)
                      if all(r.attributes[k] == t_rows[0].attributes[k] for r in t_rows)}
        new_segs = []
        missing: set[str] = set()
        for s in segs:
            label = (s.speaker or "").casefold()
            found = specific.get((t.id, label)) or general.get(label)
            if found is None and s.speaker:
                missing.add(s.speaker)
            new_segs.append(replace(s, participant=found.participant if found else None))
        if missing and rows:
            unresolved[t.name] = sorted(missing)
        attrs = dict(t.attributes) | shared
        out_transcripts.append((replace(t, attributes=attrs), new_segs))
    pattrs: list[tuple[str, str | None, dict[str, str]]] = []
    for (tid, _), r in specific.items():
        pattrs.append((r.participant, tid, dict(r.attributes)))
    for r in general.values():
        pattrs.append((r.participant, None, dict(r.attributes)))
    return AttributeResolution(out_transcripts, pattrs, unresolved, skipped)


"""Import transcript files into a project, all or nothing.

:func:`import_files` reads every file, segments it, resolves speakers against
the participant attributes, finds the focus-group questions, and only then
writes everything in one transaction. If any file fails, nothing is written
and the error names the file and line.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qdakit.errors import ControlCharacterWarning, ImportFormatError
from qdakit.io import TABLE_SUFFIXES, TRANSCRIPT_SUFFIXES, read_transcripts
from qdakit.io.attributes import AttributeRow, read_attributes, resolve_attributes
from qdakit.io.segment import QuestionMatch, SegmentBy, assign_questions, looks_like_researcher, read_questions
from qdakit.io.segment import segment as segment_transcript
from qdakit.model import RESEARCHER_ROLES, Segment, Transcript
from qdakit.project import Project

__all__ = ["import_files", "ImportReport", "collect_paths", "apply_attributes"]


@dataclass
class ImportReport:
    """What an import did; printed by ``qdakit import``."""

    transcripts: list[str] = field(default_factory=list)
    segments: int = 0
    speakers: dict[str, list[str]] = field(default_factory=dict)
    unresolved_speakers: dict[str, list[str]] = field(default_factory=dict)
    questions: dict[str, list[QuestionMatch]] = field(default_factory=dict)
    skipped_attribute_rows: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def collect_paths(paths: Iterable[str | Path], *, exclude: Iterable[str | Path] = ()) -> list[Path]:
    """Expand folders into their transcript files (sorted, recursive).

    Files named explicitly are kept whatever their suffix (so a ``.csv`` of
    segments can be imported); inside folders only transcript formats
    (``.txt .md .vtt .srt .docx``) are taken, never README files or the files
    in ``exclude`` (the attributes and questions files).
    """
    skip = {Path(p).resolve() for p in exclude}
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if (f.is_file() and f.suffix.lower() in TRANSCRIPT_SUFFIXES and not f.name.startswith(".")
                        and not f.name.lower().startswith("readme") and f.resolve() not in skip
                        and not any(part.startswith(".") for part in f.relative_to(p).parts)):
                    out.append(f)
        elif p.is_file():
            out.append(p)
        else:
            raise ImportFormatError(f"{p}: no such file or folder")
    if not out:
        raise ImportFormatError(
            f"no transcript files found in {', '.join(map(str, paths))}; supported formats: "
            f"{', '.join(TRANSCRIPT_SUFFIXES)} (and {', '.join(TABLE_SUFFIXES)} named explicitly)")
    return out


def import_files(
    project: Project,
    paths: Sequence[str | Path],
    *,
    attributes: Sequence[str | Path] = (),
    questions: str | Path | Sequence[tuple[str, str]] | None = None,
    segment_by: SegmentBy = "turn",
    encoding: str | None = None,
    columns: dict[str, Any] | None = None,
    moderators: Sequence[str] | None = None,
    strict_attributes: bool = True,
    progress: Callable[[Path], None] | None = None,
) -> ImportReport:
    """Import transcripts into ``project``; nothing is written unless all succeed.

    Parameters
    ----------
    project : Project
    paths : files or folders (folders: transcript formats only, recursively)
    attributes : participant attribute files (see :mod:`qdakit.io.attributes`)
    questions : focus-group questions file, or ``[(id, text), ...]``; each
        transcript's segments get the question they answer
    segment_by : ``"turn"`` (default) or ``"paragraph"``
    encoding : force a text encoding (default tries UTF-8, UTF-8-BOM, cp1252)
    columns : column mapping for CSV/Excel segment tables
    moderators : speaker labels of the moderators (default: researcher roles
        from the attributes, and labels such as "Moderator", "Interviewer")
    strict_attributes : an attribute row naming an unknown speaker is an error
    progress : called with each file as it is read
    """
    q_list: list[tuple[str, str]] | None = None
    exclude = [*attributes]
    if isinstance(questions, (str, Path)):
        q_list = read_questions(questions)
        exclude.append(questions)
    elif questions is not None:
        q_list = list(questions)
    files = collect_paths(paths, exclude=exclude)
    report = ImportReport()
    parsed_all: list[tuple[Transcript, list[Segment]]] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ControlCharacterWarning)
        for f in files:
            if progress is not None:
                progress(f)
            for parsed in read_transcripts(f, encoding=encoding, columns=columns):
                parsed_all.append(segment_transcript(parsed, by=segment_by))
    for w in caught:  # removed control characters go into the report (the CLI prints them); others pass on
        if issubclass(w.category, ControlCharacterWarning):
            report.warnings.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    _check_batch_duplicates(parsed_all)
    rows: list[AttributeRow] = [r for a in attributes for r in read_attributes(a)]
    existing = set(project.segments()["speaker"].dropna()) if rows else set()
    resolved = resolve_attributes(rows, parsed_all, other_speakers=existing, strict=strict_attributes)
    items = resolved.transcripts
    report.unresolved_speakers = resolved.unresolved
    report.skipped_attribute_rows = [f"{r.source}, line {r.line}: {r.participant} in {r.transcript}"
                                     for r in resolved.skipped_rows]
    if q_list is not None:
        researcher_labels = {r.speaker for r in rows if r.attributes.get("role", "").lower() in RESEARCHER_ROLES}
        new_items = []
        for t, segs in items:
            mods = moderators or sorted({s.speaker for s in segs if s.speaker and (
                s.speaker in researcher_labels or looks_like_researcher(s.speaker))}) or None
            segs, matches = assign_questions(segs, q_list, moderators=mods)
            report.questions[t.name] = matches
            missed = [m.question for m in matches if m.segment_id is None]
            if missed:
                report.warnings.append(f"{t.name}: question(s) {', '.join(missed)} not found in the "
                                       "moderator's turns; their answers count under the previous question")
            new_items.append((t, segs))
        items = new_items
    with project.transaction():
        project.add_transcripts(items)
        for pid, tid, attrs in resolved.participant_attributes:
            project.set_participant_attributes(pid, attrs, tid)
        if q_list is not None:
            project.set_questions(q_list)
    for t, segs in items:
        report.transcripts.append(t.name)
        report.segments += len(segs)
        report.speakers[t.name] = sorted({s.speaker for s in segs if s.speaker})
    return report


def apply_attributes(project: Project, paths: Sequence[str | Path], *, strict: bool = True) -> ImportReport:
    """Apply participant attribute files to transcripts already in the project."""
    rows = [r for a in paths for r in read_attributes(a)]
    items = [(t, list(project.iter_segments(t.id))) for t in project.iter_transcripts()]
    resolved = resolve_attributes(rows, items, strict=strict)
    report = ImportReport(unresolved_speakers=resolved.unresolved,
                          skipped_attribute_rows=[f"{r.source}, line {r.line}: {r.participant} in "
                                                  f"{r.transcript}" for r in resolved.skipped_rows])
    with project.transaction():
        for (t, segs), (t0, segs0) in zip(resolved.transcripts, items, strict=True):
            if t.attributes != t0.attributes:
                project.set_transcript_attributes(t.id, t.attributes)
            for s, s0 in zip(segs, segs0, strict=True):
                if s.participant != s0.participant:
                    project.set_segment_participant(s.id, s.participant)
        for pid, tid, attrs in resolved.participant_attributes:
            project.set_participant_attributes(pid, attrs, tid)
    return report


def _check_batch_duplicates(items: list[tuple[Transcript, list[Segment]]]) -> None:
    seen: dict[str, Transcript] = {}
    for t, _ in items:
        if t.id in seen:
            other = seen[t.id]
            raise ImportFormatError(
                f"{t.source}: transcript name {t.name!r} clashes with {other.source} (same id {t.id!r}). "
                "Rename one of the files; nothing was imported.")
        seen[t.id] = t
    for i, (t, _) in enumerate(items):
        for u, _ in items[:i]:
            if t.text == u.text:
                raise ImportFormatError(f"{t.source}: same text as {u.source}; is it a copy? Nothing was imported.")


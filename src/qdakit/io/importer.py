"""Import transcript files into a project, all or nothing, with an audit of each file.

:func:`import_files` reads every file, segments it, audits it (see
:mod:`qdakit.io.audit`: coverage, unresolved text, speakers, suspected merged
turns, language), resolves speakers against the participant attributes, finds
the focus-group questions, and only then writes everything, audits included,
in one transaction. If any file fails, nothing is written and the error names
the file and line. :func:`check_files` does the reading and auditing alone and
writes nothing (``qdakit import --check``).
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
from qdakit.io.audit import CoverageError, ImportAudit, audit_transcript, language_warning
from qdakit.io.base import ParsedTranscript
from qdakit.io.labels import researcher_codes
from qdakit.io.segment import QuestionMatch, SegmentBy, assign_questions, looks_like_researcher, read_questions
from qdakit.io.segment import segment as segment_transcript
from qdakit.model import RESEARCHER_ROLES, Segment, Transcript
from qdakit.project import Project
from qdakit.project.audits import save_audits

__all__ = ["import_files", "check_files", "ImportReport", "collect_paths", "apply_attributes",
           "DEFAULT_EMBEDDING_MODEL"]

#: the model suggestions use unless told otherwise (``qdakit.embed.DEFAULT_MODEL_ID``; ``io`` may not
#: import ``embed``, a test keeps the two equal): English only, so other languages get a warning
DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


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
    audits: dict[str, ImportAudit] = field(default_factory=dict)  # transcript name -> its audit


def collect_paths(paths: Iterable[str | Path], *, exclude: Iterable[str | Path] = ()) -> list[Path]:
    """Expand folders into their transcript files (sorted, recursive).

    Files named explicitly are kept whatever their suffix (so a ``.csv`` of
    segments can be imported); inside folders only transcript formats
    (``.txt .md .vtt .srt .docx .pdf .rtf``) are taken, never README files or the files
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
    embedding_model: str | None = DEFAULT_EMBEDDING_MODEL,
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
    embedding_model : the model suggestions will use; a transcript in a language
        it does not cover gets a warning (None: no language check)

    Returns
    -------
    ImportReport
        With an :class:`~qdakit.io.audit.ImportAudit` per transcript, stored in
        the project too (``qdakit status`` lists those with warnings).
    """
    q_list: list[tuple[str, str]] | None = None
    exclude = [*attributes]
    if isinstance(questions, (str, Path)):
        q_list = read_questions(questions)
        exclude.append(questions)
    elif questions is not None:
        q_list = list(questions)
    report = ImportReport()
    parsed_all = _read_and_audit(collect_paths(paths, exclude=exclude), report, segment_by=segment_by,
                                 encoding=encoding, columns=columns, progress=progress,
                                 embedding_model=embedding_model)
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
            legend = report.audits[t.name].legend if t.name in report.audits else {}
            mods = moderators or sorted({s.speaker for s in segs if s.speaker and (
                s.speaker in researcher_labels or looks_like_researcher(s.speaker)
                or s.speaker in researcher_codes(legend))}) or None
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
        save_audits(project, {t.id: (a.language, researcher_codes(a.legend), a.to_json())
                              for t, _ in items if (a := report.audits.get(t.name)) is not None})
        for pid, tid, attrs in resolved.participant_attributes:
            project.set_participant_attributes(pid, attrs, tid)
        if q_list is not None:
            project.set_questions(q_list)
    for t, segs in items:
        report.transcripts.append(t.name)
        report.segments += len(segs)
        report.speakers[t.name] = sorted({s.speaker for s in segs if s.speaker})
    return report


def check_files(
    paths: Sequence[str | Path],
    *,
    segment_by: SegmentBy = "turn",
    encoding: str | None = None,
    columns: dict[str, Any] | None = None,
    progress: Callable[[Path], None] | None = None,
    embedding_model: str | None = DEFAULT_EMBEDDING_MODEL,
) -> ImportReport:
    """Read, segment and audit files as :func:`import_files` would, and write nothing.

    Raises what the import would raise (an unreadable file, two copies of one
    file); otherwise returns the report with every transcript's audit.
    """
    report = ImportReport()
    for t, segs in _read_and_audit(collect_paths(paths), report, segment_by=segment_by, encoding=encoding,
                                   columns=columns, progress=progress, embedding_model=embedding_model):
        report.transcripts.append(t.name)
        report.segments += len(segs)
        report.speakers[t.name] = sorted({s.speaker for s in segs if s.speaker})
    return report


def _read_and_audit(files: Sequence[Path], report: ImportReport, *, segment_by: SegmentBy,
                    encoding: str | None, columns: dict[str, Any] | None,
                    progress: Callable[[Path], None] | None,
                    embedding_model: str | None) -> list[tuple[Transcript, list[Segment]]]:
    """Read, segment and audit every file; removed control characters become the report's warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ControlCharacterWarning)
        out = _read_and_audit_files(files, report, segment_by=segment_by, encoding=encoding, columns=columns,
                                    progress=progress, embedding_model=embedding_model)
    for w in caught:  # the CLI prints the report's warnings, one line each; other warnings pass on
        if issubclass(w.category, ControlCharacterWarning):
            report.warnings.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return out


def _read_and_audit_files(files: Sequence[Path], report: ImportReport, *, segment_by: SegmentBy,
                          encoding: str | None, columns: dict[str, Any] | None,
                          progress: Callable[[Path], None] | None,
                          embedding_model: str | None) -> list[tuple[Transcript, list[Segment]]]:
    out: list[tuple[Transcript, list[Segment]]] = []
    read: list[ParsedTranscript] = []
    for f in files:
        if progress is not None:
            progress(f)
        for parsed in read_transcripts(f, encoding=encoding, columns=columns):
            t, segs = segment_transcript(parsed, by=segment_by)
            out.append((t, segs))
            read.append(parsed)
            try:
                audit = audit_transcript(parsed, segs)
            except CoverageError as exc:  # a reader bug: import, but say so loudly
                report.warnings.append(f"{t.name}: {exc}")
                continue
            warning = language_warning(audit.language, embedding_model)
            if warning:
                audit.warnings.append(warning)
            report.audits[t.name] = audit
    _check_batch_duplicates(out, read)
    return out


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


def _where(t: Transcript, parsed: ParsedTranscript | None) -> str:
    """``file`` or, for a transcript that is some rows of a table, ``file, row N``."""
    line = parsed.turns[0].line if parsed is not None and parsed.turns else None
    return f"{t.source}, row {line}" if line is not None and Path(t.source or "").suffix.lower() in TABLE_SUFFIXES \
        else str(t.source)


def _check_batch_duplicates(items: list[tuple[Transcript, list[Segment]]],
                            parsed: list[ParsedTranscript]) -> None:
    """Two transcripts with one id, or one text from two files (a copy), fail the import.

    The same text under two transcripts of one table (two respondents who both
    answered "No.") is not a copy and imports.
    """
    seen: dict[str, int] = {}
    texts: dict[str, int] = {}
    for i, (t, _) in enumerate(items):
        if t.id in seen:
            k = seen[t.id]
            raise ImportFormatError(
                f"{_where(t, parsed[i])}: transcript name {t.name!r} clashes with {_where(items[k][0], parsed[k])} "
                f"(same id {t.id!r}). Rename one of the files (or transcripts); nothing was imported.")
        seen[t.id] = i
        k = texts.setdefault(t.text, i)
        if k != i and items[k][0].source != t.source:
            raise ImportFormatError(f"{_where(t, parsed[i])}: same text as {_where(items[k][0], parsed[k])}; "
                                    "is it a copy? Nothing was imported.")


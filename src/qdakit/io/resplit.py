"""Cut a transcript already in a project again with the current reader rules (``qdakit import --resplit``).

A transcript imported before a rule existed (the known-speaker rule of
:mod:`qdakit.io.labels`, which splits ``28:32 PARTICIPANT 33?`` off the
previous speaker's turn) keeps its old segments until it is re-split.
:func:`resplit_transcript` reads its source file again, checks that the text is
still the text in the project, segments it with the current rules and, only
when no human decision rests on the old segments, swaps them (see
:mod:`qdakit.project.resegment`); otherwise it refuses, saying how many codings
would have to move, and nothing changes. Participants (by speaker label),
focus-group questions and the import audit are carried over to the new segments.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from qdakit.errors import ImportFormatError
from qdakit.io import read_transcripts
from qdakit.io.audit import ImportAudit, audit_transcript, language_warning
from qdakit.io.importer import DEFAULT_EMBEDDING_MODEL
from qdakit.io.labels import researcher_codes
from qdakit.io.segment import SegmentBy, assign_questions, looks_like_researcher, segment, slugify
from qdakit.model import Segment
from qdakit.project import Project
from qdakit.project.audits import save_audits
from qdakit.project.resegment import refuse_resegmenting, replace_segments

__all__ = ["ResplitReport", "resplit_transcript"]


@dataclass
class ResplitReport:
    """What a re-split did: segments before and after, which old segments changed, machine output dropped."""

    transcript: str
    before: int
    after: int
    changed: list[str]  # ids of old segments whose extent or speaker is not in the new segmentation
    dropped: dict[str, int] = field(default_factory=dict)
    audit: ImportAudit | None = None


def resplit_transcript(project: Project, transcript: str, *, segment_by: SegmentBy = "turn",
                       encoding: str | None = None,
                       embedding_model: str | None = DEFAULT_EMBEDDING_MODEL) -> ResplitReport:
    """Re-segment ``transcript`` (its name or id) from its source file with the current rules.

    Raises :class:`~qdakit.errors.ProjectError` when human codings (or reviewed
    marks, or decided suggestions) rest on its segments, naming how many would
    have to move, and :class:`ImportFormatError` when its source file is gone
    or no longer holds the same text; nothing changes then. The new audit is
    stored as an import's would be (``embedding_model`` as in
    :func:`~qdakit.io.importer.import_files`).
    """
    t = project.transcript(transcript)
    refuse_resegmenting(project, t.id, t.name)  # before reading the file: the cheap, certain refusal
    source = Path(t.source) if t.source else None
    if source is None or not source.is_file():
        raise ImportFormatError(f"{t.name}: its source file {t.source or '(none recorded)'} is not there; put the "
                                "file back where it was imported from to re-split it. Nothing was changed.")
    parsed = next((p for p in read_transcripts(source, encoding=encoding)
                   if p.name == t.name or slugify(p.name) == t.id), None)
    if parsed is None or parsed.text != t.text:
        raise ImportFormatError(f"{source}: the file no longer holds the text of {t.name} as imported; re-split "
                                "re-cuts the same text with the current rules. Import the changed file under a new "
                                "name instead. Nothing was changed.")
    old = list(project.iter_segments(t.id))
    _, segs = segment(parsed, by=segment_by, transcript_id=t.id)
    segs = _carry_over(project, old, segs, parsed.legend)
    audit = audit_transcript(parsed, segs)
    if (warning := language_warning(audit.language, embedding_model)) is not None:
        audit.warnings.append(warning)
    with project.transaction():
        dropped = replace_segments(project, t.id, segs)
        save_audits(project, {t.id: (audit.language, researcher_codes(audit.legend), audit.to_json())})
    new_keys = {(s.start, s.end, s.speaker) for s in segs}
    return ResplitReport(t.name, len(old), len(segs), [s.id for s in old if (s.start, s.end, s.speaker)
                                                        not in new_keys], dropped, audit)


def _carry_over(project: Project, old: list[Segment], segs: list[Segment], legend: dict[str, str]) -> list[Segment]:
    """Give the new segments the participants of the old ones (by speaker label) and, when the old ones
    had questions, the project's focus-group questions again (asked by the researchers' turns)."""
    who: dict[str | None, set[str | None]] = {}
    for s in old:
        who.setdefault(s.speaker, set()).add(s.participant)
    segs = [replace(s, participant=next(iter(who[s.speaker])))
            if len(who.get(s.speaker, ())) == 1 else s for s in segs]
    questions = project.questions()
    if questions.empty or not any(s.question for s in old):
        return segs
    mods = sorted({s.speaker for s in segs if s.speaker and (looks_like_researcher(s.speaker)
                                                              or s.speaker in researcher_codes(legend))}) or None
    segs, _ = assign_questions(segs, list(zip(questions["id"], questions["text"], strict=True)), moderators=mods)
    return segs

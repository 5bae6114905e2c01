"""What a REFI-QDA import reports: counts, offset schemes, code changes, and what it could not carry over."""

from __future__ import annotations

from dataclasses import dataclass, field

from qdakit.io.refi.offsets import OffsetScheme

__all__ = ["RefiImportReport"]


@dataclass
class RefiImportReport:
    """What :func:`import_qdpx` imported and what it could not carry over."""

    path: str
    transcripts: list[str] = field(default_factory=list)
    segments: int = 0
    codes: int = 0
    codings: int = 0
    users: list[str] = field(default_factory=list)
    cases: int = 0
    selections: int = 0
    split_selections: int = 0  # selections crossing segments, stored as one coding per segment
    trimmed_selections: int = 0  # selections whose speaker label (outside every segment) was left out
    memos: int = 0
    renamed_codes: list[str] = field(default_factory=list)  # names made unique within the file
    code_changes: list[str] = field(default_factory=list)  # renames and new definitions of the project's codes
    offsets: dict[str, OffsetScheme] = field(default_factory=dict)  # per transcript: how positions were counted
    zero_length: list[str] = field(default_factory=list)  # selections that cover no text, with their codes and memo
    source_memos: list[str] = field(default_factory=list)  # <Description>/notes of whole sources (not stored)
    not_carried_over: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable summary, one line each (for the CLI)."""
        out = [f"{self.path}: {len(self.transcripts)} transcripts ({self.segments} segments), "
               f"{self.codes} codes, {self.codings} codings from {self.selections} selections, "
               f"{len(self.users)} users ({', '.join(self.users)}), {self.cases} cases, {self.memos} memos"]
        if self.split_selections:
            out.append(f"{self.split_selections} selections crossed segment boundaries and were split "
                       "into one coding per segment")
        if self.trimmed_selections:
            out.append(f"{self.trimmed_selections} selections included text outside every segment "
                       "(speaker labels, headings); it was left out of the coded spans")
        out += [f"source {name!r}: {scheme.describe()}" for name, scheme in self.offsets.items()]
        out += [f"zero-length selection (no text to code, not imported): {z}" for z in self.zero_length]
        out += [f"memo on a whole source (qdakit keeps memos on codings only, not imported): {m}"
                for m in self.source_memos]
        out += [f"renamed code: {r}" for r in self.renamed_codes]
        out += [f"changed {c}" for c in self.code_changes]
        out += [f"not carried over: {n}" for n in self.not_carried_over]
        return out


class _Skipped:
    """Collects what could not be carried over, grouped by kind."""

    def __init__(self) -> None:
        self.kinds: dict[str, list[str]] = {}

    def add(self, kind: str, item: str) -> None:
        self.kinds.setdefault(kind, []).append(item)

    def lines(self) -> list[str]:
        return [f"{kind}: {len(items)} ({'; '.join(items[:6])}{'; ...' if len(items) > 6 else ''})"
                for kind, items in self.kinds.items()]

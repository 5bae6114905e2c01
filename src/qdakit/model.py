"""The data model: small frozen dataclasses.

A :class:`Transcript` owns its full text; a :class:`Segment` is a light view into
it (character offsets ``start``/``end``, so ``transcript.text[seg.start:seg.end]
== seg.text``). A human :class:`Coding` and a machine :class:`Suggestion` are
different types: a suggestion becomes a coding only when a named human coder
accepts it (see :meth:`qdakit.Project.accept`).
"""

from __future__ import annotations

import hashlib
import re
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache
from typing import Literal

from qdakit.errors import CodebookError, CodingError, where

__all__ = [
    "Transcript",
    "Segment",
    "Code",
    "Codebook",
    "Coding",
    "Suggestion",
    "Decision",
    "SuggestionStatus",
    "CodingStatus",
    "utcnow",
    "RESEARCHER_ROLES",
    "looks_like_researcher",
]

#: values of the ``role`` attribute that mark a speaker as a researcher (not coded, not counted)
RESEARCHER_ROLES = frozenset({"researcher", "interviewer", "moderator", "facilitator"})

_RESEARCHER_LABEL = re.compile(
    r"^(?:(?:interviewer|moderator|facilitator|researcher|int|mod|fac|i)\.?\s*\d*|[qr]\.?)$", re.I)


@lru_cache(maxsize=4096)
def looks_like_researcher(speaker: str | None) -> bool:
    """True for labels such as ``Interviewer``, ``Moderator``, ``Facilitator 2``, ``I``, ``I1``, ``R``, ``Q``.

    ``R`` and ``Q`` count alone only: ``R1``, ``R2`` are usually respondents. A
    default only: a ``role`` in the participant attributes file overrides it.
    """
    return bool(speaker) and bool(_RESEARCHER_LABEL.match(speaker.strip()))  # type: ignore[union-attr]


SuggestionStatus = Literal["pending", "accepted", "rejected", "superseded"]
CodingStatus = Literal["active", "superseded", "retracted"]


def utcnow() -> datetime:
    """The current time, timezone-aware (UTC), to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class Transcript:
    """One interview or focus-group transcript.

    Attributes
    ----------
    id : str
        Unique id within the project (a slug of the file name by default).
    name : str
        Human-readable name, usually the file stem.
    text : str
        The full text, newlines normalised to ``\\n``. Segments point into it.
    source : str or None
        Path of the file it was imported from.
    attributes : Mapping[str, str]
        Transcript-level attributes (wave, group, and for an interview the
        participant's attributes such as sector).
    """

    id: str
    name: str
    text: str
    source: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        """The SHA-256 of the text (UTF-8), as the project stores it to recognise a transcript."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def __getitem__(self, key: str) -> object:
        """Deprecated: ``t["name"]`` as ``t.name``, for code written when ``find_transcript`` gave a dict."""
        if key not in ("id", "name", "source", "sha256"):
            raise KeyError(key)
        warnings.warn(f"Transcript[{key!r}] is deprecated (Project.find_transcript returns a Transcript); "
                      f"use .{key}", DeprecationWarning, stacklevel=2)
        return getattr(self, key)


@dataclass(frozen=True, slots=True)
class Segment:
    """A speaker turn or paragraph: a view into its transcript's text.

    ``start``/``end`` are character (Unicode code point) offsets into
    ``Transcript.text``; ``start_time``/``end_time`` are seconds from the start
    of the recording when the source has timestamps. ``participant`` is the
    participant id the speaker was resolved to (None for the interviewer or an
    unknown speaker); ``question`` is the focus-group question id the segment
    answers, when questions were given at import.
    """

    id: str
    transcript_id: str
    index: int
    speaker: str | None
    text: str
    start: int
    end: int
    start_time: float | None = None
    end_time: float | None = None
    question: str | None = None
    participant: str | None = None


@dataclass(frozen=True, slots=True)
class Code:
    """One code of a codebook.

    ``parent`` is the name of the parent code (None for a top-level code or
    theme); ``examples`` are example quotes; ``guid`` identifies the code in
    REFI-QDA exchange and survives renaming.
    """

    name: str
    parent: str | None = None
    description: str = ""
    inclusion: str = ""
    exclusion: str = ""
    examples: tuple[str, ...] = ()
    colour: str | None = None
    guid: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise CodebookError("a code needs a non-empty name")
        if self.name != self.name.strip():
            object.__setattr__(self, "name", self.name.strip())
        if isinstance(self.examples, (list, str)):
            ex = [self.examples] if isinstance(self.examples, str) else self.examples
            object.__setattr__(self, "examples", tuple(ex))


class Codebook:
    """An immutable, validated tree of codes.

    Names are unique (case-insensitively), every parent exists, and there is no
    cycle. Iteration yields codes in depth-first order, parents before children.

    Parameters
    ----------
    codes : iterable of Code
    source : str, optional
        File the codebook came from, used in error messages.
    lines : sequence of int, optional
        The line in ``source`` where each code (in the order of ``codes``) was
        defined, used in error messages.

    Examples
    --------
    >>> cb = Codebook([Code("communication"), Code("listening", parent="communication")])
    >>> cb.path("listening")
    ('communication', 'listening')
    >>> [c.name for c in cb.children("communication")]
    ['listening']
    """

    __slots__ = ("_codes", "_order", "source")

    def __init__(
        self,
        codes: Iterable[Code] = (),
        *,
        source: str | None = None,
        lines: Sequence[int | None] | None = None,
    ) -> None:
        codes = list(codes)
        line_list = list(lines) if lines is not None else [None] * len(codes)
        self.source = source
        by_name: dict[str, Code] = {}
        seen_lower: dict[str, str] = {}
        first_line: dict[str, int | None] = {}
        for code, line in zip(codes, line_list, strict=True):
            key = code.name.casefold()
            if key in seen_lower:
                earlier = first_line[seen_lower[key]]
                raise CodebookError(
                    f"{where(source, line)}: duplicate code name "
                    f"{code.name!r} (already defined as {seen_lower[key]!r}"
                    + (f" at line {earlier}" if earlier is not None else "")
                    + "). Code names must be unique; rename one of them."
                )
            seen_lower[key] = code.name
            first_line[code.name] = line
            by_name[code.name] = code
        line_of = {name: ln for name, ln in first_line.items() if ln is not None}
        for code in by_name.values():
            if code.parent is not None and code.parent not in by_name:
                raise CodebookError(
                    f"{where(source, line_of.get(code.name))}: code {code.name!r} has parent "
                    f"{code.parent!r}, which is not in the codebook. Add the parent code "
                    "or correct its name."
                )
        for code in by_name.values():
            chain = [code.name]
            parent = code.parent
            while parent is not None:
                if parent in chain:
                    cycle = " -> ".join([*chain[chain.index(parent):], parent])
                    raise CodebookError(
                        f"{where(source, line_of.get(code.name))}: the codebook has a cycle "
                        f"({cycle}). A code cannot be its own ancestor; fix the parent of one "
                        "of these codes."
                    )
                chain.append(parent)
                parent = by_name[parent].parent
        self._codes = by_name
        self._order = self._depth_first(by_name)

    @staticmethod
    def _depth_first(by_name: Mapping[str, Code]) -> tuple[str, ...]:
        children: dict[str | None, list[str]] = {}
        for code in by_name.values():
            children.setdefault(code.parent, []).append(code.name)
        order: list[str] = []
        stack = list(reversed(children.get(None, [])))
        while stack:
            name = stack.pop()
            order.append(name)
            stack.extend(reversed(children.get(name, [])))
        return tuple(order)

    # -- container protocol -------------------------------------------------
    def __iter__(self) -> Iterator[Code]:
        return (self._codes[n] for n in self._order)

    def __len__(self) -> int:
        return len(self._codes)

    def __contains__(self, name: object) -> bool:
        return name in self._codes

    def __getitem__(self, name: str) -> Code:
        try:
            return self._codes[name]
        except KeyError:
            raise CodebookError(
                f"no code named {name!r} in the codebook; known codes: "
                f"{', '.join(self._order[:20])}{' ...' if len(self) > 20 else ''}"
            ) from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Codebook):
            return NotImplemented
        return list(self) == list(other)

    def __repr__(self) -> str:
        return f"Codebook({len(self)} codes, {len(self.roots())} top-level)"

    # -- tree ---------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        """Code names in depth-first order."""
        return self._order

    def roots(self) -> list[Code]:
        """Top-level codes (themes)."""
        return [c for c in self if c.parent is None]

    def children(self, name: str | None) -> list[Code]:
        """Direct children of ``name`` (of the root when None)."""
        return [c for c in self if c.parent == name]

    def path(self, name: str) -> tuple[str, ...]:
        """Names from the top-level ancestor down to ``name``."""
        out = [self[name].name]
        parent = self[name].parent
        while parent is not None:
            out.append(parent)
            parent = self._codes[parent].parent
        return tuple(reversed(out))

    def root_of(self, name: str) -> str:
        """The top-level ancestor of ``name`` (its theme)."""
        return self.path(name)[0]

    def depth(self, name: str) -> int:
        """0 for a top-level code."""
        return len(self.path(name)) - 1

    def with_code(self, code: Code) -> Codebook:
        """A new codebook with ``code`` added, or replacing the code of that name."""
        codes = [c for c in self if c.name != code.name]
        return Codebook([*codes, code], source=self.source)

    def to_records(self) -> list[dict[str, object]]:
        """One dict per code, for DataFrames and file writers."""
        return [
            {
                "name": c.name,
                "parent": c.parent,
                "description": c.description,
                "inclusion": c.inclusion,
                "exclusion": c.exclusion,
                "examples": list(c.examples),
                "colour": c.colour,
                "guid": c.guid,
            }
            for c in self
        ]


@dataclass(frozen=True, slots=True)
class Coding:
    """A human act: ``coder`` applied ``code`` to a segment.

    ``start``/``end`` optionally narrow the coding to a character span (offsets
    into the transcript text, inside the segment); None means the whole segment.
    ``id`` and ``status`` are assigned by the project store; a recode creates a
    new coding that ``supersedes`` the old one, which is kept as history.
    """

    segment_id: str
    code: str
    coder: str
    start: int | None = None
    end: int | None = None
    memo: str = ""
    created: datetime = field(default_factory=utcnow)
    id: int | None = None
    status: CodingStatus = "active"
    supersedes: int | None = None

    def __post_init__(self) -> None:
        if not self.coder or not str(self.coder).strip():
            raise CodingError(f"coding of {self.code!r} on segment {self.segment_id}: a human coding needs a "
                              "named coder (coder='JR'; on the command line --coder JR)")
        if (self.start is None) != (self.end is None):
            raise CodingError("give both start and end of a coded span, or neither")
        if self.start is not None and self.end is not None and not 0 <= self.start < self.end:
            raise CodingError(f"coded span start={self.start} end={self.end} is empty or negative")


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A machine proposal that ``code`` applies to a segment.

    It never counts as coding: :meth:`qdakit.Project.accept` turns it into a
    :class:`Coding` by a named human coder, :meth:`qdakit.Project.reject`
    records the rejection. A pending suggestion whose segment a newer model
    has pre-coded again is ``"superseded"`` (``decided_by`` then names that
    model): kept for history, no longer reviewed or exported.
    """

    segment_id: str
    code: str
    score: float
    model: str
    reason: str = ""
    status: SuggestionStatus = "pending"
    created: datetime = field(default_factory=utcnow)
    id: int | None = None
    decided_by: str | None = None

    def with_status(self, status: SuggestionStatus, decided_by: str | None) -> Suggestion:
        """A copy with another status and the coder who decided (the suggestion itself is immutable)."""
        return replace(self, status=status, decided_by=decided_by)


@dataclass(frozen=True, slots=True)
class Decision:
    """One logged decision of a named coder (see :mod:`qdakit.project.decisions`), which can be undone.

    ``kind``: accept, reject, recode, nocode (on suggestions or a turn), code (hand-coding),
    retract or recode_coding (of the coder's own coding). ``suggestions``: the suggestions it
    decided; ``coding_made`` / ``coding_retracted``: the coding it made or withdrew;
    ``reviewed_added``: whether it added a "read, no code applies" mark; ``detail``: the
    code (and span) in words. ``undone_by``/``undone_at`` are set once it is undone.
    """

    id: int
    coder: str
    kind: str
    segment_id: str
    suggestions: tuple[int, ...] = ()
    coding_made: int | None = None
    coding_retracted: int | None = None
    reviewed_added: bool = False
    detail: str = ""
    created: datetime = field(default_factory=utcnow)
    undone_by: str | None = None
    undone_at: datetime | None = None

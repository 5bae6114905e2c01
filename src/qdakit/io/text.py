"""Plain-text and Markdown transcripts (``.txt``, ``.md``).

The transcript text is the decoded file itself, so every turn's offsets point
into exactly what the user wrote. A turn starts at a *speaker label* at the
start of a line and runs until the next label line (or a Markdown heading).

Label forms, each optionally preceded by a timestamp ``[00:01:23]``,
``(00:01:23)`` or ``00:01:23`` (and an optional dash, ``00:01:23 - Ann:``)::

    Interviewer: ...      P3: ...      Dr. Smith: ...      Helen Baxter: ...
    [Ann] ...             [Ann]: ...
    **Ann:** ...          **Ann**: ...

A name is at most five words and 40 characters of letters, digits, spaces and
``.'-``, with at least one letter. The colon or closing bracket must be
followed by whitespace or the end of the line, so ``https://`` and ``12:30``
are not labels; a full-width colon (``李明：你好``) needs no space. Bracketed
annotations such as ``[inaudible]``, ``[laughs]`` (or any lowercase ``[...]``
without a colon) are never labels.

False labels
------------
A line such as ``Note: the recording stopped here`` inside a turn looks like a
label. A candidate label is accepted as a speaker only if

1. the same name labels at least two lines of the file; or
2. it occurs once but resembles a repeated label: the same name with digits
   ignored (``P7`` next to a repeated ``P3``, ``Speaker 12`` next to
   ``Speaker 1``), or the same explicit markup form (``**Bob:**`` or
   ``[Bob]`` where a repeated label uses that form); or
3. no name repeats at all (a short excerpt), there are at least two distinct
   names, and every paragraph from the first label on starts with a label.

Anything else stays part of the running turn. Pass ``speakers=[...]`` to turn
the heuristic off and accept exactly the listed names.

Text before the first label (a title) and between a Markdown heading and the
next label is kept in the transcript text but is not a turn. A file with no
accepted labels gives one speaker-less turn per paragraph (blank-line
separated); headings are not turns.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qdakit.io.base import ParsedTranscript, Turn, parse_timestamp, read_text_file

__all__ = ["read_text", "parse_text"]

_TIME = r"\d{1,3}(?::\d{2}){1,2}(?:[.,]\d{1,3})?"
_NAME = r"[^\W_](?:[\w.'’ \-]{0,38}[\w.'’])?"
_LABEL = re.compile(
    rf"""^[ \t]*
    (?:(?:\[(?P<t1>{_TIME})\]|\((?P<t2>{_TIME})\)|(?P<t3>{_TIME}))[ \t]*(?:[-–—][ \t]*)?)?
    (?:\*\*(?P<bold>{_NAME})(?::\*\*|\*\*:)
      |\[(?P<bracket>{_NAME})\](?P<colon>:)?
      |(?P<plain>{_NAME})(?::|：)
    )(?:(?<=：)|(?=\s|$))[ \t]*""",
    re.VERBOSE,
)
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t]|$)")
_DIGITS = re.compile(r"\d+")
_NOT_SPEAKERS = frozenset(
    {
        "inaudible", "unclear", "laughs", "laughter", "laughing", "crosstalk",
        "cross-talk", "pause", "long pause", "short pause", "silence", "music",
        "applause", "coughs", "sighs", "overlapping", "overlap", "interruption",
        "interrupted", "redacted", "noise", "background noise", "break", "sic",
        "inaudible speech", "recording ends", "end of recording", "end of interview",
    }
)  # bracketed annotations that are never speakers


@dataclass(frozen=True, slots=True)
class Label:
    """A speaker label found at the start of a line.

    ``content`` is the offset in the line where the turn text begins;
    ``form`` is ``"plain"``, ``"bracket"`` or ``"bold"``.
    """

    name: str
    content: int
    time: float | None
    form: str


def match_label(line: str) -> Label | None:
    """Return the label at the start of ``line`` if it has a label's shape.

    This checks the form only; :func:`find_speaker_labels` decides which
    candidates are speakers.

    Examples
    --------
    >>> match_label("[00:01:23] Dr. Smith: So, tell me.")
    Label(name='Dr. Smith', content=22, time=83.0, form='plain')
    >>> match_label("https://example.org") is None
    True
    """
    m = _LABEL.match(line)
    return _label(m.group(0)) if m else None


@lru_cache(maxsize=4096)
def _label(head: str) -> Label | None:
    """The label of a line that starts with ``head``, a whole match of ``_LABEL``.

    Matching ``head`` alone gives the same groups as matching the line, so the
    checks depend on the head only; a transcript repeats a few heads, which are
    checked once.
    """
    return _checked(_LABEL.match(head))  # type: ignore[arg-type]


def _checked(m: re.Match[str]) -> Label | None:
    """The label a match of ``_LABEL`` names, unless it is not a speaker's name."""
    if m["bold"]:
        name, form = m["bold"], "bold"
    elif m["bracket"]:
        name, form = m["bracket"], "bracket"
    else:
        name, form = m["plain"], "plain"
    name = name.strip()
    if (
        len(name.split()) > 5
        or not any(c.isalpha() for c in name)
        or name.lower() in _NOT_SPEAKERS
        or (form == "bracket" and not m["colon"] and name[0].islower())
    ):
        return None
    stamp = m["t1"] or m["t2"] or m["t3"]
    return Label(name, m.end(), parse_timestamp(stamp) if stamp else None, form)


def find_speaker_labels(
    lines: Sequence[str], speakers: Iterable[str] | None = None
) -> list[Label | None]:
    """Return the accepted speaker label of each line, or None (see module docs).

    ``lines`` are the lines of a file (or the first lines of a document's
    paragraphs). With ``speakers`` given, exactly those names are accepted.

    Examples
    --------
    >>> lines = ["Ann: Hi.", "Note: quiet room.", "Bob: Hello.", "Ann: Bye.", "Bob: Bye."]
    >>> [lab.name if lab else None for lab in find_speaker_labels(lines)]
    ['Ann', None, 'Bob', 'Ann', 'Bob']
    """
    found = [match_label(line) if line else None for line in lines]  # blank lines: half of a typical file
    if speakers is not None:
        allowed = {s.strip() for s in speakers}
        return [lab if lab and lab.name in allowed else None for lab in found]
    counts = Counter(lab.name for lab in found if lab)
    repeated = {name for name, k in counts.items() if k >= 2}
    if repeated:
        shapes = {_DIGITS.sub("#", name) for name in repeated}
        forms = {lab.form for lab in found if lab and lab.name in repeated} - {"plain"}
        accepted = {
            lab.name
            for lab in found
            if lab and (_DIGITS.sub("#", lab.name) in shapes or lab.form in forms)
        }
    elif len(counts) >= 2 and _labels_start_every_paragraph(lines, found):
        accepted = set(counts)
    else:
        accepted = set()
    return [lab if lab and lab.name in accepted else None for lab in found]


def _labels_start_every_paragraph(lines: Sequence[str], found: list[Label | None]) -> bool:
    first = next(i for i, lab in enumerate(found) if lab)
    previous_blank = True
    for line, lab in zip(lines[first:], found[first:], strict=False):
        blank = not line.strip() or bool(_HEADING.match(line))
        if previous_blank and not blank and lab is None:
            return False
        previous_blank = blank
    return True


def _trimmed(text: str, start: int, end: int) -> tuple[int, str]:
    """Where ``text[start:end]`` begins without its outer whitespace, and that stripped text."""
    span = text[start:end]
    stripped = span.strip()
    # the first occurrence of the stripped text is where it starts: only whitespace comes before
    return (start + span.find(stripped), stripped) if stripped else (start, "")


def read_text(
    path: str | Path,
    *,
    name: str | None = None,
    encoding: str | None = None,
    speakers: Iterable[str] | None = None,
) -> ParsedTranscript:
    """Read a ``.txt`` or ``.md`` transcript.

    Parameters
    ----------
    path : str or Path
        The file. Decoded as UTF-8 (with or without BOM), else cp1252.
    name : str, optional
        Transcript name; defaults to the file stem.
    encoding : str, optional
        Force an encoding instead of the UTF-8 / cp1252 fallback.
    speakers : iterable of str, optional
        The exact speaker names to accept as labels, turning off the false
        label heuristic described in the module docstring.

    Returns
    -------
    ParsedTranscript
        ``text`` is the decoded file (newlines normalised); each turn's
        ``line`` is the 1-based line of its label (or paragraph), its
        ``start_time`` the label's timestamp, if any. Turns with no text
        (a label alone before the next label) are dropped.

    Raises
    ------
    ImportFormatError
        If the file is missing, empty or cannot be decoded.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "int01.txt"
    >>> _ = p.write_text("Interview 1\\n\\nQ: How was it?\\nA: Fine.\\nQ: Thanks.\\nA: Bye.\\n")
    >>> t = read_text(p)
    >>> [(turn.speaker, turn.text, turn.line) for turn in t.turns[:2]]
    [('Q', 'How was it?', 3), ('A', 'Fine.', 4)]
    """
    parsed = parse_text(read_text_file(path, encoding), name=name if name is not None else Path(path).stem,
                        speakers=speakers)
    parsed.source = str(path)
    return parsed


def parse_text(text: str, name: str, *, source: str | None = None,
               speakers: Iterable[str] | None = None) -> ParsedTranscript:
    """Parse transcript text already in memory exactly as :func:`read_text` parses a file.

    ``text`` is used as given (offsets point into it); normalise newlines to
    ``\\n`` first if needed.
    """
    lines = text.split("\n")
    offsets = [0]
    for line in lines[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)
    labels = find_speaker_labels(lines, speakers)

    turns: list[Turn] = []

    def close(speaker: str | None, begin: int, end: int, line: int, time: float | None) -> None:
        s, stripped = _trimmed(text, begin, end)
        if stripped:
            turns.append(Turn(speaker, stripped, s, s + len(stripped), start_time=time, line=line))

    if any(labels):
        current: tuple[Label, int, int] | None = None  # label, line number, text start
        for i, (line, label) in enumerate(zip(lines, labels, strict=False)):
            if label is None and not _HEADING.match(line):
                continue
            if current:
                close(current[0].name, current[2], offsets[i], current[1], current[0].time)
            current = (label, i + 1, offsets[i] + label.content) if label else None
        if current:
            close(current[0].name, current[2], len(text), current[1], current[0].time)
    else:
        first: int | None = None  # index of the first line of the running paragraph
        for i, line in enumerate([*lines, ""]):
            if line.strip() and not _HEADING.match(line):
                first = i if first is None else first
            elif first is not None:
                close(None, offsets[first], offsets[i] if i < len(lines) else len(text), first + 1, None)
                first = None

    return ParsedTranscript(name=name, text=text, turns=turns, source=source)

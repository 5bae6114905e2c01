"""What every transcript reader returns, and the helpers they share.

A reader turns one file into a :class:`ParsedTranscript`: the transcript's full
text (newlines normalised to ``\\n``) and its speaker turns, each a :class:`Turn`
with ``start``/``end`` offsets into that text such that
``parsed.text[turn.start:turn.end] == turn.text``. Segmentation (by turn or by
paragraph), focus-group questions and participant attributes are applied later,
by :mod:`qdakit.io.segment`, the same way for every format.
"""

from __future__ import annotations

import re
import warnings
from bisect import bisect_left
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from qdakit.errors import ControlCharacterWarning, ImportFormatError, QdakitError
from qdakit.io.textclean import INVALID, decode, removed_positions, sanitise, strip_control_characters

__all__ = ["Turn", "Span", "SetAside", "ParsedTranscript", "TextBuilder", "read_text_file", "reading",
           "parse_timestamp", "Reader", "NON_SPEECH_KINDS",
           "read_file_bytes", "clean_parsed"]

#: kinds of text that is not speech, recorded by the readers
NON_SPEECH_KINDS = ("speaker_label", "timestamp", "legend", "title", "heading", "stage_direction",
                    "bracketed", "page_header", "page_footer", "page_number")


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker turn as read from a file.

    ``start``/``end`` index into :attr:`ParsedTranscript.text`; ``line`` is the
    1-based line (or cue / paragraph number) in the source file, for error
    messages; times are seconds.
    """

    speaker: str | None
    text: str
    start: int
    end: int
    start_time: float | None = None
    end_time: float | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Span:
    """Text that is not speech, ``text[start:end]``, and what it is (one of :data:`NON_SPEECH_KINDS`).

    ``stage_direction`` and ``bracketed`` spans lie inside a turn (kept in its
    text, marked); the other kinds lie outside every turn.
    """

    kind: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SetAside:
    """Text read from the file but left out of the transcript text (a PDF page
    header, a Teams title line), with its kind and where it was (``"page 3"``)."""

    kind: str
    text: str
    where: str


@dataclass(slots=True)
class ParsedTranscript:
    """A file read into full text plus speaker turns.

    ``spans`` mark text that is not speech; ``set_aside`` lists what was read
    but left out of ``text``; ``legend`` maps speaker codes to what a legend at
    the top of the file says they are (``{"I1": "Interviewer 1"}``);
    ``known_splits`` are the offsets of the lines whose turn the known-speaker
    rule of :mod:`qdakit.io.labels` started (a label typed unlike the file's
    others, ``28:32 PARTICIPANT 33?``). Turns with
    ``speaker=None`` hold text no speaker label explains (unresolved).
    """

    name: str
    text: str
    turns: list[Turn]
    source: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    spans: list[Span] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)
    legend: dict[str, str] = field(default_factory=dict)
    known_splits: list[int] = field(default_factory=list)

    def check(self) -> None:
        """Raise if any turn's offsets do not reproduce its text (a reader bug)."""
        for t in self.turns:
            if self.text[t.start : t.end] != t.text:
                raise AssertionError(
                    f"{self.source}: turn at line {t.line} has offsets {t.start}:{t.end} "
                    f"that do not match its text {t.text[:40]!r}"
                )


Reader = Callable[..., ParsedTranscript]


class TextBuilder:
    """Builds a transcript text turn by turn, recording offsets.

    Used by readers whose source is not plain text (VTT, SRT, DOCX, CSV): each
    turn is written as ``"Speaker: text"`` followed by a blank line, and the
    returned :class:`Turn` points at the text part only.

    Examples
    --------
    >>> b = TextBuilder()
    >>> t = b.add("Ann", "Hello there.")
    >>> b.text[t.start:t.end]
    'Hello there.'
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.turns: list[Turn] = []
        self.spans: list[Span] = []

    def _write(self, s: str) -> None:
        self._parts.append(s)
        self._length += len(s)

    def add(
        self,
        speaker: str | None,
        text: str,
        *,
        start_time: float | None = None,
        end_time: float | None = None,
        line: int | None = None,
    ) -> Turn:
        if self.turns:
            self._write("\n\n")
        if speaker:
            self.spans.append(Span("speaker_label", self._length, self._length + len(speaker) + 1))
            self._write(f"{speaker}: ")
        start = self._length
        self._write(text)
        turn = Turn(speaker, text, start, self._length, start_time, end_time, line)
        self.turns.append(turn)
        return turn

    @property
    def text(self) -> str:
        return "".join(self._parts)


@contextmanager
def reading(path: str | Path, what: str, fix: str, message: str | None = None) -> Iterator[None]:
    """Turn any failure of a third-party parser on ``path`` into one :class:`ImportFormatError` line.

    Parsers of untrusted files (python-docx, openpyxl, pandas, lxml) raise
    dozens of exception types on damaged input (``KeyError`` for a missing zip
    member, ``XMLSyntaxError``, ``ParserError`` ...); the user needs to know
    which file, that it is not a readable ``what``, and ``fix``. qdakit's own
    errors pass through unchanged. ``message`` (with ``{path}`` and ``{exc}``)
    overrides the wording.
    """
    try:
        yield
    except QdakitError:
        raise
    except (MemoryError, RecursionError):
        raise ImportFormatError(f"{path}: too large or too deeply nested to read as {what}; {fix}.") from None
    except Exception as exc:  # noqa: BLE001 - untrusted input: every parser failure is the file's fault
        detail = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        text = (message.format(path=path, exc=detail) if message
                else f"{path}: not readable as {what} ({detail}); {fix}.")
        raise ImportFormatError(text) from None


def read_file_bytes(path: str | Path) -> bytes:
    """A transcript file's bytes; a missing, unreadable or empty file is an :class:`ImportFormatError`."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ImportFormatError(f"{p}: file not found") from None
    except IsADirectoryError:
        raise ImportFormatError(f"{p}: is a folder; give the transcript files inside it") from None
    except OSError as exc:
        raise ImportFormatError(f"{p}: cannot read the file ({exc.strerror or exc})") from None
    if not raw.strip():
        raise ImportFormatError(f"{p}: the file is empty; nothing to import")
    return raw


def read_text_file(path: str | Path, encoding: str | None = None) -> str:
    """Read a text file: a BOM wins, else ``encoding``, else UTF-16 without BOM (by its NULs), UTF-8, cp1252.

    Newlines are normalised to ``\\n``; control characters other than tab are
    removed with a :class:`~qdakit.errors.ControlCharacterWarning` naming file
    and line (see :mod:`qdakit.io.textclean`). Raises :class:`ImportFormatError`
    for a missing, unreadable, empty or undecodable file, naming the file and what to do.
    """
    p = Path(path)
    raw = read_file_bytes(p)
    # page breaks become line breaks first, so only real control characters are warned about
    text = normalise_newlines(decode(raw, str(p), encoding).lstrip("\ufeff"))
    text = strip_control_characters(text, str(p))
    if not text.strip():
        raise ImportFormatError(f"{p}: the file is empty; nothing to import")
    return text


def clean_parsed(parsed: ParsedTranscript) -> ParsedTranscript:
    """The boundary every reader's result passes: text without control characters or lone surrogates.

    The text goes through :func:`~qdakit.io.textclean.sanitise` (one warning
    naming the file and line); turns and spans are moved to the offsets of the
    characters they held, so ``text[turn.start:turn.end] == turn.text`` still
    holds. Speakers, names, attributes, the legend and what was set aside are
    cleaned too. A clean transcript is returned as it is.
    """
    small = [parsed.name, *(t.speaker or "" for t in parsed.turns), *(a.text for a in parsed.set_aside),
             *parsed.attributes, *parsed.attributes.values(), *parsed.legend, *parsed.legend.values()]
    if INVALID.search(parsed.text) is None and not any(INVALID.search(v) for v in small):
        return parsed
    where = parsed.source or parsed.name
    gone = removed_positions(parsed.text)
    text = sanitise(parsed.text, where)

    def at(offset: int) -> int:
        return offset - bisect_left(gone, offset)

    def quiet(value: str) -> str:  # the text's warning has said it; labels and names follow silently
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ControlCharacterWarning)
            return sanitise(value, where)

    turns = [replace(t, speaker=quiet(t.speaker) if t.speaker is not None else None,
                     text=text[at(t.start):at(t.end)], start=at(t.start), end=at(t.end)) for t in parsed.turns]
    return replace(parsed, name=quiet(parsed.name), text=text, turns=turns,
                   spans=[replace(sp, start=at(sp.start), end=at(sp.end)) for sp in parsed.spans],
                   set_aside=[replace(a, text=quiet(a.text)) for a in parsed.set_aside],
                   attributes={quiet(k): quiet(v) for k, v in parsed.attributes.items()},
                   legend={quiet(k): quiet(v) for k, v in parsed.legend.items()})


def normalise_newlines(text: str) -> str:
    """``\\r\\n`` and ``\\r`` to ``\\n``; a form feed or vertical tab (a page break) is a line break."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\v", "\n")


_TS = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?$")


def parse_timestamp(value: str) -> float | None:
    """Parse ``"1:02:03.5"``, ``"02:03"``, ``"00:01:02,500"`` to seconds; None if not a time."""
    m = _TS.match(value.strip())
    if not m:
        return None
    h, mnt, s, frac = m.groups()
    seconds = int(h or 0) * 3600 + int(mnt) * 60 + int(s)
    if frac:
        seconds += int(frac) / (10 ** len(frac))
    return float(seconds)

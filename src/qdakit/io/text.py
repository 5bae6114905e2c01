"""Plain-text and Markdown transcripts (``.txt``, ``.md``), and the line parser every text-like reader shares.

The transcript text is the decoded file itself, so every turn's offsets point
into exactly what the user wrote. A turn starts at a *speaker label* at the
start of a line (the forms and the false-label heuristic are in
:mod:`qdakit.io.labels`) and runs until the next label line or a Markdown
heading.

No character is lost: every non-blank character of the text lies in a turn or
in a recorded non-speech :class:`~qdakit.io.base.Span`:

* speaker labels and their timestamps (``speaker_label``, ``timestamp``);
* a line holding only a time (``timestamp``): inside a turn it stays there,
  marked; at a turn's edge it is cut off, and before a label it dates that turn;
* a legend of speaker codes near the top (``legend``: ``I1: Interviewer 1``),
  never taken for turns; its codes are in :attr:`ParsedTranscript.legend`;
* a short title among the first three lines (``title``), Markdown headings and
  short lines in capitals outside turns (``heading``);
* a line that is only a bracketed or parenthesised note (``stage_direction``:
  ``[Alle griner]``), and bracketed notes inside a line (``bracketed``): kept
  inside the turn, marked, never speakers.

Any other text outside a turn, such as field notes before the first label, is
a turn with no speaker (*unresolved*): one per paragraph (blank-line
separated), or one per line with ``paragraphs="line"`` (RTF and Word, where a
line is a paragraph). A file with no accepted labels is all unresolved turns.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from qdakit.io.base import ParsedTranscript, Span, Turn, read_text_file
from qdakit.io.labels import (
    Label,
    find_legend,
    find_speaker_labels,
    is_heading_line,
    is_stage_direction,
    is_timestamp_line,
    match_label,
    stage_directions,
    time_of,
)

__all__ = ["read_text", "parse_text", "match_label", "find_speaker_labels"]

Paragraphs = Literal["blank", "line"]
_TITLE_WORDS = 10
_TITLE_CHARS = 80


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
        label heuristic described in :mod:`qdakit.io.labels`.

    Returns
    -------
    ParsedTranscript
        ``text`` is the decoded file (newlines normalised, a form feed read
        as a line break); each turn's ``line`` is the 1-based line of its
        label (or paragraph), its ``start_time`` the label's timestamp, if any.
        Turns with no text (a label alone before the next label) are dropped.

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
    >>> [(s.kind, t.text[s.start:s.end]) for s in t.spans[:2]]
    [('title', 'Interview 1'), ('speaker_label', 'Q:')]
    """
    parsed = parse_text(read_text_file(path, encoding), name=name if name is not None else Path(path).stem,
                        speakers=speakers)
    parsed.source = str(path)
    return parsed


def parse_text(text: str, name: str, *, source: str | None = None,
               speakers: Iterable[str] | None = None, paragraphs: Paragraphs = "blank",
               headings: Iterable[int] = ()) -> ParsedTranscript:
    """Parse transcript text already in memory exactly as :func:`read_text` parses a file.

    ``text`` is used as given (offsets point into it); normalise newlines to
    ``\\n`` first if needed. ``paragraphs`` says how unresolved text is cut
    (``"blank"``: at blank lines; ``"line"``: every line); ``headings`` are
    0-based line numbers known to be headings (Word heading styles).
    """
    return _Parser(text, speakers, paragraphs, set(headings)).run(name, source)


class _Parser:
    """One pass over the lines of a text, collecting turns and non-speech spans."""

    def __init__(self, text: str, speakers: Iterable[str] | None, paragraphs: Paragraphs,
                 headings: set[int]) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.offsets = [0]
        for line in self.lines[:-1]:
            self.offsets.append(self.offsets[-1] + len(line) + 1)
        self.legend_lines, self.legend = find_legend(self.lines)
        self.labels = find_speaker_labels(self.lines, speakers, skip=self.legend_lines, legend=self.legend)
        self.paragraphs = paragraphs
        self.headings = headings
        self.turns: list[Turn] = []
        self.spans: list[Span] = []
        self.known_splits: list[int] = []  # offsets of the lines split by the known-speaker rule

    # -- helpers --------------------------------------------------------------------------
    def _span(self, kind: str, start: int, end: int) -> None:
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        if end > start:
            self.spans.append(Span(kind, start, end))

    def _line_span(self, kind: str, i: int) -> None:
        self._span(kind, self.offsets[i], self.offsets[i] + len(self.lines[i]))

    def _is_heading(self, i: int, *, outside: bool) -> bool:
        line = self.lines[i]
        return i in self.headings or (line.lstrip().startswith("#") and is_heading_line(line)) or (
            outside and is_heading_line(line))

    # -- the pass -------------------------------------------------------------------------
    def run(self, name: str, source: str | None) -> ParsedTranscript:
        legend = set(self.legend_lines)
        outside: list[int] = []  # lines outside any turn, waiting to be classified
        turn: tuple[Label, int, list[int]] | None = None  # label, line index, its lines
        pending_time: float | None = None
        for i, line in enumerate(self.lines):
            label = self.labels[i]
            if label is not None:
                if label.form == "known":
                    self.known_splits.append(self.offsets[i])
                self._flush(turn, outside)
                outside = []
                self._label_spans(i, label)
                if label.time is None and pending_time is not None:
                    label = Label(label.name, label.content, pending_time, label.form, label.time_span)
                turn, pending_time = (label, i, [i]), None
            elif i in legend or self._is_heading(i, outside=False):
                self._flush(turn, outside)
                outside, turn = [], None
                self._line_span("legend" if i in legend else "heading", i)
            elif turn is not None:
                turn[2].append(i)
            else:
                outside.append(i)
            if is_timestamp_line(line):
                pending_time = time_of(line)
            elif line.strip():
                pending_time = None
        self._flush(turn, outside)
        self.turns.sort(key=lambda t: t.start)
        self.spans.sort(key=lambda s: (s.start, s.end))
        return ParsedTranscript(name=name, text=self.text, turns=self.turns, source=source,
                                spans=self.spans, legend=dict(self.legend), known_splits=self.known_splits)

    def _label_spans(self, i: int, label: Label) -> None:
        base = self.offsets[i]
        line = self.lines[i]
        label_start = 0
        if label.time_span is not None:
            self._span("timestamp", base + label.time_span[0], base + label.time_span[1])
            label_start = label.time_span[1]
            if label.form == "tab" and label_start < label.content and line[:label.time_span[0]].strip():
                # "Y<TAB>1:41<TAB>": the name comes before the time
                self._span("speaker_label", base, base + label.time_span[0])
                label_start = label.time_span[1]
                self._span("speaker_label", base + label_start, base + label.content)
                return
        self._span("speaker_label", base + label_start, base + label.content)

    def _flush(self, turn: tuple[Label, int, list[int]] | None, outside: list[int]) -> None:
        if turn is not None:
            label, first, lines = turn
            self._turn(label, first, lines)
        if outside:
            self._outside(outside)

    def _turn(self, label: Label, first: int, lines: list[int]) -> None:
        # peel time-only and blank lines off both ends; the label line's own text is content
        body = [(i, self.offsets[i] + (label.content if i == first else 0)) for i in lines]
        while body and body[-1][0] != first and self._edge(body[-1][0]):
            self._edge_span(body.pop()[0])
        while len(body) > 1 and body[0][0] == first and not self.text[body[0][1]:self._end(first)].strip() \
                and self._edge(body[1][0]):
            self._edge_span(body.pop(1)[0])
        if not body:
            return
        start, end = body[0][1], self._end(body[-1][0])
        content = self.text[start:end]
        stripped = content.strip()
        if not stripped:
            return
        s = start + content.find(stripped)
        self.turns.append(Turn(label.name, stripped, s, s + len(stripped), start_time=label.time, line=first + 1))
        for i, begin in body:
            self._inner(i, begin)

    def _end(self, i: int) -> int:
        return self.offsets[i] + len(self.lines[i])

    def _edge(self, i: int) -> bool:
        line = self.lines[i]
        return not line.strip() or is_timestamp_line(line)

    def _edge_span(self, i: int) -> None:
        if self.lines[i].strip():
            self._line_span("timestamp", i)

    def _inner(self, i: int, begin: int) -> None:
        """Mark the non-speech inside one line of a turn."""
        line = self.text[begin:self._end(i)]
        if is_timestamp_line(line):
            self._span("timestamp", begin, self._end(i))
        elif is_stage_direction(line):
            self._span("stage_direction", begin, self._end(i))
        else:
            for a, b in stage_directions(line):
                self._span("bracketed", begin + a, begin + b)

    def _outside(self, lines: list[int]) -> None:
        """Classify lines outside any turn: title, heading, time, stage direction, or unresolved text."""
        group: list[int] = []

        def close() -> None:
            if group:
                self._unresolved(group)
                group.clear()

        for i in lines:
            line = self.lines[i]
            if not line.strip():
                if self.paragraphs == "blank":
                    close()
                continue
            kind = self._outside_kind(i)
            if kind is not None:
                close()
                self._line_span(kind, i)
                continue
            if self.paragraphs == "line":
                close()
            group.append(i)
        close()

    def _outside_kind(self, i: int) -> str | None:
        line = self.lines[i]
        if self._is_heading(i, outside=True):
            return "heading"
        if is_timestamp_line(line):
            return "timestamp"
        if is_stage_direction(line):
            return "stage_direction"
        if self._is_title(i):
            return "title"
        return None

    def _is_title(self, i: int) -> bool:
        """A short line alone between blank lines, among the first three non-blank lines, with only
        titles, headings or legend lines before it, and something after it (a title titles text)."""
        if not any(self.lines[j].strip() for j in range(i + 1, len(self.lines))):
            return False
        nonblank = [j for j in range(i) if self.lines[j].strip()]
        if len(nonblank) >= 3:
            return False
        if any(not (self._is_heading(j, outside=True) or j in self.legend_lines or self._title_shape(j))
               for j in nonblank):
            return False
        return self._title_shape(i)

    def _title_shape(self, i: int) -> bool:
        s = self.lines[i].strip()
        alone = all(not (0 <= j < len(self.lines)) or not self.lines[j].strip() for j in (i - 1, i + 1))
        return (alone and 0 < len(s) <= _TITLE_CHARS and len(s.split()) <= _TITLE_WORDS and s[-1] not in ".?!:;,"
                and s[0] not in "-*•–" and self.labels[i] is None)

    def _unresolved(self, group: list[int]) -> None:
        start, end = self.offsets[group[0]], self._end(group[-1])
        content = self.text[start:end]
        stripped = content.strip()
        if not stripped:
            return
        s = start + content.find(stripped)
        self.turns.append(Turn(None, stripped, s, s + len(stripped), line=group[0] + 1))
        for i in group:
            self._inner(i, self.offsets[i])

"""Subtitle transcripts: WebVTT (``.vtt``, as exported by MS Teams and Zoom) and SRT.

A small strict parser written here rather than ``webvtt-py``: that package
does not report the line of a malformed cue (and skips some silently), reads
a voice only from a cue's first line, and decodes files itself, while qdakit
needs file-and-line errors and the shared UTF-8 / cp1252 fallback.

Speakers come from voice tags (``<v Helen Baxter>text</v>``, several per cue
allowed) or, in cues without one, from a label at the start of the cue text
(``Ann: text``, ``[Ann] text``), accepted with the same heuristic as
:mod:`qdakit.io.text`. Other tags (``<c>``, ``<i>``, ``<b>``, ``<font>``,
``{\\an8}``) are removed and HTML entities decoded. Lines of a cue are joined
with a space. A cue with no speaker continues the previous speaker's turn
(subtitles repeat a name only when the speaker changes); consecutive cues of
the same speaker are merged into one turn, texts joined with a space, with the
start time of the first cue and the end time of the last. In a file with no
speakers at all, each cue is its own turn. ``Turn.line`` is the number of the
turn's first cue: its 1-based position in a VTT file (cue ids are free text),
the number written above it in an SRT file.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from qdakit.errors import ImportFormatError, where
from qdakit.io.base import ParsedTranscript, TextBuilder, read_text_file
from qdakit.io.labels import find_speaker_labels

__all__ = ["read_vtt", "read_srt"]

_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})")
_TIMING = re.compile(r"^[ \t]*(\S+)[ \t]*-->[ \t]*(\S+)(?:[ \t]+.*)?$")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^>]*)>")
_TAG = re.compile(r"</?[A-Za-z][^>]*>|<\d[^>]*>|\{\\[^}]*\}")
_SPACE = re.compile(r"\s+")


def _seconds(value: str) -> float | None:
    m = _TIME.fullmatch(value)
    if not m or int(m[2]) > 59 or int(m[3]) > 59:
        return None
    h, mnt, s, frac = m.groups()
    return int(h or 0) * 3600 + int(mnt) * 60 + int(s) + int(frac) / 10 ** len(frac)


def _clean(text: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", text))).strip()


def _blocks(lines: list[str], first: int = 0) -> list[tuple[int, list[str]]]:
    """Split lines into blank-line separated blocks of (0-based first line, lines)."""
    blocks: list[tuple[int, list[str]]] = []
    for i in range(first, len(lines)):
        if not lines[i].strip():
            continue
        if i > first and lines[i - 1].strip() and blocks:
            blocks[-1][1].append(lines[i])
        else:
            blocks.append((i, [lines[i]]))
    return blocks


def _timing(path: str | Path, line_no: int, line: str, cue: int, example: str) -> tuple[float, float]:
    m = _TIMING.match(line)
    start = _seconds(m[1]) if m else None
    end = _seconds(m[2]) if m else None
    if m is None or start is None or end is None:
        raise ImportFormatError(
            f"{where(path, line_no)}: cue {cue} has no valid timing line, found {line.strip()!r}; "
            f"write it as '{example}' (hours optional)."
        )
    if end < start:
        raise ImportFormatError(
            f"{where(path, line_no)}: cue {cue} ends ({m[2]}) before it starts ({m[1]}); "
            "fix the times or delete the cue."
        )
    return start, end


def _pieces(payload: str) -> list[tuple[str | None, str]]:
    """Split cue text at voice tags into (voice or None, cleaned text)."""
    out: list[tuple[str | None, str]] = []
    voice: str | None = None
    pos = 0
    for m in _VOICE.finditer(payload):
        out.append((voice, _clean(payload[pos : m.start()])))
        voice, pos = m[1].strip() or None, m.end()
    out.append((voice, _clean(payload[pos:])))
    return [(v, t) for v, t in out if t]


def _build(
    path: str | Path, name: str | None, cues: list[tuple[int, float, float, list[str]]]
) -> ParsedTranscript:
    """Turn parsed cues (cue number, start, end, text lines) into a transcript."""
    pieces = [(num, start, end, _pieces("\n".join(text))) for num, start, end, text in cues]
    # label speakers in cues without voice tags, with the heuristic of text.py
    # (blank lines between cue texts, so that each cue counts as a paragraph)
    unvoiced = [(k, p[3][0][1]) for k, p in enumerate(pieces) if p[3] and p[3][0][0] is None]
    labels = find_speaker_labels([line for _, text in unvoiced for line in (text, "")])[::2]
    for (k, text), label in zip(unvoiced, labels, strict=False):
        if label:
            rest = text[label.content :].strip()
            pieces[k][3][0] = (label.name, rest)
    has_speakers = any(v for *_, ps in pieces for v, _ in ps)

    merged: list[list] = []  # [speaker, [texts], start, end, cue number]
    pending: str | None = None  # a label alone in its cue names the next cue's speaker
    for num, start, end, ps in pieces:
        for voice, text in ps:
            if not text:
                pending = voice or pending
                continue
            voice, pending = voice or pending, None
            last = merged[-1] if merged else None
            if last and has_speakers and (voice is None or voice == last[0]):
                last[1].append(text)
                last[3] = end
            else:
                merged.append([voice, [text], start, end, num])
    builder = TextBuilder()
    for speaker, texts, start, end, num in merged:
        builder.add(speaker, " ".join(texts), start_time=start, end_time=end, line=num)
    return ParsedTranscript(
        name=name if name is not None else Path(path).stem,
        text=builder.text,
        turns=builder.turns,
        source=str(path),
        spans=builder.spans,
    )


def _no_text(path: str | Path, line_no: int, cue: int) -> ImportFormatError:
    return ImportFormatError(
        f"{where(path, line_no)}: cue {cue} has a timing line but no text; "
        "add its text or delete the cue (and its timing line)."
    )


def read_vtt(path: str | Path, *, name: str | None = None, encoding: str | None = None) -> ParsedTranscript:
    """Read a WebVTT transcript (MS Teams, Zoom, ...).

    Parameters
    ----------
    path : str or Path
        The ``.vtt`` file; it must start with a ``WEBVTT`` line.
    name : str, optional
        Transcript name; defaults to the file stem.
    encoding : str, optional
        Force an encoding instead of the UTF-8 / cp1252 fallback.

    Returns
    -------
    ParsedTranscript
        One turn per run of cues by the same speaker; text built as
        ``"Speaker: text"`` blocks separated by blank lines.

    Raises
    ------
    ImportFormatError
        On a missing ``WEBVTT`` header, a bad timing line, a cue that ends
        before it starts, or a cue with no text, naming the file and line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "call.vtt"
    >>> _ = p.write_text("WEBVTT\\n\\n00:00:01.000 --> 00:00:03.500\\n<v Ann>Hello.</v>\\n")
    >>> t = read_vtt(p)
    >>> t.turns[0].speaker, t.turns[0].text, t.turns[0].end_time
    ('Ann', 'Hello.', 3.5)
    """
    lines = read_text_file(path, encoding).split("\n")
    if not re.match(r"WEBVTT(?:[ \t]|$)", lines[0]):
        raise ImportFormatError(
            f"{where(path, 1)}: a WebVTT file must start with the line 'WEBVTT', found "
            f"{lines[0][:40]!r}; add that line (or, if this is an SRT file, name it .srt)."
        )
    header_end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    arrow = next((i for i in range(header_end) if "-->" in lines[i]), None)
    if arrow is not None:
        raise ImportFormatError(
            f"{where(path, arrow + 1)}: the WEBVTT header must be followed by a blank line "
            "before the first cue; add one."
        )
    cues: list[tuple[int, float, float, list[str]]] = []
    for first, block in _blocks(lines, header_end):
        if re.match(r"(?:NOTE|STYLE|REGION)(?:[ \t]|$)", block[0]):
            continue
        timing_at = 0 if "-->" in block[0] else 1
        cue = len(cues) + 1
        line_no = first + timing_at + 1
        if timing_at >= len(block) or "-->" not in block[timing_at]:
            raise ImportFormatError(
                f"{where(path, line_no - timing_at)}: expected cue {cue} (an optional id line, then "
                f"a timing line like '00:00:01.000 --> 00:00:04.000', then its text), found "
                f"{block[0][:40]!r}; if this text belongs to the cue before, remove the blank line above it."
            )
        start, end = _timing(path, line_no, block[timing_at], cue, "00:01:02.500 --> 00:01:05.000")
        text = block[timing_at + 1 :]
        if not text:
            raise _no_text(path, line_no, cue)
        cues.append((cue, start, end, text))
    return _build(path, name, cues)


def read_srt(path: str | Path, *, name: str | None = None, encoding: str | None = None) -> ParsedTranscript:
    """Read an SRT subtitle transcript.

    Each cue is a number line (optional here), a timing line
    ``00:00:01,000 --> 00:00:04,000`` and one or more text lines; speakers
    come from labels at the start of a cue (``Ann: text``).

    Parameters
    ----------
    path : str or Path
        The ``.srt`` file.
    name : str, optional
        Transcript name; defaults to the file stem.
    encoding : str, optional
        Force an encoding instead of the UTF-8 / cp1252 fallback.

    Returns
    -------
    ParsedTranscript
        As :func:`read_vtt`.

    Raises
    ------
    ImportFormatError
        On a bad cue number or timing line, a cue that ends before it
        starts, or a cue with no text, naming the file and line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "film.srt"
    >>> _ = p.write_text("1\\n00:00:01,000 --> 00:00:02,000\\nAnn: Hi.\\n\\n"
    ...                  "2\\n00:00:02,500 --> 00:00:04,000\\nBob: Hello.\\n")
    >>> [(t.speaker, t.text, t.start_time) for t in read_srt(p).turns]
    [('Ann', 'Hi.', 1.0), ('Bob', 'Hello.', 2.5)]
    """
    lines = read_text_file(path, encoding).split("\n")
    if re.match(r"WEBVTT(?:[ \t]|$)", lines[0]):
        raise ImportFormatError(f"{where(path, 1)}: this is a WebVTT file, not SRT; name it .vtt.")
    cues: list[tuple[int, float, float, list[str]]] = []
    for first, block in _blocks(lines):
        cue = len(cues) + 1
        has_number = block[0].strip().isdigit()
        timing_at = 1 if has_number else 0
        if timing_at >= len(block) or "-->" not in block[timing_at]:
            raise ImportFormatError(
                f"{where(path, first + 1)}: expected cue {cue} (a number line, then a timing line like "
                f"'00:00:01,000 --> 00:00:04,000', then its text), found {block[0][:40]!r}; if this "
                "text belongs to the cue before, remove the blank line above it."
            )
        line_no = first + timing_at + 1
        start, end = _timing(path, line_no, block[timing_at], cue, "00:01:02,500 --> 00:01:05,000")
        text = block[timing_at + 1 :]
        if not text:
            raise _no_text(path, line_no, cue)
        cues.append((int(block[0]) if has_number else cue, start, end, text))
    return _build(path, name, cues)

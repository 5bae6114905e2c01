"""Word transcripts (``.docx``), read with python-docx.

Two layouts are told apart automatically:

* **MS Teams transcript export.** Either the current layout, a paragraph
  ``Speaker Name   0:03`` (a name, then a tab or two or more spaces, then a
  ``m:ss`` or ``h:mm:ss`` time) followed by the paragraphs of that turn; or the
  older one, a paragraph ``0:0:0.0 --> 0:0:3.470`` followed by the speaker's
  name and the text, as three paragraphs or as three lines of one paragraph.
  Title and date paragraphs before the first speaker are skipped. The current
  layout is chosen when at least two paragraphs look like speaker lines, the
  older one when any paragraph is a ``-->`` timing line. In the older layout
  consecutive cues of the same speaker are merged, texts joined with a space.
* **An ordinary document.** The body's paragraphs and tables, in document
  order, make the transcript text: each non-empty paragraph (stripped) and
  each table row (its cells joined by tabs) a block, blocks separated by a
  blank line. That text is parsed as a plain-text transcript
  (:mod:`qdakit.io.text`): speaker labels at the start of a paragraph
  (``Name:``, ``[Name]``, ``**Name:**``, ``*0:0 = I1:``, ``1:41<TAB>Y<TAB>``,
  so a table with time, speaker and text columns reads as turns), a legend of
  speaker codes at the top, stage directions, and paragraphs in a heading
  style (``Heading ...``, ``Title``) as headings. Text before the first label
  becomes turns with no speaker; with no labels, each paragraph is one.

Text boxes, headers, footers, footnotes and comments are ignored. In the
Teams layouts, the title and date paragraphs before the first speaker are
left out of the text and listed in ``set_aside``. Paragraphs of one turn are
joined with ``"\\n\\n"``; line breaks inside a paragraph are kept as
``"\\n"``. ``Turn.line`` is the 1-based number of the paragraph where the
turn starts, counting empty paragraphs, as in ``Document.paragraphs`` (for
a table row, the number of the paragraph before the table).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from qdakit.errors import ImportFormatError
from qdakit.io.base import ParsedTranscript, SetAside, TextBuilder, parse_timestamp, reading
from qdakit.io.limits import check_zip
from qdakit.io.text import parse_text

__all__ = ["read_docx"]

_TEAMS_SPEAKER = re.compile(
    r"^(?P<name>\S.{0,59}?)(?:\t|[ \t]{2,})[ \t]*(?P<time>\d{1,2}:\d{2}(?::\d{2})?)\s*$"
)
_TEAMS_TIMING = re.compile(r"^\s*(\d+:\d{1,2}:\d{1,2}(?:\.\d+)?)\s*-->\s*(\d+:\d{1,2}:\d{1,2}(?:\.\d+)?)\s*$")

_Para = tuple[int, str, bool]  # paragraph number (0 for a table row), text, is a heading


def _hms(value: str) -> float:
    """``'0:0:3.470'`` -> 3.47 (Teams writes fields without zero padding)."""
    h, m, s = value.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def _open(path: Path) -> docx.document.Document:
    if not path.exists():
        raise ImportFormatError(f"{path}: file not found")
    if path.is_dir():
        raise ImportFormatError(f"{path}: is a folder; give the transcript files inside it")
    if path.stat().st_size == 0:
        raise ImportFormatError(f"{path}: the file is empty; nothing to import")
    if not zipfile.is_zipfile(path):
        raise ImportFormatError(
            f"{path} is not a Word .docx file (it is not a zip archive); "
            "if it is an old .doc, save it as .docx"
        )
    check_zip(path, "Word .docx document")  # size and paragraph caps before python-docx parses it
    with reading(path, "a Word .docx document", "", "{path} is a zip archive but not a Word .docx document "
                 "({exc}); open it in Word and save it as .docx"):
        return docx.Document(str(path))


def _teams(paras: list[_Para], b: TextBuilder, aside: list[SetAside]) -> None:
    current: tuple[str, float | None, int] | None = None
    parts: list[str] = []
    for number, text, _ in [*paras, (-1, "", False)]:
        m = _TEAMS_SPEAKER.match(text) if number >= 0 else None
        if m or number < 0:
            if current and parts:
                b.add(current[0], "\n\n".join(parts), start_time=current[1], line=current[2])
            if m:
                current, parts = (m["name"].strip(), parse_timestamp(m["time"]), number), []
        elif current and text.strip():
            parts.append(text.strip())
        elif text.strip():
            aside.append(SetAside("title", text.strip(), f"paragraph {number}"))


def _teams_old(paras: list[_Para], b: TextBuilder, aside: list[SetAside]) -> None:
    cues: list[list] = []  # [start, end, paragraph number, [(paragraph number, line)]]
    for number, text, _ in paras:
        for line in text.split("\n"):
            m = _TEAMS_TIMING.match(line)
            if m:
                cues.append([_hms(m[1]), _hms(m[2]), number, []])
            elif cues and line.strip():
                cues[-1][3].append((number, line.strip()))
            elif line.strip():
                aside.append(SetAside("title", line.strip(), f"paragraph {number}"))
    merged: list[list] = []  # [speaker, text, start, end, paragraph number]
    for start, end, number, lines in cues:
        speaker = lines.pop(0)[1] if len(lines) >= 2 else None
        text = lines[0][1] if lines else ""
        for (p0, _), (p1, line) in zip(lines, lines[1:], strict=False):
            text += ("\n" if p0 == p1 else "\n\n") + line
        if not text:
            continue
        if merged and speaker is not None and merged[-1][0] == speaker:
            merged[-1][1] += " " + text
            merged[-1][3] = end
        else:
            merged.append([speaker, text, start, end, number])
    for speaker, text, start, end, number in merged:
        b.add(speaker, text, start_time=start, end_time=end, line=number)


def _ordinary(paras: list[_Para], name: str, source: str, speakers: Iterable[str] | None) -> ParsedTranscript:
    blocks: list[str] = []
    numbers: list[int] = []  # paragraph number of each line of the text
    headings: list[int] = []
    for number, text, heading in paras:
        block = text.strip()
        if not block:
            continue
        if blocks:
            numbers.append(numbers[-1])  # the blank line between blocks
        if heading:
            headings.append(len(numbers))
        blocks.append(block)
        numbers.extend([number] * (block.count("\n") + 1))
    parsed = parse_text("\n\n".join(blocks), name, source=source, speakers=speakers, headings=headings)
    parsed.turns = [replace(t, line=numbers[t.line - 1]) if t.line else t for t in parsed.turns]
    return parsed


def _blocks(document: docx.document.Document) -> tuple[list[_Para], list[_Para]]:
    """Body paragraphs and table rows in document order, and the paragraphs alone."""
    out: list[_Para] = []
    paragraphs: list[_Para] = []
    number = 0
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            number += 1
            para = Paragraph(element, document)
            style = para.style.name if para.style is not None else ""
            heading = bool(style) and (style.startswith("Heading") or style in ("Title", "Subtitle"))
            out.append((number, para.text.replace("\r", "\n"), heading))
            paragraphs.append(out[-1])
        elif tag == "tbl":
            for row in Table(element, document).rows:
                cells: list[str] = []
                seen: set[int] = set()
                for cell in row.cells:  # a merged cell is repeated: keep it once
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    cells.append(" ".join(cell.text.split()))
                out.append((number, "\t".join(cells), False))
    return out, paragraphs


def read_docx(
    path: str | Path,
    *,
    name: str | None = None,
    encoding: str | None = None,
    speakers: Iterable[str] | None = None,
) -> ParsedTranscript:
    """Read a Word ``.docx`` transcript (MS Teams export or ordinary document).

    Parameters
    ----------
    path : str or Path
        The ``.docx`` file (not an old binary ``.doc``).
    name : str, optional
        Transcript name; defaults to the file stem.
    encoding : str, optional
        Ignored (a .docx declares its own encoding); accepted so that every
        reader takes the same arguments.
    speakers : iterable of str, optional
        For an ordinary document, the exact speaker names to accept as
        labels, turning off the false label heuristic.

    Returns
    -------
    ParsedTranscript
        Text built as ``"Speaker: text"`` blocks separated by blank lines.

    Raises
    ------
    ImportFormatError
        If the file is missing, empty, not a zip archive, or a zip archive
        that is not a Word document.

    Examples
    --------
    >>> import tempfile, pathlib, docx
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "int02.docx"
    >>> d = docx.Document()
    >>> for s in ["Interview 2", "Q: Ready?", "A: Yes.", "Q: Good.", "A: Go."]:
    ...     _ = d.add_paragraph(s)
    >>> d.save(p)
    >>> [(t.speaker, t.text, t.line) for t in read_docx(p).turns[:2]]
    [('Q', 'Ready?', 2), ('A', 'Yes.', 3)]
    """
    p = Path(path)
    document = _open(p)
    with reading(p, "a Word .docx document", "open it in Word and save it as .docx"):
        paras, body = _blocks(document)
    if not any(text.strip() for _, text, _ in paras):
        raise ImportFormatError(f"{p}: the document has no text in its paragraphs or tables; nothing to import")
    name = name if name is not None else p.stem
    builder = TextBuilder()
    aside: list[SetAside] = []
    if any(_TEAMS_TIMING.match(line) for _, text, _ in body for line in text.split("\n")):
        _teams_old(body, builder, aside)
    elif sum(bool(_TEAMS_SPEAKER.match(text)) for _, text, _ in body) >= 2:
        _teams(body, builder, aside)
    else:
        return _ordinary(paras, name, str(path), speakers)
    return ParsedTranscript(name=name, text=builder.text, turns=builder.turns, source=str(path),
                            spans=builder.spans, set_aside=aside)

"""Readers and writers: transcripts, codebooks, participant attributes.

:func:`read_transcripts` picks the reader by file suffix; each reader returns
:class:`~qdakit.io.base.ParsedTranscript` objects with offsets into the text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qdakit.errors import ImportFormatError
from qdakit.io.base import ParsedTranscript, Turn, clean_parsed

__all__ = ["read_transcripts", "TRANSCRIPT_SUFFIXES", "TABLE_SUFFIXES", "ParsedTranscript", "Turn"]

#: suffixes picked up when a folder is imported
TRANSCRIPT_SUFFIXES = (".txt", ".md", ".vtt", ".srt", ".docx", ".pdf", ".rtf")
#: pre-segmented tables: read only when named explicitly
TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm")


def read_transcripts(path: str | Path, *, encoding: str | None = None,
                     columns: dict[str, Any] | None = None) -> list[ParsedTranscript]:
    """Read one file into one or more parsed transcripts (tables can hold several).

    Parameters
    ----------
    path : path to a ``.txt``/``.md``, ``.vtt``, ``.srt``, ``.docx``, ``.pdf``, ``.rtf``,
        ``.csv``/``.tsv``/``.xlsx``
    encoding : text encoding to force (default: UTF-8, UTF-8 with BOM, then cp1252)
    columns : for tables, the column mapping, e.g. ``{"text": "utterance", "speaker": "who"}``

    Every result passes :func:`~qdakit.io.base.clean_parsed`: no control character or lone
    surrogate reaches a project, whatever the format.
    """
    return [clean_parsed(parsed) for parsed in _read(Path(path), encoding, columns)]


def _read(p: Path, encoding: str | None, columns: dict[str, Any] | None) -> list[ParsedTranscript]:
    suffix = p.suffix.lower()
    if suffix in (".txt", ".md"):
        from qdakit.io.text import read_text
        return [read_text(p, encoding=encoding)]
    if suffix == ".vtt":
        from qdakit.io.subtitles import read_vtt
        return [read_vtt(p, encoding=encoding)]
    if suffix == ".srt":
        from qdakit.io.subtitles import read_srt
        return [read_srt(p, encoding=encoding)]
    if suffix == ".docx":
        from qdakit.io.word import read_docx
        return [read_docx(p)]
    if suffix == ".pdf":
        from qdakit.io.pdf import read_pdf
        return [read_pdf(p)]
    if suffix == ".rtf":
        from qdakit.io.rtf import read_rtf
        return [read_rtf(p, encoding=encoding)]
    if suffix in TABLE_SUFFIXES:
        from qdakit.io.table import read_table
        return read_table(p, encoding=encoding, **(columns or {}))
    if suffix == ".doc":
        raise ImportFormatError(f"{p}: old Word .doc files are not supported; save it as .docx (or .rtf, .pdf)")
    if suffix in (".odt", ".pages"):
        raise ImportFormatError(f"{p}: {suffix} documents are not supported; save it as .docx, .rtf or .pdf")
    raise ImportFormatError(
        f"{p}: unknown transcript format {suffix or '(no suffix)'!r}; supported: "
        f"{', '.join(TRANSCRIPT_SUFFIXES + TABLE_SUFFIXES)} (REFI-QDA .qdpx projects have their own importer)"
    )

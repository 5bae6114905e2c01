"""RTF transcripts (``.rtf``), converted to text with striprtf.

The RTF is decoded (its ``\\'xx`` and ``\\uN`` escapes by striprtf, in the
code page it declares) and parsed as a plain-text transcript by
:mod:`qdakit.io.text`, each RTF paragraph a line. Field notes before the
first speaker label, and files with no labels at all, become segments with no
speaker, one per paragraph, so that nothing is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from qdakit.errors import ImportFormatError
from qdakit.io.base import ParsedTranscript, normalise_newlines, read_file_bytes
from qdakit.io.text import parse_text
from qdakit.io.textclean import sanitise

__all__ = ["read_rtf"]

_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")


def read_rtf(
    path: str | Path,
    *,
    name: str | None = None,
    encoding: str | None = None,
    speakers: Iterable[str] | None = None,
) -> ParsedTranscript:
    """Read an ``.rtf`` transcript.

    Parameters
    ----------
    path : str or Path
    name : str, optional
        Transcript name; defaults to the file stem.
    encoding : str, optional
        The code page of 8-bit text, if the file's ``\\ansicpg`` is wrong
        (default: the file's, else cp1252).
    speakers : iterable of str, optional
        The exact speaker names to accept as labels.

    Raises
    ------
    ImportFormatError
        If the file is missing, empty, not RTF, or has no text.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s1.rtf"
    >>> _ = p.write_text(r"{\\rtf1\\ansi Notes before.\\par I: Ready?\\par P1: Yes.\\par I: Go.\\par P1: Ok.}")
    >>> [(t.speaker, t.text) for t in read_rtf(p).turns[:2]]
    [(None, 'Notes before.'), ('I', 'Ready?')]
    """
    from striprtf.striprtf import rtf_to_text

    p = Path(path)
    raw = read_file_bytes(p)
    if not raw.lstrip().startswith(b"{\\rtf"):
        raise ImportFormatError(f"{p}: not an RTF file (it does not start with '{{\\rtf'); "
                                "save it from your word processor as Rich Text Format, .docx or .txt")
    m = _CODEPAGE.search(raw[:2000])
    codepage = encoding or (f"cp{m.group(1).decode()}" if m else "cp1252")
    try:
        "".encode(codepage)
    except LookupError:
        codepage = "cp1252"
    try:
        text = rtf_to_text(raw.decode(codepage, errors="replace"), encoding=codepage, errors="replace")
    except Exception as exc:  # striprtf raises plain errors on broken groups
        raise ImportFormatError(f"{p}: cannot read the RTF ({type(exc).__name__}: {exc}); open it and "
                                "save it again as RTF, .docx or .txt") from None
    text = sanitise(normalise_newlines(text), str(p))  # \\u27? (ESC), \\u-10240? (a lone surrogate) ...
    if not text.strip():
        raise ImportFormatError(f"{p}: the RTF has no text; nothing to import")
    return parse_text(text, name if name is not None else p.stem, source=str(path), speakers=speakers,
                      paragraphs="line")

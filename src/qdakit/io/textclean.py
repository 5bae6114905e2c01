"""Turning the bytes of a text file into clean text: encodings, UTF-16 without BOM, control characters.

Every text reader (transcripts, tables, codebooks, codings, questions, REFI
sources) decodes through :func:`decode` and cleans through
:func:`strip_control_characters`, so a file saved by Notepad as "Unicode"
(UTF-16 without a byte-order mark) reads as text instead of one segment with
a NUL between characters, and stray control characters (NUL, bell, form feed
...) never reach a project silently: they are removed with a
:class:`~qdakit.errors.ControlCharacterWarning` naming the file and line.
"""

from __future__ import annotations

import codecs
import re
import warnings

from qdakit.errors import ControlCharacterWarning, ImportFormatError

__all__ = ["decode", "looks_like_utf16", "strip_control_characters", "CONTROL"]

#: C0 controls but tab, newline and carriage return; DEL; C1 controls
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")
_FALLBACK = ("utf-8-sig", "cp1252")


def looks_like_utf16(raw: bytes) -> str | None:
    """``'utf-16-le'``/``'utf-16-be'`` if ``raw`` reads as UTF-16 without a BOM, else None.

    Text in a Latin script saved as UTF-16 has a NUL in every other byte; a
    file is taken as UTF-16 when at least 40% of its (first 64 kB of) byte
    pairs have a NUL on one side and almost none on the other.
    """
    sample = raw[:65536]
    pairs = len(sample) // 2
    if pairs < 2 or len(raw) % 2:
        return None
    even, odd = sample[0:2 * pairs:2].count(0), sample[1:2 * pairs:2].count(0)
    if odd >= 0.4 * pairs and even <= 0.02 * pairs:
        return "utf-16-le"
    if even >= 0.4 * pairs and odd <= 0.02 * pairs:
        return "utf-16-be"
    return None


def decode(raw: bytes, where: str, encoding: str | None = None) -> str:
    """Decode a file's bytes: a BOM wins, then ``encoding``, then UTF-16 by its NULs, UTF-8, cp1252.

    Raises :class:`ImportFormatError` for an unknown ``encoding`` or bytes that
    no candidate decodes, naming the line and byte.
    """
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ImportFormatError(f"{where}: unknown text encoding {encoding!r}; use e.g. utf-8, cp1252, "
                                    "latin-1 or utf-16, or leave the option out to detect it.") from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        candidates: tuple[str, ...] = ("utf-16",)
    elif raw[:3] == b"\xef\xbb\xbf":
        candidates = ("utf-8-sig",)
    elif encoding:
        candidates = (encoding,)
    elif utf16 := looks_like_utf16(raw):
        candidates = (utf16,)
    else:
        candidates = _FALLBACK
    last: UnicodeDecodeError | None = None
    for enc in candidates:
        try:
            return raw.decode(enc).lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            last = exc
    assert last is not None
    line = raw[: last.start].count(b"\n") + 1
    raise ImportFormatError(
        f"{where}, line {line}: cannot decode the file as {' or '.join(candidates)} "
        f"(byte {raw[last.start]:#04x} at offset {last.start}). Save it as UTF-8 "
        "or pass the right encoding (e.g. --encoding latin-1).")


def strip_control_characters(text: str, where: str, *, keep_offsets: bool = False) -> str:
    """Remove control characters other than tab and line breaks, warning once with the first line.

    Form feeds (page breaks) become line breaks so that no two words are
    glued together; the rest are dropped. With ``keep_offsets`` each becomes a
    space instead, so character offsets into the text (REFI-QDA selections) stay right.
    """
    found = CONTROL.search(text)
    if found is None:
        return text
    n = len(CONTROL.findall(text))
    line = text.count("\n", 0, found.start()) + 1
    warnings.warn(ControlCharacterWarning(
        f"{where}, line {line}: removed {n} control character(s) (first: U+{ord(found.group()):04X}); "
        "they are not text. Check the file if this is unexpected."), stacklevel=2)
    if keep_offsets:
        return CONTROL.sub(" ", text)
    return CONTROL.sub(lambda m: "\n" if m.group() == "\x0c" else "", text)

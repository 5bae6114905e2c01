"""Turning the bytes of a text file into clean text: encodings, UTF-16 without BOM, control characters.

Every text reader (transcripts, tables, codebooks, codings, questions, REFI
sources) decodes through :func:`decode` and cleans through :func:`sanitise`
(transcripts once more at the one boundary every reader's result passes,
:func:`qdakit.io.base.clean_parsed`; codebooks at
:func:`qdakit.io.codebook.clean_codebook`), so a file saved by Notepad as "Unicode"
(UTF-16 without a byte-order mark) reads as text instead of one segment with
a NUL between characters, and stray control characters (NUL, bell, form feed
...) never reach a project silently: they are removed with a
:class:`~qdakit.errors.ControlCharacterWarning` naming the file and line.
"""

from __future__ import annotations

import codecs
import re
import warnings
from dataclasses import replace

from qdakit.errors import ControlCharacterWarning, ImportFormatError
from qdakit.model import Code

__all__ = ["decode", "looks_like_utf16", "sanitise", "strip_control_characters", "removed_positions", "CONTROL",
           "INVALID", "clean_code"]

#: C0 controls but tab, newline and carriage return; DEL; C1 controls
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")
_FALLBACK = ("utf-8-sig", "cp1252")


def looks_like_utf16(raw: bytes) -> str | None:
    """``'utf-16-le'``/``'utf-16-be'`` if ``raw`` reads as UTF-16 without a BOM, else None.

    Text in a Latin script saved as UTF-16 has a NUL in every other byte; a
    file is taken as UTF-16 when at least 40% of its (first 64 kB of) byte
    pairs have a NUL on one side and almost none on the other. Text in other
    scripts (Russian, Greek, Japanese) has no NULs: bytes that are not UTF-8
    are then given to charset-normalizer, whose UTF-16 verdict is taken.
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
    return _utf16_by_detector(raw)


def _utf16_by_detector(raw: bytes) -> str | None:
    """UTF-16 in a script without NULs (Cyrillic, Greek, Japanese ...), by charset-normalizer's verdict.

    Asked only of bytes that are not UTF-8, or whose UTF-8 reading is thick
    with control characters (Cyrillic in UTF-16 is all bytes below 0x80, so it
    "decodes" as ASCII full of them), and only its UTF-16 verdicts are taken:
    the other single-byte guesses stay with the cp1252 fallback.
    """
    if len(raw) % 2 or len(raw) < 4:
        return None
    try:
        text = raw.decode("utf-8")
        if len(CONTROL.findall(text, 0, 65536)) <= 0.05 * min(len(text), 65536):
            return None
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:65536]).best()
    found = (best.encoding if best is not None else "").replace("_", "-").lower()
    return found if found in ("utf-16-le", "utf-16-be") else None


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


#: what :func:`sanitise` changes: the control characters above and lone surrogates (never valid text)
INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def sanitise(text: str, where: str, *, keep_offsets: bool = False, line: bool = True) -> str:
    """The one filter every text from a file passes: lone surrogates and control characters.

    A lone surrogate (an RTF ``\\u-10240?``, a JSON ``"\\ud800"``) cannot be
    stored or hashed as UTF-8; each becomes U+FFFD, one for one, and is
    counted. Control characters other than tab and line breaks are removed:
    form feeds (page breaks) become line breaks so that no two words are glued
    together, the rest are dropped, or with ``keep_offsets`` become spaces so
    that character offsets into the text (REFI-QDA selections) stay right. One
    :class:`~qdakit.errors.ControlCharacterWarning` names ``where``, the first
    line and the counts.
    """
    found = INVALID.search(text)
    if found is None:
        return text
    surrogates = len(_SURROGATE.findall(text, found.start()))
    controls = len(INVALID.findall(text, found.start())) - surrogates
    at = f", line {text.count(chr(10), 0, found.start()) + 1}" if line else ""
    what = []
    if controls:
        what.append(f"removed {controls} control character(s)")
    if surrogates:
        what.append(f"replaced {surrogates} lone surrogate(s) with U+FFFD")
    warnings.warn(ControlCharacterWarning(
        f"{where}{at}: {' and '.join(what)} (first: U+{ord(found.group()):04X}); "
        "they are not text. Check the file if this is unexpected."), stacklevel=2)
    if surrogates:
        text = _SURROGATE.sub("\ufffd", text)
    if keep_offsets:
        return CONTROL.sub(" ", text)
    return CONTROL.sub(lambda m: "\n" if m.group() == "\x0c" else "", text)


def removed_positions(text: str) -> list[int]:
    """Where :func:`sanitise` (without ``keep_offsets``) drops a character of ``text``, in order."""
    return [m.start() for m in CONTROL.finditer(text) if m.group() != "\x0c"]


def strip_control_characters(text: str, where: str, *, keep_offsets: bool = False) -> str:
    """Remove control characters other than tab and line breaks (and replace lone surrogates): :func:`sanitise`."""
    return sanitise(text, where, keep_offsets=keep_offsets)


def clean_code(code: Code, where: str) -> Code:
    """A code whose every text field has passed :func:`sanitise` (one warning for the code, at ``where``)."""
    texts = [code.name, code.parent or "", code.description, code.inclusion, code.exclusion, *code.examples,
             code.colour or "", code.guid]
    bad = next((t for t in texts if INVALID.search(t)), None)
    if bad is None:
        return code
    sanitise(bad, f"{where}, code {code.name!r}", line=False)  # the warning, once

    def s(value: str) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ControlCharacterWarning)
            return sanitise(value, where).strip()

    return replace(code, name=s(code.name), parent=s(code.parent) if code.parent else code.parent,
                   description=s(code.description), inclusion=s(code.inclusion), exclusion=s(code.exclusion),
                   examples=tuple(s(e) for e in code.examples), colour=s(code.colour) if code.colour else None,
                   guid=s(code.guid))

"""Caps on untrusted input: sizes and element counts of zip-based files, YAML aliases, nesting depth.

A ``.docx``, ``.xlsx`` or ``.qdpx`` is a zip archive of XML; a few hundred
kilobytes can expand to gigabytes or to millions of elements that take
minutes to parse. :func:`check_zip` looks at the archive before any parser
does: the declared uncompressed size of every member, then, streaming each XML
member under that cap, the actual bytes and the number of elements (and of
paragraphs, for Word). Every limit has a default that real transcripts stay far
below and can be raised with an environment variable named in the error.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from pathlib import Path

from qdakit.errors import ImportFormatError

__all__ = ["LIMITS", "limit", "check_zip", "check_depth"]

#: name -> (default, what it caps); override with the environment variable ``QDAKIT_<NAME>``
LIMITS: dict[str, tuple[int, str]] = {
    "MAX_UNCOMPRESSED_MB": (200, "megabytes a .docx/.xlsx/.qdpx may expand to"),
    "MAX_XML_ELEMENTS": (2_000_000, "XML elements in one .docx/.xlsx/.qdpx part"),
    "MAX_PARAGRAPHS": (100_000, "paragraphs in a Word document"),
    "MAX_DEPTH": (100, "levels of nesting in a codebook or XML file"),
    "MAX_YAML_NODES": (100_000, "values a YAML file may hold once its aliases are expanded"),
    # PDF, charged while pdfminer reads the file (qdakit.io.pdfguard)
    "MAX_PDF_STREAM_MB": (50, "megabytes one PDF stream may decompress to"),
    "MAX_PDF_MB": (200, "megabytes all streams of a PDF may decompress to"),
    "MAX_PDF_PAGE_TOKENS": (200_000, "operators and operands in one PDF page's content"),
    "MAX_PDF_PAGE_CHARS": (50_000, "characters on one PDF page"),
    "MAX_PDF_PAGES": (5_000, "pages in a PDF"),
    "MAX_PDF_SECONDS": (600, "seconds to read one PDF"),
    # .qdpx sources, charged while each is decompressed (qdakit.io.refi.common)
    "MAX_SOURCE_MB": (10, "megabytes one .qdpx source text may decompress to"),
}


def limit(name: str) -> int:
    """The current value of limit ``name``: ``$QDAKIT_<name>`` if set to an integer, else the default."""
    default, _ = LIMITS[name]
    raw = os.environ.get(f"QDAKIT_{name}", "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise ImportFormatError(f"environment variable QDAKIT_{name}={raw!r} is not a whole number; "
                                f"unset it or give a number (default {default}).") from None


def over(name: str, where: str, found: str) -> ImportFormatError:
    """The error for input beyond limit ``name``: what was found, the limit, and how to raise it."""
    value, (_, what) = limit(name), LIMITS[name]
    return ImportFormatError(
        f"{where}: {found}, over the limit of {value:,} {what}. If the file is trusted, raise the "
        f"limit with the environment variable QDAKIT_{name} (e.g. QDAKIT_{name}={value * 10}).")


_OPEN_TAG = re.compile(rb"<(?![/?!])")
_PARAGRAPH = re.compile(rb"<w:p[\s>/]")


def check_zip(path: Path, kind: str) -> None:
    """Refuse a zip-based ``kind`` ('Word .docx', 'Excel .xlsx', ...) that expands beyond the limits.

    Raises :class:`ImportFormatError` for a file that is not a readable zip
    archive, whose members declare or actually expand to more than
    ``MAX_UNCOMPRESSED_MB`` in all, or whose XML parts hold more than
    ``MAX_XML_ELEMENTS`` elements (``MAX_PARAGRAPHS`` paragraphs for Word).
    """
    cap = limit("MAX_UNCOMPRESSED_MB") * 1_000_000
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            declared = sum(i.file_size for i in infos)
            if declared > cap:
                raise over("MAX_UNCOMPRESSED_MB", str(path), f"the {kind} declares {declared / 1e6:,.0f} MB "
                           "uncompressed")
            budget = cap
            for info in infos:
                if info.is_dir() or not info.filename.lower().endswith((".xml", ".rels", ".qde")):
                    continue
                budget -= _scan(z, info, path, budget)
    except ImportFormatError:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError,
            ValueError) as exc:
        raise ImportFormatError(f"{path}: not a readable {kind} ({type(exc).__name__}: {exc}); "
                                f"open it in its program and save it again.") from None


def _scan(z: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, budget: int) -> int:
    """Stream one XML member: count its bytes, elements and paragraphs under the caps."""
    where = f"{path} ({info.filename})"
    max_elements, max_paras = limit("MAX_XML_ELEMENTS"), limit("MAX_PARAGRAPHS")
    size = elements = paragraphs = 0
    tail = b""
    with z.open(info) as f:
        while chunk := f.read(1 << 20):
            size += len(chunk)
            if size > budget:
                raise over("MAX_UNCOMPRESSED_MB", where, f"it expands to more than {size / 1e6:,.0f} MB")
            data = tail + chunk
            cut = max(0, len(data) - 6)  # a tag cut at the chunk boundary is counted in the next round
            elements += len(_OPEN_TAG.findall(data, 0, cut))
            paragraphs += len(_PARAGRAPH.findall(data, 0, cut))
            tail = data[cut:]
            if elements > max_elements:
                raise over("MAX_XML_ELEMENTS", where, f"more than {elements:,} XML elements")
            if paragraphs > max_paras:
                raise over("MAX_PARAGRAPHS", where, f"more than {paragraphs:,} paragraphs")
    return size


def check_depth(depth: int, where: str) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` (a code tree, a YAML or JSON document)."""
    if depth > limit("MAX_DEPTH"):
        raise over("MAX_DEPTH", where, "nested too deeply")

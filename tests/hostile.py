"""Hostile files built here, small on disk and costly to read (importable as ``hostile``).

Shared by the tests (``tests/io/test_hostile_files.py``) and the benchmark
(``benchmarks/hostile.py``). Each builder writes a file and returns its path;
``scale`` makes the bomb bigger (the tests use small ones under low limits,
the benchmark the full ones under the default limits).
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def deflate_repeated(unit: bytes, times: int) -> bytes:
    """``unit * times`` deflated, without holding the whole of it in memory."""
    comp = zlib.compressobj(9)
    block = unit * max(1, (1 << 20) // len(unit))
    per_block = len(block) // len(unit)
    parts = []
    while times > 0:
        n = min(times, per_block)
        parts.append(comp.compress(block if n == per_block else unit * n))
        times -= n
    parts.append(comp.flush())
    return b"".join(parts)


def pdf_bytes(pages: list[bytes], *, flate: bool = True, xobjects: dict[str, bytes] | None = None,
              page_copies: int = 1) -> bytes:
    """A PDF with one content stream per page (Helvetica as /F1), deflated unless ``flate`` is false.

    ``pages`` hold content streams (already deflated when ``flate`` is true and
    they start with the zlib header ``x``). ``xobjects`` are Form XObjects
    (name -> content) every page may call with ``/name Do``; ``page_copies``
    repeats the page list that many times (the content streams are shared).
    """
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(content: bytes, extra: bytes = b"") -> bytes:
        if flate:
            data = content if content[:1] == b"x" else zlib.compress(content)
            return b"<< /Length %d /Filter /FlateDecode %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"
        return b"<< /Length %d %s >>\nstream\n" % (len(content), extra) + content + b"\nendstream"

    catalog = add(b"")
    tree = add(b"")
    font = add(_FONT)
    xo_ids = {}
    for name in xobjects or {}:
        xo_ids[name] = add(b"")
    names = b" ".join(b"/%s %d 0 R" % (n.encode(), i) for n, i in xo_ids.items())
    resources = b"<< /Font << /F1 %d 0 R >> /XObject << %s >> >>" % (font, names)
    for name, content in (xobjects or {}).items():
        objects[xo_ids[name] - 1] = stream(content, b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] "
                                           b"/Resources " + resources)
    content_ids = [add(stream(c)) for c in pages]
    kids = []
    for _ in range(page_copies):
        for cid in content_ids:
            kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources %s /Contents %d 0 R >>"
                            % (tree, resources, cid)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids),
                                                                      len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    return bytes(out)


def text_page(lines: Iterable[str]) -> bytes:
    """A content stream drawing ``lines`` top to bottom in Helvetica 11."""
    ops = [b"BT /F1 11 Tf 14 TL 72 600 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(b"(" + escaped.encode("latin-1") + b") Tj T*")
    ops.append(b"ET")
    return b"\n".join(ops)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# -- the bombs ------------------------------------------------------------------------------------------
def pdf_long_line(path: Path, scale: float = 1.0) -> Path:
    """One page holding one line of ``5 MB * scale`` characters, deflated to a few kilobytes."""
    n = int(5_000_000 * scale)
    content = zlib.compress(b"BT /F1 11 Tf 72 700 Td (" + b"a" * n + b") Tj ET", 9)
    return write(path, pdf_bytes([content]))


def pdf_text_operators(path: Path, scale: float = 1.0) -> Path:
    """One page of ``1,000,000 * scale`` short text-showing operators."""
    n = int(1_000_000 * scale)
    body = b"BT /F1 11 Tf 72 700 Td " + b"(ab) Tj " * n + b"ET"
    return write(path, pdf_bytes([zlib.compress(body, 9)]))


def pdf_noops(path: Path, scale: float = 1.0) -> Path:
    """One page of ``5,000,000 * scale`` save/restore pairs that draw nothing."""
    return write(path, pdf_bytes([deflate_repeated(b"q Q ", int(5_000_000 * scale))]))


def pdf_spaces(path: Path, scale: float = 1.0) -> Path:
    """One content stream of ``1 GiB * scale`` spaces (about 1 MB on disk at full scale)."""
    return write(path, pdf_bytes([deflate_repeated(b" " * 1024, int((1 << 20) * scale))]))


def pdf_nested_forms(path: Path, depth: int = 6, fan: int = 10) -> Path:
    """Form XObjects each drawing the one below ``fan`` times, ``depth`` deep: fan**depth words drawn."""
    forms = {"X0": b"BT /F1 11 Tf 72 700 Td (word) Tj ET"}
    for level in range(1, depth + 1):
        forms[f"X{level}"] = (b"/X%d Do " % (level - 1)) * fan
    return write(path, pdf_bytes([b"/X%d Do" % depth], xobjects=forms))


def pdf_many_pages(path: Path, pages: int, declare: int | None = None) -> Path:
    """``pages`` pages sharing one small content stream; the page tree says ``declare`` (default: the truth)."""
    data = pdf_bytes([text_page(["Ann: yes."])], page_copies=pages)
    if declare is not None:
        true, said = b"/Count %d" % pages, b"/Count %d" % declare
        data = data.replace(true, said.ljust(len(true)))  # same length: the xref offsets stay right
    return write(path, data)


def qdpx_big_source(path: Path, megabytes: int = 150) -> Path:
    """A ``.qdpx`` whose one text source decompresses to ``megabytes`` MB (a few hundred KB on disk)."""
    guid = "6f1c2f3e-0000-4000-8000-000000000001"
    project = (f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="bomb">'
               f'<Sources><TextSource guid="{guid}" name="big" plainTextPath="internal://{guid}.txt"/>'
               f"</Sources></Project>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("project.qde", project)
        with z.open(f"Sources/{guid}.txt", "w", force_zip64=True) as f:
            block = b"Ann: we plan in May. " * 50_000  # about 1 MB
            for _ in range(megabytes):
                f.write(block)
    return path

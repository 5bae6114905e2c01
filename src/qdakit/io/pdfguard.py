"""Caps on what reading one PDF may cost, enforced while pdfminer reads it.

A PDF is a container of compressed streams and a small program per page (the
content stream) that a reader runs; a few kilobytes can decompress to a
gigabyte, or draw millions of characters, each of which pdfplumber turns into
an object of a kilobyte or more. Checking sizes after the fact is too late, so
the caps are charged as pdfminer works, and the read stops at the first one
passed with an :class:`~qdakit.errors.ImportFormatError` naming the limit and
its environment variable (see :mod:`qdakit.io.limits`):

* ``MAX_PDF_STREAM_MB`` / ``MAX_PDF_MB``: bytes one stream, and all streams of
  the file together, may decompress to. Flate streams (nearly all) are
  decompressed under the cap, never beyond it; the rarer filters (LZW,
  run-length, ASCII85, hex) are checked after each filter.
* ``MAX_PDF_PAGE_TOKENS``: operators and operands in one page's content
  streams, the Form XObjects they call included (each call of one also
  counts 50: forms nested ten wide and six deep draw a million words).
* ``MAX_PDF_PAGE_CHARS``: characters drawn on one page.
* ``MAX_PDF_PAGES``: pages in the file.
* ``MAX_PDF_SECONDS``: wall time to read the file.

:func:`guarded` installs the hooks into pdfminer once (a bounded ``zlib``, a
counting content parser) and holds the budget of the file being read in a
thread-local, so the hooks do nothing for a PDF read elsewhere and threads
(Dask workers) each charge their own file. :func:`page_layout` lays out one
page through a counting device and interpreter.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from qdakit.errors import ImportFormatError
from qdakit.io.limits import limit, over

__all__ = ["guarded", "page_layout", "next_page", "declared_pages"]

_state = threading.local()
#: what running one Form XObject or image (``Do``) is charged, in tokens: a sub-interpreter and its resources
_FORM_TOKENS = 50
_install_lock = threading.Lock()
_installed = False


@dataclass
class _Budget:
    where: str
    deadline: float
    bytes_left: int
    max_stream: int = field(default_factory=lambda: limit("MAX_PDF_STREAM_MB") * 1_000_000)
    max_tokens: int = field(default_factory=lambda: limit("MAX_PDF_PAGE_TOKENS"))
    max_chars: int = field(default_factory=lambda: limit("MAX_PDF_PAGE_CHARS"))
    page: int = 0
    tokens: int = 0
    chars: int = 0
    failed: list[ImportFormatError] = field(default_factory=list)

    def fail(self, name: str, found: str) -> ImportFormatError:
        where = f"{self.where}, page {self.page}" if self.page else self.where
        exc = over(name, where, found)
        self.failed.append(exc)
        return exc

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise self.fail("MAX_PDF_SECONDS", f"reading it took more than {limit('MAX_PDF_SECONDS')} s")

    def charge_bytes(self, n: int, what: str) -> None:
        if self.failed:
            raise self.failed[0]
        if n > self.max_stream:
            raise self.fail("MAX_PDF_STREAM_MB", f"a {what} stream expands to more than {n / 1e6:,.0f} MB")
        self.bytes_left -= n
        if self.bytes_left < 0:
            raise self.fail("MAX_PDF_MB", "its streams expand to more than "
                            f"{limit('MAX_PDF_MB'):,} MB in all")
        self.check_time()


def _budget() -> _Budget | None:
    return getattr(_state, "budget", None)


def _stream_cap(b: _Budget) -> int:
    return max(0, min(b.max_stream, b.bytes_left))


def _bounded_decompress(data: bytes) -> bytes:
    """``zlib.decompress`` that stops one byte past the budget instead of filling memory."""
    b = _budget()
    if b is None:
        return zlib.decompress(data)
    cap = _stream_cap(b)
    d = zlib.decompressobj()
    out = d.decompress(data, cap + 1)
    if len(out) > cap or d.unconsumed_tail:
        b.charge_bytes(max(len(out), cap + 1), "Flate")
    if not d.eof:  # truncated or damaged: pdfminer retries with decompress_corrupted (bounded below)
        raise zlib.error("incomplete or truncated stream")
    b.charge_bytes(len(out), "Flate")
    return out


def _bounded_corrupted(data: bytes) -> bytes:
    """pdfminer's ``decompress_corrupted`` (keep what decodes before a bad checksum), under the budget."""
    b = _budget()
    cap = _stream_cap(b) if b is not None else 1 << 62
    d = zlib.decompressobj()
    out = bytearray()
    step = 1 << 12
    try:
        for i in range(0, len(data), step):
            out += d.decompress(data[i:i + step], cap + 1 - len(out))
            if len(out) > cap or d.unconsumed_tail:
                if b is not None:
                    b.charge_bytes(len(out) + 1, "Flate")
                break
    except zlib.error:
        pass  # as pdfminer: what decoded before the damage is kept
    if b is not None:
        b.charge_bytes(len(out), "Flate")
    return bytes(out)


def _checked(decoder: Callable[..., bytes], what: str) -> Callable[..., bytes]:
    def run(*args: Any) -> bytes:
        out = decoder(*args)
        b = _budget()
        if b is not None:
            b.charge_bytes(len(out), what)
        return out
    return run


class _ZlibShim:
    """What ``pdfminer.pdftypes`` sees as ``zlib``: the real module with a bounded ``decompress``."""

    error = zlib.error
    decompressobj = staticmethod(zlib.decompressobj)
    decompress = staticmethod(_bounded_decompress)


def _install() -> None:
    """Put the hooks into pdfminer (once per process; they do nothing outside :func:`guarded`)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from pdfminer import pdfinterp, pdftypes

        pdftypes.zlib = _ZlibShim  # type: ignore[assignment]
        pdftypes.decompress_corrupted = _bounded_corrupted
        for name, what in (("lzwdecode", "LZW"), ("rldecode", "run-length"), ("ascii85decode", "ASCII85"),
                           ("asciihexdecode", "hex")):
            setattr(pdftypes, name, _checked(getattr(pdftypes, name), what))

        base = pdfinterp.PDFContentParser

        class CountingContentParser(base):  # type: ignore[misc, valid-type]
            """Charges every token of a content stream to the page's budget."""

            def nexttoken(self) -> tuple[int, Any]:
                token = super().nexttoken()
                b = _budget()
                if b is not None:
                    b.tokens += 1
                    if b.tokens > b.max_tokens or b.failed:
                        raise b.failed[0] if b.failed else b.fail(
                            "MAX_PDF_PAGE_TOKENS", f"more than {b.tokens - 1:,} operators and operands")
                    if not b.tokens & 0x3FF:
                        b.check_time()
                return token

        pdfinterp.PDFContentParser = CountingContentParser  # type: ignore[misc]
        _installed = True


@contextmanager
def guarded(where: str) -> Iterator[None]:
    """Read one PDF under the caps: every pdfminer step in this thread is charged to ``where``."""
    _install()
    previous = _budget()
    _state.budget = _Budget(where, time.monotonic() + limit("MAX_PDF_SECONDS"), limit("MAX_PDF_MB") * 1_000_000)
    try:
        yield
        b = _budget()
        if b is not None and b.failed:
            raise b.failed[0]
    finally:
        _state.budget = previous


def refusal() -> ImportFormatError | None:
    """The cap the file being read passed, if any (pdfminer may have swallowed the error)."""
    b = _budget()
    return b.failed[0] if b is not None and b.failed else None


def declared_pages(doc: Any) -> None:
    """Refuse at once a file whose page tree declares more than ``MAX_PDF_PAGES`` pages.

    The ``/Count`` of the page tree can lie, so the tree is walked too (its
    page objects only, up to the cap); :func:`next_page` counts again as pages are read.
    """
    from pdfminer.pdftypes import resolve1

    b = _budget()
    try:
        count = resolve1(resolve1(doc.catalog.get("Pages")).get("Count"))
    except Exception:  # noqa: BLE001 - no usable count: the tree is walked below
        count = None
    if b is not None and isinstance(count, int) and count > limit("MAX_PDF_PAGES"):
        raise b.fail("MAX_PDF_PAGES", f"its page tree declares {count:,} pages")
    if b is not None:  # a count that lies: walk the tree (page objects only, no content) before reading any page
        from pdfminer.pdfpage import PDFPage

        cap = limit("MAX_PDF_PAGES")
        try:
            found = sum(1 for _ in islice(PDFPage.create_pages(doc), cap + 1))
        except ImportFormatError:
            raise
        except Exception:  # noqa: BLE001 - a broken tree: reading the pages reports it in its own words
            return
        if found > cap:
            raise b.fail("MAX_PDF_PAGES", f"its page tree holds more than {cap:,} pages")


def next_page(number: int) -> None:
    """Start charging page ``number`` (1-based): its token and character counts start at zero."""
    b = _budget()
    if b is None:
        return
    if b.failed:
        raise b.failed[0]
    b.page, b.tokens, b.chars = number, 0, 0
    if number > limit("MAX_PDF_PAGES"):
        raise b.fail("MAX_PDF_PAGES", f"more than {number - 1:,} pages")
    b.check_time()


def page_layout(page: Any) -> Any:
    """Lay out one pdfplumber page as ``page.layout`` would, counting the characters it draws."""
    from pdfminer.pdfinterp import PDFPageInterpreter
    from pdfplumber.page import PDFPageAggregatorWithMarkedContent

    class CountingDevice(PDFPageAggregatorWithMarkedContent):
        def render_char(self, *args: Any, **kwargs: Any) -> float:
            b = _budget()
            if b is not None:
                b.chars += 1
                if b.chars > b.max_chars:
                    raise b.fail("MAX_PDF_PAGE_CHARS", f"more than {b.chars - 1:,} characters")
            return super().render_char(*args, **kwargs)

    class CountingInterpreter(PDFPageInterpreter):
        """Charges each Form XObject it runs as ``_FORM_TOKENS`` tokens: setting one up costs that much."""

        def do_Do(self, xobjid_arg: Any) -> None:
            b = _budget()
            if b is not None:
                b.tokens += _FORM_TOKENS
                if b.tokens > b.max_tokens:
                    raise b.fail("MAX_PDF_PAGE_TOKENS", f"more than {b.max_tokens:,} operators and operands "
                                 f"(a form or image counted as {_FORM_TOKENS})")
            super().do_Do(xobjid_arg)

    device = CountingDevice(page.pdf.rsrcmgr, pageno=page.page_number, laparams=page.pdf.laparams)
    CountingInterpreter(page.pdf.rsrcmgr, device).process_page(page.page_obj)
    if (exc := refusal()) is not None:
        raise exc
    return device.get_result()

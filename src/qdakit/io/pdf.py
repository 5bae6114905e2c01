"""PDF transcripts (``.pdf`` with a text layer), read with pdfplumber.

pdfplumber (on pdfminer.six) gives each text line with its position on the
page, which is what telling a page header from speech needs; pypdf gives the
text but not reliably where a line sits. Each page's lines are read top to
bottom and the pages joined with a line break, so a turn that runs over a page
break stays one turn and a speaker label at the top of a page is a label.

Lines in the top or bottom band of a page (10% of its height) are set aside,
never speech, and listed in the audit when they are

* a page number: ``3``, ``- 3 -``, ``Page 3``, ``Page 3 of 12``, ``3/12``
  (``page_number``);
* a line repeated, digits ignored, on at least half of the pages (and on two
  or more) in the same band (``page_header`` / ``page_footer``).

Reading is bounded (:mod:`qdakit.io.pdfguard`): decompressed bytes, pages,
operators and characters per page, and wall time are capped while pdfminer
works, and each page is released once its lines are read.

The text left is parsed as a plain-text transcript (:mod:`qdakit.io.text`).
A PDF with pages but no text (a scanned image) is refused: qdakit does no OCR.
"""

from __future__ import annotations

import gc
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from qdakit.errors import ImportFormatError
from qdakit.io.base import ParsedTranscript, SetAside, normalise_newlines
from qdakit.io.pdfguard import declared_pages, guarded, next_page, page_layout
from qdakit.io.text import parse_text
from qdakit.io.textclean import sanitise

__all__ = ["read_pdf"]

_BAND = 0.10
_PAGE_NUMBER = re.compile(r"^\s*(?:[-–—]\s*)?(?:(?:page|side|seite|p\.)\s*)?\d{1,4}(?:\s*(?:/|of|af|von)\s*\d{1,4})?"
                          r"(?:\s*[-–—])?\s*$", re.I)
_DIGITS = re.compile(r"\d+")

_Line = tuple[str, float, float]  # text, top, page height


def _pages(path: Path) -> list[list[_Line]]:
    """The text lines of each page, with their position; errors say what to do."""
    import pdfplumber
    from pdfminer.pdfpage import PDFPage
    from pdfplumber.page import Page
    from pdfplumber.utils.exceptions import PdfminerException

    if not path.exists():
        raise ImportFormatError(f"{path}: file not found")
    if path.is_dir():
        raise ImportFormatError(f"{path}: is a folder; give the transcript files inside it")
    if path.stat().st_size == 0:
        raise ImportFormatError(f"{path}: the file is empty; nothing to import")
    try:
        # the file is opened here and the PDF never closed by pdfplumber: PDF.close makes every page again
        with guarded(str(path)), _heap_frozen(), path.open("rb") as stream:
            pdf = pdfplumber.open(stream)
            declared_pages(pdf.doc)
            out = []
            for number, page_obj in enumerate(PDFPage.create_pages(pdf.doc), start=1):
                next_page(number)
                page = Page(pdf, page_obj, page_number=number)
                page._layout = page_layout(page)  # pdfplumber's own layout, drawn under the caps
                lines = page.extract_text_lines(layout=False, strip=True, return_chars=False)
                out.append([(normalise_newlines(ln["text"]), float(ln["top"]), float(page.height)) for ln in lines])
                page.close()  # its characters are no longer needed: memory stays flat over 300 pages
            pdf.flush_cache()
            return out
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, ImportFormatError):
            raise cause from None
        _refuse(path, cause)
    except ImportFormatError:
        raise
    except Exception as exc:  # noqa: BLE001 - untrusted input: pdfminer and pdfplumber raise many types
        _refuse(path, exc)  # (MalformedPDFException for a bad box, IndexError ...): each is the file's fault
    raise AssertionError("unreachable")


@contextmanager
def _heap_frozen() -> Iterator[None]:
    """Keep what existed before the read out of garbage collection while it runs.

    pdfminer allocates an object per character and per token; each full
    collection this triggers would scan the whole heap of the libraries
    qdakit has loaded (pandas, scikit-learn, torch ...), which made a 297-page
    read twice as slow inside qdakit as in a bare interpreter. (The batch
    pipeline does the same for its run.) A heap someone else froze is left as it is.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _refuse(path: Path, cause: object) -> None:
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    if isinstance(cause, PDFPasswordIncorrect) or "password" in str(cause).lower():
        raise ImportFormatError(f"{path} is password-protected; remove the password (print it to a new "
                                "PDF) and import it again") from None
    raise ImportFormatError(f"{path} is not a readable PDF ({type(cause).__name__}: "
                            f"{' '.join(str(cause).split())[:200]}); open it and export it again as "
                            "PDF, or save the transcript as .docx or .txt") from None


def _where(top: float, height: float) -> str | None:
    if top < height * _BAND:
        return "top"
    if top > height * (1 - _BAND):
        return "bottom"
    return None


def split_page_furniture(pages: list[list[_Line]]) -> tuple[list[list[str]], list[SetAside]]:
    """Separate page headers, footers and numbers from the lines of each page.

    Returns the kept lines per page and what was set aside, in page order.
    """
    repeated: Counter[tuple[str, str]] = Counter()
    for lines in pages:
        seen = {(band, _DIGITS.sub("#", text.strip()).lower()) for text, top, h in lines
                if (band := _where(top, h)) and text.strip()}
        repeated.update(seen)
    need = max(2, (len(pages) + 1) // 2)
    furniture = {key for key, n in repeated.items() if n >= need}
    kept: list[list[str]] = []
    aside: list[SetAside] = []
    for number, lines in enumerate(pages, start=1):
        page_kept = []
        for text, top, h in lines:
            band = _where(top, h)
            if band and _PAGE_NUMBER.match(text):
                aside.append(SetAside("page_number", text, f"page {number}"))
            elif band and (band, _DIGITS.sub("#", text.strip()).lower()) in furniture:
                aside.append(SetAside("page_header" if band == "top" else "page_footer", text, f"page {number}"))
            else:
                page_kept.append(text)
        kept.append(page_kept)
    return kept, aside


def read_pdf(
    path: str | Path,
    *,
    name: str | None = None,
    encoding: str | None = None,
    speakers: Iterable[str] | None = None,
) -> ParsedTranscript:
    """Read a ``.pdf`` transcript that has a text layer.

    Parameters
    ----------
    path : str or Path
    name : str, optional
        Transcript name; defaults to the file stem.
    encoding : str, optional
        Ignored (a PDF declares its own encoding); accepted so that every
        reader takes the same arguments.
    speakers : iterable of str, optional
        The exact speaker names to accept as labels.

    Returns
    -------
    ParsedTranscript
        ``text`` is the pages' lines without page furniture, joined by line
        breaks; ``set_aside`` lists the headers, footers and page numbers.

    Raises
    ------
    ImportFormatError
        If the file is missing, not a PDF, password-protected, or has no
        text layer (a scan).
    """
    p = Path(path)
    pages = _pages(p)
    if not any(text.strip() for lines in pages for text, _, _ in lines):
        raise ImportFormatError(
            f"{p}: the PDF has {len(pages)} page(s) but no text layer (a scanned image?). qdakit does not do "
            "OCR: run OCR first (for example ocrmypdf) or import the transcript as .docx or .txt")
    kept, aside = split_page_furniture(pages)
    text = sanitise("\n".join(line for lines in kept for line in lines), str(p))  # a font map may give ESC, NUL
    parsed = parse_text(text, name if name is not None else p.stem, source=str(path), speakers=speakers)
    parsed.set_aside = aside
    return parsed

"""Hostile PDFs and .qdpx files are refused while they are read, by the cap they pass, naming its variable.

The bombs are built in :mod:`hostile`, small: the limits are lowered where a
full-size bomb would be needed to reach the default. ``benchmarks/hostile.py``
runs the full-size ones under the defaults and measures time and memory.
"""

from __future__ import annotations

from pathlib import Path

import pdfplumber.page
import pytest

import hostile
from qdakit import Project
from qdakit.errors import ImportFormatError
from qdakit.io.pdf import read_pdf
from qdakit.io.refi import import_qdpx


def test_a_long_compressed_line_is_refused_by_the_characters_per_page(tmp_path: Path) -> None:
    p = hostile.pdf_long_line(tmp_path / "line.pdf", scale=0.02)  # 100,000 characters in a 1 kB file
    with pytest.raises(ImportFormatError, match=r"line\.pdf, page 1: more than 50,000 characters.*"
                       "QDAKIT_MAX_PDF_PAGE_CHARS"):
        read_pdf(p)


def test_repeated_text_operators_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDAKIT_MAX_PDF_PAGE_CHARS", "5000")
    with pytest.raises(ImportFormatError, match="QDAKIT_MAX_PDF_PAGE_CHARS"):
        read_pdf(hostile.pdf_text_operators(tmp_path / "ops.pdf", scale=0.01))


def test_operators_that_draw_nothing_are_refused_by_their_count(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDAKIT_MAX_PDF_PAGE_TOKENS", "20000")
    with pytest.raises(ImportFormatError, match=r"page 1: more than 20,000 operators.*QDAKIT_MAX_PDF_PAGE_TOKENS"):
        read_pdf(hostile.pdf_noops(tmp_path / "noop.pdf", scale=0.01))  # 100,000 tokens


def test_nested_forms_count_every_character_they_draw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDAKIT_MAX_PDF_PAGE_CHARS", "2000")
    with pytest.raises(ImportFormatError, match="QDAKIT_MAX_PDF_PAGE_CHARS"):
        read_pdf(hostile.pdf_nested_forms(tmp_path / "forms.pdf", depth=3, fan=10))  # 4,000 characters


def test_a_stream_is_decompressed_only_up_to_its_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import zlib

    calls: list[int] = []
    real = zlib.decompressobj

    class Spy:
        def __init__(self) -> None:
            self.d = real()

        def decompress(self, data: bytes, max_length: int = 0) -> bytes:
            out = self.d.decompress(data, max_length)
            calls.append(len(out))
            return out

        def __getattr__(self, name: str) -> object:
            return getattr(self.d, name)

    monkeypatch.setenv("QDAKIT_MAX_PDF_STREAM_MB", "1")
    p = hostile.pdf_spaces(tmp_path / "spaces.pdf", scale=1 / 128)  # 8 MB of spaces
    monkeypatch.setattr("qdakit.io.pdfguard.zlib.decompressobj", Spy)
    with pytest.raises(ImportFormatError, match="a Flate stream expands to more than 1 MB.*QDAKIT_MAX_PDF_STREAM_MB"):
        read_pdf(p)
    assert calls and max(calls) <= 1_000_001  # never held more than the cap


def test_all_streams_of_a_file_share_one_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDAKIT_MAX_PDF_MB", "1")
    pages = [hostile.deflate_repeated(b"BT /F1 11 Tf 72 700 Td (ok) Tj ET " + b" " * 400_000, 1)] * 3
    p = hostile.write(tmp_path / "three.pdf", hostile.pdf_bytes([*pages]))
    with pytest.raises(ImportFormatError, match="more than 1 MB in all.*QDAKIT_MAX_PDF_MB"):
        read_pdf(p)


def test_pages_are_capped_and_released(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    closed = []
    real_close = pdfplumber.page.Page.close
    monkeypatch.setattr(pdfplumber.page.Page, "close", lambda self: (closed.append(self.page_number),
                                                                   real_close(self))[1])
    p = hostile.pdf_many_pages(tmp_path / "many.pdf", 30)
    read_pdf(p)
    assert closed == list(range(1, 31))  # each page let go of its characters once read
    monkeypatch.setenv("QDAKIT_MAX_PDF_PAGES", "20")
    with pytest.raises(ImportFormatError, match="declares 30 pages.*QDAKIT_MAX_PDF_PAGES"):
        read_pdf(p)  # refused before the first page is read
    liar = hostile.pdf_many_pages(tmp_path / "liar.pdf", 30, declare=2)
    with pytest.raises(ImportFormatError, match="holds more than 20 pages.*QDAKIT_MAX_PDF_PAGES"):
        read_pdf(liar)  # a page tree that lies is walked before any page is read


def test_wall_time_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDAKIT_MAX_PDF_SECONDS", "-1")  # already out of time: any file trips it
    with pytest.raises(ImportFormatError, match="QDAKIT_MAX_PDF_SECONDS"):
        read_pdf(hostile.pdf_many_pages(tmp_path / "two.pdf", 2))


def test_a_normal_pdf_reads_under_the_caps(tmp_path: Path) -> None:
    lines = ["Interviewer: How do you plan?", "Ann: We plan in May, then we review."]
    p = hostile.write(tmp_path / "ok.pdf", hostile.pdf_bytes([hostile.text_page(lines)] * 3))
    parsed = read_pdf(p)
    assert [t.speaker for t in parsed.turns] == ["Interviewer", "Ann"] * 3


def test_a_qdpx_source_is_refused_past_its_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = hostile.qdpx_big_source(tmp_path / "big.qdpx", megabytes=3)
    monkeypatch.setenv("QDAKIT_MAX_SOURCE_MB", "2")
    with Project.create(tmp_path / "p.qdakit") as project:
        with pytest.raises(ImportFormatError, match=r"TextSource 'big'.*QDAKIT_MAX_SOURCE_MB"):
            import_qdpx(project, p)
        assert project.transcripts().empty


def test_each_form_a_page_runs_is_charged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDAKIT_MAX_PDF_PAGE_TOKENS", "5000")  # 1,111 form calls x 50 is far over; 4,000 chars not
    with pytest.raises(ImportFormatError, match="a form or image counted as 50.*QDAKIT_MAX_PDF_PAGE_TOKENS"):
        read_pdf(hostile.pdf_nested_forms(tmp_path / "forms.pdf", depth=3, fan=10))

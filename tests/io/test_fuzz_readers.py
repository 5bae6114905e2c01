"""Every reader, fed mutated files: each input imports or raises a QdakitError, and a failure changes nothing.

A seeded mutation fuzzer (no corpus to store, same inputs on every run): for
each format a valid seed file written here is mutated by flipping, inserting,
deleting, truncating and duplicating bytes (for zip formats, mostly inside one
XML member, re-zipped, so the parsers see the damage and not only the zip
layer). Each input is imported into a fresh copy of a small project the way
the command line imports it. The default run takes N_CI inputs per reader (the
CI share stays under a minute); ``pytest -m slow`` runs N_SLOW per reader with
another seed. ``QDAKIT_FUZZ_N`` / ``QDAKIT_FUZZ_N_SLOW`` change the counts.

Run with ``-s`` to see the figures: inputs, imported, clean errors, and
tracebacks (which must be 0).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import sqlite3
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import docx
import openpyxl
import pytest

import hostile
from qdakit import Code, Codebook, Project
from qdakit.errors import QdakitError
from qdakit.io.textclean import INVALID
from support import make_transcript

N_CI = int(os.environ.get("QDAKIT_FUZZ_N", "30"))  # inputs per reader in the default run (570 in all)
N_SLOW = int(os.environ.get("QDAKIT_FUZZ_N_SLOW", "300"))  # inputs per reader under -m slow

_SPECIAL = [b"\x00", b"\xff\xfe", b"\xfe\xff", b'"', b",", b";", b"\n", b"\r", b"\t", b"=", b":", b"&a ", b"*a",
            b"<", b">", b"]]>", b"{", b"[", b"-->", b"\xc3", b"\xe9", b"'", b"<!DOCTYPE x [<!ENTITY e 'x'>]>",
            b"00:00:01.000 --> 00:00:00.500", b"name", b"guid=\"\"", b"\x0c", b"\x1b",
            # escape sequences, as RTF, JSON/YAML and terminals spell them (issue 28)
            b"\\u27?", b"\\u-10240?", b"\\ud800", b"\\u001b", b"\\e", b"\x1b[2J", b"\x1b]0;t\x07", b"\xc2\x9b",
            b"&#27;", b"&#x9b;", b"_x001B_", b" Tj ", b"q Q ", b"/F1 99 Tf", b"endstream", b"\\par "]


# -- seeds: valid inputs of every format, written here -------------------------------------------------
def _docx_bytes() -> bytes:
    d = docx.Document()
    for s in ["Interview 3", "Q: How do you plan?", "Ann: We plan in May.", "Q: And then?", "Ann: We review."]:
        d.add_paragraph(s)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _xlsx_bytes(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    for r in rows:
        book.active.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _qdpx_bytes(tmp: Path) -> bytes:
    from qdakit.io.refi import export_qdpx

    with Project.create(tmp / "src.qdakit") as p:  # another study: its transcript is not in the base project
        p.add_transcripts([make_transcript("i7", [("Q", "Any plans?"), ("Uma", "We plan in spring.")])])
        p.load_codebook(Codebook([Code("Plans", description="when and how"), Code("Spring", parent="Plans")]))
        p.code("i7#1", "Plans", coder="JR", memo="first")
        p.code("i7#1", "Spring", coder="SM", start=p.segment("i7#1").start + 3, end=p.segment("i7#1").start + 7)
        export_qdpx(p, tmp / "x.qdpx")
    return (tmp / "x.qdpx").read_bytes()


def _qdc_bytes(tmp: Path) -> bytes:
    from qdakit.io.refi import write_qdc

    cb = Codebook([Code("Trust", description="Believing others"), Code("Doubt", parent="Trust")])
    return write_qdc(cb, tmp / "cb.qdc").read_bytes()


SEEDS: dict[str, Callable[[Path], tuple[str, bytes]]] = {
    "txt": lambda t: (".txt", b"Interview 2\n\nQ: How was the term?\nBea: Busy, we met weekly.\nQ: Why?\n"
                             b"Bea: The grant ended.\n"),
    "md": lambda t: (".md", b"# Focus group\n\n**Moderator:** First question?\n\n**Cal:** We share news.\n"),
    "vtt": lambda t: (".vtt", b"WEBVTT\n\n00:00:01.000 --> 00:00:03.500\n<v Dee>Hello there.</v>\n\n"
                              b"00:00:04.000 --> 00:00:06.000\n<v Eli>We meet monthly.</v>\n"),
    "srt": lambda t: (".srt", b"1\n00:00:01,000 --> 00:00:02,000\nFay: Hi.\n\n2\n00:00:02,500 --> 00:00:04,000\n"
                              b"Gus: We email often.\n"),
    "docx": lambda t: (".docx", _docx_bytes()),
    "csv": lambda t: (".csv", b"transcript,speaker,text\nfg9,Hal,We plan.\nfg9,Ivy,We review.\n"),
    "xlsx": lambda t: (".xlsx", _xlsx_bytes([["transcript", "speaker", "text"], ["fg8", "Jo", "We plan."],
                                             ["fg8", "Kim", "We argue."]])),
    "codebook_yaml": lambda t: (".yaml", b"codes:\n  - name: Trust\n    description: belief\n    codes:\n"
                                         b"      - name: Doubt\n        examples: [\"not sure\"]\n"),
    "codebook_json": lambda t: (".json", json.dumps({"codes": [{"name": "Trust", "codes": [{"name": "Doubt"}]}]})
                                .encode()),
    "codebook_csv": lambda t: (".csv", b"name,parent,description\nTrust,,belief\nDoubt,Trust,not sure\n"),
    "qdc": lambda t: (".qdc", _qdc_bytes(t)),
    "codings_csv": lambda t: (".csv", b"transcript,code,coder,quote\nt1,Plans,JR,We plan in May\n"
                                      b"t1,Reviews,SM,review each June\n"),
    "codings_xlsx": lambda t: (".xlsx", _xlsx_bytes([["segment_id", "code", "coder"], ["t1#1", "Plans", "JR"]])),
    "attributes": lambda t: (".csv", b"participant,speaker,transcript,age\nP1,Ann,t1,34\n"),
    "questions": lambda t: (".txt", b"Q1: How do you plan?\nQ2: What happens next?\n"),
    "qdpx": lambda t: (".qdpx", _qdpx_bytes(t)),
    "pdf": lambda t: (".pdf", hostile.pdf_bytes([hostile.text_page(["Mo: How do you plan?", "Ned: We plan in May.",
                                                                      "Mo: And then?", "Ned: We review."])],
                                                 flate=False)),
    "rtf": lambda t: (".rtf", b"{\\rtf1\\ansi\\ansicpg1252 Field notes first.\\par I: Ready?\\par "
                              b"P1: Yes \\u27?[2J and \\u-10240? done.\\par I: Go on.\\par P1: We plan.}"),
    "codebook_escapes": lambda t: (".json", b'{"codes": [{"name": "Trust\\u001b]0;x\\u0007", '
                                            b'"description": "lone \\ud800 here", "codes": [{"name": "Doubt"}]}]}'),
}


def _base_project(path: Path) -> Project:
    p = Project.create(path)
    p.add_transcripts([make_transcript("t1", [("Q", "How do you plan?"), ("Ann", "We plan in May."),
                                              ("Q", "And then?"), ("Ann", "We review each June.")])])
    p.load_codebook(Codebook([Code("Plans"), Code("Reviews")]))
    return p


def _run(reader: str, project: Project, path: Path, tmp: Path) -> None:
    """Import ``path`` as the command line does for ``reader``."""
    from qdakit.io.codebook import read_codebook
    from qdakit.io.codings import import_codings
    from qdakit.io.importer import apply_attributes, import_files
    from qdakit.io.refi import import_qdpx, read_qdc

    if reader in {"txt", "md", "vtt", "srt", "docx", "csv", "xlsx", "pdf", "rtf"}:
        import_files(project, [path])
    elif reader.startswith("codebook_"):
        project.load_codebook(read_codebook(path))
    elif reader == "qdc":
        project.load_codebook(read_qdc(path))
    elif reader.startswith("codings_"):
        import_codings(project, [path])
    elif reader == "attributes":
        apply_attributes(project, [path])
    elif reader == "questions":
        fg = tmp / "fg.txt"
        fg.write_text("Mod: How do you plan?\nLee: In May.\nMod: What happens next?\nLee: Review.\n")
        import_files(project, [fg], questions=path)
    elif reader == "qdpx":
        import_qdpx(project, path)
    else:  # pragma: no cover - a reader missing here is a bug in the test
        raise AssertionError(reader)


# -- mutation --------------------------------------------------------------------------------------------
def _mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 3, 8])):
        op = rng.randrange(7)
        i = rng.randrange(len(b) + 1) if b else 0
        if op == 0 and b:
            b[min(i, len(b) - 1)] = rng.randrange(256)
        elif op == 1:
            b[i:i] = rng.choice(_SPECIAL)
        elif op == 2 and b:
            del b[i:i + rng.randrange(1, 40)]
        elif op == 3:
            del b[i:]
        elif op == 4 and b:
            j = rng.randrange(len(b))
            b[i:i] = b[j:j + rng.randrange(1, 200)] * rng.choice([1, 2, 50])
        elif op == 5:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
        elif op == 6 and len(b) > 1 and rng.random() < 0.3:
            b = bytearray(bytes(b).decode("latin-1").encode(rng.choice(["utf-16-le", "utf-16-be", "utf-16"])))
    return bytes(b)


def _mutate(data: bytes, rng: random.Random) -> bytes:
    if data[:2] != b"PK" or rng.random() < 0.25:
        return _mutate_bytes(data, rng)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = [(i, z.read(i)) for i in z.infolist()]
    xml = [k for k, (i, _) in enumerate(members) if i.filename.endswith((".xml", ".qde", ".txt", ".rels"))]
    k = rng.choice(xml or list(range(len(members))))
    if rng.random() < 0.1:
        del members[k]
    else:
        members[k] = (members[k][0], _mutate_bytes(members[k][1], rng))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info, body in members:
            z.writestr(info.filename, body)
    return out.getvalue()


def _dump(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return hashlib.sha256("\n".join(con.iterdump()).encode()).hexdigest()
    finally:
        con.close()


def _control_characters(path: Path) -> str:
    """The first stored text holding what the sanitising boundary removes, or ""."""
    con = sqlite3.connect(path)
    try:
        for table, column in (("transcripts", "text"), ("transcripts", "name"), ("segments", "text"),
                              ("segments", "speaker"), ("codes", "name"), ("codes", "description"),
                              ("codings", "memo"), ("codings", "coder")):
            for (value,) in con.execute(f'SELECT "{column}" FROM {table}'):  # noqa: S608 - fixed names
                if isinstance(value, str) and INVALID.search(value):
                    return f"{table}.{column} = {value[:60]!r}"
    finally:
        con.close()
    return ""


def fuzz(tmp: Path, readers: list[str], n: int, seed: int = 14) -> tuple[Counter[str], list[str]]:
    """Run ``n`` mutated inputs per reader; returns the counts and one line per failure."""
    base = tmp / "base.qdakit"
    _base_project(base).close()
    counts: Counter[str] = Counter()
    failures: list[str] = []
    for reader in readers:
        suffix, seed_bytes = SEEDS[reader](tmp)
        rng = random.Random(f"{seed}-{reader}")
        for k in range(n):
            data = _mutate(seed_bytes, rng) if k else seed_bytes  # input 0: the seed itself must import
            case = tmp / f"{reader}-{k}{suffix}"
            case.write_bytes(data)
            work = tmp / "work.qdakit"
            shutil.copyfile(base, work)
            before = _dump(work)
            counts["inputs"] += 1
            try:
                with warnings.catch_warnings(record=True), Project.open(work) as p:
                    warnings.simplefilter("always")
                    _run(reader, p, case, tmp)
                counts["imported"] += 1
                if stored := _control_characters(work):
                    failures.append(f"{case.name} ({reader}): a control character or lone surrogate was stored: "
                                    f"{stored}")
                if k == 0:
                    counts["seeds imported"] += 1
            except QdakitError as exc:
                counts["clean errors"] += 1
                if k == 0:
                    failures.append(f"the valid seed {case.name} failed: {exc}")
                if "\n" in str(exc).strip():
                    failures.append(f"{case.name}: error message has more than one line: {str(exc)[:200]!r}")
                if _dump(work) != before:
                    failures.append(f"{case.name}: {type(exc).__name__} but the project changed")
            except Exception as exc:  # noqa: BLE001 - this is what the test looks for
                counts["tracebacks"] += 1
                failures.append(f"{case.name} ({reader}): {type(exc).__name__}: {str(exc)[:200]}")
            case.unlink()
    return counts, failures


def _report(counts: Counter[str]) -> str:
    return (f"FUZZ inputs={counts['inputs']} imported={counts['imported']} "
            f"clean_errors={counts['clean errors']} tracebacks={counts['tracebacks']}")


def test_every_reader_imports_or_fails_cleanly(tmp_path: Path) -> None:
    counts, failures = fuzz(tmp_path, list(SEEDS), N_CI)
    print("\n" + _report(counts))
    assert failures == []
    assert counts["seeds imported"] == len(SEEDS)  # every seed is valid: the mutations, not the seeds, fail
    assert counts["clean errors"] > counts["inputs"] // 4  # the mutations do reach the error paths


@pytest.mark.slow
def test_every_reader_imports_or_fails_cleanly_long(tmp_path: Path) -> None:
    counts, failures = fuzz(tmp_path, list(SEEDS), N_SLOW, seed=1414)
    print("\n" + _report(counts))
    assert failures == []

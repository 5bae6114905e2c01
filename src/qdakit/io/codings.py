"""Human codings from spreadsheets (CSV / Excel), for coders who work outside qdakit.

Columns (case-insensitive): ``transcript`` (name or id), ``code``, ``coder``
(or pass ``coder=``), and either ``segment_id`` or ``quote``: a verbatim
passage of one segment (whitespace may differ), optionally with ``speaker``
to disambiguate. A quote-based coding keeps the quote's span (character
offsets), so character-level agreement can use it. ``memo`` is optional.

A row with an **empty code** says the coder read that segment and no code
applies (:meth:`Project.mark_reviewed`): the segment becomes a negative for
every code and a unit of agreement. An optional ``reviewed`` column
(``yes``/``true``/``1``/``x``) marks a coded row's segment as read too.
Entirely blank rows are skipped.

All rows are checked before anything is written; an error names the file and
row and says how to fix it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from qdakit.errors import CodingError, ImportFormatError
from qdakit.io.base import read_text_file, reading
from qdakit.io.limits import check_zip
from qdakit.io.output import unneutralise
from qdakit.io.textclean import INVALID, sanitise
from qdakit.model import Coding, Segment, utcnow
from qdakit.project import Project

__all__ = ["CodingsImport", "import_codings", "import_codings_report", "read_codings"]


def _read_frame(path: Path) -> pd.DataFrame:
    """The file as strings: CSV decoded like any text file (UTF-8, UTF-16, or cp1252 as Excel on Windows saves)."""
    if not path.is_file():
        raise CodingError(f"{path}: codings file not found")
    try:
        if path.suffix.lower() in {".xlsx", ".xlsm"}:
            check_zip(path, "Excel .xlsx workbook")
            with reading(path, "an Excel .xlsx workbook", "open it in Excel and save it again, or save it as .csv"):
                df = pd.read_excel(path, dtype=str, engine="openpyxl")
        else:
            text = read_text_file(path)
            with reading(path, "a CSV table", 'check that every row has as many cells as the header and that '
                         'cells holding commas or line breaks are in double quotes'):
                df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except ImportFormatError as exc:
        raise CodingError(str(exc)) from None
    df.columns = [sanitise(str(c), f"{path}, line 1", line=False).strip().lower() for c in df.columns]
    df = df.fillna("").astype(str)
    for col in df.columns:  # only cells that start with ' can be neutralised formulas (vectorised: 1M rows)
        quoted = df[col].str.startswith("'")
        if quoted.any():
            df.loc[quoted, col] = df.loc[quoted, col].map(unneutralise)
    for col in df.columns:  # an .xlsx cell may hold _x001B_ (ESC): the same filter as every other text
        bad = df[col].str.contains(INVALID.pattern, regex=True)
        for i in bad[bad].index:
            df.at[i, col] = sanitise(df.at[i, col], f"{path}, line {int(i) + 2}, column {col!r}", line=False)
    return df


def read_codings(project: Project, path: str | Path, *, coder: str | None = None) -> list[Coding]:
    """Match each row of a codings spreadsheet to a segment; returns unsaved codings.

    Rows with an empty code (read, no code applies) are checked but not
    returned; :func:`import_codings` stores them as reviewed marks.
    """
    return _read(project, Path(path), coder)[0]


_YES = {"yes", "y", "true", "1", "x"}


def _read(project: Project, p: Path, coder: str | None) -> tuple[list[Coding], list[tuple[str, str]]]:
    """The codings of a file, and the (segment id, coder) pairs it marks as read."""
    df = _read_frame(p)
    needed = {"code"} | ({"coder"} if coder is None else set())
    missing = needed - set(df.columns)
    if missing or not ({"segment_id", "quote"} & set(df.columns)):
        raise CodingError(
            f"{p}, line 1: columns found: {', '.join(df.columns)}; needed: transcript, code, coder (or --coder) "
            "and segment_id or quote (+ speaker).")
    codebook = project.codebook
    segs_by_t: dict[str, list[Segment]] = {}
    segs_by_id: dict[str, Segment] = {}  # each segment read once, however many rows code it
    names = {}
    for t in project.iter_transcripts():
        names[t.name.casefold()] = t.id
        names[t.id.casefold()] = t.id
    out: list[Coding] = []
    read: list[tuple[str, str]] = []
    now = utcnow()  # one time for the file's codings (a clock read per row was a tenth of a large import)
    columns = list(df.columns)
    for i, values in enumerate(zip(*(df[c].tolist() for c in columns), strict=True), start=2):
        row = dict(zip(columns, values, strict=True))
        where = f"{p}, line {i}"
        if not any(str(v).strip() for v in row.values()):
            continue
        code = row["code"].strip()
        if code and code not in codebook:
            raise CodingError(f"{where}: code {code!r} is not in the project's codebook; load a codebook that "
                              "has it (`qdakit codebook load`) or fix the spelling")
        who = (row.get("coder") or coder or "").strip()
        if not who:
            raise CodingError(f"{where}: no coder; fill the coder column or pass --coder")
        memo = row.get("memo", "")
        if row.get("segment_id", "").strip():
            sid = row["segment_id"].strip()
            try:
                seg = segs_by_id[sid] if sid in segs_by_id else segs_by_id.setdefault(sid, project.segment(sid))
            except CodingError:
                raise CodingError(f"{where}: no segment {row['segment_id'].strip()!r} in the project; copy the "
                                  "segment_id from `qdakit export --quotes`, or give transcript and quote "
                                  "instead") from None
            start, end = None, None
        else:
            tkey = row.get("transcript", "").strip().casefold()
            if tkey not in names:
                raise CodingError(f"{where}: transcript {row.get('transcript')!r} is not in the project; "
                                  f"known: {', '.join(sorted(names)[:10])}")
            tid = names[tkey]
            if tid not in segs_by_t:
                segs_by_t[tid] = list(project.iter_segments(tid))
            seg, start, end = _locate(segs_by_t[tid], row["quote"], row.get("speaker", ""), where)
        if code:
            out.append(Coding(seg.id, code, who, start, end, memo, now))
        if not code or str(row.get("reviewed", "")).strip().casefold() in _YES:
            read.append((seg.id, who))
    return out, read


def _locate(segments: Sequence[Segment], quote: str, speaker: str, where: str) -> tuple[Segment, int, int]:
    words = quote.split()
    if not words:
        raise CodingError(f"{where}: empty quote")
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    hits = []
    for s in segments:
        if speaker and (s.speaker or "").casefold() != speaker.strip().casefold():
            continue
        for m in pattern.finditer(s.text):
            hits.append((s, s.start + m.start(), s.start + m.end()))
    if not hits:
        raise CodingError(f"{where}: quote {quote[:60]!r} not found in any segment"
                          f"{' of speaker ' + speaker if speaker else ''}; copy it verbatim from the transcript")
    if len(hits) > 1:
        ids = ", ".join(h[0].id for h in hits[:5])
        raise CodingError(f"{where}: quote {quote[:60]!r} occurs {len(hits)} times ({ids}); quote a longer "
                          "passage or give the segment_id")
    return hits[0]


@dataclass
class CodingsImport:
    """What :func:`import_codings_report` did: the codings stored, the coding rows read (rows
    identical to a coding already in the project, or repeated in the files, are not stored
    again), and the reviewed marks added."""

    added: list[Coding] = field(default_factory=list)
    rows: int = 0
    marked: int = 0


def import_codings_report(project: Project, paths: Sequence[str | Path], *,
                          coder: str | None = None) -> CodingsImport:
    """Read and store the codings (and reviewed marks) of several files in one transaction.

    The rows with an empty code are stored as reviewed marks (:meth:`Project.reviewed`).
    """
    codings: list[Coding] = []
    read: dict[str, list[str]] = {}
    for path in paths:
        found, marks = _read(project, Path(path), coder)
        codings += found
        for sid, who in marks:
            read.setdefault(who, []).append(sid)
    with project.transaction():
        added = project.add_codings(codings)
        marked = sum(project.mark_reviewed(ids, who) for who, ids in read.items())
    return CodingsImport(added, len(codings), marked)


def import_codings(project: Project, paths: Sequence[str | Path], *, coder: str | None = None) -> list[Coding]:
    """Read and store the codings (and reviewed marks) of several files in one transaction.

    Returns the stored codings; the rows with an empty code are stored as
    reviewed marks (:meth:`Project.reviewed`). :func:`import_codings_report` also
    says how many rows were read and how many marks were added.
    """
    return import_codings_report(project, paths, coder=coder).added

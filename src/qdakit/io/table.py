"""Pre-segmented transcripts in a table (``.csv``, ``.tsv``, ``.xlsx``), read with pandas.

One row per segment, with a header in row 1. Rows are grouped into
transcripts by the transcript column (first appearance order), keeping the
original row order; each row is one turn, and consecutive rows of the same
speaker are *not* merged, since the user segmented them on purpose. Columns
other than the mapped ones are ignored here (participant attributes are read
elsewhere). A column is found by its exact header, else by a unique
case-insensitive match (``Text`` for ``text``). Completely empty rows are
skipped; ``Turn.line`` is the spreadsheet row number (header = row 1).

A ``.csv`` is decoded like a text transcript (UTF-8 with or without BOM, else
cp1252) and its delimiter (comma, semicolon or tab) is taken from the header
line; a ``.tsv`` is tab-separated.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
from pathlib import Path

import pandas as pd

from qdakit.errors import ImportFormatError, where
from qdakit.io.base import ParsedTranscript, TextBuilder, parse_timestamp, read_text_file, reading
from qdakit.io.limits import check_zip
from qdakit.io.textclean import strip_control_characters

__all__ = ["read_table"]

_TEXT_SUFFIXES = (".csv", ".tsv")
_EXCEL_SUFFIXES = (".xlsx", ".xlsm")


def _row_where(path: str | Path, row: int) -> str:
    return f"{where(path)}, row {row}"


def _load(path: Path, sheet: str | int | None, encoding: str | None) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in _TEXT_SUFFIXES:
        if sheet is not None:
            raise ImportFormatError(f"{path}: sheet={sheet!r} applies only to .xlsx files; leave it out.")
        content = read_text_file(path, encoding)
        sep = "\t"
        if suffix != ".tsv":
            try:
                sep = csv.Sniffer().sniff(content.split("\n", 1)[0], delimiters=",;\t").delimiter
            except csv.Error:
                sep = ","
        with reading(path, "a table", "", "{path}: cannot read it as a table ({exc}); check that cells "
                     'containing the delimiter or line breaks are quoted with "..."'):
            return pd.read_csv(
                io.StringIO(content),
                sep=sep,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
            )
    if suffix == ".xls":
        raise ImportFormatError(f"{path}: old .xls workbooks are not supported; save it as .xlsx.")
    if suffix not in _EXCEL_SUFFIXES:
        raise ImportFormatError(
            f"{path}: unknown table format {suffix!r}; use .csv, .tsv or .xlsx."
        )
    if not path.exists():
        raise ImportFormatError(f"{path}: file not found")
    if not zipfile.is_zipfile(path):
        raise ImportFormatError(
            f"{path} is not an Excel .xlsx file (it is not a zip archive); "
            "open it in Excel and save it as .xlsx, or export it as .csv."
        )
    check_zip(path, "Excel .xlsx workbook")  # size and element caps before openpyxl parses it
    with reading(path, "an Excel .xlsx workbook", "open it in Excel and save it as .xlsx, or export it as .csv"), \
            pd.ExcelFile(path, engine="openpyxl") as book:
        if sheet is not None and sheet not in book.sheet_names and not (
            isinstance(sheet, int) and 0 <= sheet < len(book.sheet_names)
        ):
            raise ImportFormatError(
                f"{path}: no sheet {sheet!r}; the sheets are "
                f"{', '.join(map(repr, book.sheet_names))}; pass one of them as sheet= (--sheet)."
            )
        return pd.read_excel(
            book,
            sheet_name=sheet if sheet is not None else 0,
            dtype=object,
            keep_default_na=False,
            na_filter=False,
        )


#: the columns `qdakit import` and `qdakit batch` take as options
_CLI_OPTIONS = ("text", "speaker", "transcript")


def _column(path: Path, columns: list[str], wanted: str, option: str) -> int:
    if wanted in columns:
        return columns.index(wanted)
    folded = [i for i, c in enumerate(columns) if c.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    hint = " (the header must be in row 1)" if all(c.startswith("Unnamed:") for c in columns) else ""
    cli = f" (on the command line --{option}-column)" if option in _CLI_OPTIONS else ""
    none = (", or speaker=None for a table without speakers (--speaker-column '')" if option == "speaker"
            else "")
    raise ImportFormatError(
        f"{path}: no column {wanted!r}; the columns found are "
        f"{', '.join(map(repr, columns))}{hint}. Pass the right header as {option}=...{cli}{none}."
    )


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _time(path: Path, row: int, column: str, value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None if math.isnan(value) else float(value)
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    s = _cell(value)
    if not s:
        return None
    try:
        seconds: float | None = float(s)
    except ValueError:
        # parse_timestamp does not range-check, so reject minutes/seconds over 59 here
        seconds = None if re.search(r":[6-9]\d", s) else parse_timestamp(s)
    if seconds is None or not math.isfinite(seconds):
        raise ImportFormatError(
            f"{_row_where(path, row)}: {s!r} in column {column!r} is not a time; write seconds "
            "(83.5) or a timestamp (00:01:23.5)."
        )
    return seconds


def read_table(
    path: str | Path,
    *,
    name: str | None = None,
    text: str = "text",
    speaker: str | None = "speaker",
    transcript: str = "transcript",
    start_time: str | None = None,
    end_time: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    skip_empty: bool = False,
) -> list[ParsedTranscript]:
    """Read pre-segmented transcripts from a ``.csv``, ``.tsv`` or ``.xlsx`` table.

    Parameters
    ----------
    path : str or Path
        The table file.
    name : str, optional
        Name of the single transcript when the table has no transcript
        column; defaults to the file stem. Ignored otherwise.
    text, speaker : str
        Headers of the text and speaker columns. ``speaker=None`` for a
        table without speakers; an empty speaker cell gives ``None``.
    transcript : str
        Header of the column naming each row's transcript. If the default
        ``"transcript"`` is absent the whole table is one transcript; any
        other header must exist.
    start_time, end_time : str, optional
        Headers of time columns: seconds (``83.5``) or timestamps
        (``00:01:23.5``); empty cells give ``None``.
    sheet : str or int, optional
        Sheet name or 0-based index of an ``.xlsx``; the first by default.
    encoding : str, optional
        Force the encoding of a ``.csv``/``.tsv`` instead of the fallback.
    skip_empty : bool, default False
        Skip rows whose text cell is empty instead of raising.

    Returns
    -------
    list of ParsedTranscript
        One per transcript, in order of first appearance.

    Raises
    ------
    ImportFormatError
        For a missing column or sheet, an empty text or transcript cell, a
        bad time, an unreadable or empty file, naming the file and row.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "fg.csv"
    >>> _ = p.write_text("transcript,speaker,text\\nfg1,Ann,Hi.\\nfg1,Ann,Me again.\\nfg2,Bob,Yo.\\n")
    >>> [(t.name, [(u.speaker, u.text, u.line) for u in t.turns]) for t in read_table(p)]
    [('fg1', [('Ann', 'Hi.', 2), ('Ann', 'Me again.', 3)]), ('fg2', [('Bob', 'Yo.', 4)])]
    """
    p = Path(path)
    df = _load(p, sheet, encoding)
    columns = [str(c).strip() for c in df.columns]
    text_i = _column(p, columns, text, "text")
    speaker_i = _column(p, columns, speaker, "speaker") if speaker is not None else None
    group_i = (
        _column(p, columns, transcript, "transcript")
        if transcript != "transcript" or any(c.casefold() == "transcript" for c in columns)
        else None
    )
    start_i = _column(p, columns, start_time, "start_time") if start_time else None
    end_i = _column(p, columns, end_time, "end_time") if end_time else None

    groups: dict[str, TextBuilder] = {}
    for k, values in enumerate(df.itertuples(index=False, name=None)):
        row = k + 2
        if not any(_cell(v) for v in values):
            continue
        body = strip_control_characters(_cell(values[text_i]), _row_where(p, row))
        if not body:
            if skip_empty:
                continue
            raise ImportFormatError(
                f"{_row_where(p, row)}: the text cell (column {columns[text_i]!r}) is empty; "
                "fill it in, delete the row, or pass skip_empty=True (on the command line --skip-empty)."
            )
        key = name if name is not None else p.stem
        if group_i is not None:
            key = _cell(values[group_i])
            if not key:
                raise ImportFormatError(
                    f"{_row_where(p, row)}: the transcript cell (column {columns[group_i]!r}) "
                    "is empty; fill in which transcript the row belongs to."
                )
        groups.setdefault(key, TextBuilder()).add(
            (_cell(values[speaker_i]) or None) if speaker_i is not None else None,
            body,
            start_time=_time(p, row, columns[start_i], values[start_i]) if start_i is not None else None,
            end_time=_time(p, row, columns[end_i], values[end_i]) if end_i is not None else None,
            line=row,
        )
    if not groups:
        raise ImportFormatError(f"{p}: the table has a header but no rows to import.")
    return [
        ParsedTranscript(name=key, text=b.text, turns=b.turns, source=str(path), spans=b.spans)
        for key, b in groups.items()
    ]

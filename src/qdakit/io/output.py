"""Writing files safely: atomically, with spreadsheet formulas neutralised and unwritable characters counted.

Every file qdakit writes goes through :func:`atomic_write`: the content is
written to a temporary file in the target's folder and renamed over the target
only once complete, so a crash, a full disk or a bad character leaves either
the old file or the new one, never a truncated one, and no temporary file
behind. The file gets the permissions an ordinary new file gets (the umask),
not the 0600 of a temporary file.

Tables go through :func:`write_table`, which guards against formula (CSV)
injection as OWASP recommends: in ``.csv`` a cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a single quote
(``'=1+1``), so a spreadsheet shows it as text; cells that already start with
quotes before such a character get one more, so :func:`unneutralise`, which
every qdakit CSV reader applies, gives back the original text exactly. In
``.xlsx`` every string is written as a text cell, never a formula, so no prefix
is needed. Characters a format cannot hold (control characters in ``.xlsx``,
lone surrogates anywhere) are replaced by a visible stand-in (U+2400 control
pictures, U+FFFD) and counted in the returned :class:`Written`.

References: OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import csv
import errno
import io
import os
import re
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd

from qdakit.errors import ExportError, ReplacedCharacterWarning

__all__ = ["atomic_write", "write_table", "neutralise", "unneutralise", "Written"]

_FORMULA = re.compile(r"^'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"^'+[=+\-@\t\r]")
_XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def neutralise(value: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula (OWASP); reversible by :func:`unneutralise`.

    >>> neutralise('=HYPERLINK("http://x")'), neutralise("-2 items"), neutralise("fine")
    ('\\'=HYPERLINK("http://x")', "'-2 items", 'fine')
    >>> all(unneutralise(neutralise(s)) == s for s in ["=1", "'=1", "''@x", "'quoted'", "a=b"])
    True
    """
    return "'" + value if _FORMULA.match(value) else value


def unneutralise(value: str) -> str:
    """Undo :func:`neutralise`: drop one leading ``'`` before quotes and a formula character."""
    return value[1:] if _ESCAPED.match(value) else value


@dataclass(frozen=True)
class Written:
    """What :func:`write_table` wrote: the path, the rows, and how many characters it replaced."""

    path: Path
    rows: int
    replaced: int = 0
    neutralised: int = 0


def _mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Write ``path`` through ``write(f)`` on a temporary file in the same folder, then rename it into place.

    Raises :class:`ExportError` (nothing written, no temporary file left) when
    the folder cannot be written or the disk is full.
    """
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    except OSError as exc:
        raise ExportError(f"{p}: cannot write here ({exc.strerror or exc}); choose a folder you can "
                          "write to. Nothing was written.") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode())
        os.replace(tmp, p)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
            raise ExportError(f"{p}: {'the disk is full' if full else exc.strerror or exc}; nothing was "
                              f"written{' (free some space and try again)' if full else ''}.") from None
        raise
    return p


def _cell_text(value: Any, xlsx: bool, counts: list[int]) -> Any:
    if not isinstance(value, str):
        return value
    value, n = _SURROGATE.subn("\ufffd", value)
    counts[0] += n
    if xlsx:
        value, n = _XLSX_ILLEGAL.subn(lambda m: chr(0x2400 + ord(m.group())), value)
        counts[0] += n
    else:
        escaped = neutralise(value)
        counts[1] += escaped is not value
        value = escaped
    return value


def write_table(frame: pd.DataFrame, path: str | Path, *, index: bool = False,
                sheet_name: str = "Sheet1") -> Written:
    """Write ``frame`` as ``.csv`` (UTF-8 with BOM, for Excel) or ``.xlsx``, atomically and safely.

    Strings are neutralised in CSV and written as text cells in XLSX (see the
    module docstring); the index is written as the first column(s) when
    ``index`` is true.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in {".csv", ".xlsx", ".xlsm"}:
        raise ExportError(f"{p}: cannot write a table as {suffix or '(no suffix)'!r}; use .csv or .xlsx")
    df = frame.reset_index() if index else frame
    xlsx = suffix != ".csv"
    counts = [0, 0]
    header = [_cell_text(str(c), xlsx, counts) for c in df.columns]
    rows = [[_cell_text(_plain(v), xlsx, counts) for v in row] for row in df.itertuples(index=False, name=None)]
    if xlsx:
        atomic_write(p, lambda f: _xlsx(f, header, rows, sheet_name))
    else:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
        data = buf.getvalue().encode("utf-8-sig")
        atomic_write(p, lambda f: f.write(data))
    if counts[0]:
        warnings.warn(ReplacedCharacterWarning(
            f"{p}: {counts[0]} character(s) the format cannot hold (control characters, broken surrogates) were "
            "replaced by visible stand-ins (U+2400 pictures, U+FFFD)"), stacklevel=2)
    return Written(p, len(rows), counts[0], counts[1])


def _plain(value: Any) -> Any:
    """NaN/NA -> empty cell; numpy scalars -> Python numbers."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return value.item() if hasattr(value, "item") else value


def _xlsx(f: IO[bytes], header: list[Any], rows: list[list[Any]], sheet_name: str) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name[:31])
    for values in [header, *rows]:
        cells = []
        for v in values:
            cell = WriteOnlyCell(sheet, value=v)
            if isinstance(v, str):
                cell.data_type = "s"  # text, never a formula (openpyxl makes '=...' a formula)
            cells.append(cell)
        sheet.append(cells)
    book.save(f)

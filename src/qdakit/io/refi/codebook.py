"""REFI-QDA codebooks (``.qdc``): read and write, keeping code guids."""

from __future__ import annotations

from pathlib import Path

from qdakit.errors import CodebookError, ImportFormatError
from qdakit.io.refi.common import (
    NS_CODEBOOK,
    _atomic_write,
    _code_guids,
    _codes,
    _el,
    _kid,
    _local,
    _origin,
    _parse_xml,
    _read_codes,
    _xml,
)
from qdakit.model import Codebook

__all__ = ["read_qdc", "write_qdc"]


def read_qdc(path: str | Path) -> Codebook:
    """Read a REFI-QDA codebook (``.qdc``).

    Codes keep their guid, colour and description; a repeated code name is
    suffixed with its parent's name (qdakit code names are unique). Code sets
    are not read.

    Raises
    ------
    CodebookError
        Unreadable or unsafe XML, a code without guid or name, a repeated guid.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise CodebookError(f"{p}: cannot read the codebook ({exc})") from None
    try:
        root = _parse_xml(data, str(p))
        if _local(root) != "CodeBook":
            raise CodebookError(f"{p}: root element is <{_local(root)}>, not <CodeBook>; is it a .qdc codebook?")
        codes, _ = _read_codes(_kid(root, "Codes"), str(p), [])
    except ImportFormatError as exc:  # unsafe XML, a limit (depth, elements)
        raise CodebookError(str(exc)) from None
    if not codes:
        raise CodebookError(f"{p}: the codebook has no codes")
    return Codebook(codes, source=str(p))


def write_qdc(codebook: Codebook, path: str | Path) -> Path:
    """Write ``codebook`` as a REFI-QDA codebook (``.qdc``), keeping code guids.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from qdakit import Code, Codebook
    >>> from qdakit.io.refi import read_qdc, write_qdc
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "cb.qdc"
    >>> cb = Codebook([Code("Trust"), Code("Distrust", parent="Trust", exclusion="irony")])
    >>> [(c.name, c.parent, c.exclusion) for c in read_qdc(write_qdc(cb, f))]
    [('Trust', None, ''), ('Distrust', 'Trust', 'irony')]
    """
    p = Path(path)
    root = _el(None, "CodeBook", {"xmlns": NS_CODEBOOK, "origin": _origin()})
    _codes(root, codebook, _code_guids(codebook))
    data = _xml(root)
    _atomic_write(p, lambda f: f.write(data))
    return p

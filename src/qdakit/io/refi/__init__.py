"""REFI-QDA exchange with NVivo, ATLAS.ti, MAXQDA, QualCoder and other QDA tools.

REFI-QDA 1.5 (QDA-XML 1.0, https://www.qdasoftware.org) has two formats: a
codebook (``.qdc``, XML) and a project (``.qdpx``, a zip holding
``project.qde`` and ``sources/``). This package is split into
:mod:`~qdakit.io.refi.common` (what the reader and writer share:
safe XML parsing, the archive checks, code elements),
:mod:`~qdakit.io.refi.codebook`, :mod:`~qdakit.io.refi.read` and :mod:`~qdakit.io.refi.write`:

* :func:`read_qdc`, :func:`write_qdc`: codebooks;
* :func:`import_qdpx` (:mod:`qdakit.io.refi.read`): a project into a qdakit
  project, all or nothing, with the safety checks for untrusted files;
* :func:`export_qdpx` (:mod:`qdakit.io.refi.write`): a qdakit project to
  ``.qdpx``, human codings as their coders, machine suggestions optionally as a
  separate user.

All four are importable from here. Codes keep their guid. A code's
inclusion and exclusion criteria and examples are written into its
``Description`` as ``Inclusion:``, ``Exclusion:`` and ``Example:`` paragraphs
and read back from there.

Examples
--------
>>> import tempfile, pathlib
>>> from qdakit import Project, Transcript, Segment, Codebook, Code
>>> from qdakit.io.refi import export_qdpx, import_qdpx
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> with Project.create(tmp / "a.qdakit") as p:
...     t = Transcript("t1", "t1", "Ann: Café ☕ every week.")
...     _ = p.add_transcripts([(t, [Segment("t1#0", "t1", 0, "Ann", "Café ☕ every week.", 5, 23)])])
...     _ = p.load_codebook(Codebook([Code("Meetings")]))
...     _ = p.code("t1#0", "Meetings", coder="JR", start=5, end=11)
...     _ = export_qdpx(p, tmp / "a.qdpx")
>>> with Project.create(tmp / "b.qdakit") as q:
...     report = import_qdpx(q, tmp / "a.qdpx")
...     c = q.codings().iloc[0]
...     q.transcript("t1").text[c["start"]:c["end"]], c["coder"]
('Café ☕', 'JR')
"""

from __future__ import annotations

from qdakit.io.refi.codebook import read_qdc, write_qdc
from qdakit.io.refi.read import MAX_MEMBER_BYTES, MAX_TOTAL_BYTES, RefiImportReport, import_qdpx
from qdakit.io.refi.write import RefiExportReport, export_qdpx

__all__ = [
    "MAX_MEMBER_BYTES",
    "MAX_TOTAL_BYTES",
    "RefiExportReport",
    "RefiImportReport",
    "export_qdpx",
    "import_qdpx",
    "read_qdc",
    "write_qdc",
]

"""``qdakit report``: the self-contained HTML report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from qdakit.cli.app import _open, _read_terms, app
from qdakit.cli.common import (
    DEFAULT_PROJECT,
    ProjectOpt,
    console,
)


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output HTML file.")] = Path("report.html"),
    project: ProjectOpt = DEFAULT_PROJECT,
    by: Annotated[str, typer.Option(help="Per-group charts by 'question' or any attribute (e.g. sector).")]
    = "question",
    coder: Annotated[Optional[str], typer.Option(help="Count and quote only this coder's codings.")] = None,
    agreement: Annotated[Optional[list[str]], typer.Option(
        "--agreement", help="Coders to report agreement for (repeat: --agreement JR --agreement SM); add "
                            "--agreement machine for the section 'Machine and human coders'.")] = None,
    terms: Annotated[Optional[Path], typer.Option(
        help="CSV term,replacement for anonymising quotes (e.g. organisation -> [VCS organisation]).")] = None,
    pseudonyms: Annotated[Optional[Path], typer.Option(
        help="Also save the pseudonym table here (keep it apart from the report).")] = None,
    title: Annotated[Optional[str], typer.Option(help="Report title.")] = None,
) -> None:
    """Write a self-contained HTML report: theme tables and charts, agreement, anonymised quotes."""
    from qdakit.analysis.anonymise import Anonymiser
    from qdakit.analysis.report import build_report

    term_map = _read_terms(terms) if terms is not None else {}
    with _open(project) as p:
        anon = Anonymiser.for_project(p, terms=term_map)
        path = build_report(p, out, by=by, coder=coder, agreement_coders=agreement, anonymiser=anon, title=title)
    if pseudonyms is not None:
        anon.save_table(pseudonyms)
    console.print(f"Wrote {path}" + (f"; pseudonym table in {pseudonyms} (keep it private)." if pseudonyms else "."))

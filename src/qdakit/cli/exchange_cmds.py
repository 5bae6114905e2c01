"""``qdakit export``: REFI-QDA ``.qdpx`` / ``.qdc``, quotations and the code-by-case matrix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from qdakit.cli.app import _anonymiser, _open, app, check_anonymiser_modes
from qdakit.cli.common import (
    DEFAULT_PROJECT,
    AcronymsOpt,
    KeepOpt,
    NerOpt,
    ProjectOpt,
    TermsOpt,
    console,
)


@app.command()
def export(
    project: ProjectOpt = DEFAULT_PROJECT,
    qdpx: Annotated[Optional[Path], typer.Option(help="REFI-QDA project for NVivo, ATLAS.ti, MAXQDA, "
                                                      "QualCoder.")] = None,
    with_suggestions: Annotated[bool, typer.Option(
        help="Add pending machine suggestions to the .qdpx as a separate user.")] = False,
    min_score: Annotated[Optional[float], typer.Option(help="Only suggestions scoring at least this.")] = None,
    qdc: Annotated[Optional[Path], typer.Option(help="REFI-QDA codebook (.qdc).")] = None,
    quotes: Annotated[Optional[Path], typer.Option(help="Quotation table, one row per coding (.csv/.xlsx).")] = None,
    matrix: Annotated[Optional[Path], typer.Option(help="Code-by-case 0/1 matrix (.csv/.xlsx).")] = None,
    case: Annotated[str, typer.Option(help="Cases of the matrix: participant, transcript or an attribute.")]
    = "participant",
    anonymise: Annotated[bool, typer.Option(
        "--anonymise/--no-anonymise",
        help="Pseudonymise the quotation table (participants, researchers, --terms, spaCy NER), as the report "
             "does; on by default, since a quotes file is what leaves the team. --no-anonymise writes real "
             "names.")] = True,
    terms: TermsOpt = None,
    keep: KeepOpt = None,
    ner: NerOpt = "all",
    acronyms: AcronymsOpt = "names",
) -> None:
    """Export the project: REFI-QDA .qdpx/.qdc, quotation table, code-by-case matrix."""
    if not any([qdpx, qdc, quotes, matrix]):
        raise typer.BadParameter("say what to write: --qdpx, --qdc, --quotes and/or --matrix")
    check_anonymiser_modes(ner, acronyms)
    with _open(project) as p:
        if qdpx:
            from qdakit.io.refi import export_qdpx

            report = export_qdpx(p, qdpx, with_suggestions=with_suggestions, min_score=min_score)
            console.print(f"Wrote {qdpx}:")
            for line in report.lines():
                console.print(f"  {line}", highlight=False)
        if qdc:
            from qdakit.io.refi import write_qdc

            write_qdc(p.codebook, qdc)
            console.print(f"Wrote {qdc}.")
        if quotes:
            from qdakit.io.exports import write_quotations

            if not anonymise and (terms is not None or keep is not None):
                raise typer.BadParameter("--terms and --keep choose how quotes are anonymised; leave them out "
                                         "with --no-anonymise", param_hint="--no-anonymise")
            anon = _anonymiser(p, terms, keep, ner, acronyms) if anonymise else None
            write_quotations(p, quotes, anonymiser=anon)
            if anon is not None:
                console.print(f"Wrote {quotes} (anonymised: names replaced by pseudonyms, as in the report).")
            else:
                console.print(f"Wrote {quotes}. [bold yellow]It holds real names[/bold yellow] (--no-anonymise): "
                              "keep it inside the team.", highlight=False)
        if matrix:
            from qdakit.io.exports import code_by_case_matrix
            from qdakit.io.output import write_table

            frame = code_by_case_matrix(p, case=case)
            write_table(frame, matrix, index=True, sheet_name="matrix")
            console.print(f"Wrote {matrix} ({frame.shape[0]} cases x {frame.shape[1]} codes).")

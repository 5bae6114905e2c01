"""``qdakit report``: the self-contained HTML report.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer

from qdakit.cli.app import _anonymiser, _open, app
from qdakit.cli.common import (
    DEFAULT_PROJECT,
    AcronymsOpt,
    KeepOpt,
    NerOpt,
    ProjectOpt,
    TermsOpt,
    console,
    print_notes,
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
    terms: TermsOpt = None,
    keep: KeepOpt = None,
    ner: NerOpt = "all",
    acronyms: AcronymsOpt = "names",
    errorbars: Annotated[str, typer.Option(
        help="Whiskers on the theme bars: sd (±1 SD of the counts across themes, as the published method draws "
             "them), bootstrap (each bar's 95% interval from resampling participants) or none.")] = "sd",
    quote_words: Annotated[int, typer.Option(help="Trim quotes to at most this many words, at a sentence.",
                                             min=5)] = 60,
    repeat_quotes: Annotated[bool, typer.Option(
        "--repeat-quotes", help="Allow one passage to be quoted under two themes.")] = False,
    pseudonyms: Annotated[Optional[Path], typer.Option(
        help="Also save the pseudonym table here (keep it apart from the report).")] = None,
    title: Annotated[Optional[str], typer.Option(help="Report title.")] = None,
) -> None:
    """Write a self-contained HTML report: theme tables and charts, agreement, anonymised quotes."""
    from qdakit.analysis.plots import ERRORBARS
    from qdakit.analysis.report import build_report

    if errorbars not in ERRORBARS:
        raise typer.BadParameter(f"use one of {', '.join(ERRORBARS)}", param_hint="--errorbars")
    with _open(project) as p, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # a long turn, a code short of examples: tidy notes below, not raw warnings
        anon = _anonymiser(p, terms, keep, ner, acronyms)
        path = build_report(p, out, by=by, coder=coder, agreement_coders=agreement, anonymiser=anon, title=title,
                            errorbars=errorbars, quote_words=quote_words, repeat_quotes=repeat_quotes)
    print_notes(caught)
    if pseudonyms is not None:
        anon.save_table(pseudonyms)
    console.print(f"Wrote {path}" + (f"; pseudonym table in {pseudonyms} (keep it private)." if pseudonyms else "."))

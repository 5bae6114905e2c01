"""Agreement commands: ``agree`` (coefficients and the disagreement table) and ``resolve``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from qdakit.cli.app import _open, _print_frame, app
from qdakit.cli.common import (
    DEFAULT_PROJECT,
    ProjectOpt,
    console,
)


@app.command()
def agree(
    coders: Annotated[list[str], typer.Option("--coders", "-c", help="Two or more coders; 'machine' = the "
                                                                      "suggestions scoring >= --threshold.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    level: Annotated[str, typer.Option(help="'segment' or 'character' (as NVivo's coding comparison).")] = "segment",
    by: Annotated[str, typer.Option(help="'code', 'transcript', 'question' or any attribute (e.g. wave).")] = "code",
    metric: Annotated[Optional[list[str]], typer.Option(
        "--metric", "-m", help="percent, cohen, scott, fleiss, krippendorff, gwet_ac1, brennan_prediger "
                               "(repeatable).")] = None,
    code: Annotated[Optional[list[str]], typer.Option("--code", help="Only these codes (repeatable).")] = None,
    threshold: Annotated[float, typer.Option(help="Score from which a suggestion is the machine's coding.")] = 0.5,
    units: Annotated[str, typer.Option(help="coded_by_all, coded_by_any, or all segments.")] = "coded_by_all",
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="Write the disagreement table (.csv or .xlsx) for the resolution meeting.")] = None,
) -> None:
    """Agreement between coders (human-human or machine-human), per code and pooled."""
    import warnings

    from qdakit.agreement import METRICS
    from qdakit.agreement.reliability import agreement, disagreement_table
    from qdakit.errors import UndefinedStatisticWarning

    if len(coders) < 2:
        raise typer.BadParameter("name at least two coders: --coders JR --coders SM", param_hint="--coders")
    metrics = tuple(metric) if metric else ("percent", "cohen", "krippendorff", "gwet_ac1")
    bad = [m for m in metrics if m not in METRICS]
    if bad:
        raise typer.BadParameter(f"unknown metric {', '.join(bad)}; choose from {', '.join(METRICS)}",
                                 param_hint="--metric")
    with _open(project) as p, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UndefinedStatisticWarning)
        table = agreement(p, coders, level=level, by=by, codes=code, metrics=metrics, threshold=threshold,
                          units=units)
        dis = disagreement_table(p, coders, codes=code, threshold=threshold) if out else None
    keep = ([table.columns[0], "n_units", "all_present", "only_a", "only_b", *metrics] if level == "segment"
            else ["code", "transcript_id", "agreement", "kappa", "u_alpha"])
    short = {"n_units": "units", "all_present": "both", "only_a": f"{coders[0]} only",
             "only_b": f"{coders[-1]} only", "percent": "%agree", "cohen": "kappa", "krippendorff": "alpha",
             "gwet_ac1": "AC1", "brennan_prediger": "BP", "transcript_id": "transcript"}
    view = table[[c for c in keep if c in table.columns]]
    _print_frame(view.rename(columns=short), title=f"Agreement, {' vs '.join(coders)} ({level} level, by {by})")
    undefined = {str(w.message) for w in caught if issubclass(w.category, UndefinedStatisticWarning)}
    if undefined:
        console.print(f"[dim]NaN = undefined ({len(undefined)} cases, e.g. a code used by no one or by "
                      "everyone on every unit).[/dim]")
    if dis is not None and out is not None:
        from qdakit.io.output import write_table

        write_table(dis, out, sheet_name="disagreements")
        console.print(f"Wrote {len(dis)} disagreements to {out}. Fill in 'agreed_codes' at the meeting, then "
                      f"[cyan]qdakit resolve {out} --coder NAME[/cyan].")


@app.command()
def resolve(
    file: Annotated[Path, typer.Argument(help="Disagreement table with the agreed_codes column filled in.")],
    coder: Annotated[str, typer.Option(help="Who resolved the disagreements (recorded as the coder).")],
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Record the codes agreed at a resolution meeting as codings by the resolver."""
    from qdakit.agreement.reliability import resolve_from_table

    with _open(project) as p:
        added = resolve_from_table(p, file, coder=coder)
    console.print(f"Recorded {len(added)} agreed codings by {coder}; the coders' own codings are unchanged.")

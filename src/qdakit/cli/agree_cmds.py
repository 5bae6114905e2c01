"""Agreement commands: ``agree`` (coefficients and the disagreement table) and ``resolve``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer

from qdakit.cli.app import _open, _print_frame, app
from qdakit.cli.common import (
    DEFAULT_PROJECT,
    ProjectOpt,
    console,
    err,
)


@app.command()
def agree(
    coders: Annotated[list[str], typer.Option("--coders", "-c", help="Two or more coders; 'machine' = the "
                                                                      "machine's cross-validated codings.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    level: Annotated[str, typer.Option(help="'segment' or 'character' (as NVivo's coding comparison).")] = "segment",
    by: Annotated[str, typer.Option(help="'code', 'transcript', 'question' or any attribute (e.g. wave).")] = "code",
    metric: Annotated[Optional[list[str]], typer.Option(
        "--metric", "-m", help="percent, cohen, scott, fleiss, krippendorff, gwet_ac1, brennan_prediger "
                               "(repeatable).")] = None,
    code: Annotated[Optional[list[str]], typer.Option("--code", help="Only these codes (repeatable).")] = None,
    refresh_machine: Annotated[bool, typer.Option(
        "--refresh-machine", help="Cross-validate the machine again even if its stored codings are current.")]
    = False,
    folds: Annotated[int, typer.Option(help="Folds (grouped by transcript) of the machine's cross-validation.")] = 5,
    units: Annotated[str, typer.Option(help="coded_by_all, coded_by_any, or all segments.")] = "coded_by_all",
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="Write the disagreement table (.csv or .xlsx) for the resolution meeting.")] = None,
) -> None:
    """Agreement between coders (human-human or machine-human), per code and pooled.

    With -c machine the machine is one more coder: on each segment a human coded
    or read, its coding comes from a model fitted without that segment's transcript
    (cross-validation grouped by transcript, at the thresholds precode uses), and a
    second table judges it per code against the humans' agreement with each other.
    """

    from qdakit.agreement import METRICS
    from qdakit.agreement.reliability import MACHINE, agreement, disagreement_table
    from qdakit.errors import UndefinedStatisticWarning

    if len(coders) < 2:
        raise typer.BadParameter("name at least two coders: --coders JR --coders SM", param_hint="--coders")
    if metric:
        metrics = tuple(metric)
    elif len(coders) == 2:
        metrics = ("percent", "cohen", "krippendorff", "gwet_ac1")
    else:  # across all coders, then Cohen's kappa for every pair: what a methods section reports
        metrics = ("percent", "fleiss", "krippendorff", "gwet_ac1", "cohen")
    bad = [m for m in metrics if m not in METRICS]
    if bad:
        raise typer.BadParameter(f"unknown metric {', '.join(bad)}; choose from {', '.join(METRICS)}",
                                 param_hint="--metric")
    verdict = None
    with _open(project) as p, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UndefinedStatisticWarning)
        if MACHINE in coders:
            verdict = _machine_coder(p, [c for c in coders if c != MACHINE], code, folds, refresh_machine)
        table = agreement(p, coders, level=level, by=by, codes=code, metrics=metrics, units=units)
        dis = disagreement_table(p, coders, codes=code) if out else None
    if level == "segment":
        from qdakit.agreement.coding import metric_columns

        counts = ["all_present", "only_a", "only_b"] if len(coders) == 2 else \
            ["all_present", "mixed", *(f"only {c}" for c in coders)]
        keep = [table.columns[0], "n_units", *counts, *metric_columns(metrics, coders)]
    else:
        keep = ["code", "transcript_id", "agreement", "kappa", "u_alpha"]
    short = {"n_units": "units", "all_present": "both" if len(coders) == 2 else "all", "only_a": f"{coders[0]} only",
             "only_b": f"{coders[-1]} only", "percent": "%agree", "cohen": "kappa", "krippendorff": "alpha",
             "gwet_ac1": "AC1", "brennan_prediger": "BP", "transcript_id": "transcript",
             **{f"only {c}": f"{c} only" for c in coders},
             **{col: col.replace("cohen ", "kappa ") for col in table.columns if col.startswith("cohen ")}}
    view = table[[c for c in keep if c in table.columns]]
    _print_frame(view.rename(columns=short), title=f"Agreement, {' vs '.join(coders)} ({level} level, by {by})")
    if level == "segment" and len(coders) > 2 and any(m in ("cohen", "scott") for m in metrics):
        console.print("[dim]kappa A~B: Cohen's kappa of each pair of coders; %agree, fleiss, alpha and AC1 are "
                      "across all coders.[/dim]")
    undefined = {str(w.message) for w in caught if issubclass(w.category, UndefinedStatisticWarning)}
    if undefined:
        console.print(f"[dim]NaN = undefined ({len(undefined)} cases, e.g. a code used by no one or by "
                      "everyone on every unit).[/dim]")
    if verdict is not None:
        _print_verdict(verdict)
    if dis is not None and out is not None:
        from qdakit.io.output import write_table

        write_table(dis, out, sheet_name="disagreements")
        console.print(f"Wrote {len(dis)} disagreements to {out}. Fill in 'agreed_codes' at the meeting, then "
                      f"[cyan]qdakit resolve {out} --coder NAME[/cyan].")


def _machine_coder(p, humans: list[str], codes: Optional[list[str]], folds: int,  # noqa: ANN001 - Project
                   refresh: bool):  # noqa: ANN202 - DataFrame or None
    """Make (or reuse) the machine's out-of-fold codings; the per-code verdict when humans are named."""
    from qdakit.agreement.reliability import MACHINE, codings_for
    from qdakit.agreement.verdict import machine_verdict
    from qdakit.suggest.crossval import project_machine_codings

    err.print("Cross-validating the machine coder (grouped by transcript) ...")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the fold suggesters' notes are for precode
        machine = project_machine_codings(p, refresh=refresh, n_splits=folds)
    err.print(f"Machine codings of {machine['segment_id'].nunique()} segments from {machine['fold'].nunique()} "
              f"folds ({machine['run'].iloc[0]}).")
    if not humans:
        return None
    return machine_verdict(codings_for(p, [*humans, MACHINE]), humans, MACHINE, codes=codes)


def _print_verdict(verdict) -> None:  # noqa: ANN001 - DataFrame
    from qdakit.agreement.verdict import UNFLAGGED
    from qdakit.analysis.machine import verdict_display

    view = verdict_display(verdict)
    view["verdict"] = [v if v in UNFLAGGED else f"! {v}" for v in view["verdict"]]
    humans = verdict.attrs["humans"]
    _print_frame(view, title=f"Is the machine as good as a second coder? (vs {', '.join(humans)}; Cohen's kappa)")
    weak = ["guessing", "below humans", "never applied", "only the machine"]
    flagged = verdict.loc[verdict["verdict"].isin(weak), "code"].tolist()
    if flagged:
        console.print(f"[yellow]flagged (!):[/yellow] on {len(flagged)} code(s) the machine is guessing, below the "
                      f"humans, silent or alone: {', '.join(flagged)}. Code more segments of them, or keep them "
                      "human-only.",
                      highlight=False)


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

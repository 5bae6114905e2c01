"""The machine as a coder on a project: verdict per code, learning curves, the report section.

Joins the three steps that measure the machine against the humans on the
same footing, each returning a DataFrame:

* :func:`machine_vs_humans`: the per-code verdict (is the machine as good as
  a second coder?) from the stored out-of-fold machine codings, computed
  and stored first when missing or stale
  (:func:`qdakit.suggest.crossval.project_machine_codings`);
* :func:`machine_learning_curve`: per code, agreement against the number of
  human codings learned from, from the same grouped cross-validation;
* :func:`machine_section`: the report's "Machine and human coders" section
  (HTML), called by :func:`qdakit.analysis.report.build_report`.

Example (the example study, after ``qdakit codings import``)::

    >>> from qdakit import Project                                          # doctest: +SKIP
    >>> from qdakit.analysis.machine import machine_vs_humans               # doctest: +SKIP
    >>> with Project.open("demo-output/study.qdakit") as p:                 # doctest: +SKIP
    ...     table = machine_vs_humans(p, ["JR", "SM"])
    >>> table[["code", "n_units", "machine_kappa", "human_kappa", "verdict"]]  # doctest: +SKIP
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from qdakit.agreement.reliability import MACHINE, codings_for
from qdakit.agreement.verdict import NO_JUDGEMENT, binary_kappas, machine_verdict, verdict_sentences
from qdakit.errors import CodingError
from qdakit.project import Project
from qdakit.suggest import crossval
from qdakit.suggest.crossval import learning_codings, project_machine_codings, results_key

__all__ = ["machine_vs_humans", "machine_learning_curve", "machine_section", "verdict_display"]


def _humans(project: Project, humans: Sequence[str] | None) -> list[str]:
    names = [h for h in (humans if humans is not None else project.coders()) if h != MACHINE]
    if not names:
        raise CodingError(f"{project.path}: no human coders to compare the machine with; import or make "
                          "human codings first")
    return names


def machine_vs_humans(project: Project, humans: Sequence[str] | None = None, *, codes: Sequence[str] | None = None,
                      refresh: bool = False, n_boot: int = 1000, ci: float = 0.95, embedder: Any = None,
                      **params: Any) -> pd.DataFrame:
    """Per code: the machine's agreement with each human beside the humans' with each other.

    Units are the segments every named human coded or marked reviewed; the
    machine's coding of each is its out-of-fold coding. Columns as
    :func:`qdakit.agreement.machine_verdict`; ``attrs["folds"]`` and
    ``attrs["model"]`` say how the machine codings were made.

    Parameters
    ----------
    humans : human coders (default: every coder of the project)
    codes : codes to judge (default: every code anyone applied on the units)
    refresh : recompute the machine codings even when stored ones are current
    n_boot, ci : bootstrap resamples and coverage
    embedder, **params : for the suggester (see :func:`project_machine_codings`)
    """
    names = _humans(project, humans)
    machine = project_machine_codings(project, refresh=refresh, embedder=embedder, **params)
    frame = codings_for(project, [*names, MACHINE])
    table = machine_verdict(frame, names, MACHINE, codes=codes, n_boot=n_boot, ci=ci)
    table.attrs["machine_runs"] = sorted(set(machine["run"]))
    table.attrs["folds"] = int(machine["fold"].nunique()) if len(machine) else 0
    return table


def machine_learning_curve(project: Project, humans: Sequence[str] | None = None, *,
                           fractions: Sequence[float] = (0.25, 0.5, 0.75, 1.0), embedder: Any = None,
                           **params: Any) -> pd.DataFrame:
    """Per code and share of the human codings learned from: the machine's kappa with the humans.

    The grouped cross-validation of :func:`machine_vs_humans` is repeated
    with each fold's training units thinned to ``fractions`` (nested draws);
    each held-out unit read by every human is compared per code (present /
    absent) with each human, and the kappas are averaged over humans.

    The table is stored in the project and reused while the human labels,
    the embedding model and these settings are unchanged
    (:func:`qdakit.suggest.crossval.results_key`), so a report of an
    unchanged project does not fit the folds again.

    Returns
    -------
    DataFrame
        One row per (code, fraction): ``codings`` (human codings of the code
        learned from, mean over folds), ``units``, ``kappa``.
    """
    names = _humans(project, humans)
    emb = embedder if embedder is not None else crossval.default_embedder(project)
    key = results_key(project, emb, humans=names, fractions=[float(f) for f in fractions], **params)
    stored = project.stored_result("machine_learning_curve", key)
    if stored is not None:  # the codings and the model are unchanged since it was made: reuse it
        return stored
    human = codings_for(project, names)
    rows = []
    for frac, machine, learned in learning_codings(project, fractions=fractions, embedder=emb, **params):
        by = human.groupby("segment_id")["coder"].nunique()
        units = pd.Index(sorted(set(by.index[by == len(names)]) & set(machine["segment_id"])))
        for code in project.codebook.names:
            X = np.zeros((len(units), len(names) + 1), dtype=np.int8)
            h = human[(human["code"] == code) & human["segment_id"].isin(units)]
            X[units.get_indexer(h["segment_id"]), pd.Index(names).get_indexer(h["coder"])] = 1
            m = machine[(machine["code"] == code) & machine["segment_id"].isin(units)]
            X[units.get_indexer(m["segment_id"]), len(names)] = 1
            k = binary_kappas(X, [(len(names), j) for j in range(len(names))])[0] if len(units) else np.array([np.nan])
            rows.append({"code": code, "fraction": frac, "codings": float(learned.get(code, 0.0)),
                         "units": len(units), "kappa": float(np.nanmean(k)) if not np.isnan(k).all() else np.nan})
    frame = pd.DataFrame(rows, columns=["code", "fraction", "codings", "units", "kappa"])
    project.store_result("machine_learning_curve", key, frame)
    return frame


def machine_section(project: Project, humans: Sequence[str] | None = None, *, embedder: Any = None,
                    png: Any = None, table: Any = None, curve: bool = True) -> list[str]:
    """The report section "Machine and human coders", as HTML fragments.

    ``png(fig)`` turns a Matplotlib figure into an image URL and
    ``table(df)`` a DataFrame into an HTML table (the report's helpers).
    """
    from . import plots

    names = _humans(project, humans)
    try:
        verdict = machine_vs_humans(project, names, embedder=embedder)
    except CodingError as exc:
        return ["<h2>Machine and human coders</h2>",
                f"<p class='note'>Not available: {html.escape(str(exc))}.</p>"]
    parts = ["<h2>Machine and human coders</h2>"]
    n_units = int(verdict["n_units"].max()) if len(verdict) else 0
    parts.append(
        f"<p>The machine is measured as one more coder, on the {n_units} segments that "
        f"{html.escape(' and '.join(names))} all read. Its coding of each segment comes from a model fitted "
        f"without that segment's transcript ({verdict.attrs.get('folds', 0)}-fold cross-validation grouped by "
        "transcript), at the per-code thresholds pre-coding uses. Cohen's kappa per code (present or absent), "
        "with 95% bootstrap intervals; <i>guessing</i>: the machine's interval includes 0; <i>below humans</i>: "
        "the interval of the difference from the humans' agreement with each other lies below 0.</p>")
    parts.append("<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in verdict_sentences(verdict)) + "</ul>")
    shown = verdict_display(verdict)
    parts.append(table(shown) if table is not None else shown.to_html(index=False))
    if curve and png is not None:
        try:
            lc = machine_learning_curve(project, names, embedder=embedder)
        except CodingError:
            lc = pd.DataFrame()
        if len(lc) and lc["kappa"].notna().any():
            parts.append("<h3>Learning curves</h3><p class='note'>Agreement with the human coders (mean kappa) "
                         "against the human codings the machine learned from, in the same cross-validation with "
                         "a quarter, half, three quarters and all of each fold's training segments. A curve "
                         "still rising shows where more human coding would help most.</p>")
            parts.append(f"<img alt='learning curves' src='{png(plots.learning_curves(lc))}'>")
    return parts


def verdict_display(verdict: pd.DataFrame) -> pd.DataFrame:
    """A :func:`machine_vs_humans` table for reading: kappas with their intervals as text, one row per code.

    Columns: code, units, each "machine ~ <human>" kappa (and, with two humans,
    theirs with each other), machine kappa, human kappa and difference as
    ``"0.62 [0.41, 0.80]"``, and the verdict.
    """
    humans = list(verdict.attrs.get("humans", []))
    out = pd.DataFrame({"code": verdict["code"], "units": verdict["n_units"]})
    for h in humans:
        out[f"machine ~ {h}"] = verdict[f"machine_vs_{h}"].map(lambda v: "NaN" if v != v else f"{v:.2f}")
    if len(humans) == 2:
        out[f"{humans[1]} ~ {humans[0]}"] = verdict[f"{humans[1]}_vs_{humans[0]}"].map(
            lambda v: "NaN" if v != v else f"{v:.2f}")
    nan = float("nan")
    rows = list(verdict.itertuples())
    judged = [r.verdict not in NO_JUDGEMENT for r in rows]  # too few units: the point value only, no interval
    out["machine kappa [95% CI]"] = [_ci(r.machine_kappa, *((r.machine_low, r.machine_high) if j else (nan, nan)))
                                     for r, j in zip(rows, judged, strict=True)]
    out["human kappa [95% CI]"] = [_ci(r.human_kappa, *((r.human_low, r.human_high) if j else (nan, nan)))
                                   for r, j in zip(rows, judged, strict=True)]
    out["difference [95% CI]"] = [_ci(r.difference, *((r.diff_low, r.diff_high) if j else (nan, nan)))
                                  for r, j in zip(rows, judged, strict=True)]
    out["verdict"] = verdict["verdict"].to_numpy()
    return out


def _ci(value: float, low: float, high: float) -> str:
    def f(v: float) -> str:
        return f"{round(v, 2) + 0.0:.2f}"  # + 0.0: no "-0.00"

    if value != value:
        return "NaN"
    return f(value) if low != low else f"{f(value)} [{f(low)}, {f(high)}]"

"""One self-contained HTML report: tables, plots (embedded PNG) and anonymised quotes.

``build_report(project, "report.html")`` writes a single file that can be
emailed or archived: no external scripts, styles or images. Statistics come
from :mod:`qdakit.analysis` and :mod:`qdakit.agreement.reliability`; this module only lays
them out.
"""

from __future__ import annotations

import base64
import html
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from qdakit.analysis import content, plots
from qdakit.errors import CodingError
from qdakit.project import Project

__all__ = ["build_report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1040px;margin:2rem auto;
padding:0 1.2rem;color:#1f2328;line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{border-bottom:2px solid #e1e4e8;padding-bottom:.2rem;margin-top:2.2rem}
h3{margin-bottom:.3rem}.sub{color:#57606a}
table{border-collapse:collapse;font-size:.86rem;margin:.6rem 0}
th,td{border-bottom:1px solid #e1e4e8;padding:.28rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f6f8fa}
.cards{display:flex;gap:.8rem;flex-wrap:wrap}.card{background:#f6f8fa;border-radius:8px;padding:.6rem 1rem}
.card b{font-size:1.4rem;display:block}
.major{color:#0b6e4f;font-weight:600}.minor{color:#6e7781}
blockquote{margin:.5rem 0 .9rem;padding:.4rem .9rem;border-left:4px solid #8ecae6;background:#f8fbfd}
blockquote cite{display:block;color:#57606a;font-style:normal;font-size:.85rem;margin-top:.2rem}
img{max-width:100%;height:auto}.note{color:#57606a;font-size:.85rem}
"""


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _table(df: pd.DataFrame, *, floats: str = "{:.1f}", classes: str | None = None) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "NaN" if v != v else floats.format(v)
        text = html.escape(str(v))
        if classes and text in ("major", "minor"):
            return f'<span class="{text}">{text}</span>'
        return text
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def build_report(
    project: Project,
    path: str | Path,
    *,
    title: str | None = None,
    by: str = "question",
    coder: str | None = None,
    agreement_coders: Sequence[str] | None = None,
    anonymiser: Any = None,
    embedder: Any = None,
    quotes_per_theme: int = 3,
) -> Path:
    """Write the HTML report of a coded project; returns its path.

    Parameters
    ----------
    project : Project
    path : output ``.html`` file (written atomically)
    by : the grouping of the per-group theme charts (``question`` for focus
        groups; any attribute such as ``sector``); groups without a value are left out
    coder : count and quote this coder's codings only (default: all coders)
    agreement_coders : two or more coders to report agreement for; with ``"machine"``
        among them, the section "Machine and human coders" judges the machine's
        cross-validated codings against the others
        (:func:`qdakit.analysis.machine.machine_section`)
    anonymiser : an :class:`~qdakit.analysis.anonymise.Anonymiser` for the quotes
        (default: one built for the project with the bundled spaCy model)
    embedder : embedder for choosing typical quotes (default: bundled model)
    """
    from qdakit.analysis.anonymise import Anonymiser
    from qdakit.analysis.quotes import exemplar_quotes

    if project.codings().empty:
        raise CodingError(f"{project.path}: no human codings yet; code some segments (or import codings) "
                          "before writing a report")
    summary = project.summary()
    codebook = project.codebook
    colours = {c.name: c.colour for c in codebook if c.colour}
    parts: list[str] = []
    name = title or f"Content analysis: {Path(project.path).stem}"
    parts.append(f"<h1>{html.escape(name)}</h1><p class='sub'>qdakit report. Counts follow the counting rule: "
                 "a point made several times by one participant counts once per group.</p>")
    cards = [("transcripts", summary["transcripts"]), ("segments", summary["segments"]),
             ("participants", summary["participants"]), ("codes", summary["codes"]),
             ("human codings", summary["codings"]), ("coders", summary["coders"])]
    parts.append("<div class='cards'>" + "".join(f"<div class='card'><b>{v}</b>{k}</div>" for k, v in cards)
                 + "</div>")

    overall = content.frequencies(project, by=None, coder=coder)
    parts.append("<h2>Themes overall</h2>")
    overall_png = _png(plots.theme_bars(overall, title='All codings', colours=colours))
    parts.append(f"<img alt='themes overall' src='{overall_png}'>")
    parts.append(_table(content.classify_themes(overall, by=None)[["theme", "count", "percent", "class"]],
                        classes="yes"))

    units = content.coded_units(project, coder=coder)
    if by in units.columns and units[by].notna().any():
        freq = content.frequencies(project, by=by, coder=coder)
        summ = content.summarise(freq, by=by)
        parts.append(f"<h2>Themes by {html.escape(by)}</h2>")
        parts.append(_table(summ, floats="{:.2f}"))
        questions = dict(project.questions().itertuples(index=False, name=None)) if by == "question" else {}
        classified = content.classify_themes(freq, by=by)
        for group, sub in classified.groupby(by, sort=True):
            label = f"{group}: {questions[group]}" if group in questions else str(group)
            parts.append(f"<h3>{html.escape(label)}</h3>")
            group_png = _png(plots.theme_bars(sub, title=label[:90], colours=colours))
            parts.append(f"<img alt='{html.escape(str(group))}' src='{group_png}'>")
            major = ", ".join(sub[sub["class"] == "major"]["theme"])
            parts.append(f"<p>Major themes: <span class='major'>{html.escape(major) or 'none'}</span></p>")

    try:
        change = content.wave_change(project, coder=coder)
        waves = [c.removeprefix("count_") for c in change.columns if c.startswith("count_")]
        parts.append("<h2>Change between waves</h2>")
        parts.append(f"<img alt='waves' src='{_png(plots.waves_bars(change, waves=waves))}'>")
        parts.append(_table(change))
    except CodingError as exc:
        parts.append(f"<h2>Change between waves</h2><p class='note'>Not available: {html.escape(str(exc))}.</p>")

    from qdakit.agreement.reliability import MACHINE

    asked = list(agreement_coders or ())
    humans = [c for c in asked if c != MACHINE]  # the machine gets a section of its own, below
    if humans and (len(humans) >= 2 or MACHINE not in asked):
        from qdakit.agreement.reliability import agreement

        agreement_coders = humans
        table = agreement(project, agreement_coders, metrics=("percent", "cohen", "krippendorff", "gwet_ac1"))
        parts.append(f"<h2>Agreement: {html.escape(' vs '.join(agreement_coders))}</h2>")
        fig = plots.agreement_bars(table, title="Cohen's kappa per code (segment level)")
        parts.append(f"<img alt='agreement' src='{_png(fig)}'>")
        cols = ["code", "n_units", "all_present", "only_a", "only_b", "percent", "cohen", "krippendorff", "gwet_ac1"]
        names = {"n_units": "units", "all_present": "both", "only_a": f"{agreement_coders[0]} only",
                 "only_b": f"{agreement_coders[-1]} only", "percent": "% agree", "cohen": "Cohen's kappa",
                 "krippendorff": "Krippendorff's alpha", "gwet_ac1": "Gwet's AC1"}
        shown = table[[c for c in cols if c in table.columns]].rename(columns=names)
        parts.append(_table(shown, floats="{:.3f}"))

    if MACHINE in asked:
        from qdakit.analysis.machine import machine_section

        parts += machine_section(project, humans, embedder=embedder, png=_png, table=_table)

    anonymiser = anonymiser if anonymiser is not None else Anonymiser.for_project(project)
    quotes = exemplar_quotes(project, n=quotes_per_theme, coder=coder, embedder=embedder, anonymiser=anonymiser)
    parts.append("<h2>Exemplar quotes</h2><p class='note'>Typical of the theme (closest to the centre of its "
                 "coded passages) and from different participants; names replaced by pseudonyms.</p>")
    for theme in [c.name for c in codebook.roots()]:
        sub = quotes[quotes["theme"] == theme]
        if sub.empty:
            continue
        parts.append(f"<h3>{html.escape(theme)}</h3>")
        if codebook[theme].description:
            parts.append(f"<p class='note'>{html.escape(codebook[theme].description)}</p>")
        for q in sub.itertuples():
            parts.append(f"<blockquote>&ldquo;{html.escape(q.quote)}&rdquo;<cite>{html.escape(q.attribution)}"
                         "</cite></blockquote>")

    doc = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(name)}</title>"
           f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".html.tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(doc)
    os.chmod(tmp, 0o644)  # mkstemp creates 0600; a report is meant to be shared
    os.replace(tmp, out)
    return out

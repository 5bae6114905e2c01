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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from qdakit.analysis import content, plots
from qdakit.errors import CodingError
from qdakit.io.output import atomic_write
from qdakit.project import Project

__all__ = ["build_report"]

_CSS = """
figure{margin:.6rem 0}figcaption{color:#57606a;font-size:.82rem;margin-top:.2rem}
.omitted{color:#57606a;font-size:.9rem;margin:1.2rem 0 .4rem}
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


def _why_no_waves(exc: CodingError) -> str:
    msg = str(exc)
    if msg.startswith("need two values"):
        return "the coded segments come from one wave only (" + msg.split("found ", 1)[-1].strip("[]'") + ")"
    if "cannot group by" in msg:
        return "no coded segment has a wave"
    return msg


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


def _omitted(what: str, why: str) -> str:
    """The one line that stands for a section without data."""
    return f"<p class='omitted'><b>{html.escape(what)}</b>: not shown; {html.escape(why)}.</p>"


def _figure(fig: Any, alt: str, caption: str) -> str:
    return (f"<figure><img alt='{html.escape(alt)}' src='{_png(fig)}'>"
            f"<figcaption>{html.escape(caption[0].upper() + caption[1:])}.</figcaption></figure>")


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
    errorbars: str = "sd",
    quote_words: int = 60,
    repeat_quotes: bool = False,
) -> Path:
    """Write the HTML report of a coded project; returns its path.

    Every count, title and chart says whose codings it counts (``coder``);
    researchers are never counted as participants; a section without data is
    left out with one line saying why.

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
    errorbars : ``"sd"`` (±1 SD of the counts across themes, as the published
        method draws it), ``"bootstrap"`` (each bar's 95% interval from
        resampling participants) or ``"none"``; the caption says which
    quote_words : quotes longer than this are trimmed at a sentence boundary
    repeat_quotes : allow one passage to be quoted under two themes
    """
    from qdakit.analysis.anonymise import Anonymiser
    from qdakit.analysis.quotes import exemplar_quotes

    if errorbars not in plots.ERRORBARS:
        raise ValueError(f"errorbars={errorbars!r}: use one of {', '.join(plots.ERRORBARS)}")
    codings = project.codings(coder=coder)
    if codings.empty:
        if coder is not None:
            raise CodingError(f"{project.path}: no codings by {coder!r}; coders: "
                              f"{', '.join(project.coders()) or 'none'}")
        raise CodingError(f"{project.path}: no human codings yet; code some segments (or import codings) "
                          "before writing a report")
    summary = project.summary()
    segments = project.segments()
    people = segments.loc[~segments["is_researcher"].astype(bool), "participant"].dropna().nunique()
    codebook = project.codebook
    colours = {c.name: c.colour for c in codebook if c.colour}
    whose = f"{coder}'s codings" if coder else "all coders' codings"
    parts: list[str] = []
    name = title or f"Content analysis: {Path(project.path).stem}"
    parts.append(f"<h1>{html.escape(name)}</h1><p class='sub'>qdakit report of {html.escape(whose)}. Counts "
                 "follow the counting rule: a point made several times by one participant counts once per group. "
                 "Researchers (interviewers, moderators) are not counted as participants.</p>")
    coders = sorted(codings["coder"].unique())
    cards = [("transcripts", summary["transcripts"]), ("segments", summary["segments"]),
             ("participants", people), ("codes", summary["codes"]),
             (f"codings by {coder}" if coder else "human codings", len(codings)),
             ("coder" if coder else "coders", coder if coder else len(coders))]
    parts.append("<div class='cards'>" + "".join(f"<div class='card'><b>{html.escape(str(v))}</b>{html.escape(k)}</div>"
                                                  for k, v in cards) + "</div>")

    def freq_for(group: str | None) -> pd.DataFrame:
        if errorbars == "bootstrap":
            return content.bootstrap_counts(project, by=group, coder=coder)
        return content.frequencies(project, by=group, coder=coder)

    overall = freq_for(None)
    chart_title = f"Themes overall ({whose})"
    parts.append(f"<h2>{html.escape(chart_title)}</h2>")
    fig = plots.theme_bars(overall, title=chart_title, colours=colours, errorbars=errorbars, caption=False)
    parts.append(_figure(fig, "themes overall", plots.theme_bars_caption(errorbars)))
    classified = content.classify_themes(overall, by=None)
    parts.append(_table(classified[["theme", "count", "percent", "class"]], classes="yes"))
    if (classified["class"] == content.TOO_FEW).all():
        parts.append(f"<p class='note'>Major and minor themes are not named: fewer than "
                     f"{content.MIN_CODINGS_TO_CLASSIFY} codes in all.</p>")

    try:
        freq = freq_for(by)
    except CodingError:
        options = content.groupings(content.coded_units(project, coder=coder))
        parts.append(_omitted(f"Themes by {by}", f"no coded segment has a value for {by!r}"
                              + (f" (groupings with values: {', '.join(options)})" if options else "")))
    else:
        summ = content.summarise(freq, by=by)
        parts.append(f"<h2>Themes by {html.escape(by)} ({html.escape(whose)})</h2>")
        parts.append(_table(summ, floats="{:.2f}"))
        questions = dict(project.questions().itertuples(index=False, name=None)) if by == "question" else {}
        classified = content.classify_themes(freq, by=by)
        for group, sub in classified.groupby(by, sort=True):
            label = f"{group}: {questions[group]}" if group in questions else str(group)
            parts.append(f"<h3>{html.escape(label)}</h3>")
            fig = plots.theme_bars(sub, title=f"{label[:80]} ({whose})", colours=colours, errorbars=errorbars,
                                   caption=False)
            parts.append(_figure(fig, str(group), plots.theme_bars_caption(errorbars)))
            if (sub["class"] == content.TOO_FEW).all():
                parts.append(f"<p>Major themes: <span class='minor'>too few codings to classify "
                             f"({int(sub['count'].sum())} codes; at least {content.MIN_CODINGS_TO_CLASSIFY} "
                             "needed)</span></p>")
            elif (sub["class"] == content.ALL_EQUAL).all():
                parts.append("<p>Major themes: <span class='minor'>none: every theme holds the same count</span></p>")
            else:
                major = ", ".join(sub[sub["class"] == "major"]["theme"])
                parts.append(f"<p>Major themes: <span class='major'>{html.escape(major) or 'none'}</span></p>")

    try:
        change = content.wave_change(project, coder=coder)
    except CodingError as exc:
        parts.append(_omitted("Change between waves", _why_no_waves(exc)))
    else:
        waves = [c.removeprefix("count_") for c in change.columns if c.startswith("count_")]
        parts.append(f"<h2>Change between waves ({html.escape(whose)})</h2>")
        parts.append(f"<img alt='waves' src='{_png(plots.waves_bars(change, waves=waves))}'>")
        parts.append(_table(change))

    from qdakit.agreement.reliability import MACHINE

    asked = list(agreement_coders or ())
    humans = [c for c in asked if c != MACHINE]  # the machine gets a section of its own, below
    if humans and (len(humans) >= 2 or MACHINE not in asked):
        from qdakit.agreement.reliability import agreement

        agreement_coders = humans
        two = len(humans) == 2
        metrics = ("percent", "cohen", "krippendorff", "gwet_ac1") if two else \
            ("percent", "fleiss", "krippendorff", "gwet_ac1", "cohen")  # with 3+ coders: kappa per pair too
        table = agreement(project, agreement_coders, metrics=metrics)
        parts.append(f"<h2>Agreement: {html.escape(' vs '.join(agreement_coders))}</h2>")
        kappa = "Cohen's" if two else "Fleiss'"
        fig = plots.agreement_bars(table, metric="cohen" if two else "fleiss",
                                   title=f"{kappa} kappa per code (segment level)")
        parts.append(f"<img alt='agreement' src='{_png(fig)}'>")
        from qdakit.agreement.coding import metric_columns

        counts = ["all_present", "only_a", "only_b"] if two else ["all_present", "mixed",
                                                                  *(f"only {c}" for c in humans)]
        cols = ["code", "n_units", *counts, *metric_columns(metrics, humans)]
        names = {"n_units": "units", "all_present": "both" if two else "all", "only_a": f"{agreement_coders[0]} only",
                 "only_b": f"{agreement_coders[-1]} only", "percent": "% agree", "cohen": "Cohen's kappa",
                 "fleiss": "Fleiss' kappa", "krippendorff": "Krippendorff's alpha", "gwet_ac1": "Gwet's AC1",
                 **{f"only {c}": f"{c} only" for c in humans},
                 **{c: c.replace("cohen ", "Cohen's kappa ") for c in table.columns if c.startswith("cohen ")}}
        shown = table[[c for c in cols if c in table.columns]].rename(columns=names)
        parts.append(_table(shown, floats="{:.3f}"))

    if MACHINE in asked:
        from qdakit.analysis.machine import machine_section

        parts += machine_section(project, humans, embedder=embedder, png=_png, table=_table)

    anonymiser = anonymiser if anonymiser is not None else Anonymiser.for_project(project)
    quotes = exemplar_quotes(project, n=quotes_per_theme, coder=coder, embedder=embedder, anonymiser=anonymiser,
                             max_words=quote_words, repeat=repeat_quotes)
    if quotes.empty:
        parts.append(_omitted("Exemplar quotes", f"no coded passage of at least six words in {whose}"))
    else:
        parts.append(f"<h2>Exemplar quotes ({html.escape(whose)})</h2><p class='note'>What the coder marked, "
                     f"trimmed at a sentence to at most {quote_words} words (… where cut); typical of the theme "
                     "(closest to the centre of its coded passages), from different participants"
                     + ("" if repeat_quotes else ", each passage under one theme only")
                     + "; names replaced by pseudonyms.</p>")
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
    data = doc.encode("utf-8", "replace")
    return atomic_write(Path(path), lambda f: f.write(data))  # no partial or leftover file on a full disk

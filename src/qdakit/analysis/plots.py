"""Matplotlib figures for the report. Each function returns a ``Figure``; nothing is shown.

Uses the non-interactive Agg backend so it works on servers and in CI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

__all__ = ["theme_bars", "theme_bars_caption", "ERRORBARS", "waves_bars", "agreement_bars"]

_GREY = "#9aa0a6"


def _wrap(label: str, width: int = 22) -> str:
    words, lines, line = str(label).split(), [], ""
    for w in words:
        if line and len(line) + len(w) + 1 > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "\n".join(lines)


ERRORBARS = ("sd", "bootstrap", "none")


def theme_bars_caption(errorbars: str = "sd", *, confidence: float = 0.95) -> str:
    """What the whiskers of :func:`theme_bars` show, in words, for the figure and its caption."""
    if errorbars == "sd":
        return ("bars: ±1 SD of the theme counts across themes (one spread for the whole chart, "
                "not an uncertainty of each bar); dashed line: mean across themes")
    if errorbars == "bootstrap":
        return (f"bars: {confidence:.0%} interval of each count from resampling participants (bootstrap); "
                "dashed line: mean across themes")
    if errorbars == "none":
        return "dashed line: mean across themes"
    raise ValueError(f"errorbars={errorbars!r}: use one of {', '.join(ERRORBARS)}")


def theme_bars(freq: pd.DataFrame, *, title: str, label: str = "theme",
               colours: Mapping[str, str] | None = None, errorbars: str = "sd", caption: bool = True) -> Figure:
    """Bar chart of each theme's count with the mean across themes as a line, captioned under the axes.

    ``errorbars``: ``"sd"`` draws ±1 SD of the counts across themes on every
    bar (the figure of the published method: one spread, the same whisker on
    each bar), ``"bootstrap"`` each bar's own interval from the ``low`` and
    ``high`` columns of :func:`qdakit.analysis.content.bootstrap_counts`,
    ``"none"`` no whiskers. The caption under the chart says which
    (``caption=False`` leaves it to the page, e.g. an HTML ``figcaption``).
    """
    text = theme_bars_caption(errorbars)
    data = freq.sort_values("count", ascending=False)
    counts = data["count"].to_numpy(dtype=float)
    mean, sd = counts.mean(), counts.std(ddof=1) if len(counts) > 1 else 0.0
    fig, ax = plt.subplots(figsize=(max(6.0, 0.75 * len(data) + 2), 4.6), layout="constrained")
    colours = colours or {}
    bar_colours = [colours.get(t) or _GREY for t in data[label]]
    x = np.arange(len(data))
    if errorbars == "sd":
        yerr: np.ndarray | None = np.full(len(x), sd)
        top = counts + sd
    elif errorbars == "bootstrap":
        yerr = np.vstack([np.clip(counts - data["low"].to_numpy(dtype=float), 0, None),
                          np.clip(data["high"].to_numpy(dtype=float) - counts, 0, None)])
        top = np.maximum(counts, data["high"].to_numpy(dtype=float))
    else:
        yerr, top = None, counts
    ax.bar(x, counts, color=bar_colours, edgecolor="#333333", linewidth=0.6,
           yerr=yerr, capsize=3 if yerr is not None else 0, error_kw={"elinewidth": 0.8, "ecolor": "#555555"})
    ax.axhline(mean, color="#c0392b", linestyle="--", linewidth=1.2, label=f"mean {mean:.1f} (SD {sd:.1f})")
    for xi, (c, p) in enumerate(zip(counts, data["percent"], strict=True)):
        ax.text(xi, c + 0.05 * max(counts.max(), 1), f"{p:.0f}%", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [_wrap(t, 16) for t in data[label]], rotation=0, fontsize=7.5)
    ax.set_ylabel("codes (counting rule applied)")
    ax.set_title(title, fontsize=11)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_ylim(0, max(float(np.max(top)) if len(top) else 0.0, 1.0) * 1.2)
    if caption:
        fig.text(0.01, 0.005, _wrap(text[0].upper() + text[1:] + ".", 150), fontsize=7.5, color="#444444",
                 ha="left", va="bottom")
        fig.get_layout_engine().set(rect=(0, 0.06, 1, 0.94))  # type: ignore[union-attr,call-arg]
    return fig


def waves_bars(change: pd.DataFrame, *, waves: Sequence[str], label: str = "theme") -> Figure:
    """Grouped bars: each theme's share of codes in each wave."""
    data = change.sort_values(f"percent_{waves[-1]}", ascending=True)
    y = np.arange(len(data))
    h = 0.8 / len(waves)
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(data) + 1.5), layout="constrained")
    palette = ["#8ecae6", "#023047", "#ffb703", "#fb8500"]
    for i, w in enumerate(waves):
        ax.barh(y + (i - (len(waves) - 1) / 2) * h, data[f"percent_{w}"], height=h, label=w,
                color=palette[i % len(palette)])
    ax.set_yticks(y, [_wrap(t, 40) for t in data[label]], fontsize=8)
    ax.set_xlabel("share of the wave's codes (%)")
    ax.set_title("Themes by wave", fontsize=11)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def agreement_bars(table: pd.DataFrame, *, metric: str = "cohen", label: str = "code", title: str) -> Figure:
    """Horizontal bars of an agreement coefficient per code, with the pooled value as a line."""
    pooled = table[table[label] == "(pooled)"]
    rows = table[table[label] != "(pooled)"].sort_values(metric)
    y = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(7.5, 0.4 * len(rows) + 1.5), layout="constrained")
    vals = rows[metric].to_numpy(dtype=float)
    colours = ["#2a9d8f" if v >= 0.8 else "#e9c46a" if v >= 0.6 else "#e76f51" for v in np.nan_to_num(vals)]
    ax.barh(y, np.nan_to_num(vals), color=colours)
    if not pooled.empty:
        pv = float(pooled[metric].iloc[0])
        ax.axvline(pv, color="#264653", linestyle="--", linewidth=1.2, label=f"pooled {pv:.2f}")
        ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.set_yticks(y, [_wrap(t, 40) for t in rows[label]], fontsize=8)
    ax.set_xlim(min(0.0, float(np.nanmin(vals)) if len(vals) else 0.0), 1.0)
    ax.set_xlabel(metric)
    ax.set_title(title, fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def theme_map(X: np.ndarray, labels: Sequence[int] | np.ndarray, titles: Mapping[int, str], *,
              names: Sequence[str] | None = None, method: str = "pca", title: str = "Candidate themes",
              random_state: int = 0) -> Figure:
    """A 2-D map of items (segments or codes) coloured by candidate theme, each theme labelled.

    Parameters
    ----------
    X : ndarray (n, d), the item vectors (``ThemeClusterer.item_vectors_``)
    labels : theme id per item, ``-1`` (or below 1) for an item in no theme
    titles : ``{theme id: short title}`` (e.g. its first key terms)
    names : a name per item, written beside its point (for codes; at most 80 are written)
    method : ``"pca"`` (default, deterministic) or ``"tsne"``
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    X = np.asarray(X, dtype=float)
    labels_ = np.asarray(labels, dtype=int)
    n = len(X)
    if method not in ("pca", "tsne"):
        raise ValueError(f"method={method!r}: use 'pca' or 'tsne'")
    if n >= 3 and method == "tsne":
        P = TSNE(n_components=2, perplexity=float(min(30.0, max(2.0, (n - 1) / 3))), init="pca",
                 random_state=random_state).fit_transform(X)
    elif n >= 2:
        P = PCA(n_components=min(2, X.shape[1], n), random_state=random_state).fit_transform(X)
        P = np.column_stack([P, np.zeros(n)]) if P.shape[1] == 1 else P
    else:
        P = np.zeros((n, 2))
    ids = sorted(t for t in set(labels_.tolist()) if t >= 1)
    palette = plt.get_cmap("tab10" if len(ids) <= 10 else "tab20").colors  # type: ignore[attr-defined]
    colour = {t: palette[i % len(palette)] for i, t in enumerate(ids)}
    fig, ax = plt.subplots(figsize=(9.5, 6.5), layout="constrained")
    outside = labels_ < 1
    if outside.any():
        ax.scatter(P[outside, 0], P[outside, 1], s=14, color=_GREY, alpha=0.6, label="no theme", zorder=1)
    big = n > 150
    for t in ids:
        m = labels_ == t
        ax.scatter(P[m, 0], P[m, 1], s=18 if big else 46, color=colour[t], alpha=0.75 if big else 0.9,
                   edgecolor="white", linewidth=0.5, zorder=2,
                   label=_wrap(f"{t}: {titles.get(t, '')} ({int(m.sum())})", 44))
    if names is not None and n <= 80:
        ax.margins(x=0.18, y=0.08)  # room for the names inside the axes
        for (x, y), name in zip(P, names, strict=True):
            ax.annotate(_wrap(str(name), 24), (x, y), xytext=(4, 3), textcoords="offset points", fontsize=6.5,
                        color="#333333", zorder=3)
    for t in ids:
        cx, cy = P[labels_ == t].mean(axis=0)
        ax.text(cx, cy, str(t), fontsize=10, fontweight="bold", ha="center", va="center", zorder=4,
                color="white", bbox={"boxstyle": "circle,pad=0.25", "facecolor": colour[t], "edgecolor": "#333333",
                                     "linewidth": 0.6, "alpha": 0.95})
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("t-SNE 1" if method == "tsne" else "first principal component", fontsize=8)
    ax.set_ylabel("t-SNE 2" if method == "tsne" else "second principal component", fontsize=8)
    ax.tick_params(labelbottom=False, labelleft=False, length=0)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False, title="theme: key terms",
              title_fontsize=8)
    return fig
__all__ += ["theme_map"]


def learning_curves(curve: pd.DataFrame, *, title: str = "Machine vs human coders, by human codings learned from"
                    ) -> Figure:
    """One line per code: the machine's kappa with the humans against the human codings it learned from.

    ``curve`` has columns code, codings, kappa (as
    :func:`qdakit.analysis.machine.machine_learning_curve` returns); codes
    whose kappa is undefined throughout are left out.
    """
    keep = curve.groupby("code")["kappa"].transform(lambda k: k.notna().any())
    data = curve[keep]
    codes = list(dict.fromkeys(data["code"]))
    fig, ax = plt.subplots(figsize=(8.5, 3.6), layout="constrained")
    palette = plt.get_cmap("tab10" if len(codes) <= 10 else "tab20").colors  # type: ignore[attr-defined]
    for i, code in enumerate(codes):
        sub = data[data["code"] == code].sort_values("codings")
        ax.plot(sub["codings"], sub["kappa"], marker="o", ms=3.5, lw=1.4, color=palette[i % len(palette)],
                label=_wrap(code, 30))
    ax.axhline(0, color=_GREY, lw=0.8, ls="--")
    ax.set_xlabel("human codings of the code learned from (mean over folds)", fontsize=8)
    ax.set_ylabel("Cohen's kappa, machine vs humans", fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.tick_params(labelsize=7.5)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    return fig
__all__ += ["learning_curves"]

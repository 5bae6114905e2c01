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

__all__ = ["theme_bars", "waves_bars", "agreement_bars"]

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


def theme_bars(freq: pd.DataFrame, *, title: str, label: str = "theme",
               colours: Mapping[str, str] | None = None) -> Figure:
    """Bar chart of each theme's count, error bars of +/- 1 SD across themes, the mean as a line.

    Themes above the mean line are the group's major themes.
    """
    data = freq.sort_values("count", ascending=False)
    counts = data["count"].to_numpy(dtype=float)
    mean, sd = counts.mean(), counts.std(ddof=1) if len(counts) > 1 else 0.0
    fig, ax = plt.subplots(figsize=(max(6.0, 0.75 * len(data) + 2), 4.2), layout="constrained")
    colours = colours or {}
    bar_colours = [colours.get(t) or _GREY for t in data[label]]
    x = np.arange(len(data))
    ax.bar(x, counts, color=bar_colours, edgecolor="#333333", linewidth=0.6,
           yerr=np.full(len(x), sd), capsize=3, error_kw={"elinewidth": 0.8, "ecolor": "#555555"})
    ax.axhline(mean, color="#c0392b", linestyle="--", linewidth=1.2, label=f"mean {mean:.1f} (SD {sd:.1f})")
    for xi, (c, p) in enumerate(zip(counts, data["percent"])):
        ax.text(xi, c + 0.05 * max(counts.max(), 1), f"{p:.0f}%", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [_wrap(t, 16) for t in data[label]], rotation=0, fontsize=7.5)
    ax.set_ylabel("codes (counting rule applied)")
    ax.set_title(title, fontsize=11)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_ylim(0, max(counts.max() + sd, 1) * 1.2)
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

"""Content analysis: counting codes and themes the way qualitative researchers do.

A *theme* is a top-level code of the codebook; every code counts towards the
theme at the root of its branch. All functions read human codings only (the
machine's suggestions count once a human has accepted them) and return pandas
DataFrames.

Counting rule (``rule=``):

* ``"participant"`` (default): the same code from the same participant counts
  once per group (e.g. once per question), however many times they made the
  point; made by different participants, it counts each time;
* ``"segment"``: every coded segment counts.

With several coders, ``coder=None`` uses the union of their codings (a code on
a segment counts once whoever applied it); pass ``coder=`` to count one
coder's (e.g. the resolver's) codings only.

Examples
--------
>>> from qdakit import analysis  # doctest: +SKIP
>>> freq = analysis.frequencies(project, by="question", level="theme")  # doctest: +SKIP
>>> analysis.summarise(freq, by="question")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from qdakit.errors import CodingError
from qdakit.project import Project
from qdakit.project.views import person

__all__ = ["coded_units", "frequencies", "summarise", "classify_themes", "wave_change", "cooccurrence",
           "bootstrap_counts", "check_grouping", "groupings", "ALL_EQUAL", "TOO_FEW", "MIN_CODINGS_TO_CLASSIFY"]

_RULES = ("participant", "segment")
#: The class of a theme in a group with too few codings to call any theme major or minor.
ALL_EQUAL = "all equal: no theme stands out"
TOO_FEW = "too few codings to classify"
#: Fewest codings (after the counting rule) a group needs before its themes are called major or minor.
MIN_CODINGS_TO_CLASSIFY = 20


def coded_units(project: Project, *, coder: str | None = None, include_researchers: bool = False) -> pd.DataFrame:
    """One row per (segment, code) coded by a human, with the segment's attributes and theme.

    Columns: the segment columns of :meth:`Project.segments` (renamed
    ``id`` -> ``segment_id``), ``code`` and ``theme`` (the top-level code).
    """
    codings = project.codings(coder=coder)
    if coder is not None and codings.empty:
        raise CodingError(f"no codings by {coder!r}; coders: {', '.join(project.coders()) or 'none'}")
    codebook = project.codebook
    units = codings.drop_duplicates(["segment_id", "code"])[["segment_id", "code"]]
    segments = project.segments().rename(columns={"id": "segment_id"})
    out = units.merge(segments, on="segment_id", how="left")
    if not include_researchers:
        out = out[~out["is_researcher"].astype(bool)]
    out["theme"] = [codebook.root_of(c) for c in out["code"]]
    return out.reset_index(drop=True)


def _keys(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def frequencies(
    project: Project,
    *,
    by: str | Sequence[str] | None = "question",
    level: str = "theme",
    rule: str = "participant",
    coder: str | None = None,
    include_empty: bool = True,
) -> pd.DataFrame:
    """Counts of codes or themes per group, and their share of the group's codes.

    Parameters
    ----------
    project : Project
    by : attribute(s) to group by: ``"question"``, ``"sector"``, ``"wave"``,
        ``["question", "sector"]``, ... or None for the whole project
    level : ``"theme"`` (top-level codes) or ``"code"`` (every code)
    rule : counting rule, ``"participant"`` or ``"segment"`` (see module docs)
    coder : count only this coder's codings (default: union of all coders)
    include_empty : list themes (or codes) with no coding in a group, with 0

    Returns
    -------
    DataFrame
        Columns: the ``by`` keys, ``theme`` or ``code``, ``count``,
        ``percent`` (of the group's total count, 0-100).
    """
    if level not in ("theme", "code"):
        raise ValueError(f"level {level!r}: use 'theme' or 'code'")
    if rule not in _RULES:
        raise ValueError(f"rule {rule!r}: use one of {', '.join(_RULES)}")
    keys = _keys(by)
    units = coded_units(project, coder=coder)
    check_grouping(units, keys)
    label = level
    counts = _count(units, keys, level, rule)
    if include_empty:
        names = ([c.name for c in project.codebook.roots()] if level == "theme"
                 else list(project.codebook.names))
        labels = pd.DataFrame({label: names})
        full = (units[keys].dropna().drop_duplicates().merge(labels, how="cross") if keys else labels)
        counts = full.merge(counts, on=[*keys, label], how="left").fillna({"count": 0})
        counts["count"] = counts["count"].astype(int)
    totals = counts.groupby(keys)["count"].transform("sum") if keys else counts["count"].sum()
    counts["percent"] = np.where(totals > 0, 100.0 * counts["count"] / totals, np.nan)
    return counts.sort_values([*keys, "count"], ascending=[True] * len(keys) + [False]).reset_index(drop=True)


_NOT_GROUPS = {"segment_id", "transcript_id", "index", "text", "start", "end", "start_time", "end_time",
               "is_researcher", "code", "theme", "speaker"}


def groupings(units: pd.DataFrame) -> list[str]:
    """The columns of :func:`coded_units` a table can be grouped by: attributes with a value somewhere."""
    return [c for c in units.columns if c not in _NOT_GROUPS and units[c].notna().any()]


def check_grouping(units: pd.DataFrame, keys: Sequence[str]) -> None:
    """Raise :class:`CodingError` unless every key has a value on some coded segment.

    The same error whether the attribute does not exist (``by="sectr"``) or
    exists without a value on any coded segment (``by="question"`` in a study
    of interviews), so a grouping never silently yields an empty table.
    """
    empty = [k for k in keys if k not in units.columns or units[k].isna().all()]
    if empty:
        usable = groupings(units)
        raise CodingError(f"cannot group by {', '.join(map(repr, empty))}: no coded segment has a value for it. "
                          f"Group by one of: {', '.join(usable) or 'none'}; or by=None for the whole project")


def summarise(freq: pd.DataFrame, *, by: str | Sequence[str] | None = "question") -> pd.DataFrame:
    """Across themes (or codes) in each group: total, n, mean, median, SD (n-1), min, max, range."""
    keys = _keys(by)
    grouped = freq.groupby(keys)["count"] if keys else freq.assign(_all=1).groupby("_all")["count"]
    out = grouped.agg(total="sum", n="size", mean="mean", median="median", sd="std", min="min", max="max")
    out["range"] = out["max"] - out["min"]
    return out.reset_index(drop=not keys)


def classify_themes(freq: pd.DataFrame, *, by: str | Sequence[str] | None = "question",
                    min_total: int = MIN_CODINGS_TO_CLASSIFY) -> pd.DataFrame:
    """Mark each theme ``major`` (more codes than the group's mean across themes) or ``minor``.

    A group whose themes hold fewer than ``min_total`` codes in all is not
    classified: its themes get :data:`TOO_FEW` ("too few codings to
    classify"), since with counts such as 1, 1, 1, 0, 0 "major" says nothing.
    A group whose themes all hold the same count gets :data:`ALL_EQUAL`: no theme
    stands out, and calling them all "minor" would mislead.
    """
    keys = _keys(by)
    grouped = freq.groupby(keys)["count"] if keys else None
    mean = grouped.transform("mean") if grouped is not None else freq["count"].mean()
    sd = grouped.transform("std") if grouped is not None else freq["count"].std()
    total = grouped.transform("sum") if grouped is not None else freq["count"].sum()
    same = np.isclose(np.asarray(freq["count"], dtype=float), np.asarray(mean, dtype=float))
    equal = (pd.Series(same, index=freq.index).groupby([freq[k] for k in keys]).transform("all") if keys
             else pd.Series(bool(same.all()), index=freq.index))
    cls = np.where(np.asarray(total) < min_total, TOO_FEW,
                   np.where(np.asarray(equal), ALL_EQUAL, np.where(freq["count"] > mean, "major", "minor")))
    return freq.assign(mean=mean, sd=sd, **{"class": cls})


def bootstrap_counts(
    project: Project,
    *,
    by: str | Sequence[str] | None = None,
    level: str = "theme",
    rule: str = "participant",
    coder: str | None = None,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Each count of :func:`frequencies` with a percentile interval from resampling participants.

    The participants of each group (:func:`qdakit.project.views.person`; a
    segment with no speaker counts as one participant) are drawn with replacement, ``n_boot``
    times; each draw's counts are the sum of the drawn participants' counts.
    A group with one participant has no spread to show (low = high). The interval says how much
    a count depends on who happened to be interviewed, which the ±1 SD across
    themes does not.

    Returns
    -------
    DataFrame
        The columns of :func:`frequencies`, plus ``low`` and ``high``.
    """
    freq = frequencies(project, by=by, level=level, rule=rule, coder=coder)
    keys = _keys(by)
    units = coded_units(project, coder=coder).dropna(subset=keys)
    who = person(units).fillna("segment:" + units["segment_id"])
    units = units.assign(_who=who)
    if rule == "participant":
        units = units.drop_duplicates([*keys, "_who", "code"])
    rng = np.random.default_rng(seed)
    alpha = (1.0 - confidence) / 2
    frames = []
    # participants are resampled within each group: a group's count depends on its own participants only
    for _, group in (units.groupby(keys, sort=True) if keys else [((), units)]):
        per = group.groupby([*keys, level, "_who"]).size().unstack("_who", fill_value=0)
        matrix = per.to_numpy(dtype=float)  # (themes of the group) x (its participants)
        n = matrix.shape[1]
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot)
        draws = weights @ matrix.T  # n_boot x themes
        frames.append(pd.DataFrame({"low": np.quantile(draws, alpha, axis=0),
                                    "high": np.quantile(draws, 1 - alpha, axis=0)}, index=per.index).reset_index())
    bounds = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*keys, level, "low", "high"])
    out = freq.merge(bounds, on=[*keys, level], how="left").fillna({"low": 0.0, "high": 0.0})
    return out


def wave_change(
    project: Project,
    *,
    level: str = "theme",
    attribute: str = "wave",
    before: str | None = None,
    after: str | None = None,
    paired: bool = False,
    rule: str = "participant",
    coder: str | None = None,
) -> pd.DataFrame:
    """Counts and shares per wave, and the change from ``before`` to ``after``.

    ``paired=True`` keeps only participants present in both waves, so change
    is not an artefact of who was interviewed. Waves default to the first and
    last values of ``attribute`` in sorted order.
    """
    units = coded_units(project, coder=coder)
    check_grouping(units, [attribute])
    waves = sorted(units[attribute].dropna().unique())
    if len(waves) < 2 and (before is None or after is None):
        raise CodingError(f"need two values of {attribute!r} to compare; found {waves}")
    before = before if before is not None else waves[0]
    after = after if after is not None else waves[-1]
    if paired:
        seg = project.segments()
        both = (seg.dropna(subset=["participant"]).groupby("participant")[attribute]
                .apply(lambda s: {before, after} <= set(s.dropna())))
        keep = set(both[both].index)
        if not keep:
            raise CodingError(f"no participant has coded segments in both {before} and {after}")
        units = units[units["participant"].isin(keep)]
    freq = _count(units, [attribute], level, rule)
    freq["percent"] = 100.0 * freq["count"] / freq.groupby(attribute)["count"].transform("sum")
    wide = freq.pivot_table(index=level, columns=attribute, values=["count", "percent"], fill_value=0)
    out = pd.DataFrame({
        f"count_{before}": wide[("count", before)] if ("count", before) in wide else 0,
        f"count_{after}": wide[("count", after)] if ("count", after) in wide else 0,
        f"percent_{before}": wide[("percent", before)] if ("percent", before) in wide else 0.0,
        f"percent_{after}": wide[("percent", after)] if ("percent", after) in wide else 0.0,
    })
    out["change_points"] = out[f"percent_{after}"] - out[f"percent_{before}"]
    return out.sort_values("change_points").reset_index()


def _count(units: pd.DataFrame, keys: list[str], level: str, rule: str) -> pd.DataFrame:
    """Count coded units per group and ``level`` under the counting rule (no percentages)."""
    units = units.dropna(subset=keys)
    if rule == "participant":
        # a participant's point (a code) counts once per group; two codes of one theme are two
        # points. A speaker without a participant id is one person per transcript (views.person); a
        # segment with no speaker counts alone.
        who = person(units).fillna("segment:" + units["segment_id"])
        units = units.assign(_who=who).drop_duplicates([*keys, "_who", "code"])
    return units.groupby([*keys, level]).size().rename("count").reset_index()


def cooccurrence(project: Project, *, level: str = "code", coder: str | None = None) -> pd.DataFrame:
    """Square matrix: on how many segments each pair of codes (or themes) was applied together.

    The diagonal holds each code's number of segments.
    """
    units = coded_units(project, coder=coder)
    onehot = pd.crosstab(units["segment_id"], units[level]).clip(upper=1)
    matrix = onehot.T @ onehot
    matrix.index.name = matrix.columns.name = level
    return matrix

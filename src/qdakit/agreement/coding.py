"""Segment-level agreement between named coders on a project's codings.

These functions take the DataFrames the project store provides, so they can
be used (and tested) without a project:

* ``segments``: columns ``id``, ``transcript_id``, ``index``, ``speaker``,
  ``text`` (and ``participant``, ``question``, ``start``, ``end``, attribute
  columns such as ``sector`` or ``wave``);
* ``codings``: active human codings, columns ``segment_id``, ``code``,
  ``coder`` (and ``id``, ``transcript_id``, ``start``, ``end``, ``memo``); a
  row whose ``code`` is missing says the coder read the segment and applied
  no code (a unit for them, with every code absent).

Coding is multi-label: a coder may put several codes on a segment. Each code
is a binary variable (present / absent on a segment), and the coefficients
are computed on the segments x coders table of presence for that code.
Codings of segments missing from ``segments`` are ignored, so passing a
subset of segments restricts the comparison to them.
"""

from __future__ import annotations

import warnings
from itertools import combinations
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from qdakit.agreement._base import AgreementError, AgreementResult
from qdakit.agreement.alpha import krippendorff_alpha
from qdakit.agreement.coefficients import (
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    percent_agreement,
    scott_pi,
)
from qdakit.errors import UndefinedStatisticWarning

__all__ = ["segment_agreement", "disagreements", "metric_columns", "METRICS", "UNITS"]

METRICS: dict[str, Callable[..., AgreementResult]] = {
    "percent": percent_agreement,
    "cohen": cohen_kappa,
    "scott": scott_pi,
    "fleiss": fleiss_kappa,
    "conger": conger_kappa,
    "krippendorff": krippendorff_alpha,
    "gwet_ac1": gwet_ac1,
    "brennan_prediger": brennan_prediger,
}
TWO_CODER_METRICS = ("cohen", "scott")
UNITS = ("coded_by_all", "coded_by_any", "all")
POOLED = "(pooled)"
ALL = "(all)"
MISSING_GROUP = "(missing)"


def require_columns(frame: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise AgreementError(
            f"the {name} DataFrame lacks column(s) {absent}; it has {list(frame.columns)} "
            f"and needs {list(columns)}"
        )


def check_coders(codings: pd.DataFrame, coders: Sequence[Any], at_least: int = 2) -> list[Any]:
    coders = list(coders) if not isinstance(coders, str) else [coders]
    if len(coders) < at_least or len(set(coders)) != len(coders):
        raise AgreementError(
            f"name at least {at_least} different coders to compare, got {coders!r}"
        )
    known = set(codings["coder"].dropna().unique())
    unknown = [c for c in coders if c not in known]
    if unknown:
        raise AgreementError(
            f"coder(s) {unknown} made no codings; coders with codings: {sorted(map(str, known))}"
        )
    return coders


def _presence(
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    coders: list[Any],
    codes: Sequence[str] | None,
    units: str,
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Return (row positions of the unit segments, codes, presence[unit, code, coder])."""
    require_columns(segments, "segments", ["id"])
    require_columns(codings, "codings", ["segment_id", "code", "coder"])
    if units not in UNITS:
        raise AgreementError(f"units must be one of {UNITS}, got {units!r}")
    seg_index = pd.Index(segments["id"].astype(str))
    if not seg_index.is_unique:
        raise AgreementError(f"segment ids are not unique, e.g. {seg_index[seg_index.duplicated()][0]!r}")
    mine = codings[codings["coder"].isin(coders)]
    seg = seg_index.get_indexer(mine["segment_id"].astype(str))
    who = pd.Index(coders).get_indexer(mine["coder"])
    known = seg >= 0
    seg, who, code_col = seg[known], who[known], mine["code"].to_numpy()[known]
    coded = np.zeros((len(seg_index), len(coders)), dtype=bool)
    coded[seg, who] = True
    if units == "coded_by_all":
        unit_mask = np.asarray(coded.all(axis=1))
    elif units == "coded_by_any":
        unit_mask = np.asarray(coded.any(axis=1))
    else:
        unit_mask = np.ones(len(seg_index), dtype=bool)
    in_units = unit_mask[seg]
    if codes is None:
        # a row without a code says the coder read the segment and found no code applies
        code_list = sorted((c for c in pd.unique(code_col[in_units]).tolist() if pd.notna(c)), key=str)
    else:
        code_list = list(codes)
        if len(set(code_list)) != len(code_list):
            raise AgreementError("codes= lists a code more than once")
    which = pd.Index(code_list, dtype=object).get_indexer(code_col)
    keep = in_units & (which >= 0)
    presence = np.zeros((len(seg_index), len(code_list), len(coders)), dtype=np.int8)
    presence[seg[keep], which[keep], who[keep]] = 1
    rows = np.flatnonzero(unit_mask)
    return rows, code_list, presence[rows]


def _counts(table: np.ndarray, coders: Sequence[Any]) -> dict[str, Any]:
    n_units, n_coders = table.shape
    present = table.sum(axis=1)
    row = {
        "n_units": int(n_units),
        "all_present": int((present == n_coders).sum()),
        "none_present": int((present == 0).sum()),
    }
    row["mixed"] = row["n_units"] - row["all_present"] - row["none_present"]
    if n_coders == 2:
        row["only_a"] = int(((table[:, 0] == 1) & (table[:, 1] == 0)).sum())
        row["only_b"] = int(((table[:, 0] == 0) & (table[:, 1] == 1)).sum())
    else:  # with three or more coders, the units on which one coder alone found the code
        alone = (present == 1)[:, None] & (table == 1)
        for m, coder in enumerate(coders):
            row[f"only {coder}"] = int(alone[:, m].sum())
    return row


def metric_columns(metrics: Sequence[str], coders: Sequence[Any]) -> list[str]:
    """The statistic columns of :func:`segment_agreement`: a two-coder metric once per pair with 3+ coders."""
    cols: list[str] = []
    for name in metrics:
        if name in TWO_CODER_METRICS and len(coders) > 2:
            cols += [f"{name} {a}~{b}" for a, b in combinations(coders, 2)]
        else:
            cols.append(name)
    return cols


def _statistics(table: np.ndarray, metrics: Sequence[str], coders: Sequence[Any]) -> dict[str, float]:
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedStatisticWarning)
        for name in metrics:
            if name in TWO_CODER_METRICS and len(coders) > 2:  # Cohen's kappa per pair (Light 1971 averages them)
                for (i, a), (j, b) in combinations(enumerate(coders), 2):
                    out[f"{name} {a}~{b}"] = METRICS[name](table[:, [i, j]], categories=(0, 1)).value
            else:
                out[name] = METRICS[name](table, categories=(0, 1)).value
    return out


def _group_column(segments: pd.DataFrame, by: str) -> str:
    column = {"transcript": "transcript_id"}.get(by, by)
    if column not in segments.columns:
        raise AgreementError(
            f"cannot group by {by!r}: use 'code', 'transcript', 'question' or a column of "
            f"segments {list(segments.columns)}"
        )
    return column


def _warn_undefined(frame: pd.DataFrame, label: str, metrics: Sequence[str]) -> None:
    bad = [
        f"{row[label]} ({', '.join(m for m in metrics if pd.isna(row[m]))})"
        for _, row in frame.iterrows()
        if any(pd.isna(row[m]) for m in metrics)
    ]
    if bad:
        shown = "; ".join(map(str, bad[:8])) + ("; ..." if len(bad) > 8 else "")
        warnings.warn(
            f"{len(bad)} row(s) have undefined statistics (NaN): {shown}. Chance-corrected "
            "agreement needs two or more units and a code that is present on some units and "
            "absent on others",
            UndefinedStatisticWarning,
            stacklevel=3,
        )


def segment_agreement(
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    coders: Sequence[Any],
    *,
    codes: Sequence[str] | None = None,
    by: str = "code",
    metrics: Sequence[str] = ("percent", "cohen", "krippendorff", "gwet_ac1"),
    units: str = "coded_by_all",
) -> pd.DataFrame:
    """Agreement of named coders on which codes apply to which segments.

    For each code, every unit segment is rated *present* (1) or *absent* (0)
    by each coder, and the chosen coefficients are computed on that segments x
    coders table (with categories {0, 1}). The pooled row treats every
    (segment, code) pair as one unit.

    Parameters
    ----------
    segments, codings : pandas.DataFrame
        As described in the module docstring.
    coders : sequence of str
        The coders to compare (Cohen's kappa and Scott's pi per pair when
        there are more than two). A machine
        counts as a coder once its accepted suggestions are codings by a name.
    codes : sequence of str, optional
        Codes to compare; default every code any of the coders applied to a
        unit segment (per group when ``by`` is not "code").
    by : str, default "code"
        "code": one row per code plus a ``(pooled)`` row. "transcript",
        "question" or any column of ``segments`` (e.g. "sector", "wave"): one
        row per group, pooled over the group's codes, plus an ``(all)`` row
        pooling all the groups' (segment, code) units.
    metrics : sequence of str
        Keys of :data:`METRICS`: "percent", "cohen", "scott", "fleiss",
        "conger", "krippendorff" (nominal alpha), "gwet_ac1",
        "brennan_prediger".
    units : {"coded_by_all", "coded_by_any", "all"}
        Which segments are units: those every coder coded at all (default),
        those any coder coded, or all of ``segments``. A coder who did not code
        a unit segment counts as finding every code absent.

    Returns
    -------
    pandas.DataFrame
        One row per code (or group): the code (or group) column,
        ``n_segments``, ``n_units`` (segments, or segment x code pairs when
        pooled), ``all_present``, ``none_present``, ``mixed`` (units on which
        coders differ), ``only_a``/``only_b`` (present for the first/second
        coder only) with two coders, ``only <coder>`` per coder (present for
        that coder alone) with three or more, then one column per metric.
        With three or more coders a two-coder metric ("cohen", "scott") is
        computed for every pair, in columns ``"cohen A~B"`` (their mean is
        Light's kappa), beside the metrics defined for any number of coders
        ("fleiss", "krippendorff", ...); :func:`metric_columns` lists them.
        Undefined statistics are NaN, with one
        :class:`~qdakit.errors.UndefinedStatisticWarning` naming the rows.

    Examples
    --------
    >>> segments = pd.DataFrame({"id": ["s1", "s2", "s3", "s4"], "transcript_id": "t1"})
    >>> codings = pd.DataFrame({
    ...     "segment_id": ["s1", "s1", "s2", "s3", "s3", "s4", "s4"],
    ...     "code": ["cost", "cost", "trust", "cost", "trust", "trust", "trust"],
    ...     "coder": ["ann", "bob", "ann", "bob", "ann", "ann", "bob"]})
    >>> table = segment_agreement(segments, codings, ["ann", "bob"], metrics=["percent"])
    >>> table[["code", "n_units", "only_a", "only_b", "percent"]]
           code  n_units  only_a  only_b   percent
    0      cost        3       0       1  0.666667
    1     trust        3       1       0  0.666667
    2  (pooled)        6       1       1  0.666667
    """
    coders = check_coders(codings, coders)
    metrics = list(metrics)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise AgreementError(f"unknown metric(s) {unknown}; choose from {list(METRICS)}")
    rows_idx, code_list, presence = _presence(segments, codings, coders, codes, units)
    n_seg, n_coders = presence.shape[0], len(coders)
    rows = []

    def _stats(table: np.ndarray) -> dict[str, Any]:
        return {**_counts(table, coders), **_statistics(table, metrics, coders)}

    if by == "code":
        label = "code"
        for j, code in enumerate(code_list):
            table = presence[:, j, :]
            rows.append({label: code, "n_segments": n_seg, **_stats(table)})
        pooled = presence.reshape(-1, n_coders)
        rows.append({label: POOLED, "n_segments": n_seg, **_stats(pooled)})
    else:
        label = _group_column(segments, by)
        groups = segments[label].iloc[rows_idx].astype(object)
        groups = groups.where(groups.notna(), MISSING_GROUP).astype(str).to_numpy()
        pieces = []
        for group in sorted(pd.unique(groups), key=str):
            sel = presence[groups == group]
            if codes is None:
                sel = sel[:, sel.any(axis=(0, 2)), :]
            table = sel.reshape(-1, n_coders)
            pieces.append(table)
            rows.append({label: group, "n_segments": len(sel), **_stats(table)})
        table = np.concatenate(pieces) if pieces else np.zeros((0, n_coders), np.int8)
        rows.append({label: ALL, "n_segments": n_seg, **_stats(table)})
    frame = pd.DataFrame(rows)
    frame.attrs["coders"] = list(coders)
    _warn_undefined(frame, label, metric_columns(metrics, coders))
    return frame


def disagreements(
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    coders: Sequence[Any],
    codebook_df: pd.DataFrame | None = None,
    *,
    codes: Sequence[str] | None = None,
    units: str = "coded_by_all",
) -> pd.DataFrame:
    """The segments on which coders applied different codes, for the resolution meeting.

    Parameters
    ----------
    segments, codings : pandas.DataFrame
        As described in the module docstring (``segments`` needs ``id``,
        ``transcript_id``, ``index``, ``speaker``, ``text``).
    coders : sequence of str
        Two or more coders.
    codebook_df : pandas.DataFrame, optional
        Columns ``name`` and ``description``; adds a ``definitions`` column with
        the definitions of the disputed codes.
    codes : sequence of str, optional
        Restrict the comparison to these codes.
    units : {"coded_by_all", "coded_by_any", "all"}
        As for :func:`segment_agreement`.

    Returns
    -------
    pandas.DataFrame
        One row per segment where the coders' code sets differ, in transcript
        order: ``segment_id``, ``transcript_id``, ``index``, ``speaker``,
        ``text``, ``codes_<coder>`` for each coder (sorted, joined by "; "),
        ``only_<coder>`` (codes no other coder applied), ``disputed`` (codes
        applied by some coders but not all) and, with a codebook,
        ``definitions`` ("code: description" per disputed code, one a line).
        Ready for ``to_csv``.

    Examples
    --------
    >>> segments = pd.DataFrame({"id": ["s1", "s2"], "transcript_id": "t1", "index": [0, 1],
    ...                          "speaker": "P1", "text": ["It costs too much.", "I trust them."]})
    >>> codings = pd.DataFrame({"segment_id": ["s1", "s1", "s2", "s2"],
    ...                         "code": ["cost", "cost", "trust", "cost"],
    ...                         "coder": ["ann", "bob", "ann", "bob"]})
    >>> disagreements(segments, codings, ["ann", "bob"])[["segment_id", "codes_ann", "codes_bob"]]
      segment_id codes_ann codes_bob
    0         s2     trust      cost
    """
    coders = check_coders(codings, coders)
    require_columns(segments, "segments", ["id", "transcript_id", "index", "speaker", "text"])
    rows_idx, code_list, presence = _presence(segments, codings, coders, codes, units)
    present_any, present_all = presence.any(axis=2), presence.all(axis=2)
    differ = (present_any != present_all).any(axis=1)
    names = np.array(code_list, dtype=object)
    seg = segments.iloc[rows_idx[differ]]
    pres = presence[differ].astype(bool)
    out = pd.DataFrame({
        "segment_id": seg["id"].astype(str).to_numpy(),
        "transcript_id": seg["transcript_id"].to_numpy(),
        "index": seg["index"].to_numpy(),
        "speaker": seg["speaker"].to_numpy(),
        "text": seg["text"].to_numpy(),
    })

    def joined(mask: np.ndarray) -> list[str]:
        return ["; ".join(names[row]) for row in mask]

    n_by_code = pres.sum(axis=2)
    for m, coder in enumerate(coders):
        out[f"codes_{coder}"] = joined(pres[:, :, m])
    for m, coder in enumerate(coders):
        out[f"only_{coder}"] = joined(pres[:, :, m] & (n_by_code == 1))
    disputed = (n_by_code > 0) & (n_by_code < len(coders))
    out["disputed"] = joined(disputed)
    if codebook_df is not None:
        require_columns(codebook_df, "codebook", ["name", "description"])
        desc = dict(zip(codebook_df["name"], codebook_df["description"].fillna(""), strict=True))
        out["definitions"] = [
            "\n".join(f"{c}: {desc.get(c, '(not in the codebook)')}" for c in names[row])
            for row in disputed
        ]
    return out.sort_values(["transcript_id", "index"], kind="stable").reset_index(drop=True)

"""Krippendorff's unitizing alpha (u-alpha) for one code on one continuum."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations
from typing import Any

import numpy as np

from qdakit.agreement._base import AgreementError, AgreementResult, nan_result, undefined

__all__ = ["unitizing_alpha", "spans_to_sections"]

def spans_to_sections(spans: Any, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut the continuum [0, length) into one coder's sections.

    Returns ``begin``, ``length`` and ``is_unit`` arrays: the coder's units
    (overlapping spans merged; touching spans stay separate units) and the
    gaps between them, in order, covering the continuum.
    """
    arr = np.asarray(list(spans), dtype=np.int64).reshape(-1, 2)
    if arr.size and ((arr[:, 0] < 0).any() or (arr[:, 1] > length).any() or (arr[:, 0] >= arr[:, 1]).any()):
        bad = arr[(arr[:, 0] < 0) | (arr[:, 1] > length) | (arr[:, 0] >= arr[:, 1])][0]
        raise AgreementError(
            f"span ({bad[0]}, {bad[1]}) is empty or outside the continuum [0, {length}); "
            "spans are half-open (start, end) character offsets with start < end"
        )
    arr = arr[np.lexsort((arr[:, 1], arr[:, 0]))]
    if len(arr) > 1:  # merge strictly overlapping spans
        reach = np.maximum.accumulate(arr[:, 1])
        new = np.r_[True, arr[1:, 0] >= reach[:-1]]
        group = np.cumsum(new) - 1
        ends = np.zeros(group[-1] + 1, dtype=np.int64)
        np.maximum.at(ends, group, arr[:, 1])
        arr = np.column_stack([arr[new, 0], ends])
    starts, ends = arr[:, 0], arr[:, 1]
    gap_starts = np.r_[0, ends]
    gap_ends = np.r_[starts, length]
    keep = gap_ends > gap_starts
    begin = np.r_[starts, gap_starts[keep]]
    size = np.r_[ends - starts, (gap_ends - gap_starts)[keep]]
    is_unit = np.r_[np.ones(len(starts), bool), np.zeros(int(keep.sum()), bool)]
    order = np.argsort(begin, kind="stable")
    return begin[order], size[order], is_unit[order]


def _pair_disagreement(a: tuple, b: tuple) -> float:
    """Sum of delta^2 over overlapping sections g of one coder and h of another.

    Both section lists partition the continuum, so the overlapping pairs are
    the pieces between consecutive boundaries of either coder.
    """
    bi, li, ui = a
    bj, lj, uj = b
    piece = np.union1d(bi, bj)
    g = np.searchsorted(bi, piece, side="right") - 1
    h = np.searchsorted(bj, piece, side="right") - 1
    b1, l1, u1 = bi[g].astype(float), li[g].astype(float), ui[g]
    b2, l2, u2 = bj[h].astype(float), lj[h].astype(float), uj[h]
    diff = b1 - b2
    end_diff = diff + l1 - l2
    both = u1 & u2 & (-l1 < diff) & (diff < l2)
    one_in_gap = u1 & ~u2 & (diff >= 0) & (end_diff <= 0)
    two_in_gap = ~u1 & u2 & (diff <= 0) & (end_diff >= 0)
    delta = np.where(both, diff**2 + end_diff**2, 0.0)
    delta += np.where(one_in_gap, l1**2, 0.0) + np.where(two_in_gap, l2**2, 0.0)
    return float(delta.sum())


def unitizing_alpha(spans_by_coder: Mapping[Any, Any] | Any, length: int) -> AgreementResult:
    """Krippendorff's unitizing alpha for one code on a continuum [0, length).

    Each coder marks units of the code as half-open spans (e.g. character
    offsets); the rest of the continuum is that coder's gaps. With sections
    ``g`` of coder ``i`` (begin ``b``, length ``l``, ``w = 1`` for a unit, 0 for
    a gap) and ``m`` coders,

    .. math:: D_o = \\frac{\\sum_{i \\ne j} \\sum_{g, h} \\delta^2_{igjh}}{m (m - 1) L^2}

    where ``delta^2`` is ``(b_ig - b_jh)^2 + (b_ig + l_ig - b_jh - l_jh)^2`` for
    two overlapping units, ``l_ig^2`` for a unit lying inside the other coder's
    gap (and vice versa), else 0; and

    .. math:: D_e = \\frac{2}{L} \\frac{\\sum_{\\text{units } u}
              \\left[\\frac{N - 1}{3}(2 l_u^3 - 3 l_u^2 + l_u)
              + l_u^2 \\sum_{\\text{gaps } h,\\, l_h \\ge l_u} (l_h - l_u + 1)\\right]}
              {m L (m L - 1) - \\sum_{\\text{units } u} l_u (l_u - 1)}

    with ``N`` the number of units over all coders; ``alpha = 1 - D_o / D_e``.

    Parameters
    ----------
    spans_by_coder : mapping of coder -> iterable of (start, end), or a sequence of them
        A coder's overlapping spans are merged; touching spans stay separate
        units (their shared boundary is information).
    length : int
        Length of the continuum (e.g. the transcript's characters).

    Returns
    -------
    AgreementResult
        ``n_units`` is the number of units over all coders, ``observed`` and
        ``expected`` are D_o and D_e. NaN with a warning when fewer than two
        coders are given or D_e is 0 (no unit, or units filling the continuum).

    References
    ----------
    Krippendorff, K. (1995). On the reliability of unitizing continuous data.
    *Sociological Methodology*, 25, 47-76.
    Krippendorff, K. (2004). *Content Analysis: An Introduction to Its
    Methodology* (2nd ed.), section 12.4. Sage.

    Examples
    --------
    >>> unitizing_alpha({"A": [(10, 30), (50, 60)], "B": [(10, 30), (50, 60)]}, 100).value
    1.0
    >>> round(unitizing_alpha({"A": [(10, 30)], "B": [(12, 30)]}, 100).value, 3)
    0.991
    """
    metric = "unitizing_alpha"
    groups = list(spans_by_coder.values()) if isinstance(spans_by_coder, Mapping) else list(spans_by_coder)
    length = int(length)
    if length <= 0:
        raise AgreementError(f"the continuum length must be positive, got {length}")
    sections = [spans_to_sections(g, length) for g in groups]
    m = len(sections)
    unit_lengths = np.concatenate([s[1][s[2]] for s in sections]) if sections else np.zeros(0)
    n_units = int(unit_lengths.size)
    if m < 2:
        undefined(metric, f"{m} coder(s) given; at least 2 are needed")
        return nan_result(metric, n_units, m, 1)
    observed_sum = 2.0 * sum(_pair_disagreement(sections[i], sections[j]) for i, j in combinations(range(m), 2))
    d_o = observed_sum / (m * (m - 1) * float(length) ** 2)
    gaps = np.sort(np.concatenate([s[1][~s[2]] for s in sections]).astype(float))
    lu = unit_lengths.astype(float)
    # sum over gaps with l_h >= l of (l_h - l + 1), via suffix sums of sorted gaps
    first = np.searchsorted(gaps, lu, side="left")
    suffix = np.r_[np.cumsum(gaps[::-1])[::-1], 0.0]
    count = gaps.size - first
    fit = suffix[first] - (lu - 1) * count
    numer = ((n_units - 1) / 3.0 * (2 * lu**3 - 3 * lu**2 + lu) + lu**2 * fit).sum()
    denom = m * float(length) * (m * float(length) - 1) - (lu * (lu - 1)).sum()
    d_e = 2.0 / length * numer / denom if denom > 0 else 0.0
    if not d_e > 0:
        undefined(metric, "expected disagreement is 0 (no units, or units fill the continuum)")
        return nan_result(metric, n_units, m, 1)
    return AgreementResult(float(1 - d_o / d_e), metric, n_units, m, 1, observed=float(d_o), expected=float(d_e))

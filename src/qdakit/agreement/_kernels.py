"""Blocked kernels for Krippendorff's alpha on a numeric units x coders array.

Both kernels walk the array in blocks of units that fit in the CPU cache and
reduce each block at once to totals per ``m`` (the number of ratings in a
unit) and to the block's distinct values, so no temporary array of the full
size is created. Missing ratings are NaN.
"""

from __future__ import annotations

import numpy as np

__all__ = ["interval_totals", "nominal_totals", "MAX_CODERS"]

BLOCK = 1 << 14
MAX_CODERS = 16  # the nominal kernel compares every pair of coders


def _distinct(block: np.ndarray, counts: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Sorted distinct non-NaN values of a block, with their counts if asked."""
    ordered = np.sort(block, axis=None)  # NaN sorts last
    ordered = ordered[: np.searchsorted(ordered, np.nan, side="left")]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if ordered.size else np.zeros(0, np.intp)
    return ordered[starts], (np.diff(np.r_[starts, ordered.size]) if counts else None)


def _merge(values: list[np.ndarray], counts: list[np.ndarray] | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Merge per-block distinct values (and counts) into global ones."""
    if not values:
        return np.zeros(0), (np.zeros(0, np.int64) if counts is not None else None)
    allv = np.concatenate(values)
    if counts is None:
        return np.unique(allv), None
    uniq, inverse = np.unique(allv, return_inverse=True)
    return uniq, np.bincount(inverse, weights=np.concatenate(counts), minlength=len(uniq))


def _centre(x: np.ndarray) -> float:
    """A value near the mean of ``x``, from a strided sample, to centre the sums."""
    sample = x[:: max(1, x.shape[0] // 4096)]
    sample = sample[~np.isnan(sample)]
    return float(sample.mean()) if sample.size else 0.0


def interval_totals(x: np.ndarray, count_values: bool = True) -> dict[str, float]:
    """Sums for interval alpha: D_o * n and D_e * n * (n - 1) in closed form.

    Within a unit with m ratings, the sum over ordered pairs of (v_i - v_j)^2
    is ``2 (m S2 - S1^2)``; over all n pairable values it is
    ``2 (n T2 - T1^2)``. Values are centred on a sample mean first, which
    keeps these differences of sums accurate to rounding.
    """
    n_units, n_coders = x.shape
    centre = _centre(x)
    ones = np.ones(n_coders)
    ones8 = np.ones(n_coders, dtype=np.uint8)
    size = n_coders + 1
    count, s1, s2, s1sq = (np.zeros(size) for _ in range(4))
    rows = min(BLOCK, n_units)
    values, spare = np.empty((rows, n_coders)), np.empty((rows, n_coders))
    missing = np.empty((rows, n_coders), dtype=bool)
    distinct: list[np.ndarray] = []
    for start in range(0, n_units, BLOCK):
        block = x[start : start + BLOCK]
        r = block.shape[0]
        miss, val, tmp = missing[:r], values[:r], spare[:r]
        np.isnan(block, out=miss)
        np.subtract(block, centre, out=val)
        np.fmin(val, 0.0, out=tmp)  # fmin/fmax drop NaN: together they map NaN -> 0
        np.fmax(val, 0.0, out=val)
        val += tmp
        m = n_coders - miss.view(np.uint8) @ ones8
        b1 = val @ ones
        val *= val
        b2 = val @ ones
        count += np.bincount(m, minlength=size)
        s1 += np.bincount(m, weights=b1, minlength=size)
        s2 += np.bincount(m, weights=b2, minlength=size)
        s1sq += np.bincount(m, weights=b1 * b1, minlength=size)
        if count_values:
            distinct.append(_distinct(block, counts=False)[0])
    k = np.arange(size, dtype=float)[2:]
    count, s1, s2, s1sq = count[2:], s1[2:], s2[2:], s1sq[2:]
    n = float((k * count).sum())
    do_n = float((2 * k / (k - 1) * s2 - 2 / (k - 1) * s1sq).sum())
    t1, t2 = float(s1.sum()), float(s2.sum())
    de_nn = 2.0 * (n * t2 - t1 * t1)
    n_values = len(_merge(distinct, None)[0]) if count_values else 0
    return {"do_n": max(do_n, 0.0), "de_nn": max(de_nn, 0.0), "n": n,
            "n_units": int(count.sum()), "n_values": n_values}


def nominal_totals(x: np.ndarray) -> dict[str, float]:
    """Sums for nominal alpha from pairwise equality of the coders' columns.

    With A_u equal pairs in a unit of m ratings, ``sum_c n_uc^2 = m + 2 A_u``,
    so the unit adds ``(m (m - 1) - 2 A_u) / (m - 1)`` to D_o * n; D_e * n *
    (n - 1) is ``n^2 - sum_c n_c^2`` over the values of pairable units.
    """
    n_units, n_coders = x.shape
    ones8 = np.ones(n_coders, dtype=np.uint8)
    size = n_coders + 1
    count, equal = np.zeros(size), np.zeros(size)
    pairs = [(i, j) for i in range(n_coders) for j in range(i + 1, n_coders)]
    values: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    for start in range(0, n_units, BLOCK):
        block = x[start : start + BLOCK]
        m = n_coders - np.isnan(block).view(np.uint8) @ ones8
        columns = np.ascontiguousarray(block.T)
        same = np.zeros(columns.shape[1], dtype=np.uint8)
        for i, j in pairs:
            same += columns[i] == columns[j]
        count += np.bincount(m, minlength=size)
        equal += np.bincount(m, weights=same, minlength=size)
        v, c_or_none = _distinct(block, counts=True)
        assert c_or_none is not None  # asked for counts
        c = c_or_none
        lonely = m == 1
        if lonely.any():  # the value of a unit with a single rating is not pairable
            alone = block[lonely]
            alone = alone[~np.isnan(alone)]
            c = c - np.bincount(np.searchsorted(v, alone), minlength=len(v))
        values.append(v)
        counts.append(c)
    distinct, n_c = _merge(values, counts)
    assert n_c is not None  # counts were merged
    k = np.arange(size, dtype=float)[2:]
    count, equal = count[2:], equal[2:]
    n = float(n_c.sum())
    do_n = float(((k * (k - 1) * count - 2 * equal) / (k - 1)).sum())
    de_nn = n * n - float((n_c.astype(float) ** 2).sum())
    return {"do_n": do_n, "de_nn": de_nn, "n": n, "n_units": int(count.sum()), "n_values": len(distinct)}

"""Krippendorff's alpha for nominal, ordinal, interval, ratio or custom metrics.

One public function, one private helper per way of computing it:

* nominal: from the units x values count matrix ``n_uc``; for a numeric
  array, a blocked kernel counts the equal pairs of coders in each unit
  instead (``sum_c n_uc^2 = m_u + 2 * equal pairs``), which needs no count
  matrix at all;
* interval: closed form from per-unit sums of squares, no value domain needed;
* ordinal: the interval form on mid-ranks, since Krippendorff's ordinal
  difference between values c < k equals the squared difference of
  ``g_v = sum_{j <= v} n_j - n_v / 2``;
* ratio and custom metrics: the coincidence matrix over the distinct values.

The blocked kernels live in :mod:`qdakit.agreement._kernels`.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from qdakit.agreement._base import AgreementError, AgreementResult, Ratings, as_matrix, encode, nan_result, undefined
from qdakit.agreement._kernels import MAX_CODERS, interval_totals, nominal_totals

__all__ = ["krippendorff_alpha", "LEVELS"]

LEVELS = ("nominal", "ordinal", "interval", "ratio")

# Past this many distinct values, the ratio/custom path works on a sparse
# coincidence matrix and sums the expected disagreement in row blocks.
_DENSE_VALUES = 2048


def krippendorff_alpha(
    data: Any,
    level: str | Callable[[np.ndarray, np.ndarray], np.ndarray] = "nominal",
    *,
    categories: Any = None,
) -> AgreementResult:
    """Krippendorff's alpha for any number of coders, with missing ratings.

    .. math:: \\alpha = 1 - \\frac{D_o}{D_e}
              = 1 - (n - 1) \\frac{\\sum_{ck} o_{ck} \\delta^2_{ck}}
                                {\\sum_{ck} n_c n_k \\delta^2_{ck}}

    where ``o_ck = sum_u (pairs of values c, k within unit u) / (m_u - 1)`` is
    the coincidence matrix over units with ``m_u >= 2`` ratings, ``n_c`` its
    margins and ``n`` the number of pairable values. Units rated by fewer than
    two coders are left out.

    Parameters
    ----------
    data : array-like of shape (n_units, n_coders)
        Ratings; None or NaN for a missing rating. (The ``krippendorff``
        package takes the transpose, coders x units.)
    level : {"nominal", "ordinal", "interval", "ratio"} or callable
        Level of measurement, i.e. the difference function ``delta^2``:
        nominal ``[c != k]``; ordinal
        ``(sum_{g=c}^{k} n_g - (n_c + n_k) / 2)^2``; interval ``(c - k)^2``;
        ratio ``((c - k) / (c + k))^2``. A callable ``f(a, b)`` receives two
        broadcastable arrays of category labels and returns ``delta^2``
        element-wise.
    categories : sequence, optional
        Category set; for "ordinal" also their order (default: sorted). Not
        used by "interval" and "ratio", whose values are numbers.

    Returns
    -------
    AgreementResult
        ``observed`` and ``expected`` hold D_o and D_e. No analytical standard
        error; Krippendorff recommends the bootstrap (:func:`bootstrap`).

    Notes
    -----
    Runs in O(units x coders) for nominal, ordinal and interval data (plus a
    sort of the distinct values), and O(values^2) for ratio and custom metrics.

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability.
    Annenberg School for Communication, University of Pennsylvania.
    Krippendorff, K. (2004). *Content Analysis: An Introduction to Its
    Methodology* (2nd ed.), ch. 11. Sage.

    Examples
    --------
    >>> data = [[1, 1, None, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3],
    ...         [2, 2, 2, 2], [1, 2, 3, 4], [4, 4, 4, 4], [1, 1, 2, 1],
    ...         [2, 2, 2, 2], [None, 5, 5, 5], [None, None, 1, 1], [None, None, 3, None]]
    >>> round(float(krippendorff_alpha(data, "nominal")), 3)
    0.743
    >>> round(float(krippendorff_alpha(data, "interval")), 3)
    0.849
    """
    if callable(level):
        ratings = encode(data, categories)
        return _coincidence_alpha(ratings, _custom_delta(level), "krippendorff_alpha(level=custom)")
    if level not in LEVELS:
        raise AgreementError(
            f"unknown level of measurement {level!r}; use one of {', '.join(LEVELS)} "
            "or a callable difference function f(a, b)"
        )
    metric = "krippendorff_alpha" if level == "nominal" else f"krippendorff_alpha(level={level})"
    if level == "interval":
        x = _float_matrix(data, level)
        t = interval_totals(x)
        return _finish(metric, t["do_n"], t["de_nn"], t["n"], t["n_units"], x.shape[1], t["n_values"])
    if level == "ratio":
        x = _float_matrix(data, level)
        if np.nanmin(x, initial=0.0) < 0:
            raise AgreementError("ratio-level alpha needs non-negative values")
        return _coincidence_alpha(encode(x), _ratio_delta, metric)
    if level == "nominal" and categories is None:
        arr = as_matrix(data)
        if arr.dtype.kind in "fiu" and arr.shape[1] <= MAX_CODERS:
            x = arr.astype(float, copy=False)
            t = nominal_totals(x)
            return _finish(metric, t["do_n"], t["de_nn"], t["n"], t["n_units"], x.shape[1], t["n_values"])
    ratings = encode(data, categories)
    if level == "nominal":
        return _nominal_alpha(ratings, metric)
    return _ordinal_alpha(ratings, metric)


def _float_matrix(data: Any, level: str) -> np.ndarray:
    arr = as_matrix(data)
    if arr.dtype.kind == "f":
        return arr
    try:
        return np.where(pd.isna(arr), np.nan, arr).astype(float)
    except (TypeError, ValueError) as exc:
        raise AgreementError(
            f"{level}-level alpha needs numeric ratings; got labels such as "
            f"{pd.unique(arr.ravel())[:5].tolist()}. Use level='nominal', or 'ordinal' "
            "with categories= giving their order"
        ) from exc


def _finish(metric, do_n, de_nn, n, n_units, n_coders, n_categories) -> AgreementResult:
    """alpha = 1 - (n - 1) * sum(o * d) / sum(n_c n_k d), from the two sums."""
    if n_units < 2:
        what = "no unit was" if n_units == 0 else "a single unit was"
        undefined(metric, f"{what} rated by two or more coders", stacklevel=4)
        return nan_result(metric, n_units, n_coders, n_categories)
    if not de_nn > 0:
        undefined(metric, "there is no variation in the pairable values (D_e = 0)", stacklevel=4)
        return nan_result(metric, n_units, n_coders, n_categories)
    value = 1.0 - (n - 1) * do_n / de_nn
    return AgreementResult(
        float(value), metric, int(n_units), int(n_coders), int(n_categories),
        observed=float(do_n / n), expected=float(de_nn / (n * (n - 1))),
    )


def _ordinal_alpha(ratings: Ratings, metric: str) -> AgreementResult:
    codes = ratings.codes
    observed = codes >= 0
    pairable = observed.sum(axis=1) >= 2
    n_c = np.bincount(codes[observed & pairable[:, None]], minlength=ratings.n_categories).astype(float)
    midrank = np.cumsum(n_c) - n_c / 2.0
    x = np.full(codes.shape, np.nan)
    x[observed] = midrank[codes[observed]]
    t = interval_totals(x, count_values=False)
    return _finish(metric, t["do_n"], t["de_nn"], t["n"], t["n_units"], ratings.n_coders, ratings.n_categories)


def _nominal_alpha(ratings: Ratings, metric: str) -> AgreementResult:
    """From the count matrix: o's off-diagonal mass is sum_u (m_u^2 - sum_c n_uc^2)/(m_u - 1)."""
    if ratings.fits_dense():
        counts = ratings.counts()
        m = counts.sum(axis=1)
        sum_sq = np.einsum("ij,ij->i", counts, counts)
        pairable = m >= 2
        n_c = pairable.astype(np.int64) @ counts
    else:
        counts = ratings.sparse_counts()
        m = np.asarray(counts.sum(axis=1)).ravel()
        sum_sq = np.asarray(counts.multiply(counts).sum(axis=1)).ravel()
        pairable = m >= 2
        n_c = np.asarray(counts.T @ pairable.astype(np.int64)).ravel()
    m, sum_sq = m[pairable].astype(float), sum_sq[pairable].astype(float)
    n = float(n_c.sum())
    do_n = ((m * m - sum_sq) / (m - 1)).sum()
    de_nn = n * n - float((n_c.astype(float) ** 2).sum())
    return _finish(metric, do_n, de_nn, n, int(pairable.sum()), ratings.n_coders, ratings.n_categories)


def _ratio_delta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    total = a + b
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total != 0, ((a - b) / total) ** 2, 0.0)


def _custom_delta(func: Callable) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    def delta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        shape = np.broadcast_shapes(np.shape(a), np.shape(b))
        out = np.asarray(func(a, b), dtype=float)
        if out.shape != shape:
            try:
                out = np.broadcast_to(out, shape)
            except ValueError as exc:
                raise AgreementError(
                    f"a custom alpha metric must return the broadcast shape {shape} of its "
                    f"two arguments, got {out.shape}; write it with NumPy operations"
                ) from exc
        return out

    return delta


def _coincidence_alpha(ratings: Ratings, delta: Callable, metric: str) -> AgreementResult:
    k = ratings.n_categories
    values = ratings.categories
    dense = k <= _DENSE_VALUES and ratings.fits_dense()
    counts = ratings.counts().astype(float) if dense else ratings.sparse_counts().astype(float)
    m = np.asarray(counts.sum(axis=1)).ravel()
    pairable = m >= 2
    with np.errstate(divide="ignore"):
        weight = np.where(pairable, 1.0 / (m - 1), 0.0)
    if dense:
        weighted = counts * weight[:, None]
        o = weighted.T @ counts - np.diag(weighted.sum(axis=0))
        n_c = o.sum(axis=0)
        do_n = float((o * delta(values[:, None], values[None, :])).sum())
    else:
        from scipy import sparse

        weighted = sparse.diags(weight) @ counts
        o = (weighted.T @ counts - sparse.diags(np.asarray(weighted.sum(axis=0)).ravel())).tocoo()
        n_c = np.asarray(o.sum(axis=0)).ravel()
        do_n = float((o.data * delta(values[o.row], values[o.col])).sum())
    de_nn = 0.0
    for start in range(0, k, _DENSE_VALUES):
        block = delta(values[start : start + _DENSE_VALUES, None], values[None, :])
        de_nn += float(n_c[start : start + _DENSE_VALUES] @ block @ n_c)
    n = float(n_c.sum())
    return _finish(metric, do_n, de_nn, n, int(pairable.sum()), ratings.n_coders, k)

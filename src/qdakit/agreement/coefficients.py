"""Agreement coefficients over a units x coders table of categorical ratings.

Every function takes ``data``: one row per unit (segment, utterance, answer),
one column per coder, labels of any hashable type (str or int), missing
ratings as None or NaN, given as a list of lists, a NumPy array or a
DataFrame. The table is converted once into a units x categories count matrix
``r[i, k]`` (how many coders put unit ``i`` in category ``k``) and each
coefficient is a few vectorised lines over it.

All multi-coder coefficients share Gwet's (2014) treatment of missing data and
his linearised variance: with ``r_i`` ratings of unit ``i``, agreement weights
``w`` and ``r*_ik = sum_l w_kl r_il``,

    p_a = mean over units with r_i >= 2 of  sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1))

and ``coefficient = (p_a - p_e) / (1 - p_e)`` with a chance agreement ``p_e``
specific to each coefficient.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any, Callable

import numpy as np
import pandas as pd

from qdakit.agreement import _base
from qdakit.agreement._base import (
    AgreementError,
    AgreementResult,
    Ratings,
    as_matrix,
    check_coders,
    encode,
    nan_result,
    undefined,
)
from qdakit.agreement._weights import weight_matrix

__all__ = [
    "percent_agreement",
    "cohen_kappa",
    "scott_pi",
    "fleiss_kappa",
    "conger_kappa",
    "gwet_ac1",
    "gwet_ac2",
    "brennan_prediger",
    "pairwise",
]


def _label(metric: str, wname: str) -> str:
    return metric if wname == "identity" else f"{metric}(weights={wname})"


def _multi_rater(ratings: Ratings, w: np.ndarray, chance: str, metric: str) -> AgreementResult:
    """Coefficients of the form (p_a - p_e) / (1 - p_e) after Gwet (2014).

    ``chance`` picks p_e: "none" (percent agreement), "fleiss", "gwet",
    "uniform" (Brennan-Prediger). The standard error is Gwet's linearised
    variance, (1 / (n (n - 1))) sum_i (k*_i - k)^2.
    """
    q = ratings.n_categories
    counts = ratings.counts().astype(float)
    r = counts.sum(axis=1)
    counts, r = counts[r > 0], r[r > 0]
    n = r.size
    pairable = r >= 2
    n2 = int(pairable.sum())
    if n2 == 0:
        undefined(metric, "no unit was rated by two or more coders", stacklevel=4)
        return nan_result(metric, 0, ratings.n_coders, q)
    if chance != "none" and n2 < 2:
        undefined(metric, "a single unit was rated by two or more coders", stacklevel=4)
        return nan_result(metric, n2, ratings.n_coders, q)
    with np.errstate(divide="ignore", invalid="ignore"):
        agree_i = (counts * (counts @ w.T - 1)).sum(axis=1) / (r * (r - 1))
    pa_i = np.where(pairable, agree_i, 0.0)
    pa = pa_i[pairable].mean()
    shares = counts / r[:, None]
    pi = shares.mean(axis=0)
    if chance == "none":
        pe, pe_i = 0.0, np.zeros(n)
    elif chance == "fleiss":
        pe = float(pi @ w @ pi)
        pe_i = shares @ ((w @ pi + w.T @ pi) / 2)
    elif chance == "gwet":
        if q < 2:
            undefined(metric, "only one category is in use; pass categories= with all of them", stacklevel=4)
            return nan_result(metric, n2, ratings.n_coders, q)
        scale = w.sum() / (q * (q - 1))
        pe = float(scale * (pi * (1 - pi)).sum())
        pe_i = scale * shares @ (1 - pi)
    else:  # uniform
        pe = float(w.sum() / q**2)
        pe_i = np.full(n, pe)
    if abs(1.0 - pe) < 1e-12:
        undefined(metric, "chance agreement is 1 (every rating is in one category)", stacklevel=4)
        return nan_result(metric, n2, ratings.n_coders, q)
    value = (pa - pe) / (1 - pe)
    unit_terms = (n / n2) * (pa_i - pe * pairable) / (1 - pe)
    unit_terms -= 2 * (1 - value) * (pe_i - pe) / (1 - pe)
    se = float(np.sqrt(((unit_terms - value) ** 2).sum() / (n * (n - 1)))) if n > 1 else float("nan")
    return AgreementResult(float(value), metric, n2, ratings.n_coders, q, se=se, observed=float(pa), expected=pe)


def percent_agreement(data: Any, *, categories: Any = None) -> AgreementResult:
    """Percent agreement: the share of agreeing coder pairs, averaged over units.

    .. math:: p_a = \\frac{1}{n'} \\sum_{i: r_i \\ge 2}
              \\sum_k \\frac{r_{ik}(r_{ik} - 1)}{r_i (r_i - 1)}

    For two coders it is the share of units on which they agree. Units with
    fewer than two ratings are left out.

    Parameters
    ----------
    data : array-like of shape (n_units, n_coders)
        Labels (any hashable); None or NaN for a missing rating.
    categories : sequence, optional
        The category set; ratings outside it raise :class:`AgreementError`.

    Returns
    -------
    AgreementResult
        With Gwet's (2014) standard error.

    References
    ----------
    Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability* (4th ed.), ch. 2.

    Examples
    --------
    >>> float(percent_agreement([["a", "a"], ["a", "b"], ["b", "b"], ["b", None]]))
    0.6666666666666666
    """
    ratings = encode(data, categories)
    return _multi_rater(ratings, np.eye(ratings.n_categories), "none", "percent_agreement")


def cohen_kappa(data: Any, *, weights: Any = None, categories: Any = None) -> AgreementResult:
    """Cohen's kappa between two coders, unweighted or weighted.

    .. math:: \\kappa_w = \\frac{p_o - p_e}{1 - p_e}, \\quad
              p_o = \\sum_{kl} w_{kl} p_{kl}, \\quad
              p_e = \\sum_{kl} w_{kl} p_{k+} p_{+l}

    with ``p`` the joint proportions of the two coders' ratings over the units
    both coded (units one of them left blank are dropped) and ``w`` agreement
    weights (identity for Cohen 1960). Linear weights
    ``1 - |x_k - x_l| / (x_max - x_min)`` and quadratic weights
    ``1 - (x_k - x_l)^2 / (x_max - x_min)^2`` use the category values when they
    are numbers, else their positions in ``categories`` (sorted labels by
    default). The standard error is the large-sample one of Fleiss, Cohen and
    Everitt (1969), as SAS PROC FREQ reports it (ASE).

    Parameters
    ----------
    data : array-like of shape (n_units, 2)
    weights : None, str or array-like of shape (q, q)
        None (unweighted), "linear", "quadratic", any name in
        ``qdakit.agreement.WEIGHTS``, or a matrix of agreement weights (1 on the
        diagonal, values in [0, 1]).
    categories : sequence, optional
        Category set and order (the order matters for weights).

    Returns
    -------
    AgreementResult

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales.
    *Educational and Psychological Measurement*, 20, 37-46.
    Cohen, J. (1968). Weighted kappa. *Psychological Bulletin*, 70, 213-220.
    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard
    errors of kappa and weighted kappa. *Psychological Bulletin*, 72, 323-327.

    Examples
    --------
    >>> data = [["yes", "yes"]] * 20 + [["yes", "no"]] * 5 + [["no", "yes"]] * 10 + [["no", "no"]] * 15
    >>> round(float(cohen_kappa(data)), 4)
    0.4
    """
    ratings = encode(data, categories)
    check_coders(ratings, "cohen_kappa", exactly=2)
    w, wname = weight_matrix(weights, ratings)
    metric = _label("cohen_kappa", wname)
    q = ratings.n_categories
    a, b = ratings.codes[:, 0], ratings.codes[:, 1]
    both = (a >= 0) & (b >= 0)
    n = int(both.sum())
    if n < 2:
        undefined(metric, f"{n} unit(s) were coded by both coders; at least 2 are needed")
        return nan_result(metric, n, 2, q)
    if q * q > _base.DENSE_CELLS:
        raise AgreementError(
            f"{q} categories make a {q} x {q} agreement table too large; Cohen's kappa is for "
            "categorical ratings (use krippendorff_alpha(level='interval') for numeric ones)"
        )
    table = np.bincount(a[both] * q + b[both], minlength=q * q).reshape(q, q)
    p = table / n
    row, col = p.sum(axis=1), p.sum(axis=0)
    po = float((w * p).sum())
    pe = float(row @ w @ col)
    if abs(1.0 - pe) < 1e-12:
        undefined(metric, "chance agreement is 1 (both coders used a single category)")
        return nan_result(metric, n, 2, q)
    kappa = (po - pe) / (1 - pe)
    w_row = w @ col  # mean weight of row category i against coder B's distribution
    w_col = w.T @ row
    term = (p * (w - (w_row[:, None] + w_col[None, :]) * (1 - kappa)) ** 2).sum()
    var = (term - (kappa - pe * (1 - kappa)) ** 2) / (n * (1 - pe) ** 2)
    return AgreementResult(
        float(kappa), metric, n, 2, q, se=float(np.sqrt(max(var, 0.0))), observed=po, expected=pe
    )


def scott_pi(data: Any, *, weights: Any = None, categories: Any = None) -> AgreementResult:
    """Scott's pi between two coders.

    .. math:: \\pi = \\frac{p_o - p_e}{1 - p_e}, \\quad
              p_e = \\sum_{kl} w_{kl} \\bar p_k \\bar p_l

    with ``\\bar p_k`` the mean of the two coders' proportions in category k,
    over the units both coded. It equals Fleiss' kappa on those units; the
    standard error is Gwet's (2014).

    Parameters
    ----------
    data : array-like of shape (n_units, 2)
    weights : None, str or array-like, optional
        As for :func:`cohen_kappa`.
    categories : sequence, optional

    Returns
    -------
    AgreementResult

    References
    ----------
    Scott, W. A. (1955). Reliability of content analysis: the case of nominal
    scale coding. *Public Opinion Quarterly*, 19, 321-325.

    Examples
    --------
    >>> round(float(scott_pi([[1, 1], [1, 2], [2, 2], [2, 2], [1, 1]])), 4)
    0.6
    """
    ratings = encode(data, categories)
    check_coders(ratings, "scott_pi", exactly=2)
    both = (ratings.codes >= 0).all(axis=1)
    paired = Ratings(ratings.codes[both], ratings.categories)
    w, wname = weight_matrix(weights, ratings)
    return _multi_rater(paired, w, "fleiss", _label("scott_pi", wname))


def fleiss_kappa(data: Any, *, weights: Any = None, categories: Any = None) -> AgreementResult:
    """Fleiss' kappa for any number of coders, missing ratings allowed.

    .. math:: \\kappa = \\frac{p_a - p_e}{1 - p_e}, \\quad
              p_e = \\sum_{kl} w_{kl} \\pi_k \\pi_l, \\quad
              \\pi_k = \\frac{1}{n} \\sum_i \\frac{r_{ik}}{r_i}

    With complete data and no weights this is Fleiss (1971); missing ratings
    and weights follow Gwet (2014), whose linearised standard error is given.

    Parameters
    ----------
    data : array-like of shape (n_units, n_coders)
    weights : None, str or array-like, optional
    categories : sequence, optional

    Returns
    -------
    AgreementResult

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
    *Psychological Bulletin*, 76, 378-382.
    Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability* (4th ed.).

    Examples
    --------
    >>> round(float(fleiss_kappa([[1, 1, 1], [1, 2, 2], [2, 2, 2], [3, 3, 2]])), 4)
    0.4545
    """
    ratings = encode(data, categories)
    w, wname = weight_matrix(weights, ratings)
    return _multi_rater(ratings, w, "fleiss", _label("fleiss_kappa", wname))


def gwet_ac2(data: Any, *, weights: Any = "quadratic", categories: Any = None) -> AgreementResult:
    """Gwet's AC2: the weighted form of AC1, for ordered categories.

    .. math:: AC_2 = \\frac{p_a - p_e}{1 - p_e}, \\quad
              p_e = \\frac{T_w}{q (q - 1)} \\sum_k \\pi_k (1 - \\pi_k)

    with ``T_w`` the sum of the weights, ``q`` the number of categories and
    ``\\pi_k`` as for Fleiss' kappa. With identity weights it is AC1.

    Parameters
    ----------
    data : array-like of shape (n_units, n_coders)
    weights : str or array-like, default "quadratic"
    categories : sequence, optional
        The full category set: ``q`` counts categories no coder used only when
        they are listed here.

    Returns
    -------
    AgreementResult
        With Gwet's linearised standard error.

    References
    ----------
    Gwet, K. L. (2008). Computing inter-rater reliability and its variance in
    the presence of high agreement. *British Journal of Mathematical and
    Statistical Psychology*, 61, 29-48.
    Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability* (4th ed.).

    Examples
    --------
    >>> round(float(gwet_ac2([[1, 1], [2, 3], [3, 3], [1, 2]], weights="linear")), 4)
    0.4483
    """
    ratings = encode(data, categories)
    w, wname = weight_matrix(weights, ratings)
    name = "gwet_ac1" if wname == "identity" else f"gwet_ac2(weights={wname})"
    return _multi_rater(ratings, w, "gwet", name)


def gwet_ac1(data: Any, *, categories: Any = None) -> AgreementResult:
    """Gwet's AC1, a chance-corrected agreement robust to skewed prevalence.

    .. math:: AC_1 = \\frac{p_a - p_e}{1 - p_e}, \\quad
              p_e = \\frac{1}{q - 1} \\sum_k \\pi_k (1 - \\pi_k)

    Parameters
    ----------
    data : array-like of shape (n_units, n_coders)
    categories : sequence, optional
        The full category set (``q`` is its size).

    Returns
    -------
    AgreementResult
        With Gwet's linearised standard error.

    References
    ----------
    Gwet, K. L. (2008). Computing inter-rater reliability and its variance in
    the presence of high agreement. *British Journal of Mathematical and
    Statistical Psychology*, 61, 29-48.

    Examples
    --------
    >>> round(float(gwet_ac1([["x", "x"], ["x", "x"], ["x", "y"], ["y", "y"]])), 4)
    0.5294
    """
    return gwet_ac2(data, weights=None, categories=categories)


def brennan_prediger(data: Any, *, weights: Any = None, categories: Any = None) -> AgreementResult:
    """Brennan and Prediger's coefficient: chance agreement with uniform categories.

    .. math:: BP = \\frac{p_a - p_e}{1 - p_e}, \\quad p_e = \\frac{T_w}{q^2}

    (``1/q`` unweighted). Pass ``categories`` when some categories went unused.

    Parameters
    ----------
    data : array-like of shape (n_units, n_coders)
    weights : None, str or array-like, optional
    categories : sequence, optional

    Returns
    -------
    AgreementResult
        With Gwet's (2014) standard error.

    References
    ----------
    Brennan, R. L., & Prediger, D. J. (1981). Coefficient kappa: some uses,
    misuses, and alternatives. *Educational and Psychological Measurement*,
    41, 687-699.

    Examples
    --------
    >>> float(brennan_prediger([["a", "a"], ["b", "b"], ["a", "b"], ["b", "b"]]))
    0.5
    """
    ratings = encode(data, categories)
    w, wname = weight_matrix(weights, ratings)
    return _multi_rater(ratings, w, "uniform", _label("brennan_prediger", wname))


def conger_kappa(data: Any, *, weights: Any = None, categories: Any = None) -> AgreementResult:
    """Conger's kappa: the multi-coder generalisation of Cohen's kappa.

    .. math:: \\kappa = \\frac{p_a - p_e}{1 - p_e}, \\quad
              p_e = \\sum_{kl} w_{kl} \\left(\\bar p_k \\bar p_l - s^2_{kl} / r\\right)

    where ``p_gk`` is the share of coder g's ratings in category k, ``\\bar p_k``
    its mean over the ``r`` coders and ``s^2_{kl}`` the covariance of
    ``p_{gk}`` and ``p_{gl}`` over coders. For two coders and complete data it
    equals Cohen's kappa. No standard error is given; use :func:`bootstrap`.

    Parameters
    ----------
    data : array-like of shape (n_units, n_coders)
    weights : None, str or array-like, optional
    categories : sequence, optional

    Returns
    -------
    AgreementResult

    References
    ----------
    Conger, A. J. (1980). Integration and generalization of kappas for
    multiple raters. *Psychological Bulletin*, 88, 322-328.

    Examples
    --------
    >>> data = [["yes", "yes"]] * 20 + [["yes", "no"]] * 5 + [["no", "yes"]] * 10 + [["no", "no"]] * 15
    >>> round(float(conger_kappa(data)), 4)
    0.4
    """
    ratings = encode(data, categories)
    w, wname = weight_matrix(weights, ratings)
    metric = _label("conger_kappa", wname)
    q = ratings.n_categories
    pa_result = _multi_rater(ratings, w, "none", metric)
    if np.isnan(pa_result.value):
        return pa_result
    if pa_result.n_units < 2:
        undefined(metric, "a single unit was rated by two or more coders")
        return nan_result(metric, pa_result.n_units, ratings.n_coders, q)
    codes = ratings.codes
    rated = codes >= 0
    coder_idx = np.broadcast_to(np.arange(ratings.n_coders), codes.shape)
    per_coder = np.bincount(
        coder_idx[rated] * q + codes[rated], minlength=ratings.n_coders * q
    ).reshape(ratings.n_coders, q)
    per_coder = per_coder[per_coder.sum(axis=1) > 0].astype(float)
    n_raters = per_coder.shape[0]
    p = per_coder / per_coder.sum(axis=1, keepdims=True)
    pbar = p.mean(axis=0)
    cov = (p.T @ p - n_raters * np.outer(pbar, pbar)) / (n_raters - 1)
    pe = float((w * (np.outer(pbar, pbar) - cov / n_raters)).sum())
    if abs(1.0 - pe) < 1e-12:
        undefined(metric, "chance agreement is 1 (every rating is in one category)")
        return nan_result(metric, pa_result.n_units, ratings.n_coders, q)
    pa = pa_result.observed
    assert pa is not None  # observed agreement is defined once chance agreement is
    value = (pa - pe) / (1 - pe)
    return AgreementResult(
        float(value), metric, pa_result.n_units, ratings.n_coders, q, observed=pa, expected=pe
    )


def pairwise(func: Callable[..., AgreementResult], data: Any, **kwargs: Any) -> pd.DataFrame:
    """Apply a two-coder coefficient to every pair of coders.

    The mean of the ``value`` column over all pairs of coders is Light's
    (1971) kappa when ``func`` is :func:`cohen_kappa`.

    Parameters
    ----------
    func : callable
        A coefficient such as :func:`cohen_kappa`.
    data : array-like of shape (n_units, n_coders)
        Coders are named by the DataFrame's columns, else 0, 1, ...
    **kwargs
        Passed to ``func`` (e.g. ``weights="linear"``).

    Returns
    -------
    pandas.DataFrame
        Columns ``coder_a``, ``coder_b``, ``value``, ``se``, ``n_units``, one
        row per pair.

    Examples
    --------
    >>> table = pairwise(cohen_kappa, [[1, 1, 1], [2, 2, 1], [1, 1, 2], [2, 2, 2]])
    >>> table["value"].round(3).tolist()
    [1.0, 0.0, 0.0]
    """
    arr = as_matrix(data)
    names = list(data.columns) if isinstance(data, pd.DataFrame) else list(range(arr.shape[1]))
    rows = []
    for i, j in combinations(range(arr.shape[1]), 2):
        res = func(arr[:, [i, j]], **kwargs)
        rows.append((names[i], names[j], res.value, res.se, res.n_units))
    return pd.DataFrame(rows, columns=["coder_a", "coder_b", "value", "se", "n_units"])

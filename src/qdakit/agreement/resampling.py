"""Bootstrap confidence intervals for any agreement coefficient."""

from __future__ import annotations

import inspect
import warnings
from dataclasses import replace
from typing import Any, Callable

import numpy as np

from qdakit.agreement._base import AgreementError, AgreementResult, as_matrix, encode
from qdakit.errors import UndefinedStatisticWarning

__all__ = ["bootstrap"]


def bootstrap(
    func: Callable[..., AgreementResult],
    data: Any,
    n: int = 1000,
    ci: float = 0.95,
    random_state: int | np.random.Generator | None = None,
    **kwargs: Any,
) -> AgreementResult:
    """Percentile bootstrap confidence interval, resampling units with replacement.

    ``func(data, **kwargs)`` gives the point estimate; each of ``n`` resamples
    draws as many units (rows) as ``data`` has, with replacement, and
    recomputes it. The interval is the ``(1 - ci) / 2`` and ``(1 + ci) / 2``
    percentiles of the resampled values. Resamples on which the coefficient is
    undefined (e.g. a single category drawn) are left out, with one
    :class:`~qdakit.errors.UndefinedStatisticWarning` saying how many.

    Parameters
    ----------
    func : callable
        A coefficient of this module, e.g. :func:`krippendorff_alpha`.
    data : array-like of shape (n_units, n_coders)
    n : int, default 1000
        Number of resamples.
    ci : float, default 0.95
        Coverage of the interval.
    random_state : int, numpy.random.Generator or None
        Seed for reproducible intervals.
    **kwargs
        Passed to ``func``. When ``func`` takes ``categories`` and none is
        given, the categories of the full data are passed, so that every
        resample counts the same category set.

    Returns
    -------
    AgreementResult
        The full-data result with ``ci`` set; ``se`` is kept when ``func``
        gives an analytical one, else it is the standard deviation of the
        resampled values.

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
    Chapman & Hall.
    Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard
    reliability measure for coding data. *Communication Methods and Measures*,
    1, 77-89.

    Examples
    --------
    >>> from qdakit.agreement import cohen_kappa
    >>> data = [["a", "a"], ["a", "b"], ["b", "b"], ["a", "a"], ["b", "b"], ["b", "a"]] * 5
    >>> res = bootstrap(cohen_kappa, data, n=200, random_state=0)
    >>> res.ci[0] < res.value < res.ci[1]
    True
    """
    if int(n) < 1:
        raise AgreementError(f"n (the number of bootstrap resamples) must be at least 1, got {n}")
    if not 0 < ci < 1:
        raise AgreementError(f"ci must be a coverage between 0 and 1 (e.g. 0.95), got {ci}")
    arr = as_matrix(data)
    if "categories" in inspect.signature(func).parameters and kwargs.get("categories") is None:
        if kwargs.get("level") not in ("interval", "ratio"):
            kwargs["categories"] = list(encode(arr).categories)
        else:
            kwargs.pop("categories", None)
    full = func(arr, **kwargs)
    rng = np.random.default_rng(random_state)
    n_units = arr.shape[0]
    values = np.empty(int(n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedStatisticWarning)
        for b in range(int(n)):
            values[b] = func(arr[rng.integers(0, n_units, n_units)], **kwargs).value
    defined = values[~np.isnan(values)]
    if defined.size < values.size:
        warnings.warn(
            f"{full.metric} was undefined on {values.size - defined.size} of {values.size} "
            "bootstrap resamples; they were left out of the interval",
            UndefinedStatisticWarning,
            stacklevel=2,
        )
    if defined.size == 0:
        nan = float("nan")
        return replace(full, ci=(nan, nan))
    lo, hi = np.percentile(defined, [100 * (1 - ci) / 2, 100 * (1 + ci) / 2])
    se = full.se if full.se is not None else float(defined.std(ddof=1)) if defined.size > 1 else float("nan")
    return replace(full, ci=(float(lo), float(hi)), se=se)

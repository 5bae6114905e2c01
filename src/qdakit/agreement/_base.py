"""Shared pieces of the agreement statistics: the result type, the input
checks, and the one conversion every coefficient starts from (a units x coders
matrix of labels -> integer category codes -> a units x categories count
matrix).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from qdakit.errors import QdakitError, UndefinedStatisticWarning

__all__ = ["AgreementResult", "AgreementError"]

# A dense units x categories count matrix is built when it has at most this
# many cells; past it, the statistics that need it use a sparse one.
DENSE_CELLS = 20_000_000


class AgreementError(QdakitError, ValueError):
    """The input to an agreement statistic is malformed.

    Raised for a wrong shape (a 1-D array, a ragged list, the wrong number of
    coders), a label missing from ``categories``, invalid weights, an unknown
    level of measurement, or a coder, metric or column that does not exist.
    """


@dataclass(frozen=True, slots=True)
class AgreementResult:
    """The value of an agreement coefficient and what produced it.

    Attributes
    ----------
    value : float
        The coefficient; NaN when it is undefined for the input (a
        :class:`~qdakit.errors.UndefinedStatisticWarning` says why).
    metric : str
        Name of the coefficient, with its weights or level when not the
        default, e.g. ``"cohen_kappa(weights=linear)"``.
    n_units : int
        Units that entered the statistic: for Cohen's kappa and Scott's pi the
        units coded by both coders, otherwise the units coded by two or more.
    n_coders : int
        Coders (columns) in the input.
    n_categories : int
        Categories in the category set (given, or observed in the data).
    se : float or None
        Standard error: analytical where a standard formula is published
        (Cohen; Fleiss, Gwet, Brennan-Prediger and percent agreement after
        Gwet 2014), else the bootstrap standard deviation after
        :func:`bootstrap`, else None.
    ci : tuple of float or None
        Confidence interval, set by :func:`bootstrap`.
    observed, expected : float or None
        Observed and chance-expected agreement (p_o, p_e); for Krippendorff's
        alpha the observed and expected *disagreement* (D_o, D_e).
    """

    value: float
    metric: str
    n_units: int
    n_coders: int
    n_categories: int
    se: float | None = None
    ci: tuple[float, float] | None = None
    observed: float | None = None
    expected: float | None = None

    def __float__(self) -> float:
        return float(self.value)


def undefined(metric: str, reason: str, *, stacklevel: int = 3) -> None:
    """Warn that ``metric`` is undefined for this input (the caller returns NaN)."""
    warnings.warn(
        f"{metric} is undefined: {reason}; returning NaN",
        UndefinedStatisticWarning,
        stacklevel=stacklevel,
    )


def nan_result(metric: str, n_units: int, n_coders: int, n_categories: int) -> AgreementResult:
    nan = float("nan")
    return AgreementResult(nan, metric, int(n_units), int(n_coders), int(n_categories), se=nan)


# --------------------------------------------------------------------------- input


def as_matrix(data: Any) -> np.ndarray:
    """Return ``data`` as a 2-D units x coders array (numeric, or object).

    Missing ratings are NaN (numeric arrays) or None/NaN/pd.NA/"" (object).
    """
    if isinstance(data, pd.DataFrame):
        arr = data.to_numpy()
        if arr.dtype.kind not in "fiub":
            arr = arr.astype(object)
    elif isinstance(data, np.ndarray):
        arr = data
    else:
        try:
            arr = np.array(data, dtype=object)
        except ValueError as exc:  # ragged rows
            raise AgreementError(
                "the ratings are not a rectangular units x coders table (rows have "
                "different lengths); pad the short rows with None for missing ratings"
            ) from exc
        if arr.ndim == 2 and arr.size and all(
            isinstance(v, Real) and not isinstance(v, bool) for v in arr.flat if v is not None
        ):
            arr = np.array(np.where(pd.isna(arr), np.nan, arr), dtype=float)
    if arr.ndim != 2:
        raise AgreementError(
            f"expected a 2-D units x coders table of ratings, got {arr.ndim}-D data of "
            f"shape {arr.shape}; stack one column per coder, e.g. "
            "np.column_stack([coder_a, coder_b])"
        )
    if arr.dtype.kind in "US":
        arr = arr.astype(object)
        arr[(arr == "nan") | (arr == "")] = None
    elif arr.dtype.kind not in "fiubO":
        arr = arr.astype(object)
    return arr


def _missing(flat: np.ndarray) -> np.ndarray:
    if flat.dtype.kind == "f":
        return np.isnan(flat)
    if flat.dtype.kind in "iub":
        return np.zeros(flat.shape, dtype=bool)
    miss = np.asarray(pd.isna(flat), dtype=bool)
    rest = ~miss
    miss[rest] = np.asarray(flat[rest] == "", dtype=bool)
    return miss


def _sort_key(value: Any) -> tuple[int, float | str, str]:
    if isinstance(value, Real) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, type(value).__name__, str(value))


@dataclass(frozen=True, slots=True)
class Ratings:
    """Integer-coded ratings: ``codes[u, j]`` is the category index coder ``j``
    gave unit ``u`` (-1 when missing); ``categories`` lists the labels."""

    codes: np.ndarray
    categories: np.ndarray

    @property
    def n_units(self) -> int:
        return self.codes.shape[0]

    @property
    def n_coders(self) -> int:
        return self.codes.shape[1]

    @property
    def n_categories(self) -> int:
        return len(self.categories)

    def fits_dense(self) -> bool:
        """Whether :meth:`counts` may build a dense count matrix."""
        return self.n_units * (self.n_categories + 1) <= DENSE_CELLS

    def counts(self) -> np.ndarray:
        """Dense units x categories matrix: how many coders gave unit u category k."""
        n, k = self.n_units, self.n_categories
        if not self.fits_dense():
            raise AgreementError(
                f"{k} distinct categories over {n} units is too many for a units x categories "
                "count matrix; for numeric ratings use krippendorff_alpha(level='interval' or "
                "'ratio'), or bin the values"
            )
        shifted = np.where(self.codes < 0, k, self.codes)  # missing -> extra column
        keys = (np.arange(n, dtype=np.int64)[:, None] * (k + 1) + shifted).ravel()
        full = np.bincount(keys, minlength=n * (k + 1)).reshape(n, k + 1)
        return full[:, :k]

    def sparse_counts(self):
        """The same count matrix as a ``scipy.sparse.csr_matrix``."""
        from scipy import sparse

        rows, cols = np.nonzero(self.codes >= 0)
        data = np.ones(rows.size, dtype=np.int64)
        return sparse.csr_matrix(
            (data, (rows, self.codes[rows, cols])), shape=(self.n_units, self.n_categories)
        )

    def numeric_categories(self) -> np.ndarray | None:
        """Category labels as floats when they are all real numbers, else None."""
        cats = self.categories
        if cats.dtype.kind in "fiu":
            return cats.astype(float)
        if cats.size and all(isinstance(c, Real) and not isinstance(c, bool) for c in cats):
            return cats.astype(float)
        return None


def encode(data: Any, categories: Any = None) -> Ratings:
    """Convert a units x coders table of labels into :class:`Ratings`.

    Categories are ``categories`` in the order given, else the labels seen in
    the data, sorted (numbers before strings when they are mixed).
    """
    arr = as_matrix(data)
    flat = arr.ravel()
    if categories is None:
        if flat.dtype.kind == "O":
            flat = np.where(_missing(flat), np.array(None, dtype=object), flat)
        codes, uniques = pd.factorize(flat, use_na_sentinel=True)
        uniques = np.asarray(uniques)
        try:
            order = np.argsort(uniques, kind="stable")
        except TypeError:
            order = np.array(sorted(range(len(uniques)), key=lambda i: _sort_key(uniques[i])), dtype=np.intp)
        rank = np.empty(len(order) + 1, dtype=np.intp)
        rank[order] = np.arange(len(order))
        rank[-1] = -1  # code -1 (missing) indexes the last slot
        codes = rank[codes]
        cats = uniques[order]
    else:
        cats = _category_array(categories)
        index = pd.Index(cats)
        if not index.is_unique:
            dup = index[index.duplicated()].unique().tolist()
            raise AgreementError(f"categories must be unique; repeated: {dup[:5]}")
        missing = _missing(flat)
        codes = np.full(flat.shape, -1, dtype=np.intp)
        present = ~missing
        codes[present] = index.get_indexer(flat[present])
        unknown = present & (codes < 0)
        if unknown.any():
            bad = pd.unique(flat[unknown])[:5].tolist()
            raise AgreementError(
                f"ratings {bad} are not among the categories {list(cats)[:20]}; add them "
                "to categories= or leave categories=None to use the labels seen in the data"
            )
    return Ratings(codes.reshape(arr.shape).astype(np.intp, copy=False), cats)


def _category_array(categories: Any) -> np.ndarray:
    cats = list(categories)
    if any(c is None or (isinstance(c, float) and math.isnan(c)) for c in cats):
        raise AgreementError("categories cannot contain None or NaN (they mark missing ratings)")
    arr = np.empty(len(cats), dtype=object)
    arr[:] = cats
    if all(isinstance(c, Real) and not isinstance(c, bool) for c in cats):
        return np.asarray(cats)
    return arr


def check_coders(ratings: Ratings, metric: str, exactly: int | None = None) -> None:
    if exactly is not None and ratings.n_coders != exactly:
        raise AgreementError(
            f"{metric} compares exactly {exactly} coders, got a table with "
            f"{ratings.n_coders} coder columns; select two columns, or use fleiss_kappa, "
            "conger_kappa, krippendorff_alpha or gwet_ac1 for more coders"
        )

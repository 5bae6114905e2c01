"""Agreement weights for the weighted coefficients (Gwet 2014, ch. 3).

Weights are *agreement* weights: ``w[k, l]`` is the credit given when one
coder says category ``k`` and another says ``l``; 1 on the diagonal, in
[0, 1] elsewhere. Named weights are computed from the category values when
all categories are numbers, else from their positions 1..q.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qdakit.agreement._base import AgreementError, Ratings

__all__ = ["WEIGHTS", "weight_matrix"]

WEIGHTS = ("identity", "linear", "quadratic", "ordinal", "radical", "ratio", "circular", "bipolar")


def _scaled_disagreement(d: np.ndarray) -> np.ndarray:
    top = d.max() if d.size else 0.0
    return 1.0 - d / top if top > 0 else np.ones_like(d)


def weight_matrix(weights: Any, ratings: Ratings) -> tuple[np.ndarray, str]:
    """Return the q x q agreement-weight matrix and a short name for it."""
    q = ratings.n_categories
    if weights is None or (isinstance(weights, str) and weights == "identity"):
        return np.eye(q), "identity"
    if isinstance(weights, str):
        if weights not in WEIGHTS:
            raise AgreementError(
                f"unknown weights {weights!r}; use one of {', '.join(WEIGHTS)}, None, "
                "or a q x q matrix of agreement weights"
            )
        values = ratings.numeric_categories()
        x = np.arange(1.0, q + 1) if values is None else values
        return _named(weights, x), weights
    w = np.asarray(weights, dtype=float)
    if w.shape != (q, q):
        raise AgreementError(
            f"a weights matrix must be q x q for the q={q} categories "
            f"{list(ratings.categories)[:10]}, got shape {w.shape}; pass categories= to fix "
            "the category set and its order"
        )
    if not np.all(np.isfinite(w)) or w.min() < 0 or w.max() > 1 or not np.allclose(np.diag(w), 1):
        raise AgreementError(
            "a weights matrix holds agreement weights: 1 on the diagonal and values in "
            "[0, 1]; to convert a disagreement matrix D use 1 - D / D.max()"
        )
    return w, "custom"


def _named(name: str, x: np.ndarray) -> np.ndarray:
    q = len(x)
    if q < 2:
        return np.eye(q)
    diff = x[:, None] - x[None, :]
    span = x.max() - x.min()
    if name == "linear":
        return 1.0 - np.abs(diff) / span
    if name == "quadratic":
        return 1.0 - diff**2 / span**2
    if name == "radical":
        return 1.0 - np.sqrt(np.abs(diff)) / np.sqrt(span)
    if name == "ordinal":
        pos = np.arange(q)
        nkl = np.abs(pos[:, None] - pos[None, :]) + 1
        return _scaled_disagreement(nkl * (nkl - 1) / 2.0)
    if name == "ratio":
        if x.min() < 0:
            raise AgreementError("ratio weights need non-negative category values")
        total = x[:, None] + x[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.where(total > 0, (diff / total) ** 2, 0.0)
            top = (span / (x.max() + x.min())) ** 2
        return 1.0 - d / top
    if name == "circular":
        return _scaled_disagreement(np.sin(np.pi * diff / (span + 1)) ** 2)
    # bipolar
    lo, hi = x.min(), x.max()
    total = x[:, None] + x[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        d = diff**2 / ((total - 2 * lo) * (2 * hi - total))
    d = np.where(np.eye(q, dtype=bool) | ~np.isfinite(d), 0.0, d)
    return _scaled_disagreement(d)

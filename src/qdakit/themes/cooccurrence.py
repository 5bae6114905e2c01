"""How codes co-occur on the same segments: Ochiai overlap (near-duplicates) and NPMI (lift over chance).

Two codes applied to the same passages may be parts of one theme, or they may be
codes of different themes that a coding style puts side by side (a causal chain, an
answer that evaluates, identifies and recalls in one breath). Raw overlap cannot tell
these apart, and a code applied almost everywhere overlaps with everything. So the
theme similarity uses **normalised pointwise mutual information** (Bouma 2009),

.. math:: \\mathrm{npmi}(a, b) = \\frac{\\log \\frac{p(a,b)}{p(a)\\,p(b)}}{-\\log p(a,b)}

clipped at 0: only co-occurrence *above chance* counts (lift > 1), a code that
co-occurs with everything at its base rate gets 0 with all of them (the down-weight
of hub codes is built in), and a pair must share at least ``min_count`` segments, so
one shared answer is not evidence. The Ochiai coefficient
:math:`|A\\cap B|/\\sqrt{|A||B|}` stays for merge proposals, where "applied to the
same segments" is the point.

References
----------
G. Bouma, "Normalized (pointwise) mutual information in collocation extraction",
Proceedings of GSCL, 2009.
"""

from __future__ import annotations

import numpy as np

__all__ = ["npmi", "ochiai"]


def ochiai(M: np.ndarray) -> np.ndarray:
    """Overlap of the rows of a 0/1 incidence matrix ``(codes, segments)``: |A & B| / sqrt(|A| |B|).

    >>> ochiai(np.array([[1, 1, 0], [1, 0, 0]])).round(3).tolist()
    [[1.0, 0.707], [0.707, 1.0]]
    """
    C = np.asarray(M, dtype=np.float64) @ np.asarray(M, dtype=np.float64).T
    d = np.sqrt(np.diag(C))
    scale = np.outer(d, d)
    return C / np.where(scale > 0, scale, 1.0)


def npmi(M: np.ndarray, *, min_count: int = 2) -> np.ndarray:
    """Positive normalised PMI of the rows of a 0/1 incidence matrix ``(codes, segments)``.

    Returns a symmetric ``(codes, codes)`` matrix in [0, 1] with a zero diagonal:
    0 where two codes co-occur at or below chance or on fewer than ``min_count``
    segments, 1 where they always occur together.

    >>> M = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1]])
    >>> npmi(M).round(2).tolist()   # the third code is everywhere: no lift with anyone
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    X = np.asarray(M, dtype=np.float64)
    n = X.shape[1]
    out = np.zeros((len(X), len(X)))
    if n == 0 or len(X) == 0:
        return out
    C = X @ X.T
    p = np.diag(C) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        pab = C / n
        value = np.log(pab / np.outer(p, p)) / -np.log(pab)
    value = np.where(pab >= 1.0, 1.0, value)  # both on every segment: perfectly associated
    ok = (C >= min_count) & np.isfinite(value)
    out = np.clip(np.where(ok, value, 0.0), 0.0, 1.0)
    np.fill_diagonal(out, 0.0)
    return out

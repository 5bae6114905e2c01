"""Active learning: which segments a human should code next (uncertain and diverse)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from qdakit.suggest.training import select_diverse

__all__ = ["rank_for_coding"]


def rank_for_coding(suggester: Any, segments: pd.DataFrame, n: int, *, context: pd.DataFrame | None = None,
                    diversity: float = 0.5) -> list[str]:
    """The ``n`` segments a human should code next: uncertain and diverse.

    Uncertainty: how close a segment's score for any code is to that code's
    threshold (0.5 where a code has none). Among the ``max(5n, 50)`` most
    uncertain uncoded segments, picks greedily the one maximising
    ``(1 - diversity) * uncertainty + diversity * distance`` to everything
    already picked or human-coded (cosine distance of embeddings).
    Segments already coded, or marked read with no code applying (at fit time), are excluded.
    """
    suggester._check_fitted()
    if n <= 0:
        return []
    prep = suggester._prepare(segments, context)
    done = suggester.coded_ids_ | getattr(suggester, "reviewed_ids_", frozenset())  # a human read these
    keep = [k for k, sid in enumerate(prep.ids) if sid not in done]
    if not keep:
        return []
    prep = prep.subset(keep)
    parts = suggester._score(prep)
    P, E = parts["scores"], parts["E"]
    thr = suggester.thresholds_.reindex(list(suggester.codes_)).to_numpy()
    thr = np.where(np.isfinite(thr), thr, 0.5)
    scorable = [j for j, c in enumerate(suggester.codes_) if c in suggester.models_ or c in suggester.prototypes_.codes]
    if scorable:
        t = thr[scorable]
        dist = np.abs(P[:, scorable] - t) / np.maximum(t, 1 - t)
        u = 1 - dist.min(axis=1)
    else:
        u = np.ones(len(prep))
    known = suggester.examples_.E if len(suggester.examples_.ids) else None
    picked = select_diverse(u, E, known, n, diversity)
    return [prep.ids[k] for k in picked]

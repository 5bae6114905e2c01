"""Explaining a fitted suggester's scores for one segment: per code, the score, threshold, the
supervised and zero-shot parts, the definition and the nearest human-coded examples."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from qdakit.suggest.features import Prepared

__all__ = ["explain"]


def explain(suggester: Any, segment: str, *, segments: pd.DataFrame | None = None,
            context: pd.DataFrame | None = None) -> dict[str, Any]:
    """Why each code scores what it does for one segment (by id) or a free text.

    ``segment`` is looked up as an id in ``segments`` (if given) or in the
    segments seen by ``fit``; otherwise it is taken as a text (no context).
    Returns a dict: segment_id, text, context, model, suggested (codes
    above threshold, best first) and codes: {code: {mode, score,
    threshold, supervised, zero_shot, similarity, weight, definition,
    nearest_examples}}.
    """
    suggester._check_fitted()
    prep: Prepared | None = None
    if segments is not None and segment in set(segments["id"].astype(str)):
        prep = suggester._prepare(segments[segments["id"].astype(str) == segment], context if context is not None
                             else segments)
    elif segment in set(suggester.fit_segments_.ids):
        prep = suggester.fit_segments_.subset([suggester.fit_segments_.ids.index(segment)])
    if prep is not None and not len(prep):
        raise ValueError(f"segment {segment!r} is empty; there is nothing to explain")
    sid = segment if prep is not None else None
    if prep is None:
        if not isinstance(segment, str) or not segment.strip():
            raise ValueError("explain() needs a segment id or a non-empty text")
        nb, na = suggester._check_params()
        prep = Prepared([segment], [segment.strip()], np.array(["<text>"], dtype=object), np.zeros(1),
                        [[None]] * nb, [[None]] * na, False)
    parts = suggester._score(prep)
    e = parts["E"][0]
    codes: dict[str, Any] = {}
    for j, code in enumerate(suggester.codes_):
        m = suggester.models_.get(code)
        codes[code] = {
            "mode": suggester.code_report_.loc[code, "mode"],
            "score": float(parts["scores"][0, j]),
            "threshold": float(suggester.thresholds_[code]),
            "supervised": None if np.isnan(parts["supervised"][0, j]) else float(parts["supervised"][0, j]),
            "zero_shot": None if np.isnan(parts["zero_shot"][0, j]) else float(parts["zero_shot"][0, j]),
            "similarity": None if np.isnan(parts["similarity"][0, j]) else float(parts["similarity"][0, j]),
            "weight": m.weight if m else 0.0,
            "definition": suggester._definition(code),
            "nearest_examples": [{"segment_id": i, "text": t, "similarity": s}
                                 for i, t, s in suggester._nearest(code, e, sid, 3)],
        }
    order = sorted(suggester.codes_, key=lambda c: -codes[c]["score"])
    return {"segment_id": sid, "text": prep.texts[0],
            "context": {"before": [b[0] for b in prep.before], "after": [a[0] for a in prep.after]},
            "model": suggester.model_id_,
            "suggested": [c for c in order if codes[c]["score"] >= codes[c]["threshold"]
                          and (sid, c) not in suggester.known_pairs_],
            "codes": codes}

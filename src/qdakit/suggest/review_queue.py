"""The review queue of a project: what a human should code next, why, and how far the machine is.

:func:`review_order` is what ``qdakit next`` prints and what the browser workbench's
queue shows: the segments in the order of a strategy of :mod:`qdakit.suggest.active`
(default :data:`~qdakit.suggest.active.DEFAULT_STRATEGY`, the one measured best by
``benchmarks/what_next.py``), each with its reason, plus what the machine still needs
(codes below their minimum examples) and how far it is from the coders: each code's
cross-validated kappa against the human codings (the fitted suggester's
``code_report_``), so a coder knows when to stop hand-coding and start reviewing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from qdakit.project import Project
from qdakit.suggest.active import DEFAULT_STRATEGY, next_segments
from qdakit.suggest.precode import fit_suggester
from qdakit.suggest.training import project_frames

__all__ = ["READY_KAPPA", "ReviewOrder", "review_order"]

#: cross-validated kappa from which a code's suggestions are worth reviewing instead of coding by hand
#: (Landis & Koch's "substantial" agreement begins at 0.6)
READY_KAPPA = 0.6


@dataclass(frozen=True)
class ReviewOrder:
    """What to code next and why.

    Attributes
    ----------
    strategy : the strategy of :mod:`qdakit.suggest.active` that ordered the segments
    segments : the segments to code, in order: rows of :meth:`Project.segments` plus ``why``
    needs : sentences on what the machine still needs (codes below their minimum examples ...)
    agreement : per code (index ``code``): ``mode``, ``positives``, ``cv_kappa`` (cross-validated
        kappa against the human codings; NaN where the code is not learned yet) and ``ready``
        (``cv_kappa >= READY_KAPPA``)
    """

    strategy: str
    segments: pd.DataFrame
    needs: tuple[str, ...]
    agreement: pd.DataFrame

    @property
    def ready(self) -> tuple[int, int]:
        """(codes whose suggestions are worth reviewing, codes in the codebook)."""
        return int(self.agreement["ready"].sum()), len(self.agreement)


def _needs(suggester: Any) -> tuple[str, ...]:
    rep = suggester.code_report_
    m = int(suggester.min_examples)
    out = []
    few = rep.index[rep["positives"] < m].tolist()
    if few:
        shown = ", ".join(few[:5]) + (f" and {len(few) - 5} more" if len(few) > 5 else "")
        out.append(f"{len(few)} code{'s have' if len(few) != 1 else ' has'} fewer than {m} examples: {shown}")
    weak = rep.index[(rep["cv_kappa"] < READY_KAPPA) & rep["cv_kappa"].notna()].tolist()
    if weak:
        shown = ", ".join(weak[:5]) + (f" and {len(weak) - 5} more" if len(weak) > 5 else "")
        out.append(f"{len(weak)} learned code{'s' if len(weak) != 1 else ''} below kappa {READY_KAPPA} "
                   f"in cross-validation: {shown}")
    ready = int((rep["cv_kappa"] >= READY_KAPPA).sum())
    out.append(f"{ready} of {len(rep)} codes agree with the coders at kappa >= {READY_KAPPA} in cross-validation"
               + ("; their suggestions are worth reviewing (qdakit precode, then qdakit review)" if ready else ""))
    return tuple(out)


def review_order(project: Project, n: int = 10, *, strategy: str | None = None, suggester: Any = None,
                 embedder: Any = None) -> ReviewOrder:
    """The ``n`` segments of ``project`` a human should code next, why, and how far the machine is.

    Parameters
    ----------
    project : Project
    n : how many segments
    strategy : one of :data:`qdakit.suggest.active.STRATEGIES` (default
        :data:`~qdakit.suggest.active.DEFAULT_STRATEGY`)
    suggester : a fitted :class:`~qdakit.suggest.CodeSuggester` (default: fit one on the project)
    embedder : embedder for that fit (default: the project's)

    Returns
    -------
    ReviewOrder

    Examples
    --------
    >>> order = review_order(project, 10)  # doctest: +SKIP
    >>> order.segments[["id", "why"]]  # doctest: +SKIP
    """
    if suggester is None:
        suggester = fit_suggester(project, embedder=embedder)
    data = project_frames(project)
    picks = next_segments(suggester, data.segments, n, strategy=strategy or DEFAULT_STRATEGY, context=data.context)
    rows = data.segments.set_index("id").loc[[p.segment_id for p in picks]].reset_index()
    rows["why"] = [p.why for p in picks]
    rep = suggester.code_report_
    agreement = rep[["mode", "positives", "cv_kappa"]].copy()
    agreement["ready"] = np.asarray(agreement["cv_kappa"].fillna(-1.0) >= READY_KAPPA)
    return ReviewOrder(strategy or DEFAULT_STRATEGY, rows, _needs(suggester), agreement)

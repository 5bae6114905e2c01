"""Active learning: which segments a human should code next, in which order, and why.

Four orders of the segments no human has read yet (:data:`STRATEGIES`), each a pure
function of a fitted :class:`~qdakit.suggest.CodeSuggester` and the segments:

* ``"in_order"``: transcript by transcript, segment by segment, continuing where the
  coding stopped (how coders work without a machine);
* ``"uncertain"``: :func:`rank_for_coding`, the segments whose score for some code is
  nearest that code's threshold, kept varied (far from each other and from what is coded);
* ``"transcript"``: a transcript in progress is finished in order; then the transcript
  whose unread segments have the highest mean priority (uncertain, or likely to hold a
  code with few examples) is coded next, in order;
* ``"rare"``: segments picked like ``"uncertain"``, but on a priority that adds, for
  every code, the chance that the segment holds it weighted by how few examples the
  code has (``1 / (1 + positives)``): codes below their minimum examples get their
  examples first.

Which one is the default (:data:`DEFAULT_STRATEGY`) was measured by
``benchmarks/what_next.py`` (simulated coders on AnnoMI, shuffle_music and proctoring,
chosen by leave-one-data-set-out; the figures are in the README): none beat coding in
order, so ``"in_order"`` is the default; the others are a choice (``qdakit next --strategy``).
A segment-level order (``"uncertain"``, ``"rare"``) skips segments inside a transcript: the
suggester's default negatives rule (``negatives="transcript"``) would count the skipped ones
before a coded segment as read, so mark what you read (``Project.mark_reviewed``) or fit with
``negatives="segment"``. Every pick comes
with a one-line reason (:class:`Pick`). Segments already coded, or marked read with no
code applying (at fit time), are never picked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from qdakit.suggest.training import select_diverse

__all__ = ["DEFAULT_STRATEGY", "STRATEGIES", "Pick", "next_segments", "rank_for_coding"]

STRATEGIES = ("in_order", "uncertain", "transcript", "rare")
#: ``benchmarks/what_next.py``: under leave-one-data-set-out no strategy beat coding in order (uncertain
#: picking was best on shuffle_music and worst-but-one on AnnoMI; on proctoring zero-shot is already at
#: the all-labels level); in order is also what the default negatives rule and the coder's context assume
DEFAULT_STRATEGY = "in_order"


@dataclass(frozen=True)
class Pick:
    """One segment to code next, its transcript and why it was picked."""

    segment_id: str
    transcript_id: str
    why: str


@dataclass(frozen=True)
class _Scored:
    """The unread segments with what every strategy needs: scores, uncertainty, need for examples."""

    prep: Any  # features.Prepared of the unread segments
    P: np.ndarray  # (n, k) scores
    thr: np.ndarray  # (k,) thresholds (0.5 where none)
    u: np.ndarray  # (n,) uncertainty in [0, 1]
    gain: np.ndarray  # (n,) expected new examples, weighted by how few each code has
    E: np.ndarray  # (n, d) embeddings
    positives: np.ndarray  # (k,) human-coded segments per code


def _read_rows(suggester: Any, prep: Any) -> np.ndarray:
    """Rows a human has read: coded, marked reviewed, or at or before the last of those in their transcript."""
    done = suggester.coded_ids_ | getattr(suggester, "reviewed_ids_", frozenset())
    is_done = np.array([sid in done for sid in prep.ids], dtype=bool)
    last: dict[Any, float] = {}
    for g, o in zip(prep.groups[is_done], prep.order[is_done], strict=True):
        last[g] = max(last.get(g, o), o)
    before = np.array([g in last and o <= last[g] for g, o in zip(prep.groups, prep.order, strict=True)],
                      dtype=bool)
    return is_done | before


def _score_unread(suggester: Any, segments: pd.DataFrame, context: pd.DataFrame | None,
                  *, skip_passed: bool) -> _Scored | None:
    suggester._check_fitted()
    prep = suggester._prepare(segments, context)
    done = suggester.coded_ids_ | getattr(suggester, "reviewed_ids_", frozenset())
    unread = _read_rows(suggester, prep) if skip_passed else np.array([s in done for s in prep.ids], dtype=bool)
    keep = np.flatnonzero(~unread)
    if not len(keep):
        return None
    prep = prep.subset(keep)
    parts = suggester._score(prep)
    P, E = parts["scores"], parts["E"]
    codes = list(suggester.codes_)
    thr = suggester.thresholds_.reindex(codes).to_numpy()
    thr = np.where(np.isfinite(thr), thr, 0.5)
    scorable = [j for j, c in enumerate(codes) if c in suggester.models_ or c in suggester.prototypes_.codes]
    if scorable:
        t = thr[scorable]
        dist = np.abs(P[:, scorable] - t) / np.maximum(t, 1 - t)
        u = 1 - dist.min(axis=1)
    else:
        u = np.ones(len(prep))
    rows_of = suggester.examples_.rows_of
    positives = np.array([len(rows_of.get(c, ())) for c in codes], dtype=float)
    gain = (P[:, scorable] / (1.0 + positives[scorable])).sum(axis=1) if scorable else np.zeros(len(prep))
    return _Scored(prep, P, thr, u, gain, E, positives)


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks scaled to [0, 1] (ties share the lower rank): mixes priorities on different scales."""
    if len(x) < 2:
        return np.ones(len(x))
    return np.argsort(np.argsort(x, kind="stable"), kind="stable") / (len(x) - 1)


def _near_threshold(s: _Scored, i: int, codes: tuple[str, ...]) -> str:
    dist = np.abs(s.P[i] - s.thr) / np.maximum(s.thr, 1 - s.thr)
    near = [codes[j] for j in np.argsort(dist, kind="stable")[:2]]
    return "near the threshold of " + " and ".join(near)


def _likely_rare(s: _Scored, i: int, codes: tuple[str, ...], min_examples: int) -> str:
    j = int(np.argmax(s.P[i] / (1.0 + s.positives)))
    n = int(s.positives[j])
    need = f", needs {min_examples}" if n < min_examples else ""
    return f"may hold {codes[j]} ({n} example{'s' if n != 1 else ''}{need})"


def _in_order(s: _Scored, rows: np.ndarray) -> list[int]:
    """``rows`` in transcript order (first appearance), then position in the transcript."""
    first: dict[Any, int] = {}
    for k, g in enumerate(s.prep.groups):
        first.setdefault(g, k)
    return sorted(rows.tolist(), key=lambda k: (first[s.prep.groups[k]], s.prep.order[k], k))


def next_segments(suggester: Any, segments: pd.DataFrame, n: int, *, strategy: str = DEFAULT_STRATEGY,
                  context: pd.DataFrame | None = None, diversity: float = 0.5) -> list[Pick]:
    """The ``n`` segments a human should code next under ``strategy``, best first, each with its reason.

    Parameters
    ----------
    suggester : a fitted :class:`~qdakit.suggest.CodeSuggester`
    segments : DataFrame with ``id``, ``text``, ``transcript_id`` and ``index`` (``Project.segments()``)
    n : how many segments
    strategy : one of :data:`STRATEGIES` (see the module docstring)
    context : where neighbouring turns are looked up (default ``segments``)
    diversity : for ``"uncertain"`` and ``"rare"``: weight of the distance to what is picked or coded

    Examples
    --------
    >>> import pandas as pd
    >>> from qdakit import Code, Codebook
    >>> from qdakit.embed import FakeEmbedder
    >>> from qdakit.suggest import CodeSuggester
    >>> segs = pd.DataFrame({"id": ["a", "b", "c"], "text": ["money", "we meet", "money again"],
    ...                      "transcript_id": ["t1", "t1", "t2"], "index": [0, 1, 0]})
    >>> s = CodeSuggester(FakeEmbedder()).fit(segs, Codebook([Code("funding", description="money")]))
    >>> [p.segment_id for p in next_segments(s, segs, 2, strategy="in_order")]
    ['a', 'b']
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy={strategy!r}; use one of {', '.join(map(repr, STRATEGIES))}")
    if n <= 0:
        suggester._check_fitted()
        return []
    s = _score_unread(suggester, segments, context, skip_passed=strategy in ("in_order", "transcript"))
    if s is None:
        return []
    codes, prep, m = tuple(suggester.codes_), s.prep, int(suggester.min_examples)
    known = suggester.examples_.E if len(suggester.examples_.ids) else None
    if strategy == "in_order":
        picked = _in_order(s, np.arange(len(prep)))[:n]
        return [Pick(prep.ids[k], str(prep.groups[k]), f"next in transcript {prep.groups[k]}") for k in picked]
    if strategy == "uncertain":
        picked = select_diverse(s.u, s.E, known, n, diversity)
        return [Pick(prep.ids[k], str(prep.groups[k]), _near_threshold(s, k, codes)) for k in picked]
    priority = 0.5 * _ranks(s.u) + 0.5 * _ranks(s.gain)
    if strategy == "rare":
        picked = select_diverse(priority, s.E, known, n, diversity)
        return [Pick(prep.ids[k], str(prep.groups[k]),
                     _likely_rare(s, k, codes, m) if s.gain[k] >= np.median(s.gain) else _near_threshold(s, k, codes))
                for k in picked]
    return _by_transcript(suggester, s, priority, n)


def _by_transcript(suggester: Any, s: _Scored, priority: np.ndarray, n: int) -> list[Pick]:
    """Finish the transcripts in progress in order, then the transcripts of highest mean priority, in order."""
    prep = s.prep
    started = set(prep.groups.tolist()) & _groups_of(suggester)
    frame = pd.DataFrame({"g": prep.groups, "p": priority})
    mean = frame.groupby("g", sort=False)["p"].mean()
    order = [g for g in mean.index if g in started] + [
        g for g in mean.sort_values(ascending=False, kind="stable").index if g not in started]
    out: list[Pick] = []
    for g in order:
        rows = _in_order(s, np.flatnonzero(prep.groups == g))
        why = (f"continues transcript {g}" if g in started else
               f"transcript {g}: the machine is least sure of it, or it may hold codes with few examples")
        out += [Pick(prep.ids[k], str(g), why) for k in rows[:n - len(out)]]
        if len(out) >= n:
            break
    return out


def _groups_of(suggester: Any) -> set[Any]:
    """Transcripts holding a human-read segment (among the fitted segments)."""
    fitted = suggester.fit_segments_
    done = suggester.coded_ids_ | getattr(suggester, "reviewed_ids_", frozenset())
    return {g for sid, g in zip(fitted.ids, fitted.groups, strict=True) if sid in done}


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
    return [p.segment_id for p in next_segments(suggester, segments, n, strategy="uncertain", context=context,
                                                 diversity=diversity)]

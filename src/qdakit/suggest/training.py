"""What the suggester learns from: positive and negative labels from human codings and rejections,
the fit hash that says when a fit can be reused, diverse selection for the active-learning queue,
the human-coded examples that explain a suggestion, and a project's training frames.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from qdakit.project import Project

__all__ = ["Examples", "TrainingData", "collect_labels", "fit_hash", "nearest_examples", "nearest_examples_many",
           "project_frames", "reasons", "select_diverse"]

from qdakit.suggest.features import Prepared


# --------------------------------------------------------------------------------------
# labels, fit hash, active learning
# --------------------------------------------------------------------------------------
def collect_labels(prep: Prepared, names: tuple[str, ...], codings: pd.DataFrame | None,
                   rejections: pd.DataFrame | None,
                   diagnostics: list[str]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Positive segment ids per code (human codings) and rejected ones (minus the positives).

    Rows naming codes outside ``names`` or segments outside ``prep`` are
    ignored and counted in ``diagnostics``.
    """
    known_ids = set(prep.ids)
    out = []
    for what, df in (("codings", codings), ("rejections", rejections)):
        sets: dict[str, set[str]] = {n: set() for n in names}
        if df is not None and len(df):
            if not {"segment_id", "code"} <= set(df.columns):
                raise ValueError(f"{what} need columns 'segment_id' and 'code'; got {list(df.columns)}")
            pairs = df[["segment_id", "code"]].astype(str).drop_duplicates()
            in_book = pairs["code"].isin(names)
            if (~in_book).any():
                diagnostics.append(
                    f"{int((~in_book).sum())} {what} name codes not in the codebook (ignored): "
                    f"{', '.join(sorted(pairs.loc[~in_book, 'code'].unique())[:10])}")
            known = pairs["segment_id"].isin(known_ids)
            if (in_book & ~known).any():
                diagnostics.append(f"{int((in_book & ~known).sum())} {what} are of segments not passed "
                                   "to fit (ignored)")
            for sid, code in pairs[in_book & known].itertuples(index=False):
                sets[code].add(sid)
        out.append(sets)
    pos, rej = out
    for n in names:
        rej[n] -= pos[n]  # a human coding outranks a rejected suggestion
    return pos, rej


def fit_hash(params: dict[str, Any], prep: Prepared, codebook: Any, pos: dict[str, set[str]],
             rej: dict[str, set[str]]) -> str:
    """12 hex digits identifying a fit: parameters, codebook, labels and the segments' texts."""
    def stable(v: Any) -> str:  # no memory addresses: a function is named by module and qualname
        if callable(v) and hasattr(v, "__qualname__"):
            return f"{getattr(v, '__module__', '')}.{v.__qualname__}"
        return repr(v)

    h = hashlib.sha256()
    h.update(json.dumps({k: stable(v) for k, v in params.items()}, sort_keys=True).encode())
    h.update(json.dumps([{k: v for k, v in r.items() if k not in ("guid", "colour")}
                         for r in codebook.to_records()], sort_keys=True).encode())
    h.update(json.dumps({c: sorted(v) for c, v in pos.items()}, sort_keys=True).encode())
    h.update(json.dumps({c: sorted(v) for c, v in rej.items()}, sort_keys=True).encode())
    for sid, t in zip(prep.ids, prep.texts, strict=True):
        h.update(f"{sid}\x00{t}\x01".encode())
    return h.hexdigest()[:12]


def select_diverse(u: np.ndarray, E: np.ndarray, E_known: np.ndarray | None, n: int,
                   diversity: float) -> list[int]:
    """Greedy max-min selection of ``n`` rows among the ``max(5n, 50)`` most uncertain.

    Each step picks the row maximising ``(1 - diversity) * u_scaled + diversity
    * d``, where ``u_scaled`` is the uncertainty rescaled to [0, 1] over the
    candidates and ``d`` the cosine distance (capped at 1) to the nearest row
    already picked or in ``E_known`` (the human-coded segments).
    """
    cand = np.argsort(-u, kind="stable")[:max(5 * n, 50)]
    uc = u[cand]
    un = (uc - uc.min()) / (uc.max() - uc.min()) if uc.max() > uc.min() else np.ones(len(cand))
    Ec = E[cand]
    mind = np.ones(len(cand))
    if E_known is not None and len(E_known):
        mind = np.clip(1 - (Ec @ E_known.T).max(axis=1), 0, 1)
    picked: list[int] = []
    avail = np.ones(len(cand), dtype=bool)
    for _ in range(min(n, len(cand))):
        obj = np.where(avail, (1 - diversity) * un + diversity * np.minimum(mind, 1.0), -np.inf)
        b = int(np.argmax(obj))
        picked.append(int(cand[b]))
        avail[b] = False
        mind = np.minimum(mind, np.clip(1 - Ec @ Ec[b], 0, 1))
    return picked


# --------------------------------------------------------------------------------------
# human-coded examples (reasons), project frames
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Examples:
    """Human-coded segments kept for reasons (nearest examples) and diversity."""

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    E: np.ndarray
    rows_of: dict[str, np.ndarray]  # code -> rows of E coded with it


def nearest_examples(ex: Examples, code: str, e: np.ndarray, exclude: str | None,
                     k: int) -> list[tuple[str, str, float]]:
    """The ``k`` human-coded segments of ``code`` nearest to the unit vector ``e``: (id, text, cosine)."""
    return nearest_examples_many(ex, code, np.asarray(e)[None, :], [exclude], k)[0]


def nearest_examples_many(ex: Examples, code: str, E: np.ndarray, exclude: Sequence[str | None],
                          k: int) -> list[list[tuple[str, str, float]]]:
    """:func:`nearest_examples` for each row of ``E`` at once (one matrix product per code).

    ``exclude[i]`` is a segment id never returned for row ``i`` (the segment itself).
    """
    rows = ex.rows_of.get(code, np.zeros(0, int))
    if not len(rows) or not len(E):
        return [[] for _ in range(len(E))]
    sims = np.asarray(E, dtype=np.float64) @ np.asarray(ex.E[rows], dtype=np.float64).T  # (n, rows)
    ids = np.asarray(ex.ids, dtype=object)[rows]
    n = len(E)
    take = min(k + 1, len(rows))  # one spare, in case the segment itself is among them
    top = (np.argpartition(-sims, take - 1, axis=1)[:, :take] if take < len(rows)
           else np.broadcast_to(np.arange(len(rows)), (n, len(rows))))
    top_sims = np.take_along_axis(sims, top, axis=1)
    order = np.lexsort((top, -top_sims), axis=1)  # best first; ties in row order, as a stable sort would
    top, top_sims = np.take_along_axis(top, order, axis=1), np.take_along_axis(top_sims, order, axis=1)
    keep = ids[top] != np.asarray(exclude, dtype=object)[:, None]
    keep &= np.cumsum(keep, axis=1) <= k  # the first k that are not the segment itself
    return [[(ex.ids[t], ex.texts[t], v) for t, v, m in zip(ts, vs, ms, strict=True) if m]
            for ts, vs, ms in zip(rows[top].tolist(), top_sims.tolist(), keep.tolist(), strict=True)]


class TrainingData(NamedTuple):
    """What :meth:`CodeSuggester.fit` needs from a project (see :func:`project_frames`)."""

    segments: pd.DataFrame  # the segments to code: participants' turns, not the researcher's
    context: pd.DataFrame  # every segment, for neighbouring turns
    codings: pd.DataFrame  # active human codings: segment_id, code, coder
    rejections: pd.DataFrame  # rejected suggestions: segment_id, code
    reviewed: pd.DataFrame | None = None  # segments marked reviewed: segment_id, coder


def project_frames(project: Project) -> TrainingData:
    """The frames to fit and apply a suggester on a project.

    Examples
    --------
    >>> data = project_frames(project)  # doctest: +SKIP
    >>> embedder = CachedEmbedder(SentenceTransformerEmbedder(),
    ...                           EmbeddingCache.for_project(project.path))  # doctest: +SKIP
    >>> s = CodeSuggester(embedder).fit(data.segments, project.codebook, data.codings,
    ...                                 data.rejections, context=data.context,
    ...                                 reviewed=data.reviewed)  # doctest: +SKIP
    >>> todo = data.segments[~data.segments["id"].isin(s.coded_ids_)]  # doctest: +SKIP
    >>> project.add_suggestions(s.suggest(todo, context=data.context))  # doctest: +SKIP
    """
    context = project.segments()
    segments = context[~context["is_researcher"].astype(bool)].reset_index(drop=True)
    codings = project.codings()[["segment_id", "code", "coder"]]
    sugg = project.suggestions(status="rejected")
    rejections = sugg[["segment_id", "code"]].reset_index(drop=True)
    reviewed = project.reviewed()[["segment_id", "coder"]]
    return TrainingData(segments, context, codings, rejections, reviewed)


def reasons(picked: Sequence[tuple[int, int]], E: np.ndarray, ids: Sequence[str], codes: Sequence[str],
            learned: set[str], examples: Examples, definition: Callable[[str], str],
            k: int) -> dict[tuple[int, int], str]:
    """The reason of each picked (row, code index): nearest examples found per code in one product.

    A code in ``learned`` is explained by the ``k`` human-coded segments nearest to the
    segment, any other by its definition (zero-shot).
    """
    out: dict[tuple[int, int], str] = {}
    by_code: dict[int, list[int]] = {}
    for i, j in picked:
        by_code.setdefault(j, []).append(i)
    for j, rows in by_code.items():
        code = codes[j]
        clipped_def = _clip(definition(code), 12)
        if code not in learned:
            text = f"zero-shot: similar to the definition of {code}" + (f": “{clipped_def}”" if clipped_def else "")
            out.update({(i, j): text for i in rows})
            continue
        tail = f" | {code}: {clipped_def}" if clipped_def else ""
        near = nearest_examples_many(examples, code, E[rows], [ids[i] for i in rows], k)
        clipped: dict[str, str] = {}  # the same few examples come back for many segments
        for i, found in zip(rows, near, strict=True):
            like = "; ".join(f"{x} “{clipped[x] if x in clipped else clipped.setdefault(x, _clip(t, 8))}” "
                             f"({s:.2f})" for x, t, s in found)
            out[(i, j)] = f"like human-coded {like}{tail}"
    return out


def _clip(text: str, words: int) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")

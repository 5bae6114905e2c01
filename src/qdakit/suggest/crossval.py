"""The machine as a coder: out-of-fold machine codings and learning curves.

To compare the machine with human coders on the segments the humans coded,
the machine must not have learned from those very codings. :func:`out_of_fold`
splits the transcripts that hold human codings into folds (grouped by
transcript); for each fold it fits a fresh :class:`CodeSuggester` on
everything outside the fold (segments, context, codings, rejections and
reviewed marks of the other transcripts only) and codes the fold's human-read
segments with it, at the thresholds that suggester chose for itself
(:meth:`CodeSuggester.suggest`, exactly what ``qdakit precode`` would
suggest), or with one code per segment (:meth:`CodeSuggester.predict`) for
codebooks whose codes exclude each other. A segment's machine coding therefore
never comes from a model that saw its transcript.

The result is a long DataFrame of machine codings (``code`` missing where the
machine read a segment and applied no code), ready for
:func:`qdakit.agreement.machine_verdict` and for storage as the machine
coder's codings (:meth:`qdakit.Project.set_machine_codings`), which serve
agreement only: they are neither suggestions nor human codings.

:func:`project_machine_codings` makes them for a project and stores them;
:func:`learning_codings` repeats the cross-validation with a growing share of
the training segments' human codings, to show per code where more coding
would help most.
"""

from __future__ import annotations

import hashlib
import inspect
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from qdakit.errors import CodingError
from qdakit.model import Codebook
from qdakit.project import Project
from qdakit.suggest.precode import default_embedder
from qdakit.suggest.suggester import CodeSuggester
from qdakit.suggest.training import project_frames

__all__ = ["MACHINE", "learning_codings", "out_of_fold", "project_machine_codings", "run_id"]

#: the coder name of the machine's cross-validated codings
MACHINE = "machine"
RULES = ("thresholds", "predict")


def _units(segments: pd.DataFrame, codings: pd.DataFrame, reviewed: pd.DataFrame | None) -> pd.Index:
    ids = set(codings["segment_id"].astype(str))
    if reviewed is not None and len(reviewed):
        ids |= set(reviewed["segment_id"].astype(str))
    seg_ids = segments["id"].astype(str)
    return pd.Index(seg_ids[seg_ids.isin(ids)].tolist())


def _folds(groups: pd.Series, units: pd.Index, n_splits: int) -> list[np.ndarray]:
    """Held-out groups of each fold: the groups holding units, split by GroupKFold."""
    unit_groups = groups.loc[units].astype(str).to_numpy()
    names = np.array(sorted(set(unit_groups)))
    if len(names) < 2:
        raise CodingError(
            f"cross-validation needs human codings in at least two transcripts (found "
            f"{', '.join(names) or 'none'}); code segments of a second transcript first")
    k = max(2, min(int(n_splits), len(names)))
    return [names[te] for _, te in GroupKFold(n_splits=k).split(names, groups=names)]


def out_of_fold(
    segments: pd.DataFrame,
    codebook: Codebook,
    codings: pd.DataFrame,
    *,
    rejections: pd.DataFrame | None = None,
    reviewed: pd.DataFrame | None = None,
    context: pd.DataFrame | None = None,
    make_suggester: Callable[[], Any] | None = None,
    n_splits: int = 5,
    rule: str = "thresholds",
    top_k: int = 3,
    label_filter: Callable[[pd.Index, int], pd.Index] | None = None,
) -> pd.DataFrame:
    """Out-of-fold machine codings of every segment a human coded or read.

    Parameters
    ----------
    segments : DataFrame
        Columns ``id``, ``text``, ``transcript_id`` (the folds' groups) and
        ``index``: every segment the suggester may learn from.
    codebook : Codebook
    codings : DataFrame
        Human codings (``segment_id``, ``code``, ``coder``).
    rejections, reviewed : DataFrame, optional
        Rejected suggestions (``segment_id``, ``code``) and segments read and
        left uncoded (``segment_id``); a reviewed segment is a unit too.
    context : DataFrame, optional
        All segments, for neighbouring turns (default ``segments``).
    make_suggester : callable, optional
        Returns a fresh, unfitted suggester (default ``CodeSuggester()``).
    n_splits : int, default 5
        Folds (at most one per transcript with human codings).
    rule : {"thresholds", "predict"}
        ``"thresholds"``: the codes each fold's suggester suggests at its own
        per-code thresholds, at most ``top_k`` per segment (what precode
        does); ``"predict"``: one code per segment (mutually exclusive codes).
    label_filter : callable, optional
        ``label_filter(training_units, fold)`` returns the training units
        whose human labels are kept (for learning curves); the others are
        withheld from the fit altogether.

    Returns
    -------
    DataFrame
        One row per machine coding, and one row with ``code`` missing per unit
        the machine read and left uncoded: ``segment_id``, ``transcript_id``,
        ``code``, ``score``, ``coder`` (``"machine"``), ``fold``, ``model``
        (the fold suggester's model id). ``attrs["folds"]`` holds a DataFrame
        of the folds: fold, held-out transcripts, units, training units, model,
        thresholds (a dict per fold).
    """
    if rule not in RULES:
        raise ValueError(f"rule={rule!r}; use 'thresholds' (precode's per-code thresholds) or 'predict'")
    if "transcript_id" not in segments.columns:
        raise ValueError("segments need a transcript_id column: the folds are grouped by transcript")
    if make_suggester is None:
        make_suggester = CodeSuggester
    ctx = segments if context is None else context
    seg = segments.assign(id=segments["id"].astype(str))
    groups = seg.set_index("id")["transcript_id"].astype(str)
    units = _units(seg, codings, reviewed)
    codings = codings[codings["segment_id"].astype(str).isin(set(seg["id"]))]
    rows: list[dict[str, Any]] = []
    folds: list[dict[str, Any]] = []
    for f, held in enumerate(_folds(groups, units, n_splits)):
        out = set(held)
        test_units = units[groups.loc[units].isin(out).to_numpy()]
        train_seg = seg[~seg["transcript_id"].astype(str).isin(out)]
        train_units = units[~groups.loc[units].isin(out).to_numpy()]
        if label_filter is not None:
            keep = set(label_filter(train_units, f))
            withheld = set(train_units) - keep
            train_seg = train_seg[~train_seg["id"].isin(withheld)]
            train_units = pd.Index([u for u in train_units if u in keep])
        train_ids = set(train_seg["id"])

        def only(frame: pd.DataFrame | None, ids: set[str] = train_ids) -> pd.DataFrame | None:
            return None if frame is None else frame[frame["segment_id"].astype(str).isin(ids)]

        train_ctx = ctx[~ctx["transcript_id"].astype(str).isin(out)]
        suggester = make_suggester()
        extra = {"reviewed": only(reviewed)} if reviewed is not None else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            suggester.fit(train_seg, codebook, only(codings), only(rejections), context=train_ctx, **extra)
        test = seg[seg["id"].isin(set(test_units))]
        coded: dict[str, list[tuple[str | None, float]]] = {u: [] for u in test["id"]}
        if rule == "thresholds":
            for s in suggester.suggest(test, top_k=top_k, context=ctx):
                coded[s.segment_id].append((s.code, float(s.score)))
        else:
            P = suggester.predict_proba(test, context=ctx)
            for sid, code in suggester.predict(test, context=ctx).items():
                if code is not None:
                    coded[str(sid)].append((code, float(P.loc[sid, code])))
        model = str(getattr(suggester, "model_id_", type(suggester).__name__))
        for sid, found in coded.items():
            tid = groups[sid]
            for code, score in found or [(None, float("nan"))]:
                rows.append({"segment_id": sid, "transcript_id": tid, "code": code, "score": score,
                             "coder": MACHINE, "fold": f, "model": model})
        thresholds = getattr(suggester, "thresholds_", pd.Series(dtype=float))
        folds.append({"fold": f, "held_out": ", ".join(sorted(out)), "units": len(test_units),
                      "training_units": len(train_units), "model": model,
                      "thresholds": {k: float(v) for k, v in thresholds.items()}})
    frame = pd.DataFrame(rows, columns=["segment_id", "transcript_id", "code", "score", "coder", "fold", "model"])
    frame.attrs["folds"] = pd.DataFrame(folds)
    frame.attrs["run"] = run_id(frame)
    return frame


def run_id(machine: pd.DataFrame) -> str:
    """``crossval:<12 hex>``: names a set of machine codings by the fold models that made them."""
    h = hashlib.sha256("\n".join(sorted(set(machine["model"].astype(str)))).encode()).hexdigest()[:12]
    return f"crossval:{h}"


def learning_codings(project: Project, *, fractions: Sequence[float] = (0.25, 0.5, 0.75, 1.0),
                     embedder: Any = None, random_state: int = 0,
                     **params: Any) -> Iterator[tuple[float, pd.DataFrame, pd.Series]]:
    """Out-of-fold machine codings learned from a growing share of the human codings (learning curves).

    For each fraction, :func:`out_of_fold` runs with only that share of each
    fold's training units (drawn at random, nested: a smaller share is part of
    a larger one) keeping their human labels. Yields ``(fraction, machine
    codings, codings learned per code)``, the last being the human codings of
    each code the folds learned from, divided by the number of folds.
    :func:`qdakit.analysis.machine.machine_learning_curve` turns them into
    agreement.
    """
    fr = sorted({float(f) for f in fractions})
    if not fr or fr[0] <= 0 or fr[-1] > 1:
        raise ValueError(f"fractions={fractions!r}; give shares in (0, 1], e.g. (0.25, 0.5, 1.0)")
    data = project_frames(project)
    make = _factory(project, embedder, params)
    for frac in fr:
        seen: dict[int, pd.Index] = {}

        def keep(train_units: pd.Index, fold: int, frac: float = frac,
                 seen: dict[int, pd.Index] = seen) -> pd.Index:
            order = np.random.default_rng(random_state + fold).permutation(len(train_units))
            kept = train_units[np.sort(order[:max(1, int(round(frac * len(train_units))))])]
            seen[fold] = kept
            return kept

        machine = out_of_fold(data.segments, project.codebook, data.codings, rejections=data.rejections,
                              reviewed=data.reviewed, context=data.context, make_suggester=make,
                              label_filter=keep)
        counts = [data.codings[data.codings["segment_id"].isin(set(k))].drop_duplicates(
            ["segment_id", "code", "coder"]).groupby("code").size() for k in seen.values()]
        per_code = (pd.concat(counts, axis=1).fillna(0).mean(axis=1) if counts else pd.Series(dtype=float))
        yield frac, machine, per_code.reindex(list(project.codebook.names), fill_value=0.0)


def _factory(project: Project, embedder: Any, params: dict[str, Any]) -> Callable[[], Any]:
    emb = embedder if embedder is not None else default_embedder(project)
    return lambda: CodeSuggester(emb, **params)


def results_key(project: Project, embedder: Any, **settings: Any) -> str:
    """Names what machine codings (or a table made from them) were computed from: the human labels
    (:meth:`Project.labels_version`), the embedding model's id and the settings (a suggester parameter at
    its default counts as not given, so precode's verdict and ``qdakit agree`` share one run); stored
    results under another key are stale."""
    model = str(getattr(embedder, "model_id", type(embedder).__name__))
    defaults = {k: p.default for k, p in inspect.signature(CodeSuggester.__init__).parameters.items()}
    given = {k: v for k, v in settings.items() if not (k in defaults and defaults[k] == v)}  # a default = unsaid
    described = repr((model, sorted(given.items())))
    return f"{project.labels_version()}:{hashlib.sha256(described.encode()).hexdigest()[:8]}"


def project_machine_codings(project: Project, *, refresh: bool = False, embedder: Any = None,
                            n_splits: int = 5, rule: str = "thresholds", top_k: int = 3,
                            **params: Any) -> pd.DataFrame:
    """The machine coder's out-of-fold codings of a project: stored ones if current, else made and stored.

    Stored machine codings are current when they were made from the same
    human labels (codings, reviewed marks, rejections, codebook:
    :meth:`Project.labels_version`) with the same embedding model and
    settings (:func:`results_key`). They are stored
    for agreement only (:meth:`Project.set_machine_codings`), never as
    suggestions or human codings.

    Parameters
    ----------
    refresh : make them again even if current
    embedder : default: the bundled model with the project's embedding cache
    n_splits, rule, top_k : see :func:`out_of_fold`
    **params : passed to :class:`CodeSuggester` (e.g. ``target_precision``)

    Returns
    -------
    DataFrame
        :meth:`Project.machine_codings`: segment_id, transcript_id, code (None:
        read, no code), score, model, fold, run, labels, created.
    """
    emb = embedder if embedder is not None else default_embedder(project)
    labels = results_key(project, emb, n_splits=n_splits, rule=rule, top_k=top_k, **params)
    stored = project.machine_codings()
    if not refresh and len(stored) and (stored["labels"] == labels).all():
        return stored
    data = project_frames(project)
    frame = out_of_fold(data.segments, project.codebook, data.codings, rejections=data.rejections,
                        reviewed=data.reviewed, context=data.context,
                        make_suggester=_factory(project, emb, params), n_splits=n_splits, rule=rule,
                        top_k=top_k)
    project.set_machine_codings(frame, run=frame.attrs["run"], labels=labels)
    return project.machine_codings()

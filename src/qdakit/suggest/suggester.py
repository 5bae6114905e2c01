"""Code suggestions: zero-shot from the codebook, supervised from human codings, blended.

:class:`CodeSuggester` follows the scikit-learn contract (``__init__`` stores
its arguments, ``fit`` returns ``self``, learned state ends in ``_``, using it
unfitted raises :class:`~qdakit.errors.NotFittedError`). The machine only
proposes: :meth:`CodeSuggester.suggest` returns :class:`~qdakit.model.Suggestion`
objects, which become codings only when a named human accepts them.

How a code is scored
--------------------
* **zero-shot** (fewer than ``min_examples`` codings): the code's name +
  description, inclusion notes and example quotes (its name alone if it has
  nothing else: :class:`UnplaceableCodeWarning`) are embedded as prototypes; a
  segment's similarity is the cosine to their normalised mean, standardised per
  code over the fitted segments. One logistic calibration shared by all codes,
  fitted on the project's reviewed segments, turns it into a probability per
  code (not a softmax across codes: a segment can score high for several codes
  or for none); see :class:`~qdakit.suggest.zeroshot.ZeroShotCalibrator`.
* **supervised** (at least ``min_examples`` positive segments, from at least
  two transcripts): one binary classifier per code (multi-label, one-vs-rest)
  over the segment's embedding, its neighbouring turns (context) and, as the
  feature profile chosen by grouped CV says (:mod:`~qdakit.suggest.profiles`),
  TF-IDF words and shape features; scores are Platt-calibrated on out-of-fold
  predictions of a cross-validation grouped by transcript.
* **blended**: ``w * supervised + (1 - w) * zero_shot`` with ``w`` chosen on
  the same out-of-fold scores (average precision), so the definition matters
  while labels are few and fades as they accumulate.
* **threshold** per code: by default the cut on the out-of-fold scores that
  agrees best with the human coder (highest Cohen's kappa); with ``target_precision``, the
  lowest cut whose out-of-fold precision reaches it (few, sure suggestions; a
  code that cannot reach it is never suggested). Zero-shot codes share the
  calibration's F1-best cut over the reviewed segments (``zero_shot_threshold``
  overrides it). ``code_report_`` says per code how it is scored, its
  cross-validated precision, recall and kappa, and what it needs to be learned.
  A segment with no code above its threshold gets no suggestion (abstains).

Negatives: a segment is a negative for a code when nobody coded it with that
code and it counts as reviewed: with ``negatives="transcript"`` (default), it
lies in a transcript with human codings, no later than the last coded segment
of that transcript (coders work through a transcript in order; the rest is not
read yet); with ``negatives="segment"``, it has a coding of another code. A
rejected suggestion is always a negative for its code, and so is, for every code it
was not coded with, a segment a human marked reviewed (``fit(..., reviewed=...)``:
"I read it and no code applies"); ``negative_rule_`` says which rule a fit used.

Examples
--------
>>> import pandas as pd
>>> from qdakit import Code, Codebook
>>> from qdakit.embed import FakeEmbedder
>>> segs = pd.DataFrame({"id": ["a", "b"], "text": ["we meet every month", "money is short"]})
>>> cb = Codebook([Code("meetings", description="we meet, meetings, every month"),
...                Code("funding", description="money, funding is short")])
>>> s = CodeSuggester(FakeEmbedder(), zero_shot_threshold=0.05).fit(segs, cb)
>>> [(x.segment_id, x.code) for x in s.suggest(segs)]
[('a', 'meetings'), ('b', 'funding')]
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from tqdm import tqdm

from qdakit.embed.base import Embedder
from qdakit.embed.sentence import SentenceTransformerEmbedder
from qdakit.errors import NotFittedError
from qdakit.model import Codebook, Suggestion, utcnow
from qdakit.suggest.active import rank_for_coding
from qdakit.suggest.explain import explain
from qdakit.suggest.features import FeatureBuilder, Prepared, default_classifier, prepare
from qdakit.suggest.fitting import CodeFit, calibrated_many, fit_code
from qdakit.suggest.profiles import PROFILES, ProfileChoice, choose_profile
from qdakit.suggest.training import (
    Examples,
    TrainingData,
    collect_labels,
    fit_hash,
    nearest_examples,
    project_frames,
    reasons,
)
from qdakit.suggest.warnings import (
    EmptySegmentWarning,
    SingleTranscriptWarning,
    SuggesterWarning,
    TargetPrecisionWarning,
    UnplaceableCodeWarning,
)
from qdakit.suggest.zeroshot import Prototypes, ZeroShotCalibrator, build_prototypes, similarities, standardise

__all__ = [
    "CodeSuggester",
    "EmptySegmentWarning",
    "SingleTranscriptWarning",
    "SuggesterWarning",
    "TargetPrecisionWarning",
    "TrainingData",
    "UnplaceableCodeWarning",
    "default_classifier",
    "project_frames",
]


_REASON_EXAMPLES = 2


class CodeSuggester(BaseEstimator):
    """Suggest codes for segments from a codebook and the human codings so far.

    Parameters
    ----------
    embedder : Embedder, optional
        Default: :class:`~qdakit.embed.SentenceTransformerEmbedder` (the bundled
        all-MiniLM-L6-v2). Wrap it in :class:`~qdakit.embed.CachedEmbedder` to
        embed each text once across runs.
    target_precision : float or None, default None
        None: each code's threshold maximises its agreement (kappa) with the human
        codings out of fold. A share such as 0.8: thresholds are set so that,
        in cross-validation, at least this share of the suggestions above them
        are codings a human made (codes that cannot reach it are not suggested).
    min_examples : int, default 3
        Positive segments a code needs (from >= 2 transcripts) before it gets a
        supervised classifier; before that it is scored zero-shot.
    classifier : callable, optional
        Factory returning a fresh binary classifier (``fit``, ``predict_proba``
        or ``decision_function``); default :func:`default_classifier` (logistic
        regression), whose scores are Platt-calibrated on grouped out-of-fold
        predictions.
    context_window : (int, int), default (1, 0)
        Neighbouring turns (before, after) whose embeddings are features.
    lexical : bool, default True
        Add TF-IDF word uni/bigrams (with ``?`` and first/last-word markers).
    zero_shot : {"mean", "max"}, default "mean"
        Similarity to a code: to the normalised mean of its prototypes, or the
        best over them. On AnnoMI (definition + 3 examples per code) the mean
        agreed better with the coders (kappa 0.49 vs 0.43 for therapist
        behaviour, 0.22 vs 0.20 for client talk).
    zero_shot_min_similarity : float or None, default None
        If set, a code without a learned classifier is suggested only where the
        segment's cosine similarity to its prototype reaches this.
    zero_shot_threshold : float or None, default None
        Threshold on the calibrated zero-shot probability for codes without a
        supervised model; None: the calibration's F1-best cut (0.5 before any coding).
    negatives : {"transcript", "segment"}, default "transcript"
        Which uncoded segments count as negatives (see the module docstring).
    features : {"auto", "semantic", "plain", "conversation"}, default "auto"
        How the supervised features are weighed (:mod:`qdakit.suggest.profiles`):
        "auto" compares the profiles by grouped cross-validation on the
        project's codings and keeps the simplest that does about as well as the
        best (``profile_`` says which and why).
    cv : int, default 5
        Folds of the grouped cross-validation.
    random_state : int or None, default 0
        Shuffling of the grouped cross-validation folds (None: no shuffling).
    verbose : bool, default False
        Show progress bars (embedding, fitting the codes).

    Attributes
    ----------
    codes_ : tuple of str
        The codebook's code names, the columns of :meth:`predict_proba`.
    thresholds_ : pandas.Series
        Threshold per code (``inf``: never suggested).
    code_report_ : pandas.DataFrame
        Per code: mode (supervised / blended / zero-shot / none), positives,
        transcripts, weight, threshold, cv_precision, cv_recall, cv_kappa and a
        note saying why a code is not learned yet and how many codings it needs.
    diagnostics_ : list of str
        Everything the fit noticed about its input (also issued as warnings).
    model_id_ : str
        ``qdakit-suggest:<embedder id>:<fit hash>``, stored on every suggestion.
    coded_ids_ : frozenset of str
        Segments with a human coding at fit time.
    reviewed_ids_ : frozenset of str
        Segments marked reviewed (read by a human) at fit time.
    negative_rule_ : str
        Which segments served as negatives: the ``negatives`` rule, and how
        many segments marked reviewed were added to it.
    profile_ : ProfileChoice
        The feature profile used, with each candidate's out-of-fold score.
    code_prior_ : pandas.Series
        Share of the reviewed segments coded with each code (used by :meth:`predict`).

    Notes
    -----
    Codes of a hierarchical codebook are scored independently; a coding of a
    child does not count for its parent. Exclusion notes are not used.
    """

    def __init__(self, embedder: Embedder | None = None, *, target_precision: float | None = None,
                 min_examples: int = 3, classifier: Callable[[], Any] | None = None,
                 context_window: tuple[int, int] = (1, 0), lexical: bool = True,
                 zero_shot: str = "mean", zero_shot_threshold: float | None = None,
                 zero_shot_min_similarity: float | None = None,
                 negatives: str = "transcript", features: str = "auto", cv: int = 5,
                 random_state: int | None = 0, verbose: bool = False) -> None:
        self.embedder = embedder
        self.target_precision = target_precision
        self.min_examples = min_examples
        self.classifier = classifier
        self.context_window = context_window
        self.lexical = lexical
        self.zero_shot = zero_shot
        self.zero_shot_threshold = zero_shot_threshold
        self.zero_shot_min_similarity = zero_shot_min_similarity
        self.negatives = negatives
        self.features = features
        self.cv = cv
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ helpers
    def _check_params(self) -> tuple[int, int]:
        if self.target_precision is not None and not 0 < float(self.target_precision) <= 1:
            raise ValueError(f"target_precision={self.target_precision!r}; give a share in (0, 1], e.g. 0.8")
        if int(self.min_examples) < 2:
            raise ValueError(f"min_examples={self.min_examples!r}; a classifier needs at least 2 positives")
        if self.zero_shot not in ("max", "mean"):
            raise ValueError(f"zero_shot={self.zero_shot!r}; use 'max' or 'mean'")
        if self.negatives not in ("transcript", "segment"):
            raise ValueError(f"negatives={self.negatives!r}; use 'transcript' or 'segment'")
        if self.features != "auto" and self.features not in PROFILES:
            raise ValueError(f"features={self.features!r}; use 'auto', " + " or ".join(map(repr, PROFILES)))
        if int(self.cv) < 2:
            raise ValueError(f"cv={self.cv!r}; cross-validation needs at least 2 folds")
        cw = self.context_window
        if isinstance(cw, int):
            cw = (cw, 0)
        if len(cw) != 2 or min(cw) < 0:
            raise ValueError(f"context_window={self.context_window!r}; give (turns before, turns after)")
        return int(cw[0]), int(cw[1])

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        memo: dict[str, np.ndarray] = self.__dict__.setdefault("_memo", {})
        missing = list(dict.fromkeys(t for t in texts if t not in memo))
        if missing:
            V = self.embedder_.encode(missing, show_progress=bool(self.verbose))
            memo.update(zip(missing, V, strict=True))
        if not texts:
            return np.zeros((0, self.embedder_.dim), dtype=np.float32)
        return np.array([memo[t] for t in texts])  # C-level copy of equal rows; vstack is 2-3x slower

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_id_"):
            raise NotFittedError(
                "this CodeSuggester is not fitted yet; call fit(segments, codebook, codings) first")

    def _note(self, kind: type[Warning], message: str) -> None:
        self.diagnostics_.append(message)
        warnings.warn(message, kind, stacklevel=3)

    def _prepare(self, segments: pd.DataFrame, context: pd.DataFrame | None, *,
                 record: bool = False) -> Prepared:
        nb, na = self._check_params()
        prep, empty = prepare(segments, context, nb, na)
        if empty:
            shown = ", ".join(empty[:5]) + (" ..." if len(empty) > 5 else "")
            msg = f"{len(empty)} empty segment(s) skipped: {shown}"
            if record:
                self._note(EmptySegmentWarning, msg)
            else:
                warnings.warn(msg, EmptySegmentWarning, stacklevel=3)
        return prep

    def _features(self, prep: Prepared, train_rows: list[int], learnable: dict[str, Any],
                  factory: Callable[[], Any]) -> tuple[FeatureBuilder, Any, ProfileChoice]:
        """The chosen profile's feature builder and the training rows' features: ``features``, or for "auto" the one
        grouped CV picks (:mod:`qdakit.suggest.profiles`); with no code to learn, the simplest, the rest unbuilt."""
        nb, na = self._check_params()
        names = [self.features] if self.features != "auto" else list(PROFILES)[:None if learnable else 1]
        builders: dict[str, FeatureBuilder] = {}
        for n in names:  # the profiles with words share one TF-IDF vocabulary, fitted once
            words = next((b.tfidf_ for b in builders.values() if b.tfidf_ is not None), None)
            builders[n] = FeatureBuilder(self.lexical and PROFILES[n].lexical, nb, na, PROFILES[n].embedding_weight,
                                         PROFILES[n].shapes).fit(prep.texts, words)
        sub = prep.subset(train_rows)
        mats = {n: b.transform(sub, self._embed) for n, b in builders.items()} if train_rows else {}
        choice = (choose_profile(mats, learnable, factory, cv=int(self.cv), random_state=self.random_state,
                                 show_progress=bool(self.verbose)) if mats else ProfileChoice(names[0], {}, ()))
        if len(names) > 1 and choice.codes:
            self.diagnostics_.append(f"feature profile {choice.describe()}")
        return builders[choice.name], mats.get(choice.name), choice

    # ---------------------------------------------------------------------- fit
    def fit(self, segments: pd.DataFrame, codebook: Codebook, codings: pd.DataFrame | None = None,
            rejections: pd.DataFrame | None = None, *, context: pd.DataFrame | None = None,
            reviewed: pd.DataFrame | None = None) -> CodeSuggester:
        """Learn prototypes, per-code classifiers and thresholds.

        Parameters
        ----------
        segments : DataFrame
            Columns ``id``, ``text``; optionally ``transcript_id`` and
            ``index`` (for grouping and context). The segments to learn from
            and to calibrate zero-shot scores on (coded or not).
        codebook : Codebook
        codings : DataFrame, optional
            Human codings, columns ``segment_id``, ``code`` (other columns,
            e.g. ``coder``, are ignored; several coders may code one segment).
        rejections : DataFrame, optional
            Rejected suggestions, columns ``segment_id``, ``code``: negatives.
        context : DataFrame, optional
            Where neighbouring turns are looked up (same columns as
            ``segments``); default ``segments``. Pass all of a project's
            segments here when ``segments`` holds only the ones to code.
        reviewed : DataFrame, optional
            Segments a human read (column ``segment_id``), e.g. marked with
            :meth:`Project.mark_reviewed`: negatives for every code they were
            not coded with, whatever ``negatives`` says (see ``negative_rule_``).

        Returns
        -------
        self
        """
        for attr in ("model_id_",):
            self.__dict__.pop(attr, None)
        self.__dict__.pop("_memo", None)
        self._check_params()
        self.diagnostics_: list[str] = []
        self.embedder_ = self.embedder if self.embedder is not None else SentenceTransformerEmbedder()
        if not isinstance(codebook, Codebook):
            raise TypeError(f"codebook must be a qdakit.Codebook (e.g. Project.codebook()), "
                            f"not {type(codebook).__name__}")
        prep = self._prepare(segments, context, record=True)
        codes = list(codebook)
        names = tuple(c.name for c in codes)
        if not names:
            raise ValueError("the codebook has no codes; load a codebook before fitting the suggester")
        self.codes_ = names
        self.codebook_ = codebook

        # zero-shot prototypes, standardised on the fitted segments
        self.prototypes_: Prototypes = build_prototypes(codes, self._embed)
        E = self._embed(prep.texts)
        S = similarities(E, self.prototypes_, self.zero_shot)
        if len(prep) >= 20:
            self.zs_mu_, self.zs_sd_ = S.mean(axis=0), np.maximum(S.std(axis=0), 0.02)
        else:  # too few segments to standardise per code: one centre and scale for all codes
            mu, sd = (float(S.mean()), max(float(S.std()), 0.02)) if S.size else (0.0, 0.1)
            self.zs_mu_, self.zs_sd_ = np.full(S.shape[1], mu, np.float32), np.full(S.shape[1], sd, np.float32)
        Zstd = standardise(S, self.zs_mu_, self.zs_sd_)

        pos, rej = collect_labels(prep, names, codings, rejections, self.diagnostics_)
        self.coded_ids_ = frozenset(set().union(*pos.values()))
        self.known_pairs_ = {(i, c) for c in names for i in pos[c] | rej[c]}
        row_of = {sid: k for k, sid in enumerate(prep.ids)}
        read = set(() if reviewed is None else reviewed["segment_id"].astype(str))
        self.reviewed_ids_ = frozenset(read & set(row_of))
        if self.negatives == "transcript":  # reviewed: up to the last coded (or read) segment of each transcript
            last: dict[Any, float] = {}
            for i in self.coded_ids_ | self.reviewed_ids_:
                g, o = prep.groups[row_of[i]], prep.order[row_of[i]]
                last[g] = max(last.get(g, o), o)
            pool = {k for k in range(len(prep)) if prep.groups[k] in last and prep.order[k] <= last[prep.groups[k]]}
        else:
            pool = {row_of[i] for i in self.coded_ids_}
        pool |= {row_of[i] for i in self.reviewed_ids_}
        self.negative_rule_ = {"transcript": "transcript: uncoded segments up to the last coded one of each "
                               "transcript", "segment": "segment: segments coded with another code"}[self.negatives] \
            + (f"; and {len(self.reviewed_ids_)} segments marked reviewed" if self.reviewed_ids_ else "")
        train_rows = sorted(pool | {row_of[i] for c in names for i in rej[c]})
        self.zs_calibrator_ = ZeroShotCalibrator()
        if pool and self.prototypes_.codes:  # one calibration for all codes, on the reviewed segments
            rows = sorted(pool)
            Ylab = np.array([[prep.ids[r] in pos[c] for c in self.prototypes_.codes] for r in rows], dtype=int)
            self.zs_calibrator_.fit(Zstd[rows], S[rows], Ylab)
        Z = self.zs_calibrator_.predict(Zstd, S)
        zs_thr = (float(self.zero_shot_threshold) if self.zero_shot_threshold is not None
                  else self.zs_calibrator_.threshold)
        has_groups = "transcript_id" in segments.columns

        factory = self.classifier if self.classifier is not None else default_classifier
        train_pos = {r: k for k, r in enumerate(train_rows)}
        labels_of, learnable = {}, {}  # per code: its rows and labels; those that get a classifier
        for name in names:
            rows_c = sorted(pool | {row_of[i] for i in rej[name]})
            y = np.array([prep.ids[r] in pos[name] for r in rows_c], dtype=int)
            labels_of[name] = (rows_c, y)
            if (y.sum() >= self.min_examples and len(y) - y.sum() >= 2
                    and (not has_groups or len({prep.groups[row_of[i]] for i in pos[name]}) >= 2)):
                learnable[name] = ([train_pos[r] for r in rows_c], y,
                                   prep.groups[rows_c] if has_groups else np.arange(len(rows_c)))
        self.features_, X_train, self.profile_ = self._features(prep, train_rows, learnable, factory)
        self.models_: dict[str, CodeFit] = {}
        report, single, unreached = [], [], []
        for name in tqdm(names, desc="fitting codes", unit="code", disable=not self.verbose or len(names) < 2):
            rows_c, y = labels_of[name]
            n_pos = int(y.sum())
            pos_groups = {prep.groups[row_of[i]] for i in pos[name]}
            zs_j = self.prototypes_.codes.index(name) if name in self.prototypes_.codes else None
            note, mode = "", "zero-shot" if zs_j is not None else "none"
            if n_pos < self.min_examples:
                note = (f"{n_pos} coded segment(s); needs {self.min_examples} for a classifier"
                        if n_pos else "no human codings yet")
            elif has_groups and len(pos_groups) < 2:
                note = f"all {n_pos} codings come from one transcript ({next(iter(pos_groups))})"
                single.append(name)
            elif len(y) - n_pos < 2:
                note = "no negatives: every reviewed segment has this code"
            else:
                assert X_train is not None  # rows_c holds training rows
                Xc = X_train[learnable[name][0]]
                zs = Z[rows_c, zs_j] if zs_j is not None else None
                groups = learnable[name][2]
                fit = fit_code(Xc, y, groups, zs, factory, target=self.target_precision,
                               cv=int(self.cv), random_state=self.random_state)
                self.models_[name] = fit
                mode = "supervised" if fit.weight == 1.0 or zs_j is None else "blended"
                if not np.isfinite(fit.threshold):
                    unreached.append(f"{name} (best {fit.cv_precision:.2f})")
                    note = f"target precision not reached in CV (best {fit.cv_precision:.2f}); not suggested"
                elif fit.cv_kappa < 0.4:
                    note = (f"not learned yet: cross-validated kappa {fit.cv_kappa:.2f} from {n_pos} codings; "
                            f"code about {n_pos} more (twice as many) before relying on it")
            if name not in self.models_ and n_pos < self.min_examples:
                how = "from its name only" if self._name_only(name) else "zero-shot"
                note += f"; scored {how} until {self.min_examples - n_pos} more coding(s), in >= 2 transcripts"
            if mode == "none" and not note:
                note = "no definition or examples"
            thr = (self.models_[name].threshold if name in self.models_
                   else zs_thr if zs_j is not None else np.inf)
            m = self.models_.get(name)
            report.append({"code": name, "mode": mode, "positives": n_pos, "transcripts": len(pos_groups),
                           "weight": m.weight if m else (0.0 if zs_j is not None else np.nan),
                           "threshold": thr, "cv_precision": m.cv_precision if m else np.nan,
                           "cv_recall": m.cv_recall if m else np.nan,
                           "cv_kappa": m.cv_kappa if m else np.nan, "note": note})
        self.code_report_ = pd.DataFrame(report).set_index("code")
        n_pool = max(len(pool), 1)
        uniform = 1.0 / len(names)
        self.code_prior_ = pd.Series(
            {n: (len(pos[n]) / n_pool if n in self.models_ and pool else uniform) for n in names}, dtype=float)
        self.thresholds_ = self.code_report_["threshold"].astype(float)

        still = [n for n in names if self._name_only(n) and n not in self.models_]
        if still:
            self._note(UnplaceableCodeWarning,
                       f"{len(still)} code(s) have no description, inclusion notes or examples, so zero-shot "
                       f"places them by their name alone (weak) until they have {self.min_examples} human "
                       f"codings: {', '.join(still)}. Add a one-line description to each.")
        if single:
            self._note(SingleTranscriptWarning,
                       f"the human codings of {', '.join(single)} all come from one transcript; a "
                       "classifier trained on them would learn that transcript, not the code, so they "
                       "stay zero-shot. Code them in a second transcript.")
        if unreached:
            self._note(TargetPrecisionWarning,
                       f"no threshold reaches precision {self.target_precision} in cross-validation for "
                       f"{', '.join(unreached)}; these codes are not suggested. Code more segments or "
                       "lower target_precision.")

        ex_rows = [row_of[i] for i in sorted(self.coded_ids_)]
        ex_ids = tuple(prep.ids[r] for r in ex_rows)
        self.examples_ = Examples(ex_ids, tuple(prep.texts[r] for r in ex_rows), E[ex_rows] if ex_rows else
                                   np.zeros((0, E.shape[1]), np.float32),
                                   {c: np.array([k for k, i in enumerate(ex_ids) if i in pos[c]], dtype=int)
                                    for c in names})
        self.fit_segments_ = prep
        params = {k: v for k, v in self.get_params(deep=False).items() if k not in ("embedder", "verbose")}
        labels = {**rej, "\x00reviewed": set(self.reviewed_ids_)} if self.reviewed_ids_ else rej
        self.model_id_ = f"qdakit-suggest:{self.embedder_.model_id}:{fit_hash(params, prep, codebook, pos, labels)}"
        return self

    # ------------------------------------------------------------------ scoring
    def _score(self, prep: Prepared) -> dict[str, np.ndarray]:
        E = self._embed(prep.texts)
        S = similarities(E, self.prototypes_, self.zero_shot)
        Z = self.zs_calibrator_.predict(standardise(S, self.zs_mu_, self.zs_sd_), S)
        X = self.features_.transform(prep, self._embed) if self.models_ and len(prep) else None
        n, k = len(prep), len(self.codes_)
        scores = np.zeros((n, k))
        sup = np.full((n, k), np.nan)
        zs = np.full((n, k), np.nan)
        sim = np.full((n, k), np.nan)
        scored = [j for j, name in enumerate(self.codes_) if name in self.models_] if X is not None else []
        if scored:  # every code's classifier in one pass over X
            sup[:, scored] = calibrated_many([(self.models_[self.codes_[j]].classifier,
                                               self.models_[self.codes_[j]].calibrator) for j in scored], X)
        for j, name in enumerate(self.codes_):
            if name in self.prototypes_.codes:
                jj = self.prototypes_.codes.index(name)
                zs[:, j], sim[:, j] = Z[:, jj], S[:, jj]
            m = self.models_.get(name)
            if m is not None and X is not None:
                scores[:, j] = sup[:, j] if np.isnan(zs[:, j]).all() else (
                    m.weight * sup[:, j] + (1 - m.weight) * zs[:, j])
            elif not np.isnan(zs[:, j]).all():
                scores[:, j] = zs[:, j]
        return {"E": E, "scores": np.clip(scores, 0.0, 1.0), "supervised": sup, "zero_shot": zs,
                "similarity": sim}

    def predict_proba(self, segments: pd.DataFrame, *, context: pd.DataFrame | None = None) -> pd.DataFrame:
        """Scores in [0, 1]: one row per non-empty segment (index ``segment_id``), one column per code.

        Calibrated probabilities, per code (supervised, blended or zero-shot);
        empty segments are left out (:class:`EmptySegmentWarning`).
        """
        self._check_fitted()
        prep = self._prepare(segments, context)
        P = self._score(prep)["scores"] if len(prep) else np.zeros((0, len(self.codes_)))
        return pd.DataFrame(P, index=pd.Index(prep.ids, name="segment_id"), columns=list(self.codes_))

    def predict(self, segments: pd.DataFrame, *, context: pd.DataFrame | None = None,
                prior_power: float = 0.5) -> pd.Series:
        """One code per segment, for codebooks whose codes exclude each other.

        The code maximising ``score / prior ** prior_power``, where ``prior``
        is the share of the reviewed segments coded with it (``code_prior_``;
        uniform for codes without a classifier). ``prior_power=0`` picks the
        most probable code (best accuracy, but rare codes are under-predicted),
        ``1`` balances the codes, ``0.5`` sits between: in grouped
        cross-validation on AnnoMI's 126 training transcripts it agreed with
        the coders (Cohen's kappa) at least as well as 0 or 1 on both tasks
        (therapist 0.700 vs 0.697 and 0.692; client talk 0.340 vs 0.283 and
        0.289). Unlike
        :meth:`suggest`, this never abstains; ``None`` only where no code can
        be scored. Index: ``segment_id`` of the non-empty segments.
        """
        P = self.predict_proba(segments, context=context)
        prior = np.clip(self.code_prior_.reindex(P.columns).to_numpy(), 0.01, 1.0)
        adjusted = P.to_numpy() / prior ** float(prior_power)
        best = np.asarray(self.codes_, dtype=object)[adjusted.argmax(axis=1)] if len(P) else []
        out = pd.Series(best, index=P.index, dtype=object, name="code")
        out[(P.to_numpy() <= 0).all(axis=1)] = None
        return out

    def suggest(self, segments: pd.DataFrame, top_k: int = 3, *,
                context: pd.DataFrame | None = None) -> list[Suggestion]:
        """Suggestions for each segment: codes above their threshold, best first, at most ``top_k``.

        Pairs (segment, code) that a human already coded or rejected (as given
        to ``fit``) are not suggested again. A segment with no code above its
        threshold gets none (the suggester abstains).
        """
        self._check_fitted()
        if top_k < 1:
            raise ValueError(f"top_k={top_k}; ask for at least one suggestion per segment")
        return self._suggest_prepared(self._prepare(segments, context), top_k)

    def _suggest_prepared(self, prep: Prepared, top_k: int) -> list[Suggestion]:
        """:meth:`suggest` on segments already prepared (the batch pipeline prepares them once)."""
        if not len(prep):
            return []
        parts = self._score(prep)
        P, E = parts["scores"], parts["E"]
        thr = self.thresholds_.reindex(list(self.codes_)).to_numpy()
        # optional floor on the raw cosine for codes scored zero-shot (off by default: the
        # calibrated score already weighs the raw cosine)
        pure_zs = np.array([c not in self.models_ for c in self.codes_])
        floor = -1.0 if self.zero_shot_min_similarity is None else float(self.zero_shot_min_similarity)
        too_far = pure_zs[None, :] & ~(np.nan_to_num(parts["similarity"], nan=-1.0) >= floor)
        picked: list[tuple[int, int]] = []
        eligible = (P >= thr[None, :]) & ~too_far
        for i in np.flatnonzero(eligible.any(axis=1)):
            sid = prep.ids[i]
            above = [j for j in np.argsort(-P[i], kind="stable") if eligible[i, j]
                     and (sid, self.codes_[j]) not in self.known_pairs_]
            picked += [(int(i), int(j)) for j in above[:top_k]]
        reasons = self._reasons(picked, E, prep.ids)
        made = utcnow()  # one call, one time (reading the clock per suggestion cost more than storing them)
        return [Suggestion(prep.ids[i], self.codes_[j], float(P[i, j]), self.model_id_, reasons[i, j], created=made)
                for i, j in picked]

    # ------------------------------------------------------------------ reasons
    def _nearest(self, code: str, e: np.ndarray, exclude: str | None, k: int) -> list[tuple[str, str, float]]:
        return nearest_examples(self.examples_, code, e, exclude, k)

    def _name_only(self, code: str) -> bool:
        p = self.prototypes_
        return code in p.codes and bool(p.name_only) and p.name_only[p.codes.index(code)]

    def _definition(self, code: str) -> str:
        c = self.codebook_[code]
        return c.description or c.inclusion or (c.examples[0] if c.examples else "")

    def _reasons(self, picked: Sequence[tuple[int, int]], E: np.ndarray,
                 ids: Sequence[str]) -> dict[tuple[int, int], str]:
        """The reason of each picked (row, code index) (see :func:`~qdakit.suggest.training.reasons`)."""
        return reasons(picked, E, ids, self.codes_, set(self.models_), self.examples_, self._definition,
                       _REASON_EXAMPLES)

    def explain(self, segment: str, *, segments: pd.DataFrame | None = None,
                context: pd.DataFrame | None = None) -> dict[str, Any]:
        """Why each code scores what it does for one segment (by id) or a free text
        (see :func:`qdakit.suggest.explain.explain`)."""
        return explain(self, segment, segments=segments, context=context)

    # --------------------------------------------------------- active learning
    def rank_for_coding(self, segments: pd.DataFrame, n: int, *, context: pd.DataFrame | None = None,
                        diversity: float = 0.5) -> list[str]:
        """The ``n`` segments a human should code next: uncertain and diverse
        (see :func:`qdakit.suggest.active.rank_for_coding`)."""
        return rank_for_coding(self, segments, n, context=context, diversity=diversity)

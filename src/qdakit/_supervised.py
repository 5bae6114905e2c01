"""Supervised part of the suggester (private helpers of :mod:`qdakit.suggest`).

* :func:`prepare` turns a segments DataFrame into aligned ids, texts, groups
  (transcripts) and neighbouring turns (context);
* :class:`FeatureBuilder` makes one sparse row per segment: the segment's
  embedding, the embeddings of its neighbouring turns, their cosine with it,
  word overlap with the previous turn, cheap shape features (question mark,
  broken-off turn, length) and TF-IDF word uni- and bigrams that keep ``?`` and
  mark the first and last words;
* :func:`fit_code` fits one binary classifier per code with grouped (by
  transcript) cross-validation, giving honest out-of-fold scores on which the
  Platt calibration, the blend weight with zero-shot and the threshold for the
  target precision are chosen.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from operator import is_not
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.preprocessing import normalize

if TYPE_CHECKING:
    from .project import Project

__all__ = [
    "CodeFit",
    "Examples",
    "FeatureBuilder",
    "Prepared",
    "TrainingData",
    "choose_threshold",
    "collect_labels",
    "default_classifier",
    "fit_code",
    "fit_hash",
    "nearest_examples",
    "nearest_examples_many",
    "prepare",
    "project_frames",
    "select_diverse",
]


def default_classifier() -> LogisticRegression:
    """L2 logistic regression; its scores are Platt-calibrated on grouped out-of-fold predictions."""
    return LogisticRegression(C=1.0, max_iter=3000)


# --------------------------------------------------------------------------------------
# segments -> aligned arrays with context
# --------------------------------------------------------------------------------------
@dataclass
class Prepared:
    ids: list[str]
    texts: list[str]
    groups: np.ndarray
    order: np.ndarray  # position within the transcript (the ``index`` column, else the row number)
    before: list[list[str | None]]  # before[k][i]: the (k+1)-th previous turn of segment i
    after: list[list[str | None]]
    has_context: bool

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, rows: np.ndarray | list[int]) -> Prepared:
        r = list(rows)
        return Prepared([self.ids[i] for i in r], [self.texts[i] for i in r], self.groups[r], self.order[r],
                        [[b[i] for i in r] for b in self.before], [[a[i] for i in r] for a in self.after],
                        self.has_context)


def _is_empty(text: Any) -> bool:
    return not isinstance(text, str) or not text.strip()


def prepare(segments: pd.DataFrame, context: pd.DataFrame | None, n_before: int,
            n_after: int) -> tuple[Prepared, list[str]]:
    """Aligned texts and neighbouring turns of the non-empty rows of ``segments``.

    Neighbours come from ``context`` (default: ``segments``), ordered by
    ``transcript_id`` then ``index``; empty turns are skipped there too.
    Returns the prepared table and the ids of the empty segments that were left out.
    """
    for col in ("id", "text"):
        if col not in segments.columns:
            raise ValueError(f"segments need columns 'id' and 'text' (missing {col!r}); "
                             f"got {list(segments.columns)}. Pass Project.segments().")
    ids = segments["id"].astype(str).tolist()
    texts = segments["text"].tolist()
    empty = [i for i, t in zip(ids, texts, strict=True) if _is_empty(t)]
    keep = [k for k, t in enumerate(texts) if not _is_empty(t)]
    ids = [ids[k] for k in keep]
    texts = [str(texts[k]).strip() for k in keep]
    has_tid = "transcript_id" in segments.columns
    groups = (segments["transcript_id"].astype(str).to_numpy()[keep] if has_tid
              else np.asarray(ids, dtype=object))
    order = (pd.to_numeric(segments["index"], errors="coerce").fillna(-1).to_numpy()[keep]
             if "index" in segments.columns else np.asarray(keep, dtype=float))
    ctx = segments if context is None else context
    has_context = (n_before + n_after > 0 and {"transcript_id", "index", "id", "text"} <= set(ctx.columns))
    before: list[list[str | None]] = [[None] * len(ids) for _ in range(n_before)]
    after: list[list[str | None]] = [[None] * len(ids) for _ in range(n_after)]
    if has_context:
        c = ctx[["id", "transcript_id", "index", "text"]].copy()
        c = c[~c["text"].map(_is_empty)]
        c = c.sort_values(["transcript_id", "index"], kind="stable")
        c["id"] = c["id"].astype(str)
        c["text"] = c["text"].astype(str).str.strip()
        # rows are now in reading order, transcript by transcript: a neighbour is the row k steps
        # away if it belongs to the same transcript
        text_at = c["text"].tolist()
        tid_at = c["transcript_id"].tolist()
        row_of = dict(zip(c["id"].tolist(), range(len(c))))
        for i, sid in enumerate(ids):
            r = row_of.get(sid)
            if r is None:
                continue
            for k in range(n_before):
                if r - k - 1 >= 0 and tid_at[r - k - 1] == tid_at[r]:
                    before[k][i] = text_at[r - k - 1]
            for k in range(n_after):
                if r + k + 1 < len(text_at) and tid_at[r + k + 1] == tid_at[r]:
                    after[k][i] = text_at[r + k + 1]
    return Prepared(ids, texts, groups, order, before, after, has_context), empty


# --------------------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------------------
_TOKEN = r"(?u)\b\w+\b|[?!]"
_CONTENT_WORD = re.compile(r"[a-z']{3,}")  # words of three or more letters
_STOP = frozenset(
    "i you he she it we they a an the and or but so to of in on at for with is are was were be been am "
    "do does did that this there what how yeah um uh like just know mean okay right really well mm hmm "
    "not no yes your my me can will would could have has had about get got if as because them their our "
    "us his her its then than very".split())


def _mark(text: str) -> str:
    return f"xxbos {text} xxeos"


_SENTENCE_END = re.compile(r"[.!?]+")


def _shapes(texts: Sequence[str]) -> np.ndarray:
    """Question marks, leading/trailing dashes, length and sentence count of each text: ``(n, 7)``."""
    rows = []
    for text in texts:
        t = text.strip()
        q = t.count("?")
        rows.append((t.endswith("?"), q > 0, min(q, 3) / 3, t[:1] in "-\u2013\u2014", t[-1:] in "-\u2013\u2014\u2026",
                     len(t), min(len(_SENTENCE_END.findall(t)), 10) / 5))
    out = np.array(rows, dtype=np.float64).reshape(len(rows), 7)
    out[:, 5] = np.log1p(out[:, 5]) / 5
    return out.astype(np.float32)


def _content(text: str | None) -> set[str]:
    if not text:
        return set()
    return set(_CONTENT_WORD.findall(text.lower())) - _STOP


def _overlaps(texts: Sequence[str], others: Sequence[str | None]) -> np.ndarray:
    """Content words each text shares with its neighbour: ``(n, 3)`` (share of each side's words, any)."""
    rows = []
    for text, other in zip(texts, others, strict=True):
        a, b = _content(text), _content(other)
        n = len(a & b)
        rows.append((n / (len(a) + 1), n / (len(b) + 1), n > 0))
    return np.array(rows, dtype=np.float64).reshape(len(rows), 3).astype(np.float32)


_is_not_none = partial(is_not, None)


class _WordBigramTfidf(TfidfVectorizer):
    """``TfidfVectorizer`` whose word uni- and bigram analyzer is a single comprehension.

    Same tokens, in the same order, as scikit-learn's own analyzer for these
    settings (lowercase, ``token_pattern``, ``ngram_range=(1, 2)``, no stop
    words); any other setting falls back to it. Tokenising is a large part of
    scoring texts whose embeddings are cached (a batch re-run).
    """

    def _plain(self) -> bool:
        return (self.analyzer == "word" and self.ngram_range == (1, 2) and self.lowercase
                and self.stop_words is None and self.preprocessor is None and self.tokenizer is None
                and not self.strip_accents and self.input == "content")

    def build_analyzer(self) -> Callable[[str], list[str]]:
        if not self._plain():
            return super().build_analyzer()
        # the same tokens: scanning left to right, a run of word characters starts at a word
        # boundary anyway; without the two \b checks the scan is a quarter faster
        find = re.compile(r"\w+|[?!]" if self.token_pattern == _TOKEN else self.token_pattern).findall

        def analyze(doc: str) -> list[str]:
            tokens = find(doc.lower())
            return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]

        return analyze

    def transform(self, raw_documents: Sequence[str]) -> sparse.csr_matrix:
        """TF-IDF rows as scikit-learn computes them, counted without a dict per document.

        Counting each document's features in a dict of its own was the larger
        part of ``transform``; here the known features' columns are listed for
        all documents at once and duplicates summed by the sparse matrix. The
        weighting is scikit-learn's: ``1 + log(tf)`` when sublinear, times
        ``idf_``, then the row norm.
        """
        if not self._plain() or self.binary or not hasattr(self, "vocabulary_") or isinstance(raw_documents, str):
            return super().transform(raw_documents)
        column = self.vocabulary_.get
        analyze = self.build_analyzer()
        cols: list[int] = []
        ends = [0]
        for doc in raw_documents:
            cols.extend(filter(_is_not_none, map(column, analyze(doc))))
            ends.append(len(cols))
        X = sparse.csr_matrix((np.ones(len(cols), dtype=self.dtype), np.asarray(cols, dtype=np.int64),
                               np.asarray(ends, dtype=np.int64)), shape=(len(ends) - 1, len(self.vocabulary_)))
        X.sum_duplicates()
        if self.sublinear_tf:
            np.log(X.data, X.data)
            X.data += 1.0
        if self.use_idf:
            X.data *= self.idf_[X.indices]
        return normalize(X, norm=self.norm, copy=False) if self.norm is not None else X


@dataclass
class FeatureBuilder:
    """Sparse feature rows for segments; fit learns the TF-IDF vocabulary."""

    lexical: bool = True
    n_before: int = 1
    n_after: int = 0
    embedding_weight: float = 0.5
    tfidf_: Any = field(default=None, repr=False)

    def fit(self, texts: list[str]) -> FeatureBuilder:
        if self.lexical:
            self.tfidf_ = _WordBigramTfidf(ngram_range=(1, 2), sublinear_tf=True, token_pattern=_TOKEN,
                                          min_df=2 if len(texts) >= 200 else 1, max_features=200_000,
                                          dtype=np.float32)
            self.tfidf_.fit([_mark(t) for t in texts])
        return self

    def transform(self, prep: Prepared, embed: Callable[[list[str]], np.ndarray]) -> sparse.csr_matrix:
        E = embed(prep.texts)
        w = self.embedding_weight
        blocks: list[np.ndarray] = [w * E]
        dense_extra = [_shapes(prep.texts)]
        for neighbours in [*prep.before, *prep.after]:
            N = _embed_optional(neighbours, embed, E.shape[1])
            blocks.append(w * N)
            dense_extra.append((E * N).sum(axis=1, keepdims=True))
        if prep.before:
            dense_extra.append(_overlaps(prep.texts, prep.before[0]))
        dense = np.hstack(blocks + dense_extra).astype(np.float32)
        T = self.tfidf_.transform([_mark(t) for t in prep.texts]) if self.tfidf_ is not None else None
        return _beside(T, dense)


def _beside(T: sparse.csr_matrix | None, D: np.ndarray) -> sparse.csr_matrix:
    """``[T, D]`` as one CSR matrix, every entry of the dense block ``D`` stored (zeros too).

    The same matrix as ``sparse.hstack([T, D as CSR], format="csr")``, built in
    one pass: the hstack (and ``csr_matrix(D)``'s scan for zeros) cost more than
    scoring with it. Each row holds T's entries of that row, then D's.
    """
    n, d = D.shape
    if T is None:
        T = sparse.csr_matrix((n, 0), dtype=np.float32)
    if T.shape[0] != n:
        raise ValueError(f"{T.shape[0]} sparse rows beside {n} dense rows")
    lens = np.diff(T.indptr)
    indptr = T.indptr.astype(np.int64) + np.arange(n + 1, dtype=np.int64) * d
    index_type = np.int32 if max(int(indptr[-1]), T.shape[1] + d) < np.iinfo(np.int32).max else np.int64
    in_T = np.arange(T.nnz, dtype=np.int64) + np.repeat(np.arange(n, dtype=np.int64) * d, lens)
    in_D = np.ones(int(indptr[-1]), dtype=bool)
    in_D[in_T] = False
    data = np.empty(int(indptr[-1]), dtype=np.result_type(T.dtype, D.dtype))
    indices = np.empty(int(indptr[-1]), dtype=index_type)
    data[in_T], indices[in_T] = T.data, T.indices
    data[in_D] = D.ravel()
    indices[in_D] = np.tile(np.arange(T.shape[1], T.shape[1] + d, dtype=index_type), n)
    return sparse.csr_matrix((data, indices, indptr.astype(index_type)), shape=(n, T.shape[1] + d))


def _embed_optional(texts: list[str | None], embed: Callable[[list[str]], np.ndarray], dim: int) -> np.ndarray:
    out = np.zeros((len(texts), dim), dtype=np.float32)
    rows = [i for i, t in enumerate(texts) if t]
    if rows:
        out[rows] = embed([texts[i] for i in rows])  # type: ignore[misc]
    return out


# --------------------------------------------------------------------------------------
# one code: grouped CV, calibration, blend weight, threshold
# --------------------------------------------------------------------------------------
@dataclass
class CodeFit:
    classifier: Any
    calibrator: LogisticRegression | None
    weight: float  # weight of the supervised score in the blend with zero-shot
    threshold: float
    cv_precision: float
    cv_recall: float
    n_folds: int
    oof_score: np.ndarray  # blended out-of-fold scores (NaN where a fold could not be fitted)


def _raw(clf: Any, X: sparse.csr_matrix) -> np.ndarray:
    if hasattr(clf, "decision_function"):
        d = np.asarray(clf.decision_function(X), dtype=np.float64)
        return d if d.ndim == 1 else d[:, -1]
    p = np.clip(np.asarray(clf.predict_proba(X))[:, 1], 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def calibrated(clf: Any, calibrator: LogisticRegression | None, X: sparse.csr_matrix) -> np.ndarray:
    r = _raw(clf, X)
    if calibrator is None:
        return 1 / (1 + np.exp(-r))
    return calibrator.predict_proba(r.reshape(-1, 1))[:, 1]


def _binary_logistic(model: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(coefficients, intercept) of a fitted binary scikit-learn ``LogisticRegression``, else None."""
    if type(model) is LogisticRegression and getattr(model, "coef_", None) is not None and len(model.coef_) == 1:
        return model.coef_[0], model.intercept_[:1]
    return None


def calibrated_many(models: Sequence[tuple[Any, LogisticRegression | None]], X: sparse.csr_matrix) -> np.ndarray:
    """:func:`calibrated` for each (classifier, calibrator), as the columns of one array.

    The default models (binary logistic regressions, Platt-calibrated) are
    scored in one sparse product for all codes, in scikit-learn's own
    arithmetic and precision (``X @ coef + intercept`` in the coefficients'
    type, then the calibrator's logistic function), so the scores are the
    same to the last bit, without its input checks on every call. Any other
    model goes through :func:`calibrated`.
    """
    from scipy.special import expit

    out = np.empty((X.shape[0], len(models)))
    plain: dict[int, tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray] | None]] = {}
    dtype = None  # of the coefficients: one product keeps one precision
    for k, (clf, cal) in enumerate(models):
        lin, lin_cal = _binary_logistic(clf), None if cal is None else _binary_logistic(cal)
        if lin is not None and (cal is None or lin_cal is not None) and dtype in (None, lin[0].dtype):
            plain[k], dtype = (lin, lin_cal), lin[0].dtype
    if plain:
        cols = list(plain)
        W = np.column_stack([plain[k][0][0] for k in cols])
        R = np.asarray(X @ W + np.concatenate([plain[k][0][1] for k in cols]).astype(W.dtype), dtype=np.float64)
        for c, k in enumerate(cols):
            cal = plain[k][1]
            r = R[:, c]
            out[:, k] = 1 / (1 + np.exp(-r)) if cal is None else expit(r[:, None] @ cal[0][None, :] + cal[1])[:, 0]
    for k, (clf, cal) in enumerate(models):
        if k not in plain:
            out[:, k] = calibrated(clf, cal, X)
    return out


def choose_threshold(scores: np.ndarray, y: np.ndarray, target: float,
                     min_support: int = 3) -> tuple[float, float, float]:
    """The lowest score threshold whose predictions (score >= t) have precision >= ``target``.

    Returns (threshold, precision, recall) at that cut; (inf, best precision, 0)
    when no cut with at least ``min_support`` predictions reaches the target.
    """
    ok = ~np.isnan(scores)
    s, yy = scores[ok], y[ok].astype(bool)
    if not yy.any():
        return np.inf, float("nan"), 0.0
    order = np.argsort(-s, kind="stable")
    s, yy = s[order], yy[order]
    tp = np.cumsum(yy)
    k = np.arange(1, len(s) + 1)
    prec = tp / k
    boundary = np.r_[s[1:] < s[:-1], True]  # cut only between distinct scores
    valid = boundary & (k >= min_support) & (prec >= target)
    if not valid.any():
        cand = boundary & (k >= min(min_support, len(s)))
        return np.inf, float(prec[cand].max()) if cand.any() else float("nan"), 0.0
    j = int(np.flatnonzero(valid).max())
    return float(s[j]), float(prec[j]), float(tp[j] / tp[-1])


def fit_code(X: sparse.csr_matrix, y: np.ndarray, groups: np.ndarray, zero_shot: np.ndarray | None,
             factory: Callable[[], Any], *, target: float, cv: int, random_state: int | None) -> CodeFit:
    """Fit one code's classifier; choose calibration, blend weight and threshold on grouped OOF scores."""
    y = y.astype(int)
    n_pos, n_neg = int(y.sum()), int((1 - y).sum())
    n_groups = len(np.unique(groups))
    n_splits = max(2, min(cv, n_pos, n_neg, n_groups))
    raw_oof = np.full(len(y), np.nan)
    folds = 0
    if n_groups >= 2 and min(n_pos, n_neg) >= 2:
        splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=random_state is not None,
                                        random_state=random_state)
        for tr, te in splitter.split(X, y, groups):
            if len(np.unique(y[tr])) < 2:
                continue
            clf = factory().fit(X[tr], y[tr])
            raw_oof[te] = _raw(clf, X[te])
            folds += 1
    final = factory().fit(X, y)
    ok = ~np.isnan(raw_oof)
    calibrator = None
    if ok.sum() >= 10 and len(np.unique(y[ok])) == 2:
        calibrator = LogisticRegression(C=1e4, max_iter=1000).fit(raw_oof[ok].reshape(-1, 1), y[ok])
    p_oof = np.full(len(y), np.nan)
    if ok.any():
        p_oof[ok] = (calibrator.predict_proba(raw_oof[ok].reshape(-1, 1))[:, 1] if calibrator is not None
                     else 1 / (1 + np.exp(-raw_oof[ok])))
    weight = 1.0
    if zero_shot is not None and ok.sum() >= 10 and len(np.unique(y[ok])) == 2:
        best = -np.inf
        for w in (1.0, 0.75, 0.5, 0.25):  # ties keep the larger supervised weight
            ap = average_precision_score(y[ok], w * p_oof[ok] + (1 - w) * zero_shot[ok])
            if ap > best + 1e-9:
                best, weight = ap, w
    blended = p_oof if zero_shot is None else weight * p_oof + (1 - weight) * zero_shot
    threshold, precision, recall = choose_threshold(blended, y, target)
    return CodeFit(final, calibrator, weight, threshold, precision, recall, folds, blended)


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
    return [[(ex.ids[t], ex.texts[t], v) for t, v, m in zip(ts, vs, ms) if m]
            for ts, vs, ms in zip(rows[top].tolist(), top_sims.tolist(), keep.tolist())]


class TrainingData(NamedTuple):
    """What :meth:`CodeSuggester.fit` needs from a project (see :func:`project_frames`)."""

    segments: pd.DataFrame  # the segments to code: participants' turns, not the researcher's
    context: pd.DataFrame  # every segment, for neighbouring turns
    codings: pd.DataFrame  # active human codings: segment_id, code, coder
    rejections: pd.DataFrame  # rejected suggestions: segment_id, code


def project_frames(project: Project) -> TrainingData:
    """The frames to fit and apply a suggester on a project.

    Examples
    --------
    >>> data = project_frames(project)  # doctest: +SKIP
    >>> embedder = CachedEmbedder(SentenceTransformerEmbedder(),
    ...                           EmbeddingCache.for_project(project.path))  # doctest: +SKIP
    >>> s = CodeSuggester(embedder).fit(data.segments, project.codebook, data.codings,
    ...                                 data.rejections, context=data.context)  # doctest: +SKIP
    >>> todo = data.segments[~data.segments["id"].isin(s.coded_ids_)]  # doctest: +SKIP
    >>> project.add_suggestions(s.suggest(todo, context=data.context))  # doctest: +SKIP
    """
    context = project.segments()
    segments = context[~context["is_researcher"].astype(bool)].reset_index(drop=True)
    codings = project.codings()[["segment_id", "code", "coder"]]
    sugg = project.suggestions(status="rejected")
    rejections = sugg[["segment_id", "code"]].reset_index(drop=True)
    return TrainingData(segments, context, codings, rejections)

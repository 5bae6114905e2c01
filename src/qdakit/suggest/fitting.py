"""Fitting one code: grouped (by transcript) cross-validation giving honest out-of-fold scores, on
which the Platt calibration, the blend weight with zero-shot and the threshold are chosen; and
scoring many codes' calibrated classifiers in one sparse product.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.model_selection import StratifiedGroupKFold

from qdakit.suggest.zeroshot import ranked_labels

__all__ = ["Classifier", "CodeFit", "best_kappa_threshold", "calibrated", "calibrated_many", "choose_threshold",
           "fit_code", "grouped_oof"]



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
    cv_kappa: float = float("nan")  # Cohen's kappa of the out-of-fold decisions at the threshold


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


def best_kappa_threshold(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The score cut (predict ``score >= t``) with the highest Cohen's kappa against ``y``, and that kappa.

    Kappa is what the benchmarks and a methods section report, so it is what the
    default threshold maximises (on out-of-fold scores). Cuts lie halfway between
    adjacent distinct scores; NaN scores are left out; ``(inf, 0)`` without positives.
    On the suggestion benchmark it agreed better than the F1-best cut on both
    multi-label data sets (shuffle_music 0.425 against 0.419, proctoring 0.384
    against 0.372 over all answers).
    """
    ranked = ranked_labels(scores, y)
    if ranked is None:
        return float("inf"), 0.0
    s, yy = ranked
    n, pos = len(s), float(yy.sum())
    taken = np.arange(1, n + 1, dtype=float)  # the top k are predicted positive
    tp = np.cumsum(yy)
    tn = n - taken - (pos - tp)
    po = (tp + tn) / n
    pe = (taken * pos + (n - taken) * (n - pos)) / n**2
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(pe < 1, (po - pe) / (1 - pe), 0.0)
    kappa = np.where(np.r_[s[1:] < s[:-1], True], kappa, -np.inf)  # cut only between distinct scores
    j = int(np.argmax(kappa))
    cut = float(s[j] if j + 1 >= n else (s[j] + s[j + 1]) / 2)
    return cut, float(kappa[j])


def choose_threshold(scores: np.ndarray, y: np.ndarray, target: float,
                     min_support: int = 3) -> tuple[float, float, float]:
    """The lowest score threshold whose predictions (score >= t) have precision >= ``target``.

    Returns (threshold, precision, recall) at that cut; (inf, best precision, 0)
    when no cut with at least ``min_support`` predictions reaches the target.
    """
    ranked = ranked_labels(scores, y)
    if ranked is None:
        return np.inf, float("nan"), 0.0
    s, yy = ranked
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


def grouped_oof(X: sparse.csr_matrix, y: np.ndarray, groups: np.ndarray, factory: Callable[[], Any], *,
                cv: int, random_state: int | None) -> tuple[np.ndarray, int]:
    """Out-of-fold raw scores of one code's classifier, folds grouped by transcript and stratified.

    Returns (scores, folds fitted); NaN where a fold could not be fitted (one class
    in its training part) or where there are too few groups or positives for any fold.
    """
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
    return raw_oof, folds


def fit_code(X: sparse.csr_matrix, y: np.ndarray, groups: np.ndarray, zero_shot: np.ndarray | None,
             factory: Callable[[], Any], *, target: float | None, cv: int, random_state: int | None) -> CodeFit:
    """Fit one code's classifier; choose calibration, blend weight and threshold on grouped OOF scores."""
    y = y.astype(int)
    raw_oof, folds = grouped_oof(X, y, groups, factory, cv=cv, random_state=random_state)
    final = factory().fit(X, y)
    ok = ~np.isnan(raw_oof)
    calibrator = None
    if ok.sum() >= 10 and len(np.unique(y[ok])) == 2:
        calibrator = LogisticRegression(C=1e4, max_iter=1000).fit(raw_oof[ok].reshape(-1, 1), y[ok])
        if calibrator.coef_[0][0] <= 0:  # out of fold the scores ran against the labels: no skill shown,
            calibrator = None  # and a falling calibration would turn the final model's ranking upside down
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
    if target is None:  # the cut that agrees best with the human coder (Cohen's kappa), out of fold
        threshold = best_kappa_threshold(blended, y)[0]
    else:
        threshold = choose_threshold(blended, y, target)[0]
    precision, recall, kappa = cv_agreement(blended, y, threshold)
    return CodeFit(final, calibrator, weight, threshold, precision, recall, folds, blended, kappa)


def cv_agreement(scores: np.ndarray, y: np.ndarray, threshold: float) -> tuple[float, float, float]:
    """Precision, recall and Cohen's kappa of ``scores >= threshold`` against ``y`` (NaN scores left out)."""
    ok = ~np.isnan(scores)
    if not ok.any():
        return float("nan"), 0.0, float("nan")
    pred, yy = scores[ok] >= threshold, y[ok].astype(bool)
    tp = float((pred & yy).sum())
    precision = tp / pred.sum() if pred.any() else float("nan")
    recall = tp / yy.sum() if yy.any() else 0.0
    po = float((pred == yy).mean())
    pe = pred.mean() * yy.mean() + (1 - pred.mean()) * (1 - yy.mean())
    kappa = (po - pe) / (1 - pe) if pe < 1 else float(po == 1)
    return float(precision), float(recall), float(kappa)


@runtime_checkable
class Classifier(Protocol):
    """A binary classifier as made by the ``classifier`` factory (scikit-learn style)."""

    def fit(self, X: Any, y: np.ndarray) -> Any: ...

    def predict_proba(self, X: Any) -> np.ndarray: ...

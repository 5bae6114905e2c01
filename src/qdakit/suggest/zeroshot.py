"""Zero-shot scoring from the codebook alone (private helpers of :mod:`qdakit.suggest`).

Each code gets prototype texts: its name and description, inclusion notes and
example quotes; a code with nothing but a name is represented by its name made
readable (``exam_questions->chegg`` -> "exam questions: chegg"). A segment's
similarity to a code is the cosine to the normalised mean of its prototypes
(``"mean"``, the default) or the maximum cosine over them (``"max"``); where
the code has exclusion notes, similarity to them beyond the similarity to the
code counts against it.

Scores are per code, not a softmax across codes, so a segment can score high
for several codes or for none: :class:`ZeroShotCalibrator` maps a code's raw
cosine and its standardised value (centred and scaled per code over the
project's segments, so a definition vaguely similar to everything does not win
everywhere) to a probability with one logistic model shared by all codes,
fitted on the project's own human codings when there are any, and a fixed
conservative prior (about the top 2-3% of segments per code) when there are none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qdakit.model import Code

__all__ = ["Prototypes", "ZeroShotCalibrator", "build_prototypes", "name_text", "prototype_texts", "ranked_labels",
           "similarities", "softmax_scores"]


def name_text(name: str) -> str:
    """A code name as words: separators become spaces, a hierarchy arrow a colon."""
    text = re.sub(r"\s*(->|>|/|::)\s*", ": ", name)
    text = re.sub(r"[_\s]+", " ", text).strip(" :")
    return text or name


def prototype_texts(code: Code) -> list[str]:
    """The texts that stand for ``code``: 'name: description', inclusion notes, examples.

    Only the readable name when the code has nothing else (a weak prototype:
    such codes are flagged in ``code_report_``).
    """
    texts: list[str] = []
    desc = code.description.strip()
    incl = code.inclusion.strip()
    examples = [e.strip() for e in code.examples if e and e.strip()]
    if not (desc or incl or examples):
        return [name_text(code.name)]
    texts.append(f"{code.name}: {desc}" if desc else code.name)
    if incl:
        texts.append(incl)
    texts.extend(examples)
    return texts


@dataclass(frozen=True)
class Prototypes:
    """Prototype vectors of the placeable codes.

    ``codes`` are the placeable code names; ``vectors[i]`` has shape (k_i, d);
    ``texts[i]`` are the k_i texts they came from.
    """

    codes: tuple[str, ...]
    vectors: tuple[np.ndarray, ...]
    texts: tuple[tuple[str, ...], ...]
    exclusions: tuple[np.ndarray | None, ...] = ()  # (d,) unit vector of the exclusion note, per code
    name_only: tuple[bool, ...] = ()


def build_prototypes(codes: Sequence[Code], embed: Callable[[list[str]], np.ndarray]) -> Prototypes:
    names, texts, name_only = [], [], []
    all_texts: list[str] = []
    spans: list[tuple[int, int]] = []
    excl_at: list[int | None] = []
    for code in codes:
        t = prototype_texts(code)
        if not t:
            continue
        names.append(code.name)
        texts.append(tuple(t))
        name_only.append(not (code.description.strip() or code.inclusion.strip() or
                              any(e and e.strip() for e in code.examples)))
        spans.append((len(all_texts), len(all_texts) + len(t)))
        all_texts.extend(t)
        excl = code.exclusion.strip()
        excl_at.append(len(all_texts) if excl else None)
        if excl:
            all_texts.append(excl)
    V = embed(all_texts) if all_texts else np.zeros((0, 1), dtype=np.float32)
    vecs = [V[a:b] for a, b in spans]
    excl_vecs = tuple(None if k is None else V[k] for k in excl_at)
    return Prototypes(tuple(names), tuple(vecs), tuple(texts), excl_vecs, tuple(name_only))


def similarities(E: np.ndarray, protos: Prototypes, how: str) -> np.ndarray:
    """Cosine similarity of each row of ``E`` (unit rows) to each placeable code: (n, n_codes)."""
    out = np.zeros((E.shape[0], len(protos.codes)), dtype=np.float32)
    for j, P in enumerate(protos.vectors):
        if how == "max":
            out[:, j] = (E @ P.T).max(axis=1)
        elif how == "mean":
            m = P.mean(axis=0)
            m = m / max(float(np.linalg.norm(m)), 1e-12)
            out[:, j] = E @ m
        else:
            raise ValueError(f"zero_shot={how!r}; use 'max' or 'mean'")
        x = protos.exclusions[j] if j < len(protos.exclusions) else None
        if x is not None:  # closer to what the code excludes than to the code: count the excess against it
            out[:, j] -= np.maximum(E @ x - out[:, j], 0.0)
    return out


def standardise(S: np.ndarray, mu: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Per-code standardised similarities."""
    return (S - mu) / sd


@dataclass
class ZeroShotCalibrator:
    """P(a human codes this segment with this code) from its zero-shot similarity, one model for all codes.

    Features of a (segment, code) pair: the standardised similarity ``z`` and
    the raw cosine ``s``. Fitted by :meth:`fit` on the pairs whose label is
    known (reviewed segments x every code), pooled over codes, so a handful of
    codings calibrates every code; unfitted, ``p = expit(1.5 (z - 2))`` (about
    the top 2-3% of the project's segments per code reach 0.5).
    ``threshold`` maximises F1 over the known pairs (0.5 unfitted).
    """

    coef: tuple[float, float] = (1.5, 0.0)
    intercept: float = -3.0
    threshold: float = 0.5
    fitted: bool = False
    positives: int = 0

    def predict(self, Z: np.ndarray, S: np.ndarray) -> np.ndarray:
        r = self.coef[0] * Z + self.coef[1] * S + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(r, -30, 30)))

    def fit(self, Z: np.ndarray, S: np.ndarray, Y: np.ndarray, min_positives: int = 3) -> ZeroShotCalibrator:
        """Fit on known pairs: ``Z``, ``S``, ``Y`` of equal shape (rows: reviewed segments)."""
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(Y, dtype=int).ravel()
        if y.sum() < min_positives or (1 - y).sum() < min_positives:
            return self
        X = np.column_stack([np.asarray(Z).ravel(), np.asarray(S).ravel()])
        lr = LogisticRegression(C=1.0, max_iter=1000).fit(X, y)
        self.coef = (float(lr.coef_[0, 0]), float(lr.coef_[0, 1]))
        self.intercept = float(lr.intercept_[0])
        self.fitted, self.positives = True, int(y.sum())
        self.threshold = best_f1_threshold(self.predict(np.asarray(Z).ravel(), np.asarray(S).ravel()), y)[0]
        return self


def ranked_labels(scores: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Scores (NaN left out) sorted from the highest, with their labels as booleans; None without positives."""
    ok = ~np.isnan(scores)
    s, yy = np.asarray(scores)[ok], np.asarray(y)[ok].astype(bool)
    if not yy.any():
        return None
    order = np.argsort(-s, kind="stable")
    return s[order], yy[order]


def best_f1_threshold(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The score cut (predict ``score >= t``) with the highest F1 on ``y``, and that F1.

    Cuts lie halfway between adjacent distinct scores, so a new score equal to
    the lowest one taken is still taken. ``(inf, 0)`` without positives.
    """
    ranked = ranked_labels(scores, y)
    if ranked is None:
        return float("inf"), 0.0
    s, yy = ranked
    tp = np.cumsum(yy)
    k = np.arange(1, len(s) + 1)
    f1 = 2 * tp / (k + yy.sum())
    boundary = np.r_[s[1:] < s[:-1], True]
    f1 = np.where(boundary, f1, -1.0)
    j = int(np.argmax(f1))
    cut = float(s[j] if j + 1 >= len(s) else (s[j] + s[j + 1]) / 2)
    return cut, float(f1[j])


def softmax_scores(S: np.ndarray, mu: np.ndarray, sd: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax over codes of the per-code standardised similarities divided by ``temperature``."""
    if S.shape[1] == 0:
        return S
    Z = (S - mu) / sd / temperature
    Z -= Z.max(axis=1, keepdims=True)
    P = np.exp(Z)
    return P / P.sum(axis=1, keepdims=True)

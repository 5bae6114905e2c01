"""Feature profiles of the supervised suggester, and choosing one for a project by cross-validation.

A profile says how the features of :class:`~qdakit.suggest.features.FeatureBuilder`
are weighed, which for a logistic model is how strongly each block is regularised:

* ``semantic``: the embedding alone (and its neighbouring turns'), at full
  weight: the fewest features, for a few dozen coded answers.
* ``plain``: the same plus TF-IDF words, for codes that hang on a word.
* ``conversation``: the embedding at half weight (strongly regularised next to
  the TF-IDF words) plus the turn's shape (question mark, broken-off turn,
  length). Made for many short turns of talk, where the form of a turn carries
  the code (AnnoMI: a therapist's question is a question by its form).

Which one serves a project is not known in advance, so ``CodeSuggester(features="auto")``
(the default) measures all three on the project's own codings: for a sample of
the codes that get a classifier, out-of-fold scores of a cross-validation grouped
by transcript, and the average precision of each code. The best mean wins unless
a simpler profile is within one standard error of it (see :func:`choose_profile`).
Held-out segments never take part: this is the training data only.
``lexical=False`` takes the TF-IDF words out of every profile. Measured with ``benchmarks/suggest_suite.py``
(the figures are in the README's suggestion section).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.metrics import average_precision_score
from tqdm import tqdm

from qdakit.suggest.fitting import grouped_oof

__all__ = ["PROFILES", "Profile", "ProfileChoice", "choose_profile"]


@dataclass(frozen=True)
class Profile:
    """How the supervised features are weighed (see the module docstring)."""

    name: str
    embedding_weight: float
    shapes: bool
    lexical: bool


# simplest first: the one-standard-error rule prefers the earlier of two profiles that score alike
PROFILES: dict[str, Profile] = {
    "semantic": Profile("semantic", 1.0, False, False),
    "plain": Profile("plain", 1.0, False, True),
    "conversation": Profile("conversation", 0.5, True, True),
}


@dataclass(frozen=True)
class ProfileChoice:
    """The chosen profile, each candidate's mean out-of-fold average precision, and the codes measured."""

    name: str
    scores: dict[str, float]
    codes: tuple[str, ...]

    def describe(self) -> str:
        if not self.codes:
            return f"{self.name} (no code had enough codings to compare the profiles)"
        shown = ", ".join(f"{k} {v:.3f}" for k, v in self.scores.items())
        return (f"{self.name}: mean out-of-fold average precision over {len(self.codes)} code(s): {shown}")


def _sample(codes: Sequence[tuple[str, int]], k: int) -> list[str]:
    """Up to ``k`` codes spread over the range of positives (largest, smallest and between)."""
    ranked = [c for c, _ in sorted(codes, key=lambda t: (-t[1], t[0]))]
    if len(ranked) <= k:
        return ranked
    picks = np.unique(np.round(np.linspace(0, len(ranked) - 1, k)).astype(int))
    return [ranked[i] for i in picks]


def choose_profile(matrices: dict[str, sparse.csr_matrix], labelled: dict[str, tuple[np.ndarray, np.ndarray,
                   np.ndarray]], factory: Callable[[], Any], *, cv: int, random_state: int | None,
                   max_codes: int = 8, show_progress: bool = False) -> ProfileChoice:
    """The simplest profile that ranks the project's codings about as well as the best, out of fold.

    Each profile's out-of-fold average precision is measured on the same sample
    of codes; the best mean wins unless a simpler profile (earlier in
    ``matrices``) is within one standard error of the paired differences (the
    one-standard-error rule of cross-validated model choice): with few codings
    the difference is mostly noise and the simpler model overfits less.

    Parameters
    ----------
    matrices : {profile name: feature rows of the training segments}, simplest first
        Same rows, in the same order, for every profile.
    labelled : {code: (row positions into the matrices, 0/1 labels, groups)}
        The codes that get a classifier, each with its training rows.
    factory : callable
        Makes a fresh binary classifier, as in :func:`~qdakit.suggest.fitting.fit_code`.
    show_progress : bool
        A progress bar over the cross-validated fits (profiles x sampled codes).
    """
    names = list(matrices)
    sample = _sample([(c, int(y.sum())) for c, (_, y, _) in labelled.items()], max_codes)
    if len(names) == 1 or not sample:
        return ProfileChoice(names[0], {}, tuple(sample))
    ap = np.full((len(names), len(sample)), np.nan)
    bar = tqdm(total=len(names) * len(sample), desc="choosing the feature profile", unit="fit",
               disable=not show_progress)
    for k, name in enumerate(names):
        for j, code in enumerate(sample):
            bar.update()
            rows, y, groups = labelled[code]
            raw, _ = grouped_oof(matrices[name][rows], y, groups, factory, cv=cv, random_state=random_state)
            ok = ~np.isnan(raw)
            if ok.sum() >= 4 and len(np.unique(y[ok])) == 2:
                ap[k, j] = average_precision_score(y[ok], raw[ok])
    bar.close()
    measured = ~np.isnan(ap).any(axis=0)
    scores = {n: float(np.mean(ap[k, measured])) if measured.any() else float("nan") for k, n in enumerate(names)}
    if not measured.any():
        return ProfileChoice(names[0], scores, tuple(sample))
    A = ap[:, measured]
    best = int(np.argmax(A.mean(axis=1)))
    for k in range(best):  # simplest first
        diff = A[best] - A[k]
        se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("inf")
        if diff.mean() <= se:
            return ProfileChoice(names[k], scores, tuple(sample))
    return ProfileChoice(names[best], scores, tuple(sample))

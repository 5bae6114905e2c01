"""Inductive candidate codes: passages no code covers well that cluster together.

A deductive study codes with a framework from the literature but should stay open to
what the framework did not expect. :func:`propose_codes` looks at the segments no
human has coded, keeps those that fit no existing code (their centred cosine to every
code's centroid is below ``max_fit``), clusters them (average linkage on cosine, cut
at ``threshold``) and reports each group of at least ``min_size`` segments as a
:class:`CandidateCode`: its most distinctive key terms (c-TF-IDF against all the
other segments), its most typical quotes and its size. It is a proposal: a person
reads the quotes, then adds a code (or not) with ``qdakit codebook``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qdakit.themes.candidates import Quote
from qdakit.themes.steps import AgglomerativeThemes

__all__ = ["CandidateCode", "candidate_code_table", "propose_codes"]


@dataclass(frozen=True)
class CandidateCode:
    """A group of uncoded segments that fit no code: a possible new code.

    ``fit`` is the mean over its segments of their cosine to the nearest existing
    code (low: the codebook does not cover them); ``cohesion`` the mean cosine of its
    segments to their own centroid.
    """

    id: int
    terms: tuple[str, ...]
    segments: tuple[str, ...]
    quotes: tuple[Quote, ...]
    fit: float
    cohesion: float

    @property
    def size(self) -> int:
        return len(self.segments)

    @property
    def title(self) -> str:
        return ", ".join(self.terms[:3]) or f"candidate code {self.id}"


def _unit(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=-1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def propose_codes(tc: Any, *, max_fit: float = 0.2, min_size: int = 3, threshold: float = 0.05,
                  min_words: int = 5, labeller: Any = None) -> list[CandidateCode]:
    """Candidate new codes from a fitted :class:`~qdakit.themes.ThemeClusterer` (fitted with codings).

    Parameters
    ----------
    tc : a fitted ThemeClusterer; its codings define what is coded
    max_fit : an uncoded segment whose centred cosine to every code's centroid is below this is "not covered"
    min_size : smallest group reported
    threshold : average-linkage cut (centred cosine) for grouping the uncovered segments
    min_words : shorter segments ("Yes, fine.") are not considered

    Returns
    -------
    list of CandidateCode, largest first
    """
    tc._check_fitted(codes=True)
    texts = tc.segments_["text"].astype(str).tolist()
    V = tc.segment_vectors_
    coded = tc._incidence.sum(axis=0) > 0
    fit = (V @ tc.code_centroids_centred_.T).max(axis=1)
    words = np.array([len(t.split()) for t in texts])
    rows = np.flatnonzero(~coded & (fit < max_fit) & (words >= min_words))
    if len(rows) < max(min_size, 2):
        return []
    X = V[rows]
    groups = AgglomerativeThemes("average", threshold=threshold).cluster(X, X @ X.T)
    kept = [g for g in sorted(set(groups.tolist())) if (groups == g).sum() >= min_size]
    if not kept:
        return []
    kept.sort(key=lambda g: -int((groups == g).sum()))
    # key terms: each group against every other segment of the corpus (one "rest" class)
    labels = np.full(len(texts), len(kept))
    for k, g in enumerate(kept):
        labels[rows[groups == g]] = k
    labeller = labeller if labeller is not None else tc._labeller()
    terms = labeller.label(texts, labels, tc.n_terms)
    out = []
    for k, g in enumerate(kept):
        members = rows[groups == g]
        sims = V[members] @ _unit(V[members].mean(axis=0))
        out.append(CandidateCode(k + 1, tuple(terms.get(k, [])), tuple(tc.segment_ids_[r] for r in members),
                                 tc._quotes(members.tolist(), sims), round(float(fit[members].mean()), 4),
                                 round(float(sims.mean()), 4)))
    return out


def candidate_code_table(candidates: Sequence[CandidateCode]) -> list[dict[str, Any]]:
    """One row per candidate code (for printing): id, size, key terms, fit, first quote."""
    return [{"id": c.id, "size": c.size, "terms": ", ".join(c.terms), "fit": c.fit,
             "quote": c.quotes[0].text if c.quotes else ""} for c in candidates]

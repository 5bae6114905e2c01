"""The swappable steps of :class:`~qdakit.themes.ThemeClusterer`, each typed by a Protocol.

As in BERTopic, a theme pipeline is embed -> reduce -> cluster -> label, and each
step is a constructor argument with a working default:

* **reducer** (:class:`Reducer`): ``fit_transform(X)``; default :class:`NullReducer`
  passes the vectors through. Any scikit-learn transformer (``PCA(10)``) fits.
* **clusterer** (:class:`Clusterer`): ``cluster(X, similarity, n_clusters)`` returns
  one label per item, ``-1`` for an outlier. Default :class:`AgglomerativeThemes`
  (average linkage on cosine distance, number of themes chosen by a similarity
  threshold or by silhouette); :class:`KMeansThemes` and :class:`HDBSCANThemes`
  are the options. A plain scikit-learn clusterer (anything with ``fit_predict``)
  also works: it sees the vectors only.
* **labeller** (:class:`Labeller`): ``label(documents, labels, n_terms)`` returns
  the key terms of each theme; default :class:`CTfidfLabeller`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from sklearn.cluster import HDBSCAN, AgglomerativeClustering, KMeans
from sklearn.metrics import silhouette_score

from qdakit.themes.ctfidf import DEFAULT_SPACY_MODEL, ctfidf, terms, top_terms

__all__ = [
    "AgglomerativeThemes",
    "Clusterer",
    "CTfidfLabeller",
    "HDBSCANThemes",
    "KMeansThemes",
    "Labeller",
    "modularity",
    "NullReducer",
    "Reducer",
    "run_clusterer",
]


@runtime_checkable
class Reducer(Protocol):
    """Maps item vectors ``(n, d)`` to ``(n, d')``; rows are re-normalised after it."""

    def fit_transform(self, X: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class Clusterer(Protocol):
    """Groups ``n`` items into themes.

    ``X`` holds unit-norm item vectors ``(n, d)``; ``similarity`` is ``(n, n)``
    (cosine, plus the co-occurrence bonus for codes). Returns ``(n,)`` integer
    labels, ``-1`` for an item that fits no theme. ``n_clusters`` None means
    "choose the number of themes yourself".
    """

    def cluster(self, X: np.ndarray, similarity: np.ndarray, n_clusters: int | None = None) -> np.ndarray: ...


@runtime_checkable
class Labeller(Protocol):
    """Key terms per theme: ``{label: [term, ...]}`` from one document per item."""

    def label(self, documents: Sequence[str], labels: np.ndarray, n_terms: int = 5) -> dict[int, list[str]]: ...


class NullReducer:
    """The null step: returns the vectors unchanged."""

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return X

    def __repr__(self) -> str:
        return "NullReducer()"


def _distance(similarity: np.ndarray) -> np.ndarray:
    D = np.clip(1.0 - similarity, 0.0, None)
    D = (D + D.T) / 2
    np.fill_diagonal(D, 0.0)
    return D


def _check_k(n_clusters: int, n: int) -> int:
    if not 1 <= n_clusters <= n:
        raise ValueError(f"n_clusters={n_clusters}: need between 1 and the number of items ({n})")
    return int(n_clusters)


def modularity(W: np.ndarray, labels: np.ndarray) -> float:
    """Newman's modularity (resolution 1) of a partition of a weighted graph.

    ``W`` holds non-negative edge weights (zero diagonal). Returns
    :math:`\\sum_c [W_{cc}/2m - (d_c/2m)^2]`, with :math:`2m = \\sum_{ij} W_{ij}`
    and :math:`d_c` the summed degree of group :math:`c`; 0 for a graph with no edges.
    """
    total = float(W.sum())
    if total <= 0:
        return 0.0
    _, inv = np.unique(np.asarray(labels), return_inverse=True)
    H = np.zeros((len(inv), int(inv.max()) + 1))
    H[np.arange(len(inv)), inv] = 1.0
    within = float(np.trace(H.T @ W @ H))
    degrees = H.T @ W.sum(axis=1)
    return within / total - float((degrees ** 2).sum()) / total ** 2


def _tree_cuts(D: np.ndarray, linkage: str, ks: range) -> list[np.ndarray]:
    """Cuts of one hierarchy (scipy, built once) into each k of ``ks``."""
    from scipy.cluster.hierarchy import cut_tree
    from scipy.cluster.hierarchy import linkage as build
    from scipy.spatial.distance import squareform

    Z = build(squareform(D, checks=False), method=linkage)
    cuts = cut_tree(Z, n_clusters=list(ks))
    return [cuts[:, i].astype(int) for i in range(cuts.shape[1])]


def _best_by_modularity(candidates: list[np.ndarray], similarity: np.ndarray) -> np.ndarray:
    W = np.clip(similarity, 0.0, None)
    W = (W + W.T) / 2
    np.fill_diagonal(W, 0.0)
    best, best_q = candidates[0], -np.inf
    for labels in candidates:  # fewest themes first: ties keep the coarser partition
        q = modularity(W, labels)
        if q > best_q + 1e-12:
            best, best_q = labels, q
    return best


def _best_by_silhouette(candidates: list[np.ndarray], D: np.ndarray) -> np.ndarray:
    best, best_score = candidates[0], -np.inf
    for labels in candidates:
        k = len(set(labels.tolist()))
        if not 2 <= k < len(D):
            continue
        score = silhouette_score(D, labels, metric="precomputed")
        if score > best_score + 1e-12:
            best, best_score = labels, score
    return best


class AgglomerativeThemes:
    """Agglomerative clustering on cosine distance (the default clusterer).

    Parameters
    ----------
    linkage : {"average", "complete", "single"}, default "average"
        Average linkage: two groups merge while their items are, on average,
        more than ``threshold`` similar.
    select : {"threshold", "silhouette", "modularity"}, default "threshold"
        How the number of themes is chosen when it is not given: stop merging
        at ``threshold``; take the k in ``k_range`` with the best silhouette; or
        cut the tree where the partition's modularity on the similarity graph
        (negative similarities as no edge) is highest, over every k from 1 to
        the number of items (no constant to set; meant for a few hundred items
        or fewer, such as codes).
    threshold : float, default 0.05
        With the default centred embeddings, 0 is the similarity of two
        unrelated items of the same corpus: a theme holds items a little more
        alike than that.
    k_range : (int, int), default (2, 20)
    """

    def __init__(self, linkage: str = "average", *, select: str = "threshold", threshold: float = 0.05,
                 k_range: tuple[int, int] = (2, 20)) -> None:
        self.linkage = linkage
        self.select = select
        self.threshold = threshold
        self.k_range = k_range

    def __repr__(self) -> str:
        return (f"AgglomerativeThemes(linkage={self.linkage!r}, select={self.select!r}, "
                f"threshold={self.threshold}, k_range={self.k_range})")

    def _fit(self, D: np.ndarray, **kw: Any) -> np.ndarray:
        return AgglomerativeClustering(metric="precomputed", linkage=self.linkage, **kw).fit_predict(D)

    def cluster(self, X: np.ndarray, similarity: np.ndarray, n_clusters: int | None = None) -> np.ndarray:
        n = len(similarity)
        if self.select not in ("threshold", "silhouette", "modularity"):
            raise ValueError(f"select={self.select!r}: use 'threshold', 'silhouette' or 'modularity'")
        if n < 2:
            return np.zeros(n, dtype=int)
        D = _distance(similarity)
        if n_clusters is not None:
            return self._fit(D, n_clusters=_check_k(n_clusters, n))
        if self.select == "threshold":
            return self._fit(D, n_clusters=None, distance_threshold=1.0 - self.threshold)
        if self.select == "modularity":
            return _best_by_modularity(_tree_cuts(D, self.linkage, range(1, n + 1)), similarity)
        lo, hi = self.k_range
        ks = range(max(2, lo), min(hi, n - 1) + 1)
        candidates = [self._fit(D, n_clusters=k) for k in ks]
        return _best_by_silhouette(candidates, D) if candidates else np.zeros(n, dtype=int)


class KMeansThemes:
    """k-means on the unit item vectors; k by silhouette (cosine) over ``k_range`` unless given."""

    def __init__(self, *, k_range: tuple[int, int] = (2, 20), random_state: int = 0, n_init: int = 10) -> None:
        self.k_range = k_range
        self.random_state = random_state
        self.n_init = n_init

    def __repr__(self) -> str:
        return f"KMeansThemes(k_range={self.k_range}, random_state={self.random_state})"

    def _fit(self, X: np.ndarray, k: int) -> np.ndarray:
        return KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state).fit_predict(X)

    def cluster(self, X: np.ndarray, similarity: np.ndarray, n_clusters: int | None = None) -> np.ndarray:
        n = len(X)
        if n < 2:
            return np.zeros(n, dtype=int)
        if n_clusters is not None:
            return self._fit(X, _check_k(n_clusters, n))
        lo, hi = self.k_range
        candidates = [self._fit(X, k) for k in range(max(2, lo), min(hi, n - 1) + 1)]
        if not candidates:
            return np.zeros(n, dtype=int)
        return _best_by_silhouette(candidates, _distance(X @ X.T))


class HDBSCANThemes:
    """HDBSCAN on cosine distance: chooses the number of themes itself and leaves
    items that fit none as outliers (label -1)."""

    def __init__(self, *, min_cluster_size: int = 3, min_samples: int | None = None) -> None:
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples

    def __repr__(self) -> str:
        return f"HDBSCANThemes(min_cluster_size={self.min_cluster_size}, min_samples={self.min_samples})"

    def cluster(self, X: np.ndarray, similarity: np.ndarray, n_clusters: int | None = None) -> np.ndarray:
        if n_clusters is not None:
            raise ValueError("HDBSCANThemes chooses the number of themes itself; leave n_themes unset "
                             "(CLI: no --k), or use AgglomerativeThemes / KMeansThemes for a fixed number.")
        n = len(similarity)
        if n < max(2, self.min_cluster_size):
            return np.full(n, -1, dtype=int)
        model = HDBSCAN(min_cluster_size=self.min_cluster_size, min_samples=self.min_samples,
                        metric="precomputed", copy=True)
        return model.fit_predict(_distance(similarity))


def run_clusterer(clusterer: Any, X: np.ndarray, similarity: np.ndarray, n_clusters: int | None) -> np.ndarray:
    """Call a :class:`Clusterer`, or a scikit-learn clusterer through its ``fit_predict``."""
    if isinstance(clusterer, Clusterer):
        labels = clusterer.cluster(X, similarity, n_clusters)
    elif hasattr(clusterer, "fit_predict"):
        if n_clusters is not None and "n_clusters" in getattr(clusterer, "get_params", dict)():
            clusterer.set_params(n_clusters=n_clusters)
        labels = clusterer.fit_predict(X)
    else:
        raise TypeError(f"clusterer {clusterer!r} has neither cluster(X, similarity, n_clusters) nor fit_predict(X)")
    labels = np.asarray(labels, dtype=int)
    if labels.shape != (len(X),):
        raise ValueError(f"clusterer {clusterer!r} returned {labels.shape} labels for {len(X)} items")
    return labels


class CTfidfLabeller:
    """Key terms by class-based TF-IDF over spaCy lemmas and noun chunks (see :mod:`qdakit.themes.ctfidf`).

    ``stop_words``: words never used as terms, e.g. the speakers' names
    (:func:`qdakit.themes.fit_project_themes` passes them).
    """

    def __init__(self, *, model: str = DEFAULT_SPACY_MODEL, noun_chunks: bool = True,
                 stop_words: Sequence[str] = ()) -> None:
        self.model = model
        self.noun_chunks = noun_chunks
        self.stop_words = stop_words

    def __repr__(self) -> str:
        return f"CTfidfLabeller(model={self.model!r})"

    def label(self, documents: Sequence[str], labels: np.ndarray, n_terms: int = 5) -> dict[int, list[str]]:
        labels = np.asarray(labels)
        item_terms = terms(list(documents), model=self.model, noun_chunks=self.noun_chunks,
                           stop_words=self.stop_words)
        classes = sorted(int(c) for c in set(labels.tolist()) if c >= 0)
        grouped = [[t for i in np.flatnonzero(labels == c) for t in item_terms[i]] for c in classes]
        W, vocab = ctfidf(grouped)
        return dict(zip(classes, top_terms(W, vocab, n_terms), strict=True))

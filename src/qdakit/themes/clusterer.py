"""Candidate themes: cluster segments or codes, label them, propose merges and splits.

In thematic analysis, researchers gather similar codes into themes and split codes
that are too broad. :class:`ThemeClusterer` proposes; a researcher adopts, renames
or discards. Nothing in the project changes until :func:`adopt` is called with a
named coder, and even then no human coding is created or touched.

How items are represented
-------------------------
* **segments**: the sentence embedding of each segment, centred on the mean of all
  the segments given (so what every answer shares -- the question, the study's
  topic -- does not make everything look alike) and re-normalised.
* **codes**: the centroid of the centred embeddings of the code's segments, blended
  with the embedding of its definition (name and description) by
  ``definition_weight``. Codes applied to the same segments *more often than chance*
  may be parts of one theme, so the similarity of two codes adds
  ``cooccurrence_weight`` times their positive normalised PMI
  (:mod:`qdakit.themes.cooccurrence`); a code applied almost everywhere adds nothing.

Then: an optional reducer, a clusterer and a labeller (c-TF-IDF over spaCy lemmas
and noun chunks). The default clusterer is agglomerative on cosine distance: for
codes, average linkage cut where the modularity of the similarity graph peaks; for
segments, average linkage stopping where themes would hold items hardly more alike
than two unrelated items of the corpus. Every step is swappable (see
:mod:`qdakit.themes.steps`). With ``seeds``, the researcher's themes replace the
clustering: codes are placed in them (:mod:`qdakit.themes.seeding`), and those that
fit none are clustered into proposed new themes. :meth:`ThemeClusterer.propose_codes`
lists uncoded passages no code covers (:mod:`qdakit.themes.inductive`).

Examples
--------
>>> import pandas as pd
>>> from qdakit.embed import FakeEmbedder
>>> segs = pd.DataFrame({"id": list("abcd"), "text": ["we meet monthly", "we meet weekly",
...                      "funding was cut", "the funding was cut again"]})
>>> tc = ThemeClusterer("segments", embedder=FakeEmbedder(), n_themes=2, min_words=1).fit(segs)
>>> sorted(sorted(t.members) for t in tc.themes_)
[['a', 'b'], ['c', 'd']]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from qdakit.embed.base import Embedder
from qdakit.errors import NotFittedError
from qdakit.model import Codebook
from qdakit.project.views import attribution
from qdakit.themes.candidates import CandidateTheme, MergeProposal, Quote, SplitProposal
from qdakit.themes.cooccurrence import npmi, ochiai
from qdakit.themes.inductive import CandidateCode, propose_codes
from qdakit.themes.seeding import (
    Placement,
    ThemeSeed,
    centre_names,
    name_weight_for,
    place_codes,
    seed_themes,
    seeds_from,
)
from qdakit.themes.steps import (
    AgglomerativeThemes,
    Clusterer,
    CTfidfLabeller,
    Labeller,
    NullReducer,
    Reducer,
    run_clusterer,
)

__all__ = ["ThemeClusterer"]

Of = Literal["segments", "codes"]
_OF = ("segments", "codes")

def _unit(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    norms = np.linalg.norm(X, axis=-1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def _humanise(name: str) -> str:
    return " ".join(name.replace("_", " ").replace("->", " ").split())


def _default_clusterer(of: str) -> AgglomerativeThemes:
    return AgglomerativeThemes("average", select="modularity") if of == "codes" else AgglomerativeThemes()


class ThemeClusterer(BaseEstimator):
    """Group segments or codes into candidate themes.

    Parameters
    ----------
    of : {"codes", "segments"}, default "codes"
        What to cluster: the codes (each by its segments and definition) or the
        segments themselves (coded or not).
    embedder : Embedder, optional
        Default: the bundled all-MiniLM-L6-v2
        (:class:`~qdakit.embed.SentenceTransformerEmbedder`).
    reducer : Reducer, optional
        Default :class:`NullReducer` (none). E.g. ``sklearn.decomposition.PCA(20)``.
    clusterer : Clusterer, optional
        Default :class:`AgglomerativeThemes`: for codes, average linkage cut
        at the number of themes where the modularity of the similarity graph
        is highest (``select="modularity"``: no threshold to set; average
        rather than complete linkage because it did better on both data sets
        of ``benchmarks/themes_suite.py``, each chosen without the other); for
        segments, which are many and noisy, average linkage with threshold
        0.05 (fewer, broader themes).
        :class:`KMeansThemes`, :class:`HDBSCANThemes` or a scikit-learn
        clusterer also fit.
    labeller : Labeller, optional
        Default :class:`CTfidfLabeller`.
    n_themes : int, optional
        Number of themes; None lets the clusterer choose.
    definition_weight : float, default 0.15
        Codes: weight of the definition's embedding against the segments' centroid.
    cooccurrence_weight : float, default 1.0
        Codes: how much co-occurrence on the same segments adds to similarity.
    cooccurrence : {"npmi", "ochiai"}, default "npmi"
        How co-occurrence is measured (:mod:`~qdakit.themes.cooccurrence`):
        ``"npmi"`` counts only co-occurrence above chance (lift > 1) on at
        least ``min_cooccurrence`` segments, so a code applied everywhere adds
        nothing; ``"ochiai"`` is raw overlap (the earlier default, which hurt
        where codes of different themes share passages).
    min_cooccurrence : int, default 2
        NPMI: fewer shared segments than this count as no evidence.
    exclude_terms : sequence of str
        Words never used as key terms (speakers' names, pseudonyms); the
        default labeller gets them. Text in square brackets (redaction
        placeholders) is never a key term anyway.
    seed_names : bool, default True
        Seeded fit: each theme's name and sentence join the code graph as one
        more node of that theme (False: only the seed codes place codes).
    name_weight : float or "auto", default "auto"
        Seeded fit: weight of the code names (and descriptions) as a second
        similarity channel beside the code vectors, the theme names joining it;
        ``"auto"`` chooses it among 0, 0.5 and 1 by leave one seed out on the
        researcher's own seeds (``seed_name_weight_`` says which).
    min_fit : float, default 0.0
        Seeded fit: a code whose cosine to its best theme's centroid is below
        this fits no seeded theme and goes to a proposed new theme.
    center : bool, default True
        Centre segment embeddings on their mean before comparing them.
    n_terms, n_quotes : int, default 5 and 3
        Key terms and exemplar quotes per theme.
    min_quote_words : int, default 6
        Shorter segments are quoted only when a theme has nothing longer.
    spread_by : sequence of str
        Segment columns whose spread is reported (those present are used).
    outlier_threshold : float, default 0.05
        A segment whose (centred) cosine to every theme's centroid is below
        this fits no theme and is listed in ``outliers_``.
    min_words : int, default 5
        Segments: shorter segments ("Yes, fine.", greetings) are not clustered.
        Codes use all their segments.

    Attributes
    ----------
    themes_ : list of CandidateTheme, largest first
    labels_ : ndarray (n_items,), theme id of each item (``-1``: no theme)
    items_ : list of str, the segment ids or code names clustered
    item_vectors_ : ndarray (n_items, d), the vectors clustered (for plots)
    similarity_ : ndarray (n_items, n_items)
    n_themes_ : int
    outliers_ : DataFrame, segment_id, text, nearest_theme, similarity
    unplaced_codes_ : list of str, codes with no (non-empty) segment
    placements_ : list of Placement, seeded fit only: where each code went and why
    seed_name_weight_ : float, seeded fit only: the weight the code names got
    seeds_ : list of ThemeSeed, seeded fit only
    model_id_ : str, the embedder's model id
    """

    def __init__(self, of: Of = "codes", *, embedder: Embedder | None = None, reducer: Reducer | None = None,
                 clusterer: Clusterer | Any | None = None, labeller: Labeller | None = None,
                 n_themes: int | None = None, definition_weight: float = 0.15, cooccurrence_weight: float = 1.0,
                 center: bool = True, n_terms: int = 5, n_quotes: int = 3, min_quote_words: int = 6,
                 spread_by: Sequence[str] = ("participant", "sector", "wave", "question"),
                 outlier_threshold: float = 0.05, min_words: int = 5, cooccurrence: str = "npmi",
                 min_cooccurrence: int = 2, exclude_terms: Sequence[str] = (), seed_names: bool = True,
                 min_fit: float = 0.0, name_weight: float | str = "auto") -> None:
        self.of = of
        self.embedder = embedder
        self.reducer = reducer
        self.clusterer = clusterer
        self.labeller = labeller
        self.n_themes = n_themes
        self.definition_weight = definition_weight
        self.cooccurrence_weight = cooccurrence_weight
        self.center = center
        self.n_terms = n_terms
        self.n_quotes = n_quotes
        self.min_quote_words = min_quote_words
        self.spread_by = spread_by
        self.outlier_threshold = outlier_threshold
        self.min_words = min_words
        self.cooccurrence = cooccurrence
        self.min_cooccurrence = min_cooccurrence
        self.exclude_terms = exclude_terms
        self.seed_names = seed_names
        self.min_fit = min_fit
        self.name_weight = name_weight

    # -- fitting ------------------------------------------------------------------
    def _embedder(self) -> Embedder:
        if self.embedder is None:
            from qdakit.embed import SentenceTransformerEmbedder

            self.embedder = SentenceTransformerEmbedder()
        return self.embedder

    def _labeller(self) -> Labeller:
        if self.labeller is not None:
            return self.labeller
        words = sorted({w.lower() for term in self.exclude_terms for w in str(term).replace("_", " ").split()})
        return CTfidfLabeller(stop_words=words)

    def fit(self, segments: pd.DataFrame, codings: pd.DataFrame | None = None,
            codebook: Codebook | None = None,
            seeds: Mapping[str, Any] | Sequence[ThemeSeed] | None = None) -> ThemeClusterer:
        """Cluster, label and describe candidate themes.

        Parameters
        ----------
        segments : DataFrame
            ``id``, ``text``, and optionally ``participant``, ``question`` and
            attribute columns (``sector``, ``wave``). Empty texts are skipped.
        codings : DataFrame, optional
            ``segment_id``, ``code`` (human codings; duplicates across coders
            count once). Needed for ``of="codes"`` and for merge/split proposals.
        codebook : Codebook, optional
            Gives each code's description for its definition embedding.
        seeds : mapping or list of ThemeSeed, optional
            The researcher's themes: ``{"Funding": ["grants", "budget"], "Trust": []}``,
            ``{"Trust": "how partners rely on each other"}`` or
            :class:`ThemeSeed` objects. Every other code is placed in the theme it fits
            best (:func:`~qdakit.themes.place_codes`), or in a proposed new theme when
            none fits; ``placements_`` says where and why. Seed codes stay where the
            researcher put them. Codes only (``of="codes"``); ``n_themes`` must be unset.
        """
        if self.of not in _OF:
            raise ValueError(f"of={self.of!r}: use 'segments' or 'codes'")
        seed_list = seeds_from(seeds) if seeds is not None else None
        if seed_list is not None and (self.of != "codes" or self.n_themes is not None):
            raise ValueError("seeded themes place codes: use of='codes' and leave n_themes unset "
                             "(the seeds say how many themes there are)")
        if self.cooccurrence not in ("npmi", "ochiai"):
            raise ValueError(f"cooccurrence={self.cooccurrence!r}: use 'npmi' or 'ochiai'")
        if self.n_themes is not None and int(self.n_themes) < 1:
            raise ValueError(f"n_themes={self.n_themes}: give a positive number of themes, or None")
        missing = {"id", "text"} - set(segments.columns)
        if missing:
            raise ValueError(f"segments lack column(s) {', '.join(sorted(missing))}; need id and text")
        text = segments["text"].fillna("").astype(str)
        keep = text.str.strip() != ""
        if self.of == "segments":
            keep &= text.str.split().str.len() >= self.min_words
        segs = segments[keep].reset_index(drop=True)
        segs = segs.assign(id=segs["id"].astype(str))
        if self.of == "codes" and codings is None:
            raise ValueError("of='codes' needs the codings (segment_id, code); pass codings=, "
                             "or cluster the segments with of='segments'")
        if segs.empty:
            raise ValueError("no segment with text to cluster" + (f" (segments of >= {self.min_words} words)"
                                                                  if self.of == "segments" else ""))
        emb = self._embedder()
        self.model_id_ = str(getattr(emb, "model_id", type(emb).__name__))
        E = _unit(emb.encode(segs["text"].astype(str).tolist()))
        Ec = _unit(E - E.mean(axis=0)) if self.center and len(E) > 1 else E
        self.segments_ = segs
        self.segment_ids_ = segs["id"].tolist()
        self.segment_vectors_ = Ec
        self._segment_raw = E
        self._fit_codes(segs, codings, codebook, Ec, E)
        if self.of == "segments":
            items, X, extra = self.segment_ids_, Ec, None
        else:
            if not self.code_names_:
                raise ValueError("no code has a coded segment with text; nothing to cluster")
            items, X, extra = self.code_names_, self.code_vectors_, self.cooccurrence_weight * self.cooccurrence_
        reducer = self.reducer if self.reducer is not None else NullReducer()
        X = _unit(reducer.fit_transform(X)) if not isinstance(reducer, NullReducer) else X
        S = X @ X.T + (extra if extra is not None else 0.0)
        clusterer = self.clusterer if self.clusterer is not None else _default_clusterer(self.of)
        self.items_ = list(items)
        self.item_vectors_ = X
        self.similarity_ = S
        self.seeds_ = seed_list or []
        self.placements_: list[Placement] = []
        if seed_list is not None:
            self.labels_ = self._place(seed_list, clusterer)
        else:
            n_themes = None if self.n_themes is None else min(int(self.n_themes), len(items))
            self.labels_ = self._renumber(run_clusterer(clusterer, X, S, n_themes))
        self.n_themes_ = int(self.labels_.max()) if (self.labels_ > 0).any() else 0
        self.themes_ = self._describe()
        self.outliers_ = self._outliers()
        return self

    def _place(self, seeds: list[ThemeSeed], clusterer: Any) -> np.ndarray:
        """Seeded themes get ids 1..len(seeds) in the researcher's order; codes that fit none are
        clustered among themselves into proposed new themes (ids after them)."""
        emb = self._embedder()
        anchors = _unit(emb.encode([_humanise(s.text) for s in seeds])) if self.seed_names else None
        names = _unit(emb.encode([self._definitions[c] for c in self.items_]))
        centred, centred_anchors = centre_names(names, anchors)
        # chosen with the theme nodes at weight 1, as benchmarks/themes_suite.py measured it; the
        # placement below weighs them 2 (place_codes' default)
        self.seed_name_weight_ = name_weight_for(self.item_vectors_, seed_themes(self.items_, seeds), centred_anchors,
                                                 len(seeds), centred, self.name_weight, anchor_weight=1.0)
        placements = place_codes(self.items_, self.item_vectors_, seeds, anchors, self._incidence, names=names,
                                 name_weight=self.seed_name_weight_, min_fit=self.min_fit)
        theme_names = [s.name for s in seeds]
        labels = np.array([theme_names.index(p.theme) + 1 if p.theme is not None else -1 for p in placements])
        new = np.flatnonzero(labels < 0)
        if len(new):
            raw = run_clusterer(clusterer, self.item_vectors_[new], self.similarity_[np.ix_(new, new)], None)
            extra = self._renumber(raw)
            labels[new] = np.where(extra > 0, extra + len(seeds), -1)
            placements = [p if labels[i] <= len(seeds) else replace(p, proposed_theme=int(labels[i]))
                          for i, p in enumerate(placements)]
        self.placements_ = placements
        return labels

    def fit_predict(self, segments: pd.DataFrame, codings: pd.DataFrame | None = None,
                    codebook: Codebook | None = None) -> np.ndarray:
        """Fit, and return ``labels_`` (theme id per item, -1 for none)."""
        return self.fit(segments, codings, codebook).labels_

    def _fit_codes(self, segs: pd.DataFrame, codings: pd.DataFrame | None, codebook: Codebook | None,
                   Ec: np.ndarray, E: np.ndarray) -> None:
        self.code_names_: list[str] = []
        self.unplaced_codes_: list[str] = []
        self._definitions: dict[str, str] = {}
        if codings is None:
            return
        index = {sid: i for i, sid in enumerate(segs["id"])}
        units = codings.assign(segment_id=codings["segment_id"].astype(str))
        units = units[units["segment_id"].isin(index)].drop_duplicates(["segment_id", "code"])
        seen = list(dict.fromkeys(units["code"]))
        order = [c for c in codebook.names if c in set(seen)] if codebook is not None else []
        names = order + [c for c in seen if c not in set(order)]
        if codebook is not None:
            self.unplaced_codes_ = [c for c in codebook.names if c not in set(names)]
        M = np.zeros((len(names), len(segs)))
        pos = {c: i for i, c in enumerate(names)}
        M[[pos[c] for c in units["code"]], [index[s] for s in units["segment_id"]]] = 1.0
        counts = M.sum(axis=1, keepdims=True)
        definitions = [_humanise(c) + (f". {codebook[c].description}" if codebook is not None and c in codebook
                                       and codebook[c].description else "") for c in names]
        w = float(self.definition_weight)
        centroid = _unit(M @ Ec / np.where(counts > 0, counts, 1.0))
        D = _unit(self._embedder().encode(definitions)) if names and w > 0 else np.zeros_like(centroid)
        self.code_names_ = names
        self._definitions = dict(zip(names, definitions, strict=True))
        self.code_segments_ = {c: [self.segment_ids_[j] for j in np.flatnonzero(M[i])] for i, c in enumerate(names)}
        self.code_vectors_ = _unit((1 - w) * centroid + w * D)
        self.code_centroids_ = _unit(M @ E / np.where(counts > 0, counts, 1.0))  # uncentred, for merges
        self.code_centroids_centred_ = centroid
        self.overlap_ = ochiai(M)  # for merge proposals
        self.cooccurrence_ = (npmi(M, min_count=int(self.min_cooccurrence)) if self.cooccurrence == "npmi"
                              else self.overlap_)
        self._incidence = M

    @staticmethod
    def _renumber(raw: np.ndarray) -> np.ndarray:
        """Theme ids 1..k, largest first (ties: first item first); -1 stays -1."""
        ids = [c for c in dict.fromkeys(raw.tolist()) if c >= 0]
        ids.sort(key=lambda c: -int((raw == c).sum()))
        new = {c: i + 1 for i, c in enumerate(ids)}
        return np.array([new.get(c, -1) for c in raw.tolist()], dtype=int)

    def _theme_segments(self, members: Sequence[int] | np.ndarray) -> list[int]:
        """Row indices (into the segments) of the segments a theme's members cover."""
        if self.of == "segments":
            return list(members)
        covered = self._incidence[list(members)].sum(axis=0) > 0
        return np.flatnonzero(covered).tolist()

    def _describe(self) -> list[CandidateTheme]:
        ids = sorted(t for t in set(self.labels_.tolist()) if t > 0)
        texts = self.segments_["text"].astype(str).tolist()
        if self.of == "segments":
            documents = texts
        else:
            documents = [". ".join([_humanise(c), *(texts[j] for j in np.flatnonzero(self._incidence[i]))])
                         for i, c in enumerate(self.code_names_)]
        terms = self._labeller().label(documents, self.labels_, self.n_terms) if ids else {}
        seeded = {i + 1: s.name for i, s in enumerate(self.seeds_)}
        themes = []
        for t in ids:
            members = np.flatnonzero(self.labels_ == t)
            X = self.item_vectors_[members]
            scores = X @ _unit(X.mean(axis=0))
            rows = self._theme_segments(members)
            seg_scores = self.segment_vectors_[rows] @ _unit(self.segment_vectors_[rows].mean(axis=0))
            themes.append(CandidateTheme(
                id=t, of=self.of, label=tuple(terms.get(t, [])),
                members=tuple(self.items_[i] for i in members),
                member_scores=tuple(round(float(s), 4) for s in scores),
                segments=tuple(self.segment_ids_[j] for j in rows),
                quotes=self._quotes(rows, seg_scores), spread=self._spread(rows),
                cohesion=round(float(scores.mean()), 4), name=seeded.get(t)))
        return themes

    def _quotes(self, rows: list[int], sims: np.ndarray) -> tuple[Quote, ...]:
        """Typical quotes from different participants (as :func:`qdakit.analysis.quotes.exemplar_quotes`)."""
        segs = self.segments_.iloc[rows]
        long_enough = segs["text"].astype(str).str.split().str.len().to_numpy() >= self.min_quote_words
        order = sorted(range(len(rows)), key=lambda i: (not long_enough[i], -sims[i], i))
        chosen: list[int] = []
        seen: set[Any] = set()
        for pass_ in (0, 1):  # first distinct participants, then fill up
            for i in order:
                who = segs.iloc[i].get("participant")
                if len(chosen) == self.n_quotes or i in chosen or (pass_ == 0 and who in seen and pd.notna(who)):
                    continue
                chosen.append(i)
                seen.add(who)
        keys = [k for k in ("sector", "wave") if k in segs.columns]
        out = []
        for i in chosen:
            r = segs.iloc[i]
            who = r.get("participant")
            out.append(Quote(str(r["id"]), str(r["text"]).strip(), attribution(r, keys),
                             None if who is None or pd.isna(who) else str(who), round(float(sims[i]), 4)))
        return tuple(out)

    def _spread(self, rows: list[int]) -> dict[str, dict[str, int]]:
        segs = self.segments_.iloc[rows]
        out: dict[str, dict[str, int]] = {}
        for col in self.spread_by:
            if col in segs.columns and segs[col].notna().any():
                counts = segs[col].dropna().astype(str).value_counts()
                out[col] = {str(k): int(v) for k, v in sorted(counts.items())}
        return out

    def _outliers(self) -> pd.DataFrame:
        cols = ["segment_id", "text", "nearest_theme", "similarity"]
        if not self.themes_:
            return pd.DataFrame(columns=cols)
        index = {sid: i for i, sid in enumerate(self.segment_ids_)}
        V = self.segment_vectors_
        member = np.zeros((len(V), len(self.themes_)), dtype=bool)
        for k, t in enumerate(self.themes_):
            member[[index[s] for s in t.segments], k] = True
        candidates = np.flatnonzero(member.any(axis=1))
        if self.of == "segments":
            extra = np.array([index[self.items_[i]] for i in np.flatnonzero(self.labels_ < 0)], dtype=int)
            candidates = np.union1d(candidates, extra).astype(int)
        if not len(candidates):
            return pd.DataFrame(columns=cols)
        # a segment is compared with each theme's centroid *without itself* (leave one out)
        sums, counts = member.T.astype(float) @ V, member.sum(axis=0).astype(float)
        X = V[candidates]
        own = member[candidates]
        loo_counts = counts[None, :] - own
        dots = X @ sums.T - own * 1.0  # e . (sum - e) = e . sum - 1 for unit e
        norms = np.sqrt(np.clip(np.einsum("kd,kd->k", sums, sums)[None, :] - 2 * own * (X @ sums.T) + own, 0, None))
        with np.errstate(invalid="ignore", divide="ignore"):
            sims = np.where((loo_counts > 0) & (norms > 0), dots / np.where(norms > 0, norms, 1.0), np.nan)
        if np.isnan(sims).all(axis=1).any():
            sims = np.where(np.isnan(sims).all(axis=1, keepdims=True), np.inf, sims)  # alone in a theme: fits it
        best = np.nanargmax(sims, axis=1)
        top = sims[np.arange(len(candidates)), best]
        texts = self.segments_["text"].astype(str).to_numpy()
        keep = top < self.outlier_threshold
        rows = [{"segment_id": self.segment_ids_[candidates[i]], "text": texts[candidates[i]],
                 "nearest_theme": self.themes_[best[i]].id, "similarity": round(float(top[i]), 4)}
                for i in np.flatnonzero(keep)]
        return pd.DataFrame(rows, columns=cols).sort_values("similarity", kind="stable").reset_index(drop=True)

    # -- proposals ----------------------------------------------------------------
    def _check_fitted(self, codes: bool = False) -> None:
        if not hasattr(self, "labels_"):
            raise NotFittedError("this ThemeClusterer is not fitted yet; call fit(segments, codings) first")
        if codes and not self.code_names_:
            raise NotFittedError("merge and split proposals need codes: fit with codings=(segment_id, code)")

    def propose_merges(self, *, min_similarity: float = 0.85, min_cooccurrence: float = 0.3) -> list[MergeProposal]:
        """Pairs of near-duplicate codes: centroid cosine >= ``min_similarity`` AND co-occurrence
        (Ochiai) >= ``min_cooccurrence``. Most similar first."""
        self._check_fitted(codes=True)
        C = self.code_centroids_ @ self.code_centroids_.T
        cooc = self.overlap_
        shared = self._incidence @ self._incidence.T
        i, j = np.triu_indices(len(C), 1)
        hit = (C[i, j] >= min_similarity) & (cooc[i, j] >= min_cooccurrence)
        out = [MergeProposal((self.code_names_[a], self.code_names_[b]), round(float(C[a, b]), 4),
                             round(float(cooc[a, b]), 4), int(shared[a, b]))
               for a, b in zip(i[hit], j[hit], strict=True)]
        return sorted(out, key=lambda m: (-m.similarity, m.codes))

    def propose_splits(self, *, min_silhouette: float = 0.25, min_segments: int = 6,
                       min_share: float = 0.2) -> list[SplitProposal]:
        """Codes whose segments fall into two clear sub-groups: a 2-means split of the code's
        segment embeddings with silhouette >= ``min_silhouette``, each group holding at least
        ``min_share`` of the segments. Clearest first."""
        self._check_fitted(codes=True)
        labeller = self._labeller()
        texts = self.segments_["text"].astype(str).tolist()
        out = []
        for i, code in enumerate(self.code_names_):
            rows = np.flatnonzero(self._incidence[i])
            if len(rows) < max(min_segments, 4):
                continue
            X = self.segment_vectors_[rows]
            split = KMeans(n_clusters=2, n_init=10, random_state=0).fit_predict(X)
            if min(np.bincount(split, minlength=2)) < max(2, min_share * len(rows)):
                continue
            score = float(silhouette_score(X, split, metric="cosine"))
            if score < min_silhouette:
                continue
            terms = labeller.label([texts[r] for r in rows], split, self.n_terms)
            groups = tuple(tuple(self.segment_ids_[r] for r in rows[split == g]) for g in (0, 1))
            out.append(SplitProposal(code, round(score, 4), groups,  # type: ignore[arg-type]
                                     (tuple(terms.get(0, [])), tuple(terms.get(1, [])))))
        return sorted(out, key=lambda s: -s.silhouette)

    def propose_codes(self, *, max_fit: float = 0.2, min_size: int = 3,
                      threshold: float = 0.05) -> list[CandidateCode]:
        """Candidate new codes: uncoded segments no code covers well (centred cosine to every
        code's centroid < ``max_fit``) that cluster together, groups of >= ``min_size``
        (:func:`qdakit.themes.propose_codes`)."""
        return propose_codes(self, max_fit=max_fit, min_size=min_size, threshold=threshold,
                             min_words=self.min_words)

    def theme(self, theme_id: int) -> CandidateTheme:
        """The candidate theme with this id."""
        self._check_fitted()
        for t in self.themes_:
            if t.id == theme_id:
                return t
        raise KeyError(f"no candidate theme {theme_id}; ids are 1..{self.n_themes_}")

"""Benchmark: candidate themes against human parent codes (online-proctoring survey).

Data: ``../shared/data/proctoring/irr_inputs/*(primary).csv``, one file per survey
question: the free-text answers and the primary coder's codes. A sub-code such as
``permissions->correct`` has a human parent (``permissions``). For each question
file the sub-codes are clustered into candidate themes and compared with the
human parents by the adjusted Rand index (ARI) and adjusted mutual information
(AMI) of :mod:`sklearn.metrics` (not NMI: shuffled labels already get 0.3-0.6 here).

What a sub-code is represented by, and what it is not
-----------------------------------------------------
* the answers coded with it (their texts only: the code columns never reach the
  embedder), and its own name **without the parent prefix** (``correct``, not
  ``permissions->correct``), humanised (``"correct"``);
* its co-occurrence with the *other sub-codes* on the same answers;
* NOT the top-level codes: every answer with a sub-code also carries its parent
  code, so using them would hand over the answer;
* deeper sub-codes (``a->b->c``) are folded into their first-level sub-code
  (``a->b``): the coders always applied ``a->b`` with ``a->b->c``, so keeping them
  as separate items would add co-occurrences made by the coding convention, which
  also betray the hierarchy;
* items are ordered by name, not by parent, so no tie-break sees the grouping.

Methods, all in the same run and on the same embeddings (all-MiniLM-L6-v2):

* **ours**: :class:`qdakit.themes.ThemeClusterer` with its defaults, choosing the
  number of themes itself; and the same with the true number of parents;
* **k-means**: k-means with the true number of parents on the same item vectors;
* **BERTopic-style**: PCA to 5 dimensions (standing in for UMAP), HDBSCAN
  (min_cluster_size=2; outliers count as singletons) and c-TF-IDF labels from a
  ``CountVectorizer``, all scikit-learn;
* ``--quick`` stops there; the full run adds ablations (names only, answers only,
  no co-occurrence, no centring) and a sensitivity grid over the definition
  weight, the co-occurrence weight and the clusterer (linkage; cut by modularity
  or by a similarity threshold), with a leave-one-file-out estimate of what
  tuning them buys.

Reported: the macro mean over the question files with at least 3 parents, and
pooled over all files (labels namespaced by file, so a pooled ARI also rewards
never mixing files: it is higher than the macro mean by construction).

Embeddings are cached in ``benchmarks/.cache/themes.embeddings.sqlite``.

Usage: ``python benchmarks/themes.py [--quick] [--data DIR] [--cache PATH] [--device cuda] [--model NAME]``.
Ends with ``RESULT ari=... ami=... kmeans_ari=... bertopic_ari=... ...``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import sys
import time
import warnings
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import HDBSCAN, KMeans
from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

from qdakit import Code, Codebook
from qdakit.embed import CachedEmbedder, EmbeddingCache, LongTextWarning, SentenceTransformerEmbedder
from qdakit.themes import AgglomerativeThemes, ThemeClusterer

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data" / "proctoring" / "irr_inputs"
CACHE = HERE / ".cache" / "themes.embeddings.sqlite"


@dataclass
class Question:
    name: str  # N2, Q8, ...
    segments: pd.DataFrame  # id, text (every answer with text)
    codings: pd.DataFrame  # segment_id, code (first-level sub-codes, by their name without the prefix)
    codebook: Codebook
    parent: dict[str, str]  # code -> human parent

    @property
    def codes(self) -> list[str]:
        return list(self.codebook.names)

    @property
    def n_parents(self) -> int:
        return len(set(self.parent.values()))


def load(data: Path) -> list[Question]:
    out = []
    for path in sorted(data.glob("*(primary).csv"), key=lambda p: (p.name.split(" - ")[-1][0], p.name)):
        name = re.search(r" - (\w+) \(primary\)", path.name).group(1)
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        code_cols = [c for c in frame.columns if c.startswith("Code")]
        texts = frame.iloc[:, 1].str.strip()
        members: dict[tuple[str, str], set[int]] = defaultdict(set)
        for i, row in frame.iterrows():
            for col in code_cols:
                parts = [p.strip() for p in row[col].split("->")]
                if len(parts) >= 2 and texts[i]:
                    members[(parts[0], parts[1])].add(i)  # a->b->c counts for a->b
        # names without the prefix; a leaf used under two parents gets " (2)"
        names: dict[tuple[str, str], str] = {}
        used: dict[str, int] = defaultdict(int)
        for key in sorted(members, key=lambda k: (k[1].casefold(), k[0])):
            used[key[1].casefold()] += 1
            names[key] = key[1] if used[key[1].casefold()] == 1 else f"{key[1]} ({used[key[1].casefold()]})"
        segments = pd.DataFrame({"id": [f"{name}#{i}" for i in range(len(frame))], "text": texts})
        segments = segments[segments["text"] != ""].reset_index(drop=True)
        codings = pd.DataFrame([(f"{name}#{i}", names[k]) for k in members for i in sorted(members[k])],
                               columns=["segment_id", "code"]).sort_values(["segment_id", "code"])
        codebook = Codebook([Code(names[k]) for k in sorted(names, key=lambda k: names[k].casefold())])
        out.append(Question(name, segments, codings.reset_index(drop=True), codebook,
                            {names[k]: k[0] for k in members}))
    return out


def scores(truth: list[str], pred: np.ndarray) -> tuple[float, float]:
    if len(truth) < 2:
        return float("nan"), float("nan")
    return float(adjusted_rand_score(truth, pred)), float(adjusted_mutual_info_score(truth, pred))


def singletons(labels: np.ndarray) -> np.ndarray:
    """HDBSCAN outliers (-1) each become their own cluster."""
    labels = labels.copy()
    nxt = labels.max() + 1
    for i in np.flatnonzero(labels < 0):
        labels[i] = nxt
        nxt += 1
    return labels


def bertopic_style(X: np.ndarray, docs: list[str]) -> tuple[np.ndarray, dict[int, list[str]]]:
    """PCA(5) -> HDBSCAN -> c-TF-IDF (CountVectorizer, BERTopic's formula)."""
    n = len(X)
    Z = PCA(n_components=min(5, n - 1), random_state=0).fit_transform(X) if n > 6 else X
    labels = HDBSCAN(min_cluster_size=2, min_samples=1, copy=True).fit_predict(Z) if n >= 3 else np.zeros(n, dtype=int)
    labels = singletons(labels)
    classes = sorted(set(labels.tolist()))
    joined = [" ".join(d for d, l in zip(docs, labels) if l == c) for c in classes]
    cv = CountVectorizer(stop_words="english").fit(joined)
    tf = cv.transform(joined).toarray().astype(float)
    tf /= np.maximum(tf.sum(axis=1, keepdims=True), 1)
    W = tf * np.log1p(tf.sum(axis=1).mean() / np.maximum(tf.sum(axis=0), 1e-12))
    vocab = cv.get_feature_names_out()
    return labels, {c: [vocab[i] for i in np.argsort(-W[k])[:3]] for k, c in enumerate(classes)}


def fit(q: Question, emb, **params) -> ThemeClusterer:
    return ThemeClusterer("codes", embedder=emb, **params).fit(q.segments, q.codings, q.codebook)


def truth_of(q: Question, tc: ThemeClusterer) -> list[str]:
    return [q.parent[c] for c in tc.items_]


VARIANTS = {  # name -> ThemeClusterer params (ablations, all choosing k themselves)
    "names only": {"definition_weight": 1.0, "cooccurrence_weight": 0.0},
    "answers only": {"definition_weight": 0.0, "cooccurrence_weight": 0.0},
    "no co-occurrence": {"cooccurrence_weight": 0.0},
    "no centring": {"center": False},
}
GRID = list(itertools.product([0.0, 0.15, 0.3], [0.0, 0.5, 1.0],
                              [("complete", "modularity"), ("average", "modularity"), ("complete", 0.0)]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="defaults and baselines only (< 1 min)")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--model", default=None,
                    help="another sentence-transformers model (name or folder); default: the bundled MiniLM")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.simplefilter("ignore", LongTextWarning)
    t0 = time.perf_counter()
    questions = load(args.data)
    model = SentenceTransformerEmbedder(args.model, device=args.device) if args.model else \
        SentenceTransformerEmbedder(device=args.device)
    emb = CachedEmbedder(model, EmbeddingCache(args.cache))
    print(f"embedder: {model.model_id}")
    rows, labels_out, pooled = [], [], defaultdict(list)
    extra: dict[str, list[float]] = defaultdict(list)
    grid = np.full((len(GRID), len(questions)), np.nan)
    for qi, q in enumerate(questions):
        if len(q.codes) < 2:
            pooled["truth"] += [f"{q.name}:{p}" for p in q.parent.values()]
            for key in ("ours", "truek", "kmeans", "bertopic"):
                pooled[key] += [f"{q.name}:0"] * len(q.codes)
            rows.append({"file": q.name, "codes": len(q.codes), "parents": q.n_parents, "themes": 1})
            continue
        tc = fit(q, emb)
        truth = truth_of(q, tc)
        k = q.n_parents
        ours = tc.labels_
        truek = fit(q, emb, n_themes=k).labels_
        km = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(tc.item_vectors_)
        docs = [". ".join([c.replace("_", " "), *q.segments.set_index("id").loc[tc.code_segments_[c], "text"]])
                for c in tc.items_]
        bt, _ = bertopic_style(tc.item_vectors_, docs)
        row = {"file": q.name, "codes": len(q.codes), "parents": k, "themes": tc.n_themes_}
        for key, lab in (("ours", ours), ("truek", truek), ("kmeans", km), ("bertopic", bt)):
            row[f"{key}_ari"], row[f"{key}_ami"] = scores(truth, lab)
            pooled[key] += [f"{q.name}:{x}" for x in lab]
        pooled["truth"] += [f"{q.name}:{p}" for p in truth]
        rows.append(row)
        if k >= 3:
            for t in tc.themes_:
                parents = pd.Series([q.parent[c] for c in t.members]).value_counts()
                labels_out.append((q.name, t.id, ", ".join(t.label[:4]), ", ".join(t.members),
                                   ", ".join(f"{p} x{n}" if n > 1 else p for p, n in parents.items())))
            if not args.quick:
                for name, params in VARIANTS.items():
                    extra[name].append(scores(truth, fit(q, emb, **params).labels_)[0])
                for gi, (dw, cw, (link, cut)) in enumerate(GRID):
                    clusterer = (AgglomerativeThemes(link, select="modularity") if cut == "modularity"
                                 else AgglomerativeThemes(link, threshold=cut))
                    lab = fit(q, emb, definition_weight=dw, cooccurrence_weight=cw, clusterer=clusterer).labels_
                    grid[gi, qi] = scores(truth, lab)[0]
    table = pd.DataFrame(rows)
    macro = table[table["parents"] >= 3]
    pd.set_option("display.width", 160)
    print(f"Candidate themes vs human parents: {len(questions)} question files, "
          f"{len(macro)} with >= 3 parents ({'quick' if args.quick else 'full'} run)\n")
    cols = ["file", "codes", "parents", "themes", "ours_ari", "ours_ami", "truek_ari", "kmeans_ari", "bertopic_ari"]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="-"))
    means = {c: float(macro[c].mean()) for c in table.columns if c.endswith(("_ari", "_ami"))}
    pooled_ari = {k: float(adjusted_rand_score(pooled["truth"], pooled[k])) for k in ("ours", "truek", "kmeans",
                                                                                     "bertopic")}
    print("\n                         macro ARI  macro AMI  pooled ARI")
    for key, title in (("ours", "ours (chooses k)"), ("truek", "ours (true k)"), ("kmeans", "k-means (true k)"),
                       ("bertopic", "BERTopic-style")):
        print(f"  {title:<22} {means[key + '_ari']:9.3f}  {means[key + '_ami']:9.3f}  {pooled_ari[key]:10.3f}")
    sem = float(macro["ours_ari"].std(ddof=1) / np.sqrt(len(macro)))
    k_error = float((macro["themes"] - macro["parents"]).abs().mean())
    print(f"  (standard error of ours' macro ARI over the {len(macro)} files: {sem:.3f}; "
          f"mean |themes - parents|: {k_error:.2f})")
    lofo = float("nan")
    if not args.quick:
        print("\nAblations (macro ARI, choosing k):")
        for name, vals in extra.items():
            note = ("  (the default threshold assumes centred vectors: uncentred, almost everything merges)"
                    if name == "no centring" else "")
            print(f"  {name:<22} {np.mean(vals):.3f}{note}")
        cols_eval = [i for i, q in enumerate(questions) if q.n_parents >= 3 and len(q.codes) >= 2]
        G = grid[:, cols_eval]
        print("\nSensitivity (macro ARI): definition_weight x cooccurrence_weight x (linkage, cut: modularity "
              "or threshold)")
        for gi in np.argsort(-G.mean(axis=1), kind="stable"):
            dw, cw, (link, cut) = GRID[gi]
            cut_name = cut if cut == "modularity" else f"threshold {cut}"
            print(f"  dw={dw:<4} cw={cw:<3} {link:<8} {cut_name:<13}  {G[gi].mean():.3f}")
        held = [G[int(np.argmax(np.delete(G, j, axis=1).mean(axis=1))), j] for j in range(G.shape[1])]
        lofo = float(np.mean(held))
        print(f"  leave-one-file-out (pick the best config on the other files, score the held-out one): "
              f"{lofo:.3f}")
    print("\nLabels produced (files with >= 3 parents) beside the human parents of their members:")
    print(pd.DataFrame(labels_out, columns=["file", "theme", "key terms", "member codes", "human parents"])
          .to_string(index=False, max_colwidth=60))
    print(f"\n{time.perf_counter() - t0:.1f} s; embeddings: {emb.n_hits} cached, {emb.n_misses} new")
    result = (f"RESULT ari={means['ours_ari']:.3f} ami={means['ours_ami']:.3f} kmeans_ari={means['kmeans_ari']:.3f} "
              f"bertopic_ari={means['bertopic_ari']:.3f} true_k_ari={means['truek_ari']:.3f} "
              f"pooled_ari={pooled_ari['ours']:.3f}")
    if not args.quick:
        result += f" lofo_tuned_ari={lofo:.3f}"
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

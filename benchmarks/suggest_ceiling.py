"""Bound: how far the default suggester's *scores* can go, whatever the operating point.

What this measures
------------------
``benchmarks/suggest_suite.py`` reports the suggester at its own default cut (chosen inside
``fit`` by cross-validation on the training units). Where a target is missed, this script asks
whether a better cut could have reached it: for each code, the cut that maximises Cohen's
kappa **on the held-out labels themselves** (an oracle). No user can have that cut, so this is
a bound, never a result: if even the oracle cut falls short of a target, the shortfall lies in
how the scores rank the units (the text representation and the classifier), not in the
threshold.

Protocol
--------
* The same data, folds and default ``CodeSuggester(embedder)`` as ``suggest_suite.py``; its
  ``predict_proba`` scores on each held-out fold are pooled over the folds, then each code's
  oracle cut is taken on the pooled held-out scores.
* shuffle_music: 5 participant-grouped folds, the 58 codes with >= 20 positives; beside it the
  same bound for MiniLM + logistic regression (class-balanced), the better baseline.
* AnnoMI (therapist behaviour, client talk; codes that exclude each other, one per
  utterance): fitted on the 126 training transcripts as in the suite; the operating point
  there is the per-code weighting before the argmax, so the oracle is a log-offset per code,
  found by coordinate ascent on a grid (-3..3, three passes) to maximise the mean kappa
  against the 10 coders of the 7 test transcripts, against the coders' mean pairwise kappa.
* proctoring: per question file, 5 respondent-grouped folds, codes with >= 5 positives; the
  bound on the answers both humans coded, against the secondary coder's kappa with the primary
  on those answers (the suite's human reference). With a few dozen answers per file the
  oracle is optimistic: it picks its cut on the very answers it is scored on.

Usage: ``python benchmarks/suggest_ceiling.py [--data DIR] [--cache FILE] [--embedder e5]`` (``e5``:
multilingual-e5-small, the other encoder the suite measures, instead of MiniLM). Embeddings are
read through the suite's cache. Ends with one line::

    RESULT shuffle_oracle=... shuffle_default=... shuffle_lr_oracle=... proctoring_files_oracle_at_human=...
           annomi_oracle=... annomi_human=... client_oracle=... client_human=...
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from qdakit.embed import CachedEmbedder, E5Embedder, EmbeddingCache, LongTextWarning, SentenceTransformerEmbedder
from qdakit.suggest import CodeSuggester
from qdakit.suggest.fitting import best_kappa_threshold

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import suggest_annomi as annomi  # noqa: E402
import suggest_suite as suite  # noqa: E402  (same folder: data loading, folds, kappas)


def suggester_scores(embedder):  # noqa: ANN001, ANN201
    def run(ds: suite.MultiLabel, tr: np.ndarray, te: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        segs = ds.segments.iloc[np.r_[tr, te]].reset_index(drop=True)
        test = ds.segments.iloc[te]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = CodeSuggester(embedder).fit(segs, ds.codebook, ds.codings(tr))
            scores = s.predict_proba(test).reindex(index=test["id"], columns=ds.codes).fillna(0.0).to_numpy()
            found = s.suggest(test, top_k=len(ds.codes))
        P = np.zeros((len(te), len(ds.codes)), dtype=int)
        row, col = {sid: i for i, sid in enumerate(test["id"])}, {c: j for j, c in enumerate(ds.codes)}
        for x in found:
            P[row[x.segment_id], col[x.code]] = 1
        return scores, P
    return run


def lr_scores(embedder):  # noqa: ANN001, ANN201
    def run(ds: suite.MultiLabel, tr: np.ndarray, te: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = embedder.encode(ds.segments["text"].tolist())
        scores = np.zeros((len(te), len(ds.codes)))
        for j in range(len(ds.codes)):
            y = ds.Y[tr, j]
            if y.min() == y.max():
                scores[:, j] = y[0]
                continue
            clf = LogisticRegression(max_iter=3000, class_weight="balanced", solver="liblinear").fit(X[tr], y)
            scores[:, j] = clf.predict_proba(X[te])[:, 1]
        return scores, (scores >= 0.5).astype(int)
    return run


def pooled(ds: suite.MultiLabel, fn, k: int = 5) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """Held-out scores and decisions of every unit, each from the fold that held it out."""
    folds = suite.folds_by_group(ds.segments["transcript_id"].to_numpy(), k)
    S, P = np.zeros(ds.Y.shape), np.zeros_like(ds.Y)
    for f in range(k):
        tr, te = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        S[te], P[te] = fn(ds, tr, te)
    return S, P


def oracle_kappas(Y: np.ndarray, S: np.ndarray, cols: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    r = np.arange(len(Y)) if rows is None else rows
    out = []
    for j in cols:
        y = Y[r, j]
        out.append(1.0 if y.min() == y.max() else best_kappa_threshold(S[r, j], y)[1])
    return np.array(out)


def annomi_bound(role: str, data: Path, embedder) -> tuple[float, float, float]:  # noqa: ANN001
    """(own, oracle, human) mean kappa against the 10 coders: the suggester's ``predict`` and the
    best per-code log-offsets on the test coders' labels."""
    import pandas as pd

    task = annomi.load(data / "annomi" / "AnnoMI-full.csv", role)
    pred, s, _ = annomi.run_suggester(task, embedder, task.train_tids)
    test = task.segments[task.segments["id"].isin(set(task.test.index))]
    P = s.predict_proba(test, context=task.context)
    codes = np.asarray(P.columns, dtype=object)
    L = np.log(np.clip(P.to_numpy(), 1e-6, 1.0))

    def agreement(offsets: np.ndarray) -> float:
        return annomi.mean_kappa(task.test, pd.Series(codes[(L + offsets).argmax(axis=1)], index=P.index))[0]

    best_b, best = np.zeros(len(codes)), agreement(np.zeros(len(codes)))
    for _ in range(3):
        for j in range(len(codes)):
            for g in np.linspace(-3, 3, 25):
                b = best_b.copy()
                b[j] = g
                k = agreement(b)
                if k > best:
                    best_b, best = b, k
    return annomi.mean_kappa(task.test, pred)[0], best, annomi.human_kappa(task.test)[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=suite.DATA)
    ap.add_argument("--cache", type=Path, default=suite.CACHE)
    ap.add_argument("--embedder", choices=("minilm", "e5"), default="minilm")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.simplefilter("ignore", LongTextWarning)
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    emb = CachedEmbedder(E5Embedder() if args.embedder == "e5" else SentenceTransformerEmbedder(),
                         EmbeddingCache(args.cache))
    print(f"encoder: {emb.model_id}")
    result: dict[str, float] = {}

    ds = suite.load_shuffle(args.data)
    cols = np.flatnonzero(ds.Y.sum(0) >= 20)
    S, P = pooled(ds, suggester_scores(emb))
    Sb, Pb = pooled(ds, lr_scores(emb))
    rows = [("suggester (defaults)", suite.kappas(ds.Y, P, cols), oracle_kappas(ds.Y, S, cols)),
            (f"{args.embedder} embedding + LR", suite.kappas(ds.Y, Pb, cols), oracle_kappas(ds.Y, Sb, cols))]
    print(f"shuffle_music, {len(cols)} codes: mean kappa at the method's own cut, and with each code's cut "
          "chosen on the held-out labels (oracle, a bound)")
    print("| method | own cut | oracle cut | codes >= 0.6 (oracle) |\n|---|---|---|---|")
    for name, own, orc in rows:
        print(f"| {name} | {own.mean():.3f} | {orc.mean():.3f} | {int((orc >= 0.6).sum())} |")
    result["shuffle_default"], result["shuffle_oracle"] = rows[0][1].mean(), rows[0][2].mean()
    result["shuffle_lr_oracle"] = rows[1][2].mean()

    print("\nproctoring, answers both humans coded: suggester at the oracle cut against the secondary coder")
    print("| file | answers | oracle cut | secondary coder |\n|---|---|---|---|")
    at_human, files = 0, [d for d in suite.load_proctoring(args.data) if (d.Y.sum(0) >= 5).any()]
    for ds in files:
        both = np.flatnonzero(~np.isnan(ds.human[:, 0]))
        cols = np.flatnonzero(ds.Y.sum(0) >= 5)
        human = suite.kappas(ds.Y, np.nan_to_num(ds.human).astype(int), cols, both).mean()
        S, _ = pooled(ds, suggester_scores(emb))
        bound = oracle_kappas(ds.Y, S, cols, both).mean()
        at_human += int(bound >= human)
        print(f"| {ds.name} | {len(ds.Y)} | {bound:.3f} | {human:.3f} |")
    print(f"oracle cut at or above the secondary coder on {at_human} of {len(files)} files")
    result["proctoring_files_oracle_at_human"] = at_human

    print("\nAnnoMI, one code per utterance: mean kappa against the 10 coders")
    print("| task | own operating point | oracle offsets | coders' mean pairwise |\n|---|---|---|---|")
    for role, key in (("therapist", "annomi"), ("client", "client")):
        own, bound, human = annomi_bound(role, args.data, emb)
        print(f"| {role} | {own:.3f} | {bound:.3f} | {human:.3f} |")
        result[f"{key}_oracle"], result[f"{key}_human"] = bound, human
    print("RESULT " + " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

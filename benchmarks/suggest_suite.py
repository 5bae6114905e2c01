"""Benchmark: the default code suggester on three human-coded data sets, against baselines and humans.

Protocol (honest by construction)
---------------------------------
* One suggester, **default settings**, for every data set: ``CodeSuggester(embedder)`` with no
  per-data-set parameter, used as ``qdakit precode`` uses it (``suggest`` with precode's default
  ``top_k``; a code is taken where it is suggested). For AnnoMI, whose codes exclude each
  other, the decision is ``CodeSuggester.predict`` (one code per utterance), as in
  ``benchmarks/suggest_annomi.py``.
* Every setting the suggester uses (the feature profile, per-code thresholds, Platt calibration,
  the blend weight of supervised and zero-shot scores, the zero-shot calibration) is chosen inside ``fit``,
  by cross-validation on the training units only. Held-out units are used once, for the
  figure; nothing here is chosen on them. The defaults themselves were chosen while
  developing on these data sets, so a separate held-out data set is the real test.
* Units are split by the one who answered (participant / respondent / transcript), never by row.
* Agreement is Cohen's kappa per code between the gold coder's 0/1 decision and the
  machine's 0/1 decision on held-out units, averaged over the scored codes.
* Baselines, fitted in the same run on the same folds: TF-IDF word 1-2 grams + logistic
  regression, and MiniLM embedding + logistic regression, both ``class_weight="balanced"``,
  threshold 0.5 (one binary model per code; for AnnoMI one multinomial model, argmax).
* Human reference where one exists: AnnoMI, mean pairwise kappa of the 10 coders on the 7
  transcripts all coded; proctoring, the secondary coder against the primary on the
  answers both coded (the machine is scored on the same answers for that comparison).

Data sets (``../shared/data`` by default)
----------------------------------------
* **AnnoMI** therapist behaviour (4 codes) and client talk type (3 codes): train on the 126
  single-coder transcripts, test on the 7 multi-coder ones (kappa against each of 10 coders).
* **shuffle_music**: 784 answers, 76 level-3 codes (about 7 per answer); 5-fold CV grouped by
  participant; codes with >= 20 positives scored (58). The study workbook holds no code
  definitions, so codes are given by name only.
* **proctoring**: one coded question per file, multi-label, hierarchical codes
  (``parent->child`` kept as codes of their own); 5-fold CV over respondents within a file;
  codes with >= 5 positives scored; files without such a code are skipped.

Learning curve: the same folds with only 20, 50, 100 (answers, AnnoMI: transcripts) or all
training units coded; the fit still sees the held-out units' texts uncoded, as
``qdakit precode`` does.

Usage: ``python benchmarks/suggest_suite.py [--quick] [--data DIR] [--cache FILE] [--embedder e5]``.
``--quick`` (a smoke run of every step): AnnoMI therapist on 10 transcripts, shuffle_music
2 folds on 100 answers, one proctoring file, no learning curve. Embeddings are cached in
``benchmarks/.cache/suite.embeddings.sqlite`` (git-ignored). Ends with one line::

    RESULT annomi_kappa=... annomi_human=... client_kappa=... shuffle_kappa=... shuffle_baseline=...
           proctoring_kappa=... proctoring_human=... lc20_shuffle=... lc20_baseline=...
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score

from qdakit import Code, Codebook
from qdakit.embed import CachedEmbedder, E5Embedder, EmbeddingCache, LongTextWarning, SentenceTransformerEmbedder
from qdakit.suggest import CodeSuggester, SuggesterWarning
from qdakit.suggest.precode import DEFAULT_TOP_K

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import suggest_annomi as annomi  # noqa: E402  (same folder: AnnoMI loading and codebooks)

DATA = HERE.parent.parent / "shared" / "data"
CACHE = HERE / ".cache" / "suite.embeddings.sqlite"


# ----------------------------------------------------------------------------- data
@dataclass
class MultiLabel:
    name: str
    segments: pd.DataFrame  # id, text, transcript_id (the unit's group)
    codes: list[str]
    Y: np.ndarray  # (units, codes) gold 0/1
    codebook: Codebook
    human: np.ndarray | None = None  # second coder, NaN rows where not coded

    def codings(self, rows: np.ndarray) -> pd.DataFrame:
        r, c = np.nonzero(self.Y[rows])
        return pd.DataFrame({"segment_id": self.segments["id"].to_numpy()[rows][r],
                             "code": np.asarray(self.codes, dtype=object)[c]})


def load_shuffle(data: Path) -> MultiLabel:
    long = pd.read_csv(data / "shuffle_music" / "shuffle_music_coded_LONG.csv")
    long["code_level3"] = long["code_level3"].astype(str).str.strip()
    long["uid"] = long["participant_id"].astype(str) + "_" + long["track_id"].astype(str)
    units = long.drop_duplicates("uid")[["uid", "participant_id", "full_response_text"]]
    units = units.assign(text=units["full_response_text"].fillna("").astype(str).str.strip())
    units = units[units["text"] != ""].reset_index(drop=True)
    codes = sorted(long["code_level3"].unique())
    row, col = {u: i for i, u in enumerate(units["uid"])}, {c: j for j, c in enumerate(codes)}
    Y = np.zeros((len(units), len(codes)), dtype=int)
    for u, c in long[["uid", "code_level3"]].itertuples(index=False):
        if u in row:
            Y[row[u], col[c]] = 1
    segs = pd.DataFrame({"id": units["uid"], "text": units["text"],
                         "transcript_id": units["participant_id"].astype(str)})
    return MultiLabel("shuffle_music", segs, codes, Y, Codebook([Code(c) for c in codes]))


def _read_coded(path: str) -> tuple[pd.DataFrame, list[set[str]]]:
    df = pd.read_csv(path)
    df = df[df.iloc[:, 1].notna()]
    cols = [c for c in df.columns if c.startswith("Code")]
    labels = [{v.strip() for v in r if isinstance(v, str) and v.strip()} for r in df[cols].to_numpy()]
    return df.iloc[:, :2].set_axis(["rid", "text"], axis=1), labels


def load_proctoring(data: Path) -> list[MultiLabel]:
    out = []
    for f in sorted(glob.glob(str(data / "proctoring" / "irr_inputs" / "*(primary).csv"))):
        m = re.search(r"- (\w+) \(primary\)", f)
        name = m.group(1) if m else Path(f).stem
        p, lp = _read_coded(f)
        s, ls = _read_coded(f.replace("(primary)", "(secondary)"))
        p["text"] = p["text"].astype(str).str.strip()
        keep = (p["text"] != "").to_numpy() & np.array([bool(x) for x in lp], dtype=bool)
        p, lp = p[keep].reset_index(drop=True), [x for x, k in zip(lp, keep, strict=True) if k]
        codes = sorted(set().union(*lp))
        Y = np.array([[c in x for c in codes] for x in lp], dtype=int).reshape(len(lp), len(codes))
        second = dict(zip(s["rid"], ls, strict=True))
        H = np.full(Y.shape, np.nan)
        for i, rid in enumerate(p["rid"]):
            if second.get(rid):
                H[i] = [c in second[rid] for c in codes]
        segs = pd.DataFrame({"id": p["rid"].astype(str) + "@" + name, "text": p["text"],
                             "transcript_id": p["rid"].astype(str)})
        out.append(MultiLabel(f"proctoring {name}", segs, codes, Y, Codebook([Code(c) for c in codes]), H))
    return out


# ----------------------------------------------------------------------------- methods
def folds_by_group(groups: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    ug = np.unique(groups)
    fold = {g: i % k for i, g in enumerate(ug[np.random.default_rng(seed).permutation(len(ug))])}
    return np.array([fold[g] for g in groups])


def kappas(Y: np.ndarray, P: np.ndarray, cols: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    r = slice(None) if rows is None else rows
    out = []
    for j in cols:
        a, b = Y[r, j], P[r, j]
        same = a.min() == a.max() and b.min() == b.max()
        out.append(float(a[0] == b[0]) if same else cohen_kappa_score(a, b))
    return np.array(out)


def baseline(kind: str, embed):
    def run(ds: MultiLabel, tr: np.ndarray, te: np.ndarray) -> np.ndarray:
        texts = ds.segments["text"].tolist()
        if kind == "tfidf":
            vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
            Xtr, Xte = vec.fit_transform([texts[i] for i in tr]), vec.transform([texts[i] for i in te])
        else:
            Xtr, Xte = embed([texts[i] for i in tr]), embed([texts[i] for i in te])
        P = np.zeros((len(te), len(ds.codes)), dtype=int)
        for j in range(len(ds.codes)):
            y = ds.Y[tr, j]
            if y.min() == y.max():
                P[:, j] = y[0]
                continue
            clf = LogisticRegression(max_iter=3000, class_weight="balanced", solver="liblinear").fit(Xtr, y)
            P[:, j] = clf.predict_proba(Xte)[:, 1] >= 0.5
        return P
    return run


def suggester(embedder):
    def run(ds: MultiLabel, tr: np.ndarray, te: np.ndarray) -> np.ndarray:
        segs = ds.segments.iloc[np.r_[tr, te]].reset_index(drop=True)
        test = ds.segments.iloc[te]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SuggesterWarning)
            s = CodeSuggester(embedder).fit(segs, ds.codebook, ds.codings(tr))
            found = s.suggest(test, top_k=DEFAULT_TOP_K or len(ds.codes))
        P = np.zeros((len(te), len(ds.codes)), dtype=int)
        row, col = {sid: i for i, sid in enumerate(test["id"])}, {c: j for j, c in enumerate(ds.codes)}
        for x in found:
            P[row[x.segment_id], col[x.code]] = 1
        return P
    return run


METHODS = ("CodeSuggester (defaults)", "TF-IDF + LR", "MiniLM + LR")


def evaluate(ds: MultiLabel, embedder, n_train: list, min_pos: int, k: int) -> list[dict]:
    """Rows of the table for one multi-label data set: each method at each curve point."""
    methods = dict(zip(METHODS, (suggester(embedder), baseline("tfidf", None), baseline("embed", embedder.encode)),
                       strict=True))
    folds = folds_by_group(ds.segments["transcript_id"].to_numpy(), k)
    cols = np.flatnonzero(ds.Y.sum(0) >= min_pos)
    both = None if ds.human is None else np.flatnonzero(~np.isnan(ds.human[:, 0]))
    rows: list[dict] = []
    if both is not None:
        hk = kappas(ds.Y, np.nan_to_num(ds.human).astype(int), cols, both)
        rows.append({"data": ds.name, "method": "human: secondary vs primary", "n_train": "-", "codes": len(cols),
                     "kappa": hk.mean(), "kappa_both": hk.mean(), "n_ge_0.6": int((hk >= 0.6).sum()),
                     "per_code": hk, "seconds": np.nan})
    for n in n_train:
        preds = {m: np.zeros_like(ds.Y) for m in methods}
        secs = dict.fromkeys(methods, 0.0)
        for f in range(k):
            tr_all, te = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
            if n == "all" or n >= len(tr_all):
                tr = tr_all
            else:
                tr = np.sort(np.random.default_rng(1000 * f + n).choice(tr_all, size=n, replace=False))
            for m, fn in methods.items():
                t0 = time.perf_counter()
                preds[m][te] = fn(ds, tr, te)
                secs[m] += time.perf_counter() - t0
        for m in methods:
            ks = kappas(ds.Y, preds[m], cols)
            kb = kappas(ds.Y, preds[m], cols, both).mean() if both is not None else np.nan
            rows.append({"data": ds.name, "method": m, "n_train": n, "codes": len(cols), "kappa": ks.mean(),
                         "kappa_both": kb, "n_ge_0.6": int((ks >= 0.6).sum()), "per_code": ks,
                         "seconds": secs[m]})
        print(f"  {ds.name} n_train={n}: " + ", ".join(f"{r['method']} {r['kappa']:.3f}"
                                                      for r in rows[-len(methods):]), flush=True)
    return rows


# ----------------------------------------------------------------------------- AnnoMI
def annomi_rows(role: str, data: Path, embedder, quick: bool) -> list[dict]:
    task = annomi.load(data / "annomi" / "AnnoMI-full.csv", role)
    order = [int(t) for t in np.random.default_rng(0).permutation(task.train_tids)]
    task.train_tids = order[:10] if quick else order
    hk = annomi.human_kappa(task.test)[0]
    rows = [{"data": f"AnnoMI {role}", "method": "human: mean pairwise (10 coders)", "n_train": "-",
             "codes": len(annomi.CODEBOOKS[role]), "kappa": hk, "n_ge_0.6": np.nan, "seconds": np.nan}]
    test_text = task.segments.set_index("id").loc[task.test.index, "text"].tolist()
    for n in [10] if quick else [20, 50, 100, "all"]:
        tids = order if n == "all" else order[:n]
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SuggesterWarning)
            pred = annomi.run_suggester(task, embedder, tids)[0]
        secs = time.perf_counter() - t0
        segs, cod = annomi.subset(task, tids)
        lab = cod.drop_duplicates("segment_id").set_index("segment_id")["code"]
        texts = segs.set_index("id").loc[lab.index, "text"].tolist()
        vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        tf = LogisticRegression(max_iter=3000, class_weight="balanced").fit(vec.fit_transform(texts), lab)
        em = LogisticRegression(max_iter=3000, class_weight="balanced").fit(embedder.encode(texts), lab)
        for m, p, s in ((METHODS[0], pred, secs),
                        (METHODS[1], pd.Series(tf.predict(vec.transform(test_text)), index=task.test.index), np.nan),
                        (METHODS[2], pd.Series(em.predict(embedder.encode(test_text)), index=task.test.index),
                         np.nan)):
            rows.append({"data": f"AnnoMI {role}", "method": m, "n_train": n, "codes": len(annomi.CODEBOOKS[role]),
                         "kappa": annomi.mean_kappa(task.test, p)[0], "n_ge_0.6": np.nan, "seconds": s})
        print(f"  AnnoMI {role} transcripts={n}: " + ", ".join(f"{r['method']} {r['kappa']:.3f}"
                                                              for r in rows[-3:]), flush=True)
    return rows


# ----------------------------------------------------------------------------- main
def pick(rows: list[dict], data: str, method: str, n: object = "all") -> dict:
    return next(r for r in rows if r["data"] == data and r["method"] == method and r["n_train"] == n)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small subsets, no learning curve (a smoke run)")
    ap.add_argument("--data", type=Path, default=DATA, help="folder holding annomi/, shuffle_music/, proctoring/")
    ap.add_argument("--cache", type=Path, default=CACHE, help="embedding cache (SQLite) file")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--embedder", choices=("minilm", "e5"), default="minilm",
                    help="minilm: the default all-MiniLM-L6-v2; e5: multilingual-e5-small (E5Embedder), for "
                         "the suggester and the embedding baseline alike")
    ap.add_argument("--save", type=Path, help="also pickle the table's rows here (with per-code kappas)")
    args = ap.parse_args(argv)
    if not (args.data / "shuffle_music").exists():
        print(f"data sets not found under {args.data}; pass --data", file=sys.stderr)
        return 2
    warnings.simplefilter("ignore", LongTextWarning)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    base = E5Embedder() if args.embedder == "e5" else SentenceTransformerEmbedder(device=args.device)
    embedder = CachedEmbedder(base, EmbeddingCache(args.cache))
    q = args.quick
    rows: list[dict] = []
    for role in ["therapist"] if q else ["therapist", "client"]:
        rows += annomi_rows(role, args.data, embedder, q)
    shuffle = load_shuffle(args.data)
    if q:
        keep = np.sort(np.random.default_rng(0).choice(len(shuffle.Y), 100, replace=False))
        shuffle = MultiLabel(shuffle.name, shuffle.segments.iloc[keep].reset_index(drop=True), shuffle.codes,
                             shuffle.Y[keep], shuffle.codebook)
    rows += evaluate(shuffle, embedder, ["all"] if q else [20, 50, 100, "all"], 5 if q else 20, 2 if q else 5)
    files = [d for d in load_proctoring(args.data) if (d.Y.sum(0) >= 5).any()]
    proct = []
    for ds in files[:1] if q else files:
        r = evaluate(ds, embedder, ["all"], 5, 5)
        rows += r
        proct.append((ds.name, pick(r, ds.name, METHODS[0]), pick(r, ds.name, "human: secondary vs primary", "-"),
                      max(pick(r, ds.name, m)["kappa_both"] for m in METHODS[1:])))

    if args.save:
        pd.to_pickle(rows, args.save)
    table = pd.DataFrame(rows).drop(columns=["per_code", "kappa_both"], errors="ignore")
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep=""))

    result: dict[str, float] = {}
    ann = "AnnoMI therapist"
    n_all = 10 if q else "all"
    result["annomi_kappa"] = pick(rows, ann, METHODS[0], n_all)["kappa"]
    result["annomi_human"] = pick(rows, ann, "human: mean pairwise (10 coders)", "-")["kappa"]
    if not q:
        result["client_kappa"] = pick(rows, "AnnoMI client", METHODS[0])["kappa"]
        result["client_human"] = pick(rows, "AnnoMI client", "human: mean pairwise (10 coders)", "-")["kappa"]
    sm, st, se = (pick(rows, shuffle.name, m) for m in METHODS)
    result["shuffle_kappa"], result["shuffle_baseline"] = sm["kappa"], max(st["kappa"], se["kappa"])
    beats = (sm["per_code"] > np.maximum(st["per_code"], se["per_code"])).mean()
    print(f"shuffle_music: suggester above both baselines on {beats:.0%} of {len(sm['per_code'])} codes; "
          f"{sm['n_ge_0.6']} codes at kappa >= 0.6")
    print("proctoring, on the answers both humans coded (file: suggester / secondary coder / better baseline):")
    for name, m, h, b in proct:
        print(f"  {name}: {m['kappa_both']:.3f} / {h['kappa']:.3f} / {b:.3f}  ({m['codes']} codes)")
    at_or_above = sum(m["kappa_both"] >= h["kappa"] for _, m, h, _ in proct)
    print(f"  suggester at or above the secondary coder on {at_or_above} of {len(proct)} files")
    result["proctoring_kappa"] = float(np.mean([m["kappa_both"] for _, m, _, _ in proct]))
    result["proctoring_human"] = float(np.mean([h["kappa"] for _, _, h, _ in proct]))
    result["proctoring_files_at_human"] = at_or_above
    if not q:
        result["lc20_shuffle"] = pick(rows, shuffle.name, METHODS[0], 20)["kappa"]
        result["lc20_baseline"] = max(pick(rows, shuffle.name, m, 20)["kappa"] for m in METHODS[1:])
    result["shuffle_codes_above_baselines"] = float(beats)
    print(f"kappa: mean per-code Cohen's kappa at the default operating point; embedder {embedder.model_id}; "
          f"{embedder.n_misses} texts embedded this run, {embedder.n_hits} from cache; "
          f"{time.perf_counter() - started:.0f} s in all")
    print("RESULT " + " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

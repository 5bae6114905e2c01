"""Benchmark: the machine as a coder, measured against human coders on the same footing.

For each code, the machine's agreement with each human coder (Cohen's kappa,
code present / absent per unit) is set beside the humans' agreement with each
other, with a bootstrap interval of the difference
(:func:`qdakit.agreement.machine_verdict`). A code is "at human level" when
the machine is not guessing (its kappa interval excludes 0) and the interval
of the difference reaches 0 (it is not clearly below the humans).

Data sets (``../shared/data``):

* **AnnoMI** (``annomi/AnnoMI-full.csv``): the 7 transcripts coded by all 10
  coders are the test set; the suggester is trained on the other transcripts
  (one coder each), then codes each test utterance at its own per-code
  thresholds (:meth:`CodeSuggester.suggest`, ``top_k=1``, what ``qdakit
  precode`` would suggest). Two coding tasks (therapist behaviour: 4 codes;
  client talk: 3 codes), split by transcript, never by row.
* **proctoring** (``proctoring/irr_inputs``): 14 question files of survey
  answers, each coded by a primary and a secondary coder (top-level codes;
  sub-codes are left out). The machine codings are cross-validated within each
  question file (:func:`qdakit.suggest.out_of_fold`, 5 folds grouped by
  answer): the codes are specific to their question (207 of 219 occur in one
  file only), so a model trained on other question files could not know them.
  A coder counts as having read an answer when they coded it, or when both
  left it uncoded (no code applies); the codebook of a file holds its codes
  with their names as descriptions (``exam_questions_posted_online`` ->
  "exam questions posted online"). Codes with fewer than 5 human codings on
  the units are left out of the means (too rare to judge).

Baseline, in the same run and on the same splits: TF-IDF word 1-2 grams +
logistic regression per code, cut at probability 0.5.

Usage: ``python benchmarks/machine_vs_human.py [--quick] [--data DIR] [--cache PATH]``;
``--quick`` trains AnnoMI on 20 transcripts and uses 3 question files (Q11, Q12, Q14). Ends with::

    RESULT annomi_machine=... annomi_human=... proctoring_machine=... proctoring_human=... codes_at_human_level=...
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from qdakit import Code, Codebook
from qdakit.agreement.verdict import machine_verdict
from qdakit.embed import CachedEmbedder, EmbeddingCache, SentenceTransformerEmbedder
from qdakit.suggest import CodeSuggester
from qdakit.suggest.crossval import MACHINE, out_of_fold

sys.path.insert(0, str(Path(__file__).resolve().parent))
from suggest_annomi import read_utterances  # noqa: E402  (same folder: AnnoMI loading)

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
CACHE = HERE / ".cache" / "machine_vs_human.embeddings.sqlite"
MIN_CODINGS = 5
N_BOOT = 1000

ANNOMI_CODES = {
    "therapist": ("main_therapist_behaviour", {
        "question": "The therapist asks the client a question, open or closed.",
        "reflection": "The therapist reflects back or paraphrases what the client said, felt or meant.",
        "therapist_input": "The therapist gives information, advice or options, or proposes a plan.",
        "other": "Other therapist talk: greetings, acknowledgements, small talk."}),
    "client": ("client_talk_type", {
        "change": "The client speaks for changing the behaviour: desire, ability, reasons, commitment.",
        "neutral": "Neither for nor against change: facts, answers, backchannels.",
        "sustain": "The client speaks for keeping the behaviour as it is, against change."}),
}


def tfidf_codes(train_text: list[str], train_labels: list[set[str]], test_text: list[str],
                codes: list[str]) -> list[set[str]]:
    """Baseline: one TF-IDF + logistic regression per code, present where p >= 0.5."""
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    X, T = vec.fit_transform(train_text), vec.transform(test_text)
    out: list[set[str]] = [set() for _ in test_text]
    for code in codes:
        y = np.array([code in s for s in train_labels], dtype=int)
        if 0 < y.sum() < len(y):
            p = LogisticRegression(C=1.0, max_iter=3000).fit(X, y).predict_proba(T)[:, 1]
            for i in np.flatnonzero(p >= 0.5):
                out[i].add(code)
    return out


def as_rows(ids: list[str], labels: list[set[str]], coder: str) -> list[dict[str, object]]:
    return [{"segment_id": i, "code": c, "coder": coder} for i, s in zip(ids, labels, strict=True) for c in (s or [None])]


def annomi(path: Path, embedder: object, quick: bool) -> list[pd.DataFrame]:
    df, multi, context = read_utterances(path)
    train_tids = sorted(set(context["transcript_id"]) - {str(t) for t in multi})
    if quick:
        train_tids = list(np.random.default_rng(0).permutation(train_tids)[:20])
    frames = []
    for role, (column, definitions) in ANNOMI_CODES.items():
        codebook = Codebook([Code(name, description=d) for name, d in definitions.items()])
        mine = df[(df["interlocutor"] == role) & (df["utterance_text"] != "")]
        segs = context[(context["interlocutor"] == role) & (context["text"] != "")].drop(columns="interlocutor")
        train = segs[segs["transcript_id"].isin(set(train_tids))]
        test = segs[segs["transcript_id"].isin({str(t) for t in multi})]
        labels = mine[mine["id"].isin(set(train["id"]))].drop_duplicates("id")[["id", column]]
        codings = labels.rename(columns={"id": "segment_id", column: "code"})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            s = CodeSuggester(embedder).fit(train, codebook, codings, context=context)
        machine: dict[str, set[str]] = {i: set() for i in test["id"]}
        for x in s.suggest(test, top_k=1, context=context):
            machine[x.segment_id].add(x.code)
        humans = mine[mine["id"].isin(set(test["id"]))]
        rows = [{"segment_id": r.id, "code": getattr(r, column), "coder": f"coder{r.annotator_id}"}
                for r in humans.itertuples()]
        ids = list(machine)
        lab = codings.set_index("segment_id")["code"]
        base = tfidf_codes(train["text"].tolist(), [{lab.get(i)} for i in train["id"]],
                           test["text"].tolist(), list(definitions))
        frames.append(_judge(f"AnnoMI {role}", rows, ids, list(machine.values()), base))
    return frames


def proctoring(folder: Path, embedder: object, quick: bool) -> list[pd.DataFrame]:
    files = sorted(folder.glob("*(primary).csv"), key=lambda p: p.name.split(" - ")[-1])
    if quick:  # three of the short (26-answer) files
        files = [f for f in files if re.search(r" - Q1[124] ", f.name)]
    frames = []
    for path in files:
        name = re.search(r" - (\w+) \(primary\)", path.name).group(1)
        prim = pd.read_csv(path, dtype=str, keep_default_na=False)
        sec = pd.read_csv(str(path).replace("(primary)", "(secondary)"), dtype=str, keep_default_na=False)
        cols = [c for c in prim.columns if c.startswith("Code")]
        texts = prim.iloc[:, 1].str.strip()

        def top(frame: pd.DataFrame, cols: list[str] = cols) -> list[set[str]]:
            return [{v.strip() for v in row if v.strip() and "->" not in v} for row in frame[cols].to_numpy()]

        tp, ts = top(prim), top(sec)
        keep = [i for i in range(len(prim)) if texts[i]]
        ids = {i: f"{name}#{i}" for i in keep}
        segs = pd.DataFrame({"id": [ids[i] for i in keep], "text": [texts[i] for i in keep],
                             "transcript_id": [ids[i] for i in keep], "index": 0})
        rows, reviewed = [], []
        for i in keep:
            both_empty = not tp[i] and not ts[i]
            for coder, codes in (("primary", tp[i]), ("secondary", ts[i])):
                rows += [{"segment_id": ids[i], "code": c, "coder": coder} for c in sorted(codes)]
                if both_empty:
                    reviewed.append({"segment_id": ids[i], "coder": coder})
        human = pd.DataFrame(rows, columns=["segment_id", "code", "coder"])
        read = pd.DataFrame(reviewed, columns=["segment_id", "coder"])
        names = sorted(set(human["code"]))
        if not names:
            continue
        codebook = Codebook([Code(c, description=c.replace("_", " ")) for c in names])
        machine = out_of_fold(segs, codebook, human, reviewed=read, n_splits=5,
                              make_suggester=lambda: CodeSuggester(embedder))
        units = list(dict.fromkeys(machine["segment_id"]))
        got: dict[str, set[str]] = {u: set() for u in units}
        for r in machine.dropna(subset=["code"]).itertuples():
            got[r.segment_id].add(r.code)
        # the baseline on the same folds (grouped by answer)
        labels = {u: set(human.loc[human["segment_id"] == u, "code"]) for u in units}
        base: dict[str, set[str]] = {}
        arr = np.array(units)
        for tr, te in GroupKFold(n_splits=min(5, len(arr))).split(arr, groups=arr):
            text = segs.set_index("id")["text"]
            pred = tfidf_codes(text.loc[arr[tr]].tolist(), [labels[u] for u in arr[tr]],
                               text.loc[arr[te]].tolist(), names)
            base.update(zip(arr[te], pred, strict=True))
        all_rows = rows + [{"segment_id": r["segment_id"], "code": None, "coder": r["coder"]} for r in reviewed]
        frames.append(_judge(f"proctoring {name}", all_rows, units, [got[u] for u in units],
                             [base[u] for u in units]))
    return frames


def _judge(dataset: str, human_rows: list[dict[str, object]], ids: list[str], machine: list[set[str]],
           baseline: list[set[str]]) -> pd.DataFrame:
    human = pd.DataFrame(human_rows, columns=["segment_id", "code", "coder"])
    humans = sorted(set(human["coder"]))
    both = pd.concat([human, pd.DataFrame(as_rows(ids, machine, MACHINE)),
                      pd.DataFrame(as_rows(ids, baseline, "baseline"))], ignore_index=True)
    codes = sorted(set(human["code"].dropna()))
    v = machine_verdict(both[both["coder"] != "baseline"], humans, codes=codes, n_boot=N_BOOT)
    b = machine_verdict(both[both["coder"] != MACHINE].replace({"coder": {"baseline": MACHINE}}), humans,
                        codes=codes, n_boot=N_BOOT)
    v["baseline_kappa"] = b["machine_kappa"].to_numpy()
    v["baseline_verdict"] = b["verdict"].to_numpy()
    v.insert(0, "dataset", dataset)
    return v[["dataset", "code", "n_units", "human_present", "machine_present", "machine_kappa", "machine_low",
              "machine_high", "human_kappa", "diff_low", "diff_high", "verdict", "baseline_kappa",
              "baseline_verdict"]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="AnnoMI on 20 training transcripts, 3 question files")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--cache", type=Path, default=CACHE, help="embedding cache (SQLite) file")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    annomi_csv, proct = args.data / "annomi" / "AnnoMI-full.csv", args.data / "proctoring" / "irr_inputs"
    if not annomi_csv.exists() or not proct.exists():
        print(f"data not found under {args.data}; pass --data", file=sys.stderr)
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.simplefilter("ignore", UserWarning)
    started = time.perf_counter()
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    embedder = CachedEmbedder(SentenceTransformerEmbedder(device=args.device), EmbeddingCache(args.cache))
    table = pd.concat(annomi(annomi_csv, embedder, args.quick) + proctoring(proct, embedder, args.quick),
                      ignore_index=True)
    judged = table[(table["human_present"] >= MIN_CODINGS) & table["human_kappa"].notna()]
    with pd.option_context("display.width", 250, "display.max_rows", 500):
        print(judged.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    summary = judged.assign(set=judged["dataset"].str.split().str[0]).groupby("set").agg(
        codes=("code", "size"), machine=("machine_kappa", "mean"), human=("human_kappa", "mean"),
        baseline=("baseline_kappa", "mean"),
        at_human_level=("verdict", lambda v: float((v == "as humans").mean())),
        baseline_at_human_level=("baseline_verdict", lambda v: float((v == "as humans").mean())))
    print()
    print(summary.to_string(float_format=lambda v: f"{v:.3f}"))
    print(f"kappa: Cohen's, per code (present/absent), machine = mean over the human coders, human = mean over "
          f"human pairs; codes with >= {MIN_CODINGS} human codings on the units; 95% bootstrap intervals "
          f"({N_BOOT} resamples of units); {time.perf_counter() - started:.0f}s in all; embedder "
          f"{embedder.model_id} ({embedder.n_misses} texts embedded, {embedder.n_hits} from cache)")
    at = float((judged["verdict"] == "as humans").mean())
    s = summary.to_dict("index")
    print(f"RESULT annomi_machine={s['AnnoMI']['machine']:.3f} annomi_human={s['AnnoMI']['human']:.3f} "
          f"proctoring_machine={s['proctoring']['machine']:.3f} proctoring_human={s['proctoring']['human']:.3f} "
          f"codes_at_human_level={at:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: code suggestions on AnnoMI against ten human coders.

AnnoMI (``../shared/data/annomi/AnnoMI-full.csv``) holds 133 transcripts of
motivational-interviewing sessions, one row per utterance and coder; 7
transcripts were coded by all 10 coders, the others by one coder each. Two
coding tasks:

* therapist utterances, ``main_therapist_behaviour``:
  question / reflection / therapist_input / other;
* client utterances, ``client_talk_type``: change / neutral / sustain.

For each task the 7 multi-coder transcripts are held out; the suggester is
trained on the human codes of the other transcripts (one coder each) and its
code per utterance (``CodeSuggester.predict``: AnnoMI's codes are mutually
exclusive; the best score corrected by the square root of the code's share in
training) is compared with each of the 10 coders by Cohen's kappa.
Reported next to it, on the same utterances:

* the human reference: mean pairwise kappa between the 10 coders;
* the baseline, fitted in the same run: TF-IDF (word 1-2 grams) + logistic
  regression on the utterance alone; and MiniLM embedding + logistic regression;
* a learning curve (5, 10, 20, 50 and all training transcripts), zero-shot
  from a codebook of one-line definitions, and from the same definitions with
  three example quotes per code (prototype = max-sim over them, or their
  mean), and ablations (no context, previous and next turn, no lexical features);
* at the suggester's own thresholds (default: best F1 per code in cross-validation): the share of
  utterances that get a suggestion and how often it is the coders' majority code.

Embeddings are cached in ``benchmarks/.cache/annomi.embeddings.sqlite``
(git-ignored), so a second run embeds nothing.

Usage: ``python benchmarks/suggest_annomi.py [--quick] [--data PATH] [--cache PATH] [--device cuda]``.
``--quick`` trains on 20 transcripts, curve points 5 and 10, no ablations
(under a minute with a warm cache). Ends with one line::

    RESULT model_kappa=... human_kappa=... baseline_kappa=... client_model_kappa=... ...

(the first three: therapist behaviour, all training transcripts).
"""

from __future__ import annotations

import argparse
import itertools
import os
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
from qdakit.embed import CachedEmbedder, EmbeddingCache, LongTextWarning, SentenceTransformerEmbedder
from qdakit.suggest import CodeSuggester, SuggesterWarning

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data" / "annomi" / "AnnoMI-full.csv"
CACHE = HERE / ".cache" / "annomi.embeddings.sqlite"

CODEBOOKS = {
    "therapist": Codebook([
        Code("question", description="The therapist asks the client a question, open or closed, to "
                                     "gather information or hear the client's view."),
        Code("reflection", description="The therapist reflects back, restates or paraphrases what the "
                                       "client said, felt or meant."),
        Code("therapist_input", description="The therapist gives information, advice or options, or "
                                            "proposes a plan."),
        Code("other", description="Other therapist talk: greetings, acknowledgements like mm-hmm, "
                                  "okay, right, small talk."),
    ]),
    "client": Codebook([
        Code("change", description="Change talk: the client speaks for changing the behaviour: desire, "
                                   "ability, reasons, need or commitment to change."),
        Code("neutral", description="Neutral talk: neither for nor against change; facts, answers, "
                                    "backchannels like yeah."),
        Code("sustain", description="Sustain talk: the client speaks for keeping the behaviour as it is, "
                                    "against change."),
    ]),
}
#: example quotes for the zero-shot codebook "with examples" (written for this benchmark, not taken from AnnoMI)
EXAMPLES = {
    "question": ("What would you like to talk about today?", "How many cigarettes do you smoke in a day?",
                 "What worries you most about your drinking?"),
    "reflection": ("So you feel you've been drinking more than you'd like.",
                   "It sounds like your family is really important to you.",
                   "You're not sure you're ready to quit yet."),
    "therapist_input": ("The guideline is no more than fourteen units of alcohol a week.",
                        "One option would be to try nicotine patches.",
                        "I'd suggest keeping a diary of when you smoke."),
    "other": ("Mm-hmm.", "Okay, thank you for coming in today.", "Right."),
    "change": ("I really want to cut down.", "I know I need to stop for my kids.",
               "I think I could try walking every day."),
    "neutral": ("Yeah.", "I work at the hospital.", "About three times a week."),
    "sustain": ("I don't think my drinking is a problem.", "Smoking helps me relax, I'm not giving it up.",
                "I've tried before and it never works."),
}


def with_examples(codebook: Codebook) -> Codebook:
    return Codebook([Code(c.name, description=c.description, examples=EXAMPLES[c.name]) for c in codebook])


TASKS = {"therapist": "main_therapist_behaviour", "client": "client_talk_type"}


@dataclass
class Task:
    name: str
    segments: pd.DataFrame  # this role's utterances: id, transcript_id, index, text
    context: pd.DataFrame  # all utterances (both roles)
    train_codings: pd.DataFrame  # segment_id, code (single-coder transcripts)
    train_tids: list[int]
    test: pd.DataFrame  # index segment_id, one column per coder


def read_utterances(path: Path) -> tuple[pd.DataFrame, set[int], pd.DataFrame]:
    """AnnoMI's rows (one per utterance and coder, with an ``id``), the transcripts coded by several
    coders, and every utterance once in transcript order (the context: id, transcript_id, index,
    interlocutor, text)."""
    df = pd.read_csv(path)
    df["utterance_text"] = df["utterance_text"].fillna("").astype(str).str.strip()
    df["id"] = df["transcript_id"].astype(str) + "#" + df["utterance_id"].astype(str)
    n_coders = df.groupby("transcript_id")["annotator_id"].nunique()
    multi = set(n_coders[n_coders > 1].index)
    utt = (df.drop_duplicates("id").sort_values(["transcript_id", "utterance_id"])
           .rename(columns={"utterance_id": "index", "utterance_text": "text"}))
    utt["transcript_id"] = utt["transcript_id"].astype(str)
    context = utt[["id", "transcript_id", "index", "interlocutor", "text"]].reset_index(drop=True)
    return df, multi, context


def load(path: Path, role: str) -> Task:
    df, multi, context = read_utterances(path)
    col = TASKS[role]
    mine = df[df["interlocutor"] == role]
    train = mine[~mine["transcript_id"].isin(multi)].drop_duplicates("id")
    test = mine[mine["transcript_id"].isin(multi)].pivot_table(
        index="id", columns="annotator_id", values=col, aggfunc="first").dropna()
    segments = context[context["interlocutor"] == role].drop(columns="interlocutor").reset_index(drop=True)
    return Task(role, segments, context, train[["id", col]].rename(columns={"id": "segment_id", col: "code"}),
                sorted(train["transcript_id"].unique().tolist()), test)


def mean_kappa(test: pd.DataFrame, pred: pd.Series) -> tuple[float, float]:
    p = pred.reindex(test.index)
    ks = [cohen_kappa_score(test[c], p) for c in test.columns]
    return float(np.mean(ks)), float(np.std(ks))


def human_kappa(test: pd.DataFrame) -> tuple[float, float]:
    ks = [cohen_kappa_score(test[a], test[b]) for a, b in itertools.combinations(test.columns, 2)]
    return float(np.mean(ks)), float(np.std(ks))


def subset(task: Task, tids: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    keep = {str(t) for t in tids}
    segs = task.segments[task.segments["transcript_id"].isin(keep)]
    cod = task.train_codings[task.train_codings["segment_id"].isin(set(segs["id"]))]
    return segs, cod


def run_suggester(task: Task, embedder, tids: list[int] | None, codebook: Codebook | None = None,
                  **params) -> tuple[pd.Series, CodeSuggester, float]:
    """Fit on the training transcripts ``tids`` (None: zero-shot, the training utterances uncoded),
    predict the held-out utterances: the best-scoring code of each."""
    test_segs = task.segments[task.segments["id"].isin(set(task.test.index))]
    segs, cod = subset(task, task.train_tids if tids is None else tids)
    if tids is None:
        cod = None
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuggesterWarning)
        s = CodeSuggester(embedder, **params).fit(segs, codebook or CODEBOOKS[task.name], cod,
                                                   context=task.context)
    pred = s.predict(test_segs, context=task.context)
    return pred, s, time.perf_counter() - t0


def run_tfidf(task: Task, prior_power: float = 0.0) -> pd.Series:
    segs, cod = subset(task, task.train_tids)
    lab = cod.drop_duplicates("segment_id").set_index("segment_id")["code"]
    X_text = segs.set_index("id").loc[lab.index, "text"]
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    clf = LogisticRegression(C=1.0, max_iter=3000).fit(vec.fit_transform(X_text), lab.to_numpy())
    test_text = task.segments.set_index("id").loc[task.test.index, "text"]
    prior = lab.value_counts(normalize=True).reindex(clf.classes_).to_numpy()
    P = clf.predict_proba(vec.transform(test_text)) / prior ** prior_power
    return pd.Series(clf.classes_[P.argmax(axis=1)], index=task.test.index)


def run_minilm(task: Task, embedder) -> pd.Series:
    segs, cod = subset(task, task.train_tids)
    lab = cod.drop_duplicates("segment_id").set_index("segment_id")["code"]
    texts = segs.set_index("id").loc[lab.index, "text"].tolist()
    clf = LogisticRegression(C=1.0, max_iter=3000).fit(embedder.encode(texts), lab.to_numpy())
    test_text = task.segments.set_index("id").loc[task.test.index, "text"].tolist()
    return pd.Series(clf.predict(embedder.encode(test_text)), index=task.test.index)


def coverage(task: Task, s: CodeSuggester) -> tuple[float, float]:
    """Share of test utterances with a suggestion at the fitted thresholds, and how often the
    top suggestion is the coders' majority code."""
    test_segs = task.segments[task.segments["id"].isin(set(task.test.index))]
    sugg = s.suggest(test_segs, top_k=1, context=task.context)
    if not sugg:
        return 0.0, float("nan")
    top = pd.Series({x.segment_id: x.code for x in sugg})
    majority = task.test.mode(axis=1)[0]
    return len(top) / len(task.test), float((top == majority.reindex(top.index)).mean())


def run_task(role: str, data: Path, embedder, quick: bool, rng: np.random.Generator
             ) -> tuple[list[dict[str, object]], dict[str, float]]:
    """All rows of the table for one coding task, and its RESULT figures."""
    task = load(data, role)
    order = list(rng.permutation(task.train_tids))
    n_all = 20 if quick else len(order)
    all_tids = order[:n_all]
    task.train_tids = all_tids
    rows: list[dict[str, object]] = []
    hk, hsd = human_kappa(task.test)
    rows.append({"task": role, "method": "human coders (mean pairwise)", "train_transcripts": "-",
                 "kappa": hk, "sd": hsd, "seconds": np.nan})

    def add(method: str, n: object, pred: pd.Series, secs: float = np.nan) -> float:
        k, sd = mean_kappa(task.test, pred)
        rows.append({"task": role, "method": method, "train_transcripts": n, "kappa": k, "sd": sd,
                     "seconds": secs})
        return k

    t0 = time.perf_counter()
    base = add("baseline: TF-IDF + logistic regression", n_all, run_tfidf(task), time.perf_counter() - t0)
    add("baseline: TF-IDF + logistic regression, same prior correction as predict", n_all, run_tfidf(task, 0.5))
    t0 = time.perf_counter()
    add("baseline: MiniLM + logistic regression", n_all, run_minilm(task, embedder), time.perf_counter() - t0)
    pred, _, secs = run_suggester(task, embedder, None)
    add("CodeSuggester zero-shot, one-line definitions", 0, pred, secs)
    for how in ("max", "mean"):
        pred, _, secs = run_suggester(task, embedder, None, with_examples(CODEBOOKS[role]), zero_shot=how)
        add(f"CodeSuggester zero-shot, definitions + 3 examples, prototype={how}", 0, pred, secs)
    draws = 1 if quick else 3
    for n in [5, 10] if quick else [5, 10, 20, 50]:
        ks, secs = [], 0.0
        for d in range(draws):  # different random training transcripts per draw
            tids = list(np.random.default_rng(d).permutation(all_tids))[:n] if d else order[:n]
            pred, _, s = run_suggester(task, embedder, tids)
            ks.append(mean_kappa(task.test, pred)[0])
            secs += s
        rows.append({"task": role, "method": "CodeSuggester" + (f" (mean of {draws} draws)" if draws > 1 else ""),
                     "train_transcripts": n, "kappa": float(np.mean(ks)),
                     "sd": float(np.std(ks)) if draws > 1 else mean_kappa(task.test, pred)[1],
                     "seconds": secs / draws})
    pred, model, secs = run_suggester(task, embedder, all_tids)
    mk = add("CodeSuggester", n_all, pred, secs)
    test_segs = task.segments[task.segments["id"].isin(set(task.test.index))]
    add("CodeSuggester, most probable code (prior_power=0)", n_all,
        model.predict(test_segs, context=task.context, prior_power=0))
    if not quick:
        for label, params in (("no context", {"context_window": (0, 0)}),
                              ("context prev+next", {"context_window": (1, 1)}),
                              ("no lexical features", {"lexical": False})):
            p2, _, s2 = run_suggester(task, embedder, all_tids, **params)
            add(f"CodeSuggester, {label}", n_all, p2, s2)
    cov, prec = coverage(task, model)
    rows.append({"task": role, "method": f"  at its default thresholds: {cov:.0%} of utterances "
                 f"get a suggestion, {prec:.0%} of them the coders' majority code",
                 "train_transcripts": n_all, "kappa": np.nan, "sd": np.nan, "seconds": np.nan})
    print(f"{role}: {len(task.test)} held-out utterances x {task.test.shape[1]} coders; "
          f"{len(task.segments)} utterances in all", flush=True)
    prefix = "" if role == "therapist" else "client_"
    return rows, {f"{prefix}model_kappa": mk, f"{prefix}human_kappa": hk, f"{prefix}baseline_kappa": base}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="20 training transcripts, fewer curve points")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--cache", type=Path, default=CACHE, help="embedding cache (SQLite) file")
    args = ap.parse_args(argv)
    if not args.data.exists():
        print(f"AnnoMI not found at {args.data}; pass --data", file=sys.stderr)
        return 2
    warnings.simplefilter("ignore", LongTextWarning)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    t_start = time.perf_counter()
    rng = np.random.default_rng(0)
    embedder = CachedEmbedder(SentenceTransformerEmbedder(device=args.device), EmbeddingCache(args.cache))
    rows: list[dict[str, object]] = []
    result: dict[str, float] = {}
    for role in ("therapist", "client"):
        task_rows, task_result = run_task(role, args.data, embedder, args.quick, rng)
        rows += task_rows
        result |= task_result
    table = pd.DataFrame(rows)
    width = int(table["method"].str.len().max())
    with pd.option_context("display.width", 250, "display.max_colwidth", 150):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="", justify="left",
                              formatters={"method": lambda m: f"{m:<{width}}", "task": lambda t: f"{t:<9}"}))
    print("kappa: mean Cohen's kappa against each of the 10 coders (humans: over the 45 pairs); sd: across "
          "coders, or across draws of training transcripts where a row says so")
    print(f"embedder: {embedder.model_id}; cache {args.cache} ({embedder.n_misses} texts "
          f"embedded this run, {embedder.n_hits} from cache); {time.perf_counter() - t_start:.0f}s in all")
    print("RESULT " + " ".join(f"{k}={v:.3f}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: pre-coding large batches (qdakit.batch.pipeline) on a synthetic corpus.

The corpus: the 133 AnnoMI dialogues (``../shared/data/annomi/AnnoMI-full.csv``;
therapist turns as "Interviewer", client turns as "Client") and the example
study's transcripts (researchers as "Interviewer"), written as ``.txt``
transcripts and repeated until the corpus holds the asked number of segments.
Each repetition varies every turn (a filler word in front, a tag at the end),
so no text repeats and nothing is saved by de-duplication or the cache on a
first run. The project: the AnnoMI client-talk codebook (change / neutral /
sustain) and 20 single-coder AnnoMI transcripts with their human codes; the
suggester is fitted once on them (not timed) and then pre-codes the corpus.

Measured, each against a baseline in the same run:

* **pipeline vs bare encode** -- the whole pipeline (read, segment, embed
  through an empty cache, suggest, store) against bare
  ``SentenceTransformer.encode(texts, batch_size=64)`` of the same texts: the
  texts each chunk needed embedded, encoded right after that chunk (so both
  see the same machine: this 2-core box varies by 2-3x in speed from minute
  to minute). Ratio of throughputs, target >= 0.95. ``--quick`` measures every
  chunk, the full run every fourth.
* **cached re-run vs first run** -- the same files into a fresh copy of the
  project with the cache now full (the best of two such runs). Target >= 50x faster.
* **peak memory at 10^4 vs 10^5 segments** -- each in its own process, with
  the static embedder so the 10^5 run takes a minute, not the model's 15:
  the process's peak RSS (``VmHWM``; ``ru_maxrss`` is shown too, but on Linux
  it starts from the parent's peak, so these processes are started first,
  while the parent is small). Target: flat.
* **fast embedder speed-up** -- static (model2vec) and ONNX int8 against bare
  encode, same texts, alternating. Target >= 10x.
* **fast embedder kappa loss** -- on AnnoMI with the functions of
  ``benchmarks/suggest_annomi.py``: CodeSuggester fitted on the training
  transcripts (20 with ``--quick``, all 126 otherwise), mean Cohen's kappa
  against the 10 coders of the 7 held-out transcripts, MiniLM minus the fast
  embedder. Target <= 0.03. Headline: therapist behaviour (as in that benchmark).
* **Dask 1 vs 2 workers** -- throughput of the pipeline on a LocalCluster of
  one and of two worker processes (MiniLM, no cache), after a warm-up run.

Usage: ``python benchmarks/precode_scale.py [--quick] [--segments N] [--data PATH]``.
``--quick``: 10^4 segments (a few minutes on 2 cores); default 10^5 (MiniLM
on 10^5 segments alone is ~15 min on 2 cores). Ends with one line::

    RESULT pipeline_vs_encode=... cache_speedup=... fast_speedup=... fast_kappa_loss=... workers2_vs_1=...
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import suggest_annomi as annomi

from qdakit import Project, Segment, Transcript
from qdakit.batch import EmbedderSpec, configure_threads, fit_batch_suggester, run_batch
from qdakit.embed import CachedEmbedder, EmbeddingCache, LongTextWarning
from qdakit.embed.fast import OnnxEmbedder, StaticEmbedder, TokenSortedEmbedder
from qdakit.suggest import SuggesterWarning

DATA = annomi.DATA
STUDY = ROOT / "examples" / "study"
CACHE = HERE / ".cache"
FILLERS = ["", "Well, ", "I mean, ", "So, ", "Honestly, ", "You know, ", "Right, ", "Okay, "]
TAGS = ["", " Anyway.", " That's it.", " Yeah.", " You see.", " I guess.", " Basically.", " Sort of."]


# --------------------------------------------------------------------------------------
# corpus and project
# --------------------------------------------------------------------------------------
def dialogues(data: Path) -> list[tuple[str, list[tuple[str, str]]]]:
    """(name, [(speaker, text)]) for each AnnoMI transcript and each example-study transcript."""
    df = pd.read_csv(data)
    df = df.drop_duplicates(["transcript_id", "utterance_id"]).sort_values(["transcript_id", "utterance_id"])
    df["utterance_text"] = df["utterance_text"].fillna("").astype(str).str.strip()
    out = []
    for tid, part in df.groupby("transcript_id"):
        turns = [("Interviewer" if r.interlocutor == "therapist" else "Client", r.utterance_text)
                 for r in part.itertuples() if r.utterance_text]
        out.append((f"annomi{tid}", turns))
    from qdakit.io import read_transcripts

    people = pd.read_csv(STUDY / "participants.csv")
    researchers = set(people.loc[people["role"].astype(str).str.lower() == "researcher", "speaker"])
    for f in sorted([*(STUDY / "interviews").iterdir(), *(STUDY / "focus_group").glob("*.txt")]):
        if f.suffix not in (".txt", ".vtt", ".docx"):
            continue
        for parsed in read_transcripts(f):
            turns = [("Interviewer" if t.speaker in researchers else "Respondent", " ".join(t.text.split()))
                     for t in parsed.turns if t.text.strip()]
            out.append((f"study_{parsed.name}", turns))
    return out


def vary(text: str, copy: int) -> str:
    """The ``copy``-th variant of a turn (copy 0: the turn itself); 64 distinct variants."""
    filler, tag = FILLERS[copy % 8], TAGS[(copy // 8) % 8]
    if filler and text[:1].isupper() and not text[:2].isupper() and not text.startswith("I "):
        text = text[0].lower() + text[1:]
    return f"{filler}{text}{tag}"


def write_corpus(folder: Path, n_segments: int, data: Path) -> tuple[int, int]:
    """Write transcripts until they hold ``n_segments`` turns; returns (files, segments)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = dialogues(data)
    files = segments = copy = 0
    while segments < n_segments:
        for name, turns in base:
            if segments >= n_segments:
                break
            turns = turns[:n_segments - segments]
            body = "\n\n".join(f"{who}: {vary(text, copy)}" for who, text in turns)
            (folder / f"c{copy:02d}_{name}.txt").write_text(body + "\n", encoding="utf-8")
            files += 1
            segments += len(turns)
        copy += 1
    return files, segments


def make_project(path: Path, data: Path, n_train: int = 20) -> Project:
    """The AnnoMI client-talk codebook and ``n_train`` coded single-coder transcripts."""
    task = annomi.load(data, "client")
    tids = [str(t) for t in list(np.random.default_rng(0).permutation(task.train_tids))[:n_train]]
    ctx = task.context[task.context["transcript_id"].isin(tids)]
    items, id_map = [], {}
    for tid, part in ctx.groupby("transcript_id", sort=True):
        text, segs, pos = [], [], 0
        for k, r in enumerate(r for r in part.itertuples() if r.text):
            prefix = ("\n\n" if k else "") + ("Interviewer" if r.interlocutor == "therapist" else "Client") + ": "
            start = pos + len(prefix)
            text.append(prefix + r.text)
            sid = f"train{tid}#{k}"
            segs.append(Segment(sid, f"train{tid}", k, prefix.strip().rstrip(":"), r.text, start,
                                start + len(r.text)))
            id_map[r.id] = sid
            pos = start + len(r.text)
        items.append((Transcript(f"train{tid}", f"train{tid}", "".join(text), source=f"AnnoMI {tid}"), segs))
    p = Project.create(path, overwrite=True)
    p.add_transcripts(items)
    p.load_codebook(annomi.CODEBOOKS["client"])
    from qdakit import Coding

    cod = task.train_codings[task.train_codings["segment_id"].isin(id_map)]
    p.add_codings(Coding(id_map[r.segment_id], r.code, "annomi") for r in cod.itertuples())
    return p


# --------------------------------------------------------------------------------------
# measurements
# --------------------------------------------------------------------------------------
class Recorder:
    """Passes ``encode`` through, keeping the texts (what the model really embedded)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.texts = inner, []

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts, **kwargs):
        self.texts.extend(texts)
        return self.inner.encode(texts, **kwargs)


def pipeline_vs_encode(corpus: Path, work: Path, data: Path, sample_every: int) -> dict[str, float]:
    model = TokenSortedEmbedder()
    st = model._load()
    model.encode(["warm up the model", "and its threads"])
    st.encode(["warm up"], batch_size=64)
    fit_emb = CachedEmbedder(model, EmbeddingCache(work / "fit.embeddings.sqlite"))
    with make_project(work / "fit.qdakit", data) as p:
        suggester = fit_batch_suggester(p, embedder=fit_emb)
    shutil.copy(work / "fit.qdakit", work / "first.qdakit")
    rec = Recorder(model)
    cache = work / "run.embeddings.sqlite"
    state = {"last": 0.0, "pipe": 0.0, "pipe_sampled": 0.0, "bare": 0.0, "texts": 0, "chunk": 0}

    def on_chunk(progress: Any) -> None:
        now = time.perf_counter()
        if progress.files_done > 0:
            spent = now - state["last"]
            state["pipe"] += spent
            if state["chunk"] % sample_every == 0 and rec.texts:
                t0 = time.perf_counter()
                st.encode(rec.texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                          show_progress_bar=False)
                state["bare"] += time.perf_counter() - t0
                state["pipe_sampled"] += spent
                state["texts"] += len(rec.texts)
            state["chunk"] += 1
            rec.texts = []
            print(f"  chunk {state['chunk']}: {progress.files_done}/{progress.files_total} files, "
                  f"{progress.segments} segments", end="\r", flush=True)
        state["last"] = time.perf_counter()

    emb = CachedEmbedder(rec, EmbeddingCache(cache))
    suggester.embedder_ = emb  # the run embeds through the empty run cache (same model, same model id)
    with Project.open(work / "first.qdakit") as p:
        first = run_batch(p, [corpus], suggester=suggester, progress=on_chunk)
    print()
    rec.texts = []
    cached = float("inf")
    for _ in range(2):  # best of two, each into a fresh copy of the project: a one-second run is easily disturbed
        shutil.copy(work / "fit.qdakit", work / "again.qdakit")
        t0 = time.perf_counter()
        with Project.open(work / "again.qdakit") as p:
            again = run_batch(p, [corpus], suggester=suggester)
        cached = min(cached, time.perf_counter() - t0)
        assert not rec.texts and again.suggestions == first.suggestions, "the cached run embedded or differed"
    return {"segments": first.segments_precoded + 0.0, "texts_embedded": first.texts_embedded + 0.0,
            "pipeline_s": state["pipe"], "pipeline_sampled_s": state["pipe_sampled"], "bare_s": state["bare"],
            "bare_texts": state["texts"] + 0.0, "cached_s": cached, "suggestions": first.suggestions + 0.0,
            "files": first.files + 0.0}


CHILD = "--child-memory"


def memory_child(n_segments: int, data: Path) -> None:
    """In a fresh process: corpus of ``n_segments``, static embedder, whole pipeline; print peak RSS."""
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        files, segs = write_corpus(work / "corpus", n_segments, data)
        p = make_project(work / "p.qdakit", data)
        t0 = time.perf_counter()
        report = run_batch(p, [work / "corpus"], embedder=EmbedderSpec("static", cache=str(work / "e.sqlite")))
        secs = time.perf_counter() - t0
        p.close()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        hwm = _vm_hwm_mb()
    print("CHILD " + json.dumps({"segments": segs, "files": files, "precoded": report.segments_precoded,
                                 "seconds": secs, "maxrss_mb": rss, "hwm_mb": hwm}))


def _vm_hwm_mb() -> float:
    """Peak RSS of this process image (VmHWM). Unlike ru_maxrss it is not inherited through
    fork + exec from a large parent (Linux keeps the parent's high-water mark in ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return float("nan")


def memory(sizes: list[int], data: Path) -> list[dict[str, float]]:
    out = []
    for n in sizes:
        r = subprocess.run([sys.executable, __file__, CHILD, str(n), "--data", str(data)], capture_output=True,
                           text=True, check=False)
        line = [ln for ln in r.stdout.splitlines() if ln.startswith("CHILD ")]
        if r.returncode != 0 or not line:
            raise RuntimeError(f"memory run at {n} segments failed:\n{r.stderr[-3000:]}")
        out.append(json.loads(line[0][6:]))
    return out


def fast_speed(texts: list[str], reps: int) -> dict[str, float]:
    """Seconds per embedder on the same texts, alternating, median of ``reps``."""
    torch_model = TokenSortedEmbedder()
    st = torch_model._load()
    static, onnx = StaticEmbedder(), OnnxEmbedder()
    for e in (static, onnx):
        e.encode(texts[:8])
    st.encode(texts[:8])
    times: dict[str, list[float]] = {"bare": [], "static": [], "onnx": []}
    for _ in range(reps):
        t0 = time.perf_counter()
        st.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        times["bare"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _ in range(5):
            static.encode(texts)
        times["static"].append((time.perf_counter() - t0) / 5)
        t0 = time.perf_counter()
        onnx.encode(texts)
        times["onnx"].append(time.perf_counter() - t0)
    return {k: float(np.median(v)) for k, v in times.items()}


def kappas(data: Path, quick: bool) -> list[dict[str, Any]]:
    cache = EmbeddingCache(annomi.CACHE)
    embedders = {"minilm": CachedEmbedder(TokenSortedEmbedder(), cache),
                 "static": StaticEmbedder(),
                 "onnx": CachedEmbedder(OnnxEmbedder(), cache)}
    rows = []
    for role in ("therapist", "client"):
        task = annomi.load(data, role)
        order = list(np.random.default_rng(0).permutation(task.train_tids))
        tids = order[:20] if quick else order
        for name, emb in embedders.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SuggesterWarning)
                pred, _, secs = annomi.run_suggester(task, emb, tids)
            k, _ = annomi.mean_kappa(task.test, pred)
            rows.append({"task": role, "embedder": name, "train_transcripts": len(tids), "kappa": k,
                         "seconds": secs})
    return rows


def dask_workers(corpus: Path, work: Path, data: Path, n_segments: int, reps: int) -> dict[int, float]:
    """Segments per second in this process (key 0) and on a LocalCluster of 1 and of 2 worker
    processes (MiniLM, no cache, 8 KB chunks so that 2 workers have tasks to share), all up at
    once and their runs alternating (the machine's speed drifts)."""
    from qdakit.batch.dask_backend import DaskBackend

    files = sorted(corpus.glob("*.txt"))
    subset, count = [], 0
    for f in files:
        if count >= n_segments:
            break
        subset.append(f)
        count += f.read_text(encoding="utf-8").count("\n\n") + 1
    warm = work / "warm"
    warm.mkdir()
    for k in range(4):
        (warm / f"w{k}.txt").write_text(f"Interviewer: how are you, {k}?\n\nClient: I want to cut down, {k}.\n")
    spec = EmbedderSpec("minilm", cache=None)
    with make_project(work / "dask-fit.qdakit", data) as p:
        suggester = fit_batch_suggester(p, embedder=CachedEmbedder(TokenSortedEmbedder(),
                                                                   EmbeddingCache(work / "fit.embeddings.sqlite")))
    from qdakit.batch.embedding import _ChunkEmbedder

    suggester.embedder_ = _ChunkEmbedder(spec)  # the workers build MiniLM from this recipe, no cache
    backends: dict[int, Any] = {0: "local", 1: DaskBackend(n_workers=1), 2: DaskBackend(n_workers=2)}
    done = dict.fromkeys(backends, 0)
    secs = dict.fromkeys(backends, 0.0)
    try:
        for rep in range(-1, reps):  # rep -1 warms the workers up (model loading); then alternate
            for n, backend in backends.items():
                path = work / f"dask{n}-{rep}.qdakit"
                shutil.copy(work / "dask-fit.qdakit", path)
                with Project.open(path) as p:
                    report = run_batch(p, [warm] if rep < 0 else subset, suggester=suggester, backend=backend,
                                       chunk_bytes=1 if rep < 0 else 8 * 1024)
                if rep >= 0:
                    done[n] += report.segments_precoded
                    secs[n] += report.seconds
    finally:
        for backend in backends.values():
            if not isinstance(backend, str):
                backend.close()
    return {n: done[n] / secs[n] for n in backends}


# --------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="10^4 segments, 20 AnnoMI training transcripts")
    ap.add_argument("--segments", type=int, default=None, help="corpus size (default 10^4 quick, 10^5 full)")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument(CHILD, type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.simplefilter("ignore", LongTextWarning)
    warnings.simplefilter("ignore", SuggesterWarning)
    import logging

    logging.getLogger("distributed").setLevel(logging.WARNING)
    if args.child_memory:
        memory_child(args.child_memory, args.data)
        return 0
    if not args.data.exists():
        print(f"AnnoMI not found at {args.data}; pass --data", file=sys.stderr)
        return 2
    t_start = time.perf_counter()
    n = args.segments or (10_000 if args.quick else 100_000)
    threads = configure_threads()
    print(f"threads: {threads} (torch {__import__('torch').get_num_threads()}); corpus {n} segments")
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        files, segs = write_corpus(work / "corpus", n, args.data)
        print(f"corpus: {files} files, {segs} segments")
        print("building the fast embedders (once; kept in the qdakit cache) ...", flush=True)
        _ = StaticEmbedder().model_id
        _ = OnnxEmbedder().model_id
        print(f"peak memory (static embedder, separate processes) ... [{time.perf_counter() - t_start:.0f}s]",
              flush=True)
        mem = memory([10_000, 100_000], args.data)  # first, while this process is small (see _vm_hwm_mb)
        print(f"pipeline vs bare encode (MiniLM) ... [{time.perf_counter() - t_start:.0f}s]", flush=True)
        pipe = pipeline_vs_encode(work / "corpus", work, args.data, 1 if args.quick else 4)
        print(f"fast embedders: speed ... [{time.perf_counter() - t_start:.0f}s]", flush=True)
        sample = [ln.split(": ", 1)[1] for f in sorted((work / "corpus").glob("*.txt"))[:40]
                  for ln in f.read_text(encoding="utf-8").split("\n\n") if ": " in ln][:2000]
        speed = fast_speed(sample, 3)
        print(f"fast embedders: kappa on AnnoMI ... [{time.perf_counter() - t_start:.0f}s]", flush=True)
        kap = pd.DataFrame(kappas(args.data, args.quick))
        print(f"dask: 1 vs 2 workers ... [{time.perf_counter() - t_start:.0f}s]", flush=True)
        dask = dask_workers(work / "corpus", work, args.data, 1500 if args.quick else 3000, 2 if args.quick else 3)

    pipe_rate = pipe["bare_texts"] / pipe["pipeline_sampled_s"]
    bare_rate = pipe["bare_texts"] / pipe["bare_s"]
    k = kap.pivot_table(index="task", columns="embedder", values="kappa")
    rows = [
        ("pipeline, first run", f"{pipe['segments']:.0f} segments pre-coded ({pipe['texts_embedded']:.0f} texts "
         f"embedded) in {pipe['pipeline_s']:.0f} s", f"{pipe['segments'] / pipe['pipeline_s']:.1f} segments/s"),
        ("  on the chunks compared", f"{pipe['bare_texts']:.0f} texts: pipeline {pipe['pipeline_sampled_s']:.1f} s, "
         f"bare encode {pipe['bare_s']:.1f} s", f"{pipe_rate:.1f} vs {bare_rate:.1f} texts/s"),
        ("pipeline / bare encode (target >= 0.95)", "", f"{pipe['bare_s'] / pipe['pipeline_sampled_s']:.3f}"),
        ("cached re-run", f"{pipe['cached_s']:.1f} s", f"{pipe['pipeline_s'] / pipe['cached_s']:.1f}x faster "
         "(target >= 50x)"),
        *[(f"peak memory at {m['segments']} segments", f"{m['precoded']} pre-coded in {m['seconds']:.0f} s "
           "(static)", f"{m['hwm_mb']:.0f} MB (ru_maxrss {m['maxrss_mb']:.0f} MB)") for m in mem],
        ("memory 10^5 / 10^4 (target: flat)", "", f"{mem[1]['hwm_mb'] / mem[0]['hwm_mb']:.3f}"),
        ("bare encode (MiniLM)", f"{len(sample)} texts in {speed['bare']:.2f} s", "1x"),
        ("static (model2vec) embedder", f"{speed['static']:.3f} s", f"{speed['bare'] / speed['static']:.0f}x"),
        ("ONNX int8 embedder", f"{speed['onnx']:.2f} s", f"{speed['bare'] / speed['onnx']:.1f}x"),
        *[(f"kappa {task}: minilm / static / onnx", f"{int(kap['train_transcripts'].iloc[0])} training transcripts",
           f"{k.loc[task, 'minilm']:.3f} / {k.loc[task, 'static']:.3f} / {k.loc[task, 'onnx']:.3f}")
          for task in ("therapist", "client")],
        ("local backend, same files and chunks", f"{'3000' if not args.quick else '1500'} segments, "
         "8 KB chunks", f"{dask[0]:.1f} segments/s"),
        ("dask LocalCluster, 1 worker", "", f"{dask[1]:.1f} segments/s"),
        ("dask LocalCluster, 2 workers", "", f"{dask[2]:.1f} segments/s"),
    ]
    width = max(len(r[0]) for r in rows)
    mid = max(len(r[1]) for r in rows)
    print()
    for a, b, c in rows:
        print(f"{a:<{width}}  {b:<{mid}}  {c}")
    print(f"{time.perf_counter() - t_start:.0f}s in all")
    result = {
        "pipeline_vs_encode": pipe["bare_s"] / pipe["pipeline_sampled_s"],
        "cache_speedup": pipe["pipeline_s"] / pipe["cached_s"],
        "memory_ratio": mem[1]["hwm_mb"] / mem[0]["hwm_mb"],
        "fast_speedup": speed["bare"] / speed["static"],
        "fast_kappa_loss": k.loc["therapist", "minilm"] - k.loc["therapist", "static"],
        "client_fast_kappa_loss": k.loc["client", "minilm"] - k.loc["client", "static"],
        "onnx_speedup": speed["bare"] / speed["onnx"],
        "onnx_kappa_loss": k.loc["therapist", "minilm"] - k.loc["therapist", "onnx"],
        "workers2_vs_1": dask[2] / dask[1],
        "workers2_vs_local": dask[2] / dask[0],
    }
    print("RESULT " + " ".join(f"{key}={v:.3f}" for key, v in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

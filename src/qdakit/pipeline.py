"""Pre-coding large batches of transcript files: stream, checkpoint, resume.

:func:`run_batch` takes files (hundreds to hundreds of thousands) through
read -> segment -> embed (cached) -> suggest -> store, a chunk of files at a
time:

* **fit once.** The suggester is fitted on the project's human-coded data
  (:func:`fit_batch_suggester`: the transcripts holding a human coding or a
  rejected suggestion), then applied chunk by chunk. Nothing of the batch
  enters the fit, so the model id stays the same while the batch is imported
  and an interrupted run resumes under the same model.
* **one transaction per chunk.** A chunk's new transcripts, their suggestions
  and their checkpoint (the ``precoded`` table) are written together, so a
  ``kill -9`` loses at most the chunk in flight; what was stored stays stored.
  A rerun skips files whose transcripts are already pre-coded with the model
  (without reading them), and within a chunk never stores a suggestion twice.
* **flat memory.** Only one chunk's segments and embeddings are held at a time
  (with the Dask backend, a few chunks in flight); the project is queried per
  chunk, never loaded whole.
* **embedding at the model's speed.** Each chunk's texts (segments and the
  neighbouring turns the suggester reads) are embedded in one call, through
  the persistent cache, sorted by length, each text tokenised once
  (:class:`~qdakit.fast_embed.TokenSortedEmbedder`). See
  :func:`configure_threads` for CPU threads and ``device`` for a GPU.

Work is spread by a backend: ``"local"`` (one process, the default: on a
laptop or a 2-core machine nothing beats it) or ``"dask"``
(:class:`qdakit.distributed.DaskBackend`), which runs the read-to-suggest part
on workers while this process stays the only writer of the project.

Examples
--------
>>> from qdakit import Project
>>> from qdakit.pipeline import run_batch
>>> with Project.open("study.qdakit") as p:  # doctest: +SKIP
...     report = run_batch(p, ["wave3/"], embedder="minilm", progress=True)
>>> report.segments_precoded, report.suggestions  # doctest: +SKIP
(48213, 61877)
"""

from __future__ import annotations

import copy
import gc
import os
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from .embed import CachedEmbedder, EmbeddingCache, text_hash
from .errors import CodingError, QdakitError
from .model import Segment, Suggestion, Transcript
from .project import Project

__all__ = [
    "Backend",
    "BatchProgress",
    "BatchReport",
    "ChunkResult",
    "EmbedderSpec",
    "LocalBackend",
    "configure_threads",
    "fit_batch_suggester",
    "plan_chunks",
    "precode_files",
    "run_batch",
]

OnError = Literal["raise", "skip"]
#: default size of a chunk of files, in bytes on disk (about 2,000-3,000 turns of plain text)
DEFAULT_CHUNK_BYTES = 256 * 1024


# --------------------------------------------------------------------------------------
# threads
# --------------------------------------------------------------------------------------
def configure_threads(threads: int | None = None, *, processes_per_machine: int = 1) -> int:
    """Set the CPU threads of the embedding model; returns the number set.

    By default each process gets ``physical cores // processes_per_machine``
    intra-op threads (at least one) and one inter-op thread. Why: the
    transformer's matrix products scale with physical cores but not with
    hyper-threads, and more threads than cores make them wait on each other;
    the model is one sequential stack of layers, so inter-op parallelism has
    nothing to overlap. With several worker processes on one machine (Dask),
    the cores are split between them. Also sets ``OMP_NUM_THREADS`` (if unset)
    for onnxruntime and NumPy started after this call.

    Parameters
    ----------
    threads : int, optional
        Threads for this process; default as above.
    processes_per_machine : int, default 1
        Worker processes sharing this machine.
    """
    from .fast_embed import _physical_cores

    n = int(threads) if threads else max(1, _physical_cores() // max(1, int(processes_per_machine)))
    os.environ.setdefault("OMP_NUM_THREADS", str(n))
    try:
        import torch
    except ImportError:  # pragma: no cover - torch comes with sentence-transformers
        return n
    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set, or parallel work already started: it can be set once only
        pass
    return n


# --------------------------------------------------------------------------------------
# embedders for a batch
# --------------------------------------------------------------------------------------
class _SharedCache(EmbeddingCache):
    """An :class:`EmbeddingCache` that waits (up to a minute) for other writers.

    Several worker processes may write the same cache file; SQLite lets one
    write at a time and the others wait for the lock instead of failing.
    """

    def __init__(self, path: str | os.PathLike[str], timeout: float = 60.0) -> None:
        super().__init__(path)
        self._con.close()
        self._con = sqlite3.connect(self.path, timeout=timeout)


@dataclass(frozen=True)
class EmbedderSpec:
    """A recipe for an embedder, sent to workers instead of a loaded model.

    Parameters
    ----------
    kind : {"minilm", "static", "onnx"}
        See :func:`qdakit.fast_embed.load_embedder`.
    device : str
        Torch device for ``minilm``.
    cache : str, optional
        Embedding cache file (SQLite) to read and fill, as seen where the embedder
        is built; ``"default"``: ``embeddings.sqlite`` in :func:`qdakit.fast_embed.cache_dir`
        there; None: no persistent cache.
    threads : int, optional
        CPU threads (:func:`configure_threads`); default: physical cores.
    model_path : str, optional
        Folder of the built ``static``/``onnx`` model (default: the cache dir).
    """

    kind: str = "minilm"
    device: str = "cpu"
    cache: str | None = None
    threads: int | None = None
    model_path: str | None = None

    def build(self) -> Any:
        """The embedder (models load on first use; ``static``/``onnx`` are built if missing)."""
        from .fast_embed import cache_dir, load_embedder

        configure_threads(self.threads)
        emb = load_embedder(self.kind, device=self.device, path=self.model_path)
        if not self.cache:
            return emb
        path = cache_dir() / "embeddings.sqlite" if self.cache == "default" else Path(self.cache)
        return CachedEmbedder(emb, _SharedCache(path))


_THREAD = threading.local()


class _ChunkEmbedder:
    """What the suggester embeds with during a batch: a per-chunk memo in front of the real embedder.

    :meth:`prefetch` embeds all of a chunk's texts in one length-sorted call
    (through the persistent cache, when the inner embedder has one); the
    suggester's own calls then find them here. :meth:`clear` drops the chunk.
    Built lazily from an :class:`EmbedderSpec` on a worker, so pickling ships
    the recipe, never a loaded model.
    """

    def __init__(self, inner: Any) -> None:
        self._source = inner
        self._memo: dict[str, np.ndarray] = {}
        self.n_encoded = 0

    def __repr__(self) -> str:
        return f"_ChunkEmbedder({self._source!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"_source": self._source, "_memo": {}, "n_encoded": 0}

    @property
    def source(self) -> Any:
        """The embedder instance or :class:`EmbedderSpec` this wraps."""
        return self._source

    @property
    def inner(self) -> Any:
        """The embedder itself: built from a spec once per thread (models, cache connections)."""
        if not isinstance(self._source, EmbedderSpec):
            return self._source
        built = _THREAD.__dict__.setdefault("embedders", {})
        if self._source not in built:
            built[self._source] = self._source.build()
        return built[self._source]

    @property
    def model_id(self) -> str:
        return str(self.inner.model_id)

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def prefetch(self, texts: Iterable[str]) -> int:
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            self._memo.update(zip(missing, self.inner.encode(missing), strict=True))
            self.n_encoded += len(missing)
        return len(missing)

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None,
               show_progress: bool = False) -> np.ndarray:
        self.prefetch(texts)
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.array([self._memo[t] for t in texts], dtype=np.float32)

    def clear(self) -> None:
        self._memo.clear()


def _resolve_embedder(embedder: Any, project: Project, cache: str | os.PathLike[str] | None,
                      device: str) -> Any:
    """An Embedder instance or an EmbedderSpec from what the caller gave."""
    if embedder is None:
        embedder = "minilm"
    if isinstance(embedder, str):
        path = cache if cache else EmbeddingCache.for_project(project.path).path
        return EmbedderSpec(kind=embedder, device=device, cache=str(path))
    return embedder


def _batch_suggester(suggester: Any, embedder: _ChunkEmbedder) -> Any:
    """A shallow copy of a fitted suggester that embeds through ``embedder`` and holds no memo."""
    s = copy.copy(suggester)
    s.__dict__.pop("_memo", None)
    s.embedder = embedder
    s.embedder_ = embedder
    return s


# --------------------------------------------------------------------------------------
# fit
# --------------------------------------------------------------------------------------
def fit_batch_suggester(project: Project, *, embedder: Any = None, calibration: Sequence[str | Path] = (),
                        segment_by: str = "turn", columns: Mapping[str, Any] | None = None, **params: Any) -> Any:
    """A :class:`~qdakit.suggest.CodeSuggester` fitted on the project's human-coded transcripts.

    Fitted on the segments of the transcripts that hold a human coding or a
    rejected suggestion (not on every transcript of the project: the fit, and
    so the model id, must not change as a batch is imported). Codes without
    enough codings are scored zero-shot, standardised over these segments; when
    there are fewer than 20 of them (nothing coded yet), the segments of the
    ``calibration`` files (the first files of the batch) are added, so the
    model id still depends only on the input.

    Parameters
    ----------
    project : Project
    embedder : Embedder (default: the bundled model with the project's cache)
    calibration : files read (not imported) to calibrate zero-shot scores
    segment_by : how calibration files are segmented
    columns : the options of calibration files that are tables (see :func:`run_batch`)
    **params : passed to :class:`~qdakit.suggest.CodeSuggester`
    """
    from .suggest import CodeSuggester

    if len(project.codebook) == 0:
        raise CodingError(f"{project.path}: the project has no codebook; load one with `qdakit codebook load`")
    if embedder is None:
        from .precode import default_embedder

        embedder = default_embedder(project)
    frames = [project.segments(tid) for tid in project.coded_transcripts()]
    context = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["id", "transcript_id", "index", "text", "speaker", "is_researcher"])
    if (~context["is_researcher"].astype(bool)).sum() < 20 and calibration:
        extra = _frame(_read(list(calibration), segment_by, None, "skip", columns)[0], ())
        known = set(context["transcript_id"])
        context = pd.concat([context, extra[~extra["transcript_id"].isin(known)]], ignore_index=True)
    segments = context[~context["is_researcher"].astype(bool)].reset_index(drop=True)
    if segments.empty:
        raise CodingError(
            f"{project.path}: nothing to fit the suggester on: no transcript has human codings and no "
            "calibration files were given. Code a few segments first, or pass files to calibrate on.")
    codings = project.codings()[["segment_id", "code", "coder"]]
    rej = project.suggestions(status="rejected")[["segment_id", "code"]].reset_index(drop=True)
    return CodeSuggester(embedder, **params).fit(segments, project.codebook, codings, rej, context=context)


# --------------------------------------------------------------------------------------
# one chunk, anywhere (this process or a worker)
# --------------------------------------------------------------------------------------
@dataclass
class ChunkResult:
    """What :func:`precode_files` made of a chunk of files; small enough to send back from a worker."""

    paths: list[str]
    items: list[tuple[Transcript, list[Segment]]] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    scored: list[str] = field(default_factory=list)  # segment ids the suggester considered
    errors: list[str] = field(default_factory=list)  # "path: message" for files that could not be read
    notes: list[str] = field(default_factory=list)  # warnings raised on the way
    texts_embedded: int = 0  # texts the chunk needed embedded (from the cache or the model)
    seconds: float = 0.0


def _read(paths: list[str | Path], segment_by: str, encoding: str | None, on_error: OnError,
          columns: Mapping[str, Any] | None = None) -> tuple[list[tuple[Transcript, list[Segment]]], list[str]]:
    from .io import read_transcripts
    from .io.segment import segment as segment_transcript

    items, errors = [], []
    for f in paths:
        try:
            for parsed in read_transcripts(f, encoding=encoding, columns=dict(columns) if columns else None):
                items.append(segment_transcript(parsed, by=segment_by))  # type: ignore[arg-type]
        except (QdakitError, OSError, UnicodeError) as exc:
            if on_error == "raise":
                raise
            message = str(exc)  # most name the file already
            errors.append(message if message.startswith(str(f)) else f"{f}: {message}")
    return items, errors


def _frame(items: list[tuple[Transcript, list[Segment]]], moderators: Iterable[str]) -> pd.DataFrame:
    from .io.segment import looks_like_researcher

    mods = {m.strip().casefold() for m in moderators}
    rows = [(s.id, s.transcript_id, t.name, s.index, s.speaker, s.text,
             looks_like_researcher(s.speaker) or (s.speaker or "").strip().casefold() in mods)
            for t, segs in items for s in segs]
    return pd.DataFrame(rows, columns=["id", "transcript_id", "transcript", "index", "speaker", "text",
                                       "is_researcher"])


def _needed_texts(prep: Any) -> list[str]:
    """The prepared segments' texts and the neighbouring turns the suggester will read."""
    out = list(prep.texts)
    for side in (*prep.before, *prep.after):
        out.extend(t for t in side if t)
    return out


def precode_files(paths: Sequence[str | Path], suggester: Any, *, segment_by: str = "turn", top_k: int = 3,
                  moderators: Sequence[str] = (), encoding: str | None = None,
                  on_error: OnError = "raise", columns: Mapping[str, Any] | None = None) -> ChunkResult:
    """Read, segment, embed and suggest for a chunk of files; writes nothing.

    Runs wherever the backend puts it (this process or a worker). The
    suggester must be fitted; the project decides later which of the results
    to store. A segment is looked at unless a human coded it at fit time or
    its speaker is a researcher (labels such as "Interviewer", or one of
    ``moderators``). ``columns`` holds the options of tables (``.csv``,
    ``.xlsx``; see :func:`run_batch`).
    """
    started = time.perf_counter()
    result = ChunkResult([str(p) for p in paths])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result.items, result.errors = _read(list(paths), segment_by, encoding, on_error, columns)
        frame = _frame(result.items, moderators)
        todo = frame[~frame["is_researcher"] & ~frame["id"].isin(suggester.coded_ids_)]
        todo = todo[todo["text"].str.strip().astype(bool)]
        emb = suggester.embedder_
        try:
            if len(todo):
                prep = suggester._prepare(todo, frame)  # once: for the texts to embed and for scoring
                needed = _needed_texts(prep)
                result.texts_embedded = len(set(needed))
                if isinstance(emb, _ChunkEmbedder):
                    emb.prefetch(needed)
                result.suggestions = suggester._suggest_prepared(prep, top_k)
            result.scored = todo["id"].tolist()
        finally:
            suggester.__dict__.pop("_memo", None)
            if isinstance(emb, _ChunkEmbedder):
                emb.clear()
    seen: set[str] = set()
    for w in caught:
        key = f"{w.category.__name__}: {str(w.message)[:120]}"
        if key not in seen:
            seen.add(key)
            result.notes.append(f"{w.category.__name__}: {w.message}")
    result.seconds = time.perf_counter() - started
    return result


# --------------------------------------------------------------------------------------
# storing a chunk (this process only: SQLite has one writer)
# --------------------------------------------------------------------------------------
def _store(project: Project, result: ChunkResult, model: str) -> tuple[int, int, int, int, list[str]]:
    """Write one chunk in one transaction: new transcripts, suggestions, checkpoint.

    Returns (transcripts added, segments added, segments pre-coded, suggestions, problems).
    """
    problems: list[str] = []
    by_tid = {t.id: (t, segs) for t, segs in result.items}
    with project.transaction():
        new, same = [], []
        taken: dict[str, str] = {}  # ids, names and text hashes of this chunk's new transcripts
        for tid, (t, segs) in by_tid.items():
            digest = text_hash(t.text)  # what the project keeps as the transcript's sha256
            row = project.find_transcript(id=t.id, name=t.name, text=t.text)
            if row is not None and row["id"] == t.id and row["sha256"] == digest:
                same.append(tid)
            elif row is not None or {t.id, t.name, digest} & taken.keys():
                other = row["name"] if row is not None else next(taken[k] for k in (t.id, t.name, digest)
                                                                 if k in taken)
                problems.append(f"{t.source}: transcript {t.name!r} clashes with {other!r} (same name with "
                                "other text, or same text under another name); skipped")
            else:
                new.append((t, segs))
                taken.update(dict.fromkeys((t.id, t.name, digest), t.name))
        project.add_transcripts(new)
        allowed = set(result.scored) & {s.id for t, segs in [*new, *(by_tid[k] for k in same)] for s in segs}
        for tid in same:  # the project's own view (participant roles) decides for transcripts it had
            seg = project.segments(tid)
            allowed -= set(seg.loc[seg["is_researcher"].astype(bool), "id"])
        allowed -= project.precoded(model, among=allowed)
        n_sugg = project.add_suggestions(s for s in result.suggestions if s.segment_id in allowed)
        project.mark_precoded(sorted(allowed), model)
    return len(new), sum(len(s) for _, s in new), len(allowed), n_sugg, problems


# --------------------------------------------------------------------------------------
# backends
# --------------------------------------------------------------------------------------
class Backend(Protocol):
    """Where chunks are processed. ``map`` yields one :class:`ChunkResult` per chunk, in any order."""

    def map(self, chunks: Iterable[list[str]], suggester: Any, **kwargs: Any) -> Iterator[ChunkResult]: ...


class LocalBackend:
    """Process chunks one after another in this process (the default)."""

    def map(self, chunks: Iterable[list[str]], suggester: Any, **kwargs: Any) -> Iterator[ChunkResult]:
        for chunk in chunks:
            yield precode_files(chunk, suggester, **kwargs)


def plan_chunks(paths: Sequence[str | Path], chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> list[list[str]]:
    """Group files, in order, into chunks of about ``chunk_bytes`` on disk (at least one file each)."""
    if chunk_bytes < 1:
        raise ValueError(f"chunk_bytes={chunk_bytes}; give a positive size, e.g. 262144")
    chunks: list[list[str]] = []
    cur: list[str] = []
    size = 0
    for p in paths:
        cur.append(str(p))
        try:
            size += os.path.getsize(p)
        except OSError:
            size += 1
        if size >= chunk_bytes:
            chunks.append(cur)
            cur, size = [], 0
    if cur:
        chunks.append(cur)
    return chunks


# --------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------
@dataclass
class BatchProgress:
    """Passed to the ``progress`` callback after each stored chunk."""

    files_done: int
    files_total: int
    segments: int  # pre-coded so far in this run
    suggestions: int
    seconds: float


@dataclass
class BatchReport:
    """What a batch run did."""

    model: str
    files: int = 0  # files given (after expanding folders)
    files_skipped: int = 0  # already pre-coded by an earlier run with the same model
    transcripts_added: int = 0
    segments_added: int = 0
    segments_precoded: int = 0
    suggestions: int = 0
    texts_embedded: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    code_report: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def segments_per_second(self) -> float:
        return self.segments_precoded / self.seconds if self.seconds > 0 else float("nan")


def _tqdm_progress(total: int) -> tuple[Callable[[BatchProgress], None], Callable[[], None]]:
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc="pre-coding", unit="file")

    def step(p: BatchProgress) -> None:
        bar.n = p.files_done
        bar.set_postfix(segments=p.segments, per_s=f"{p.segments / max(p.seconds, 1e-9):.0f}", refresh=False)
        bar.refresh()

    return step, bar.close


def run_batch(
    project: Project,
    paths: Sequence[str | Path],
    *,
    suggester: Any = None,
    embedder: Any = None,
    backend: Backend | str = "local",
    cache: str | os.PathLike[str] | None = None,
    device: str = "cpu",
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    top_k: int = 3,
    segment_by: str = "turn",
    moderators: Sequence[str] = (),
    encoding: str | None = None,
    on_error: OnError = "raise",
    columns: Mapping[str, Any] | None = None,
    progress: Callable[[BatchProgress], None] | bool | None = None,
    **params: Any,
) -> BatchReport:
    """Import and pre-code transcript files in chunks, resumably.

    Parameters
    ----------
    project : Project
        Needs a codebook; its human codings train the suggester.
    paths : files or folders (folders: transcript formats, recursively)
    suggester : a fitted :class:`~qdakit.suggest.CodeSuggester` (default:
        :func:`fit_batch_suggester`, calibrated on the first chunk when nothing is coded)
    embedder : ``"minilm"`` (default), ``"static"``, ``"onnx"``, an
        :class:`EmbedderSpec`, or an Embedder instance (local backend, or picklable)
    backend : ``"local"``, ``"dask"`` (a LocalCluster), or a backend object such
        as :class:`qdakit.distributed.DaskBackend`
    cache : embedding cache file for named embedders (default: next to the project)
    device : torch device for ``minilm``
    chunk_bytes : size of a chunk of files on disk; one transaction and checkpoint each
    top_k : at most this many suggestions per segment
    segment_by : ``"turn"`` or ``"paragraph"``
    moderators : speaker labels of researchers (besides "Interviewer", "Moderator", ...)
    encoding : force a text encoding
    on_error : ``"raise"`` (stop at the first unreadable file; stored chunks stay) or
        ``"skip"`` (report it in ``errors`` and go on)
    columns : for tables (``.csv``, ``.xlsx``, named explicitly), the options of
        :func:`qdakit.io.table.read_table`: the columns holding the text, speaker and
        transcript, and ``skip_empty``, e.g. ``{"text": "Q5", "speaker": "ResponseId", "skip_empty": True}``
    progress : callback given a :class:`BatchProgress` after each chunk, or True for a bar
    **params : passed to :class:`~qdakit.suggest.CodeSuggester` when fitting

    Returns
    -------
    BatchReport
    """
    from .importer import collect_paths

    started = time.perf_counter()
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error={on_error!r}; use 'raise' or 'skip'")
    if top_k < 1:
        raise ValueError(f"top_k={top_k}; ask for at least one suggestion per segment")
    files = [str(p) for p in collect_paths(paths)]
    chunks = plan_chunks(files, chunk_bytes)
    if embedder is None and suggester is not None:  # embed as the suggester was fitted
        embedder = getattr(suggester, "embedder_", None)
        embedder = embedder.source if isinstance(embedder, _ChunkEmbedder) else embedder
    emb = _resolve_embedder(embedder, project, cache, device)
    chunk_emb = _ChunkEmbedder(emb)
    if suggester is None:
        suggester = fit_batch_suggester(project, embedder=chunk_emb, calibration=chunks[0] if chunks else [],
                                        segment_by=segment_by, columns=columns, **params)
        chunk_emb.clear()
    elif params:
        raise TypeError(f"suggester parameters {sorted(params)} given with a fitted suggester; give one or the other")
    model = suggester.model_id_
    if not model.startswith(f"qdakit-suggest:{chunk_emb.model_id}:"):
        raise ValueError(f"the suggester ({model}) was not fitted with the embedder of this run "
                         f"({chunk_emb.model_id}); fit it with that embedder, or leave embedder out")
    work = _batch_suggester(suggester, chunk_emb)
    report = BatchReport(model=model, files=len(files), code_report=getattr(suggester, "code_report_", pd.DataFrame()))
    todo_chunks = []
    for chunk in chunks:
        done = project.precoded_sources(chunk, model)
        report.files_skipped += len(done)
        rest = [f for f in chunk if f not in done]
        if rest:
            todo_chunks.append(rest)
    close: Callable[[], None] = lambda: None
    if progress is True:
        progress, close = _tqdm_progress(len(files))
    files_done = report.files_skipped
    if callable(progress):
        progress(BatchProgress(files_done, len(files), 0, 0, 0.0))
    runner = _backend(backend)
    kwargs = {"segment_by": segment_by, "top_k": top_k, "moderators": tuple(moderators), "encoding": encoding,
              "on_error": on_error, "columns": dict(columns) if columns else None}
    notes: dict[str, None] = {}
    try:
        with _long_lived_heap_frozen():
            for result in runner.map(todo_chunks, work, **kwargs):
                t_add, s_add, n_pre, n_sugg, problems = _store(project, result, model)
                report.transcripts_added += t_add
                report.segments_added += s_add
                report.segments_precoded += n_pre
                report.suggestions += n_sugg
                report.texts_embedded += result.texts_embedded
                report.errors += result.errors + problems
                notes.update(dict.fromkeys(result.notes))
                files_done += len(result.paths)
                if callable(progress):
                    progress(BatchProgress(files_done, len(files), report.segments_precoded, report.suggestions,
                                           time.perf_counter() - started))
    finally:
        close()
        if hasattr(runner, "close") and isinstance(backend, str):
            runner.close()
    report.notes = list(notes)
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def _long_lived_heap_frozen() -> Iterator[None]:
    """Leave the objects that exist before the run out of garbage collection until it ends.

    Each chunk allocates hundreds of thousands of objects, which trigger full
    collections; those would scan the whole heap each time (the libraries, the
    model, the fitted suggester: 250,000 objects and more), though none of it
    becomes garbage during the run. This took 5% of a re-run whose embeddings
    are cached. What the run allocates is collected as usual. A heap someone
    else froze (``gc.freeze`` before forking workers) is left as it is.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _backend(backend: Backend | str) -> Any:
    if backend == "local":
        return LocalBackend()
    if backend == "dask":
        from .distributed import DaskBackend

        return DaskBackend()
    if isinstance(backend, str):
        raise ValueError(f"backend {backend!r}: use 'local' or 'dask' (or pass a DaskBackend)")
    return backend

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
  (:class:`~qdakit.embed.tokens.TokenSortedEmbedder`). See
  :func:`configure_threads` for CPU threads and ``device`` for a GPU.

Work is spread by a backend: ``"local"`` (one process, the default: on a
laptop or a 2-core machine nothing beats it) or ``"dask"``
(:class:`qdakit.batch.dask_backend.DaskBackend`), which runs the read-to-suggest part
on workers while this process stays the only writer of the project.

Examples
--------
>>> from qdakit import Project
>>> from qdakit.batch import run_batch
>>> with Project.open("study.qdakit") as p:  # doctest: +SKIP
...     report = run_batch(p, ["wave3/"], embedder="minilm", progress=True)
>>> report.segments_precoded, report.suggestions  # doctest: +SKIP
(48213, 61877)
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from qdakit.batch.chunks import ChunkResult, OnError, _frame, _read, precode_files, store_chunk
from qdakit.batch.embedding import _batch_suggester, _ChunkEmbedder, _resolve_embedder
from qdakit.embed.cache import project_embedder
from qdakit.errors import CodingError
from qdakit.io.limits import heap_frozen
from qdakit.project import Project
from qdakit.suggest.suggester import CodeSuggester

__all__ = [
    "Backend",
    "BatchProgress",
    "BatchReport",
    "LocalBackend",
    "fit_batch_suggester",
    "plan_chunks",
    "run_batch",
]

#: default size of a chunk of files, in bytes on disk (about 2,000-3,000 turns of plain text)
DEFAULT_CHUNK_BYTES = 256 * 1024


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
    if len(project.codebook) == 0:
        raise CodingError(f"{project.path}: the project has no codebook; load one with `qdakit codebook load`")
    if embedder is None:
        embedder = project_embedder(project)
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
    return CodeSuggester(embedder, **params).fit(segments, project.codebook, codings, rej, context=context,
                                                 reviewed=project.reviewed())


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
    failed_before: list[str] = field(default_factory=list)  # unchanged files an earlier run could not pre-code
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    code_report: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def segments_per_second(self) -> float:
        return self.segments_precoded / self.seconds if self.seconds > 0 else float("nan")


def _tqdm_progress(total: int) -> tuple[Callable[[BatchProgress], None], Callable[[], None]]:
    from tqdm import tqdm

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
        as :class:`qdakit.batch.dask_backend.DaskBackend`
    cache : embedding cache file for named embedders (default: next to the project)
    device : torch device for ``minilm``
    chunk_bytes : size of a chunk of files on disk; one transaction and checkpoint each
    top_k : at most this many suggestions per segment
    segment_by : ``"turn"`` or ``"paragraph"``
    moderators : speaker labels of researchers (besides "Interviewer", "Moderator", ...)
    encoding : force a text encoding
    on_error : ``"raise"`` (stop at the first unreadable file; stored chunks stay) or
        ``"skip"`` (report it in ``errors`` and go on): a file that cannot be read or stored, for
        any reason, is set aside alone (the rest of its chunk is stored) and recorded in the
        project; a rerun with the same model skips it, listed in ``failed_before``, until the
        file changes
    columns : for tables (``.csv``, ``.xlsx``, named explicitly), the options of
        :func:`qdakit.io.table.read_table`: the columns holding the text, speaker and
        transcript, and ``skip_empty``, e.g. ``{"text": "Q5", "speaker": "ResponseId", "skip_empty": True}``
    progress : callback given a :class:`BatchProgress` after each chunk, or True for a bar
    **params : passed to :class:`~qdakit.suggest.CodeSuggester` when fitting

    Returns
    -------
    BatchReport
    """
    from qdakit.io.importer import collect_paths

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
    failed_before = project.failed_sources(model)
    read_as = json.dumps([segment_by, encoding, sorted((columns or {}).items())], default=str)
    for chunk in chunks:
        done = project.precoded_sources(chunk, model)
        again = {f for f in chunk
                 if f in failed_before and failed_before[f].get("signature") == file_signature(f, read_as)}
        report.files_skipped += len(done)
        report.failed_before += [failed_before[f]["message"] for f in chunk if f in again]
        rest = [f for f in chunk if f not in done and f not in again]
        if rest:
            todo_chunks.append(rest)
    close: Callable[[], None] = _nothing
    if progress is True:
        progress, close = _tqdm_progress(len(files))
    files_done = report.files_skipped + len(report.failed_before)
    if callable(progress):
        progress(BatchProgress(files_done, len(files), 0, 0, 0.0))
    runner = _backend(backend)
    kwargs = {"segment_by": segment_by, "top_k": top_k, "moderators": tuple(moderators), "encoding": encoding,
              "on_error": on_error, "columns": dict(columns) if columns else None}
    notes: dict[str, None] = {}
    try:
        with heap_frozen():
            for result in runner.map(todo_chunks, work, **kwargs):
                t_add, s_add, n_pre, n_sugg, problems, failed = store_chunk(project, result, model, on_error)
                for path in result.paths:  # the checkpoint of failures: a rerun skips them while unchanged
                    if path in failed:
                        project.mark_failed(path, model, failed[path], file_signature(path, read_as))
                    elif path in failed_before:
                        project.clear_failed(path, model)
                report.transcripts_added += t_add
                report.segments_added += s_add
                report.segments_precoded += n_pre
                report.suggestions += n_sugg
                report.texts_embedded += result.texts_embedded
                report.errors += list(failed.values()) + problems
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


def file_signature(path: str, options: str = "") -> str:
    """Size and modification time of a file ("" if it is gone), and the options it is read with.

    A failed file is retried once it changes, or when it is read differently
    (another encoding, other table columns).
    """
    try:
        st = os.stat(path)
    except OSError:
        return ""
    return f"{st.st_size}:{st.st_mtime_ns}:{hashlib.sha256(options.encode()).hexdigest()[:12]}"


def _nothing() -> None:
    """What closing a progress display does when there is none."""


def _backend(backend: Backend | str) -> Any:
    if backend == "local":
        return LocalBackend()
    if backend == "dask":
        from qdakit.batch.dask_backend import DaskBackend

        return DaskBackend()
    if isinstance(backend, str):
        raise ValueError(f"backend {backend!r}: use 'local' or 'dask' (or pass a DaskBackend)")
    return backend

"""One chunk of a batch: read and segment its files, embed and suggest (in this process or on a
worker), and store the result in one transaction (in this process only: SQLite has one writer).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from qdakit.batch.embedding import _ChunkEmbedder
from qdakit.embed import text_hash
from qdakit.errors import QdakitError
from qdakit.io import read_transcripts
from qdakit.io.segment import segment as segment_transcript
from qdakit.model import Segment, Suggestion, Transcript, looks_like_researcher
from qdakit.project import Project

__all__ = ["ChunkResult", "precode_files", "store_chunk", "failure_message"]

OnError = Literal["raise", "skip"]


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
    failed: dict[str, str] = field(default_factory=dict)  # path -> message, for the checkpoint
    notes: list[str] = field(default_factory=list)  # warnings raised on the way
    texts_embedded: int = 0  # texts the chunk needed embedded (from the cache or the model)
    seconds: float = 0.0


def failure_message(path: str | Path, exc: BaseException) -> str:
    """``path: what went wrong``, one line (qdakit's errors name the file already; others get their type)."""
    message = " ".join(str(exc).split()) if isinstance(exc, (QdakitError, OSError)) else \
        f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    return message if message.startswith(str(path)) else f"{path}: {message}"


def _read(paths: list[str | Path], segment_by: str, encoding: str | None, on_error: OnError,
          columns: Mapping[str, Any] | None = None,
          failed: dict[str, str] | None = None) -> tuple[list[tuple[Transcript, list[Segment]]], list[str]]:
    """Read and segment each file; with ``on_error="skip"`` a file that fails, for any reason, is listed."""
    items, errors = [], []
    for f in paths:
        try:
            got = [segment_transcript(parsed, by=segment_by)  # type: ignore[arg-type]
                   for parsed in read_transcripts(f, encoding=encoding, columns=dict(columns) if columns else None)]
        except Exception as exc:  # noqa: BLE001 - untrusted files: one bad file must not stop the batch
            if on_error == "raise":
                raise
            errors.append(failure_message(f, exc))
            if failed is not None:
                failed[str(f)] = errors[-1]
            continue
        items += got
    return items, errors


def _frame(items: list[tuple[Transcript, list[Segment]]], moderators: Iterable[str]) -> pd.DataFrame:
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
        result.items, result.errors = _read(list(paths), segment_by, encoding, on_error, columns, result.failed)
        frame = _frame(result.items, moderators)
        read = suggester.coded_ids_ | getattr(suggester, "reviewed_ids_", frozenset())  # coded or read by a human
        todo = frame[~frame["is_researcher"] & ~frame["id"].isin(read)]
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
def store_chunk(project: Project, result: ChunkResult, model: str,
                on_error: OnError = "skip") -> tuple[int, int, int, int, list[str], dict[str, str]]:
    """:func:`_store` the chunk; if that fails, store its files one by one and set aside those that fail.

    Returns what :func:`_store` returns, plus the files that could not be
    stored (path -> message) beside those that could not be read. A file that
    fails is never retried by the chunk around it, so one bad file cannot
    block the rest of a batch.
    """
    try:
        return (*_store(project, result, model), dict(result.failed))
    except Exception:
        if on_error == "raise":
            raise
    totals = [0, 0, 0, 0]
    problems: list[str] = []
    failed = dict(result.failed)
    for path in result.paths:
        if path in failed:
            continue
        items = [(t, segs) for t, segs in result.items if t.source == path]
        ids = {s.id for _, segs in items for s in segs}
        one = ChunkResult([path], items, [s for s in result.suggestions if s.segment_id in ids],
                          [sid for sid in result.scored if sid in ids])
        try:
            *counts, more = _store(project, one, model)
        except Exception as exc:  # noqa: BLE001 - this file alone; the others are stored
            failed[path] = failure_message(path, exc)
            continue
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        problems += more
    return totals[0], totals[1], totals[2], totals[3], problems, failed


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
            if row is not None and row.id == t.id and row.sha256 == digest:
                same.append(tid)
            elif row is not None or {t.id, t.name, digest} & taken.keys():
                other = row.name if row is not None else next(taken[k] for k in (t.id, t.name, digest)
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
        allowed -= project.decided_by_humans(allowed)  # coded or read by a human while the chunk was scored
        project.supersede_suggestions(sorted(allowed), model)  # earlier models' pending ones give way
        n_sugg = project.add_suggestions(s for s in result.suggestions if s.segment_id in allowed)
        project.mark_precoded(sorted(allowed), model)
    return len(new), sum(len(s) for _, s in new), len(allowed), n_sugg, problems

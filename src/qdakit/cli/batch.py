"""Command line for large batches: ``qdakit batch`` and ``qdakit embedder build``.

``register(app)`` adds the commands to the main ``qdakit`` app (see :mod:`qdakit.cli`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from qdakit.cli.common import (
    DEFAULT_PROJECT,
    ProjectOpt,
    SkipEmptyOpt,
    SpeakerColumnOpt,
    TextColumnOpt,
    TranscriptColumnOpt,
    console,
    err,
    table_options,
)

__all__ = ["register"]



def batch(
    files: Annotated[list[Path], typer.Argument(help="Transcript files or folders to import and pre-code.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    backend: Annotated[str, typer.Option(help="local (one process) or dask (workers).")] = "local",
    address: Annotated[Optional[str], typer.Option(
        help="Dask scheduler, e.g. tcp://host:8786; default: a LocalCluster on this machine.")] = None,
    workers: Annotated[int, typer.Option(help="Workers of the LocalCluster (dask without --address).")] = 2,
    embedder: Annotated[str, typer.Option(
        help="minilm (the bundled model), static (model2vec, ~100x faster, less accurate) or onnx "
             "(int8, ~2x faster).")] = "minilm",
    device: Annotated[str, typer.Option(help="cpu, cuda or mps (minilm only).")] = "cpu",
    threads: Annotated[Optional[int], typer.Option(
        help="CPU threads for the model; default: physical cores (split between local workers).")] = None,
    cache: Annotated[Optional[Path], typer.Option(
        help="Embedding cache file, shared across runs and projects; default: next to the project.")] = None,
    chunk_kb: Annotated[int, typer.Option(help="Files per checkpoint, by size on disk (KB).")] = 256,
    top_k: Annotated[int, typer.Option(help="At most this many suggestions per segment.")] = 3,
    by: Annotated[str, typer.Option("--by", help="Segment by 'turn' or 'paragraph'.")] = "turn",
    moderator: Annotated[Optional[list[str]], typer.Option(
        "--moderator", help="Speaker label of a researcher (repeatable); their turns are not pre-coded.")] = None,
    encoding: Annotated[Optional[str], typer.Option(help="Force a text encoding, e.g. latin-1.")] = None,
    target_precision: Annotated[Optional[float], typer.Option(
        help="Aim each code's threshold at this precision. Default: the threshold that agreed best with the "
             "human coder in cross-validation.")] = None,
    min_examples: Annotated[int, typer.Option(help="Codings a code needs before it is learned.")] = 3,
    min_similarity: Annotated[Optional[float], typer.Option(
        help="Codes not yet learned are suggested only above this cosine to their definition (default: none).")]
    = None,
    stop_on_error: Annotated[bool, typer.Option(
        "--stop-on-error", help="Stop at the first unreadable file (default: list it and go on).")] = False,
    text_column: TextColumnOpt = "text",
    speaker_column: SpeakerColumnOpt = "speaker",
    transcript_column: TranscriptColumnOpt = "transcript",
    skip_empty: SkipEmptyOpt = False,
) -> None:
    """Import and pre-code many transcript files, in checkpointed chunks: rerun to resume.

    The suggester is fitted once on the project's human codings; each chunk of
    files is read, segmented, embedded (cached) and suggested for, then
    imported with its suggestions in one transaction. Interrupt at any time
    (even kill -9): the rerun skips what is stored.
    """
    from qdakit.batch.embedding import EmbedderSpec
    from qdakit.batch.pipeline import run_batch
    from qdakit.project import Project

    if by not in ("turn", "paragraph"):
        raise typer.BadParameter("use 'turn' or 'paragraph'", param_hint="--by")
    if backend not in ("local", "dask"):
        raise typer.BadParameter("use 'local' or 'dask'", param_hint="--backend")
    if embedder not in ("minilm", "static", "onnx"):
        raise typer.BadParameter("use 'minilm', 'static' or 'onnx'", param_hint="--embedder")
    if address and backend != "dask":
        raise typer.BadParameter("--address needs --backend dask", param_hint="--address")
    runner: object = "local"
    if backend == "dask":
        import logging

        from qdakit.batch.dask_backend import DaskBackend

        logging.getLogger("distributed").setLevel(logging.WARNING)  # its INFO lines would bury the progress bar

        runner = DaskBackend(address, n_workers=workers, threads=threads)
    cache_path = str(cache) if cache else str(project.with_name(project.name + ".embeddings.sqlite"))
    spec = EmbedderSpec(kind=embedder, device=device, cache=cache_path, threads=threads)
    started = time.perf_counter()
    with Project.open(project) as p, _progress() as bar:
        task = bar.add_task("Fitting the suggester", total=None, rate="")

        def step(prog: object) -> None:
            rate = prog.segments / prog.seconds if prog.seconds > 0 else 0.0  # type: ignore[attr-defined]
            bar.update(task, description="Pre-coding", completed=prog.files_done,  # type: ignore[attr-defined]
                       total=prog.files_total, rate=f"{prog.segments} segments, {rate:.0f}/s")  # type: ignore[attr-defined]

        try:
            report = run_batch(p, files, embedder=spec, backend=runner, chunk_bytes=max(1, chunk_kb) * 1024,  # type: ignore[arg-type]
                               top_k=top_k, segment_by=by, moderators=moderator or (), encoding=encoding,
                               on_error="raise" if stop_on_error else "skip", progress=step,
                               columns=table_options(text_column, speaker_column, transcript_column, skip_empty),
                               target_precision=target_precision, min_examples=min_examples,
                               zero_shot_min_similarity=min_similarity)
        finally:
            if hasattr(runner, "close"):
                runner.close()
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    if not report.code_report.empty:
        frame = report.code_report.reset_index()
        table = Table(title="How each code is suggested")
        cols = [c for c in ("code", "mode", "positives", "threshold", "note") if c in frame.columns]
        for c in cols:
            table.add_column(c)
        for row in frame[cols].itertuples(index=False):
            table.add_row(*[f"{v:.2f}" if isinstance(v, float) else str(v) for v in row])
        console.print(table)
    console.print(
        f"Pre-coded {report.segments_precoded} segments of {report.transcripts_added} new transcripts "
        f"({report.files_skipped} of {report.files} files already done) with {report.model}: "
        f"{report.suggestions} suggestions in {time.perf_counter() - started:.1f} s "
        f"({report.segments_per_second:.0f} segments/s). Review them with "
        "[cyan]qdakit review --coder NAME[/cyan].", highlight=False)
    if report.failed_before:
        err.print(f"[yellow]skipped {len(report.failed_before)} file(s) that failed in an earlier run and have "
                  "not changed since (fix or replace a file to retry it):[/yellow]")
        for e in report.failed_before[:50]:
            err.print(f"  {e}", highlight=False, soft_wrap=True, markup=False)
        if len(report.failed_before) > 50:
            err.print(f"  ... and {len(report.failed_before) - 50} more")
    if report.errors:
        err.print(f"[bold red]not pre-coded ({len(report.errors)} file(s) or transcript(s)):[/bold red]")
        for e in report.errors[:50]:
            err.print(f"  {e}", highlight=False, soft_wrap=True, markup=False)
        if len(report.errors) > 50:
            err.print(f"  ... and {len(report.errors) - 50} more")
        raise typer.Exit(1)


def build(
    kind: Annotated[str, typer.Option(help="static (model2vec) or onnx (int8).")] = "static",
    out: Annotated[Optional[Path], typer.Option(help="Folder to build into; default: the qdakit cache.")] = None,
    pca_dims: Annotated[int, typer.Option(help="static: dimensions kept by PCA.")] = 256,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if a build is there.")] = False,
) -> None:
    """Build a fast embedder from the bundled model, offline, into the cache ($QDAKIT_CACHE or ~/.cache/qdakit)."""
    from qdakit.embed.build import _MANIFEST, build_onnx, build_static, model_dir
    from qdakit.embed.fast import load_embedder

    if kind not in ("static", "onnx"):
        raise typer.BadParameter("use 'static' or 'onnx'", param_hint="--kind")
    folder = model_dir(kind, out)
    if (folder / _MANIFEST).is_file() and not force:
        emb = load_embedder(kind, path=out, build=False)
        console.print(f"{kind} embedder already built in {folder} ({emb.model_id}); --force to rebuild.",
                      highlight=False)
        return
    started = time.perf_counter()
    err.print(f"Building the {kind} embedder from the bundled model ...")
    path = build_static(out, pca_dims=pca_dims) if kind == "static" else build_onnx(out)
    emb = load_embedder(kind, path=out, build=False)
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
    console.print(f"Built {emb.model_id} in {path} ({size:.0f} MB, {time.perf_counter() - started:.0f} s). "
                  f"Use it with [cyan]qdakit batch --embedder {kind}[/cyan].", highlight=False)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                    console=err, transient=True)


def register(app: typer.Typer) -> None:
    """Add ``batch`` and ``embedder build`` to the ``qdakit`` app."""
    app.command("batch")(batch)
    embedder_app = typer.Typer(help="Build the fast embedders (static, onnx) from the bundled model.",
                               no_args_is_help=True)
    embedder_app.command("build")(build)
    app.add_typer(embedder_app, name="embedder")

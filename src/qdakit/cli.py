"""The ``qdakit`` command line.

Every command works on one project file, ``--project/-p`` (default
``project.qdakit`` in the current folder, or ``$QDAKIT_PROJECT``). Errors are
printed as one clear message, never a traceback, and leave the project as it
was.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .errors import QdakitError
from .importer import apply_attributes, collect_paths, import_files
from .io.codebook import read_codebook, write_codebook
from .project import Project

app = typer.Typer(
    name="qdakit",
    help="NLP-assisted coding of qualitative interview and focus-group transcripts.\n\n"
         "Typical start: qdakit init; qdakit import transcripts/ --attributes participants.csv; "
         "qdakit codebook load codebook.yaml; qdakit status.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
codebook_app = typer.Typer(help="Load, show and export the codebook.", no_args_is_help=True)
app.add_typer(codebook_app, name="codebook")
codings_app = typer.Typer(help="Import and list human codings.", no_args_is_help=True)
app.add_typer(codings_app, name="codings")

console = Console()
err = Console(stderr=True)

ProjectOpt = Annotated[
    Path,
    typer.Option("--project", "-p", envvar="QDAKIT_PROJECT", help="Project file.", show_default=True),
]
DEFAULT_PROJECT = Path("project.qdakit")


def _open(path: Path) -> Project:
    return Project.open(path)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Project file to create.")] = DEFAULT_PROJECT,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing project file.")] = False,
) -> None:
    """Create a new, empty project file."""
    with Project.create(path, overwrite=force):
        pass
    console.print(f"Created project [bold]{path}[/bold]. Next: [cyan]qdakit -p {path} import FILES...[/cyan]")


@app.command("import")
def import_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Transcript files or folders (.txt .md .vtt .srt .docx; "
                                                     ".csv/.xlsx of segments when named).")],
    project: ProjectOpt = DEFAULT_PROJECT,
    attributes: Annotated[Optional[list[Path]], typer.Option(
        "--attributes", "-a", help="Participants CSV/Excel: participant,speaker,transcript,<attributes>. "
                                   "Repeatable.")] = None,
    questions: Annotated[Optional[Path], typer.Option(
        "--questions", "-q", help="Focus-group questions, one per line ('Q1: ...').")] = None,
    by: Annotated[str, typer.Option("--by", help="Segment by 'turn' or 'paragraph'.")] = "turn",
    encoding: Annotated[Optional[str], typer.Option(help="Force a text encoding, e.g. latin-1.")] = None,
    moderator: Annotated[Optional[list[str]], typer.Option(
        "--moderator", help="Speaker label of the moderator (repeatable); default: researcher roles.")] = None,
    text_column: Annotated[str, typer.Option(help="Tables: column with the segment text.")] = "text",
    speaker_column: Annotated[str, typer.Option(help="Tables: column with the speaker.")] = "speaker",
    transcript_column: Annotated[str, typer.Option(help="Tables: column naming the transcript.")] = "transcript",
    lenient_attributes: Annotated[bool, typer.Option(
        help="Skip attribute rows naming unknown speakers instead of failing.")] = False,
) -> None:
    """Import transcripts, all or nothing: if one file fails, nothing is imported."""
    if by not in ("turn", "paragraph"):
        raise typer.BadParameter("use 'turn' or 'paragraph'", param_hint="--by")
    files = collect_paths(paths, exclude=[*(attributes or []), *([questions] if questions else [])])
    with _open(project) as p, _progress() as bar:
        task = bar.add_task("Reading", total=len(files))

        def step(f: Path) -> None:
            bar.update(task, advance=1, description=f"Reading {f.name}")

        report = import_files(
            p, paths, attributes=attributes or [], questions=questions, segment_by=by,  # type: ignore[arg-type]
            encoding=encoding, moderators=moderator,
            columns={"text": text_column, "speaker": speaker_column, "transcript": transcript_column},
            strict_attributes=not lenient_attributes, progress=step)
    console.print(f"Imported [bold]{len(report.transcripts)}[/bold] transcripts, "
                  f"[bold]{report.segments}[/bold] segments into {project}.")
    for name, matches in report.questions.items():
        found = sum(m.segment_id is not None for m in matches)
        console.print(f"  {name}: {found}/{len(matches)} questions located")
    for name, speakers in report.unresolved_speakers.items():
        console.print(f"  [yellow]{name}: speakers without attributes: {', '.join(speakers)}[/yellow]")
    if report.skipped_attribute_rows:
        console.print(f"  [dim]{len(report.skipped_attribute_rows)} attribute rows are for transcripts not in "
                      "this import (apply later with `qdakit attributes FILE`).[/dim]")
    for w in report.warnings:
        console.print(f"  [yellow]warning: {w}[/yellow]")


@app.command("attributes")
def attributes_cmd(
    files: Annotated[list[Path], typer.Argument(help="Participants CSV/Excel files.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    lenient: Annotated[bool, typer.Option(help="Skip rows naming unknown speakers.")] = False,
) -> None:
    """Apply participant attributes to transcripts already in the project."""
    with _open(project) as p:
        report = apply_attributes(p, files, strict=not lenient)
    console.print("Attributes applied.")
    for name, speakers in report.unresolved_speakers.items():
        console.print(f"  [yellow]{name}: speakers without attributes: {', '.join(speakers)}[/yellow]")


@codebook_app.command("load")
def codebook_load(
    file: Annotated[Path, typer.Argument(help="Codebook .yaml, .json or .csv.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    replace: Annotated[bool, typer.Option(help="Remove codes not in FILE (never codes in use).")] = False,
) -> None:
    """Load (merge) a codebook into the project."""
    cb = read_codebook(file)
    with _open(project) as p:
        counts = p.load_codebook(cb, replace=replace)
    console.print(f"Codebook {file}: {counts['added']} added, {counts['updated']} updated, "
                  f"{counts['removed']} removed ({len(cb)} codes in the file).")


@codebook_app.command("show")
def codebook_show(project: ProjectOpt = DEFAULT_PROJECT) -> None:
    """Print the codebook as a tree with code counts."""
    with _open(project) as p:
        cb = p.codebook
        counts = p.codings()["code"].value_counts().to_dict()
    table = Table("code", "codings", "definition", title=f"Codebook ({len(cb)} codes)")
    for c in cb:
        indent = "  " * cb.depth(c.name)
        table.add_row(f"{indent}{c.name}", str(counts.get(c.name, 0)), c.description[:80])
    console.print(table)


@codebook_app.command("export")
def codebook_export(
    file: Annotated[Path, typer.Argument(help="Output .yaml, .json or .csv.")],
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Write the project's codebook to a file."""
    with _open(project) as p:
        write_codebook(p.codebook, file)
    console.print(f"Wrote {file}.")


@codings_app.command("import")
def codings_import(
    files: Annotated[list[Path], typer.Argument(help="CSV/Excel: transcript, code, coder, and segment_id "
                                                     "or quote (+ speaker).")],
    project: ProjectOpt = DEFAULT_PROJECT,
    coder: Annotated[Optional[str], typer.Option(help="Coder name when the file has no coder column.")] = None,
) -> None:
    """Import human codings from spreadsheets, all or nothing."""
    from .io.codings import import_codings

    with _open(project) as p:
        added = import_codings(p, files, coder=coder)
    console.print(f"Imported {len(added)} codings.")


@app.command()
def status(
    project: ProjectOpt = DEFAULT_PROJECT,
    speakers: Annotated[bool, typer.Option("--speakers", help="List every speaker label.")] = False,
) -> None:
    """Summarise the project: transcripts, segments, speakers, attributes, codes, codings."""
    with _open(project) as p:
        summary = p.summary()
        tdf = p.transcripts()
        sdf = p.segments()
        codings = p.codings()
    overview = Table("", "", title=f"Project {project}", show_header=False)
    for key, value in summary.items():
        overview.add_row(key.replace("_", " "), str(value))
    console.print(overview)
    if not tdf.empty:
        attr_cols = [c for c in tdf.columns if c not in {"id", "name", "source", "characters", "segments"}]
        t = Table("transcript", "segments", "speakers", *attr_cols, title="Transcripts")
        n_speakers = sdf.groupby("transcript_id")["speaker"].nunique()
        for r in tdf.itertuples(index=False):
            d = r._asdict()
            t.add_row(d["name"], str(d["segments"]), str(n_speakers.get(d["id"], 0)),
                      *[("" if d[c] is None or d[c] != d[c] else str(d[c])) for c in attr_cols])
        console.print(t)
        fixed = {"id", "transcript_id", "transcript", "index", "speaker", "participant", "question", "text",
                 "start", "end", "start_time", "end_time", "is_researcher"}
        cov = Table("attribute", "segments with a value", "values", title="Attribute coverage (segments)")
        cov.add_row("participant", f"{sdf['participant'].notna().mean():.0%}", str(sdf["participant"].nunique()))
        for col in ["question", *[c for c in sdf.columns if c not in fixed]]:
            values = sdf[col].dropna()
            distinct = sorted(map(str, values.unique()))
            shown = ", ".join(v if len(v) <= 24 else v[:23] + "…" for v in distinct[:6])
            more = f" (+{len(distinct) - 6} more)" if len(distinct) > 6 else ""
            cov.add_row(col, f"{len(values) / len(sdf):.0%}", shown + more)
        console.print(cov)
    if speakers and not sdf.empty:
        st = Table("transcript", "speaker", "participant", "segments", title="Speakers")
        g = sdf.groupby(["transcript", "speaker"], dropna=False, sort=False)
        for (tname, spk), grp in g:
            st.add_row(str(tname), str(spk), str(grp["participant"].iloc[0] or "-"), str(len(grp)))
        console.print(st)
    if not codings.empty:
        ct = Table("coder", "codings", "segments", "codes", title="Human codings")
        for coder, grp in codings.groupby("coder"):
            ct.add_row(str(coder), str(len(grp)), str(grp["segment_id"].nunique()), str(grp["code"].nunique()))
        console.print(ct)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err, transient=True)


def main() -> None:
    """Entry point: run the app, turning qdakit errors into one clear line."""
    try:
        app(standalone_mode=False)
    except QdakitError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()

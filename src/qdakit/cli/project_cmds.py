"""Commands that make and fill a project: ``init``, ``import``, ``attributes`` and ``status``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from qdakit.cli.app import _open, _progress, app
from qdakit.cli.common import (
    DEFAULT_PROJECT,
    ProjectOpt,
    SkipEmptyOpt,
    SpeakerColumnOpt,
    TextColumnOpt,
    TranscriptColumnOpt,
    console,
    table_options,
)
from qdakit.cli.import_audit import print_audit_summary, print_audit_warnings, print_full_audits
from qdakit.errors import ProjectError
from qdakit.io.importer import apply_attributes, check_files, collect_paths, import_files
from qdakit.io.refi.offsets import SCHEMES
from qdakit.project import Project
from qdakit.project.audits import load_audits
from qdakit.project.guard import human_codings


@app.command()
def init(
    ctx: typer.Context,
    path: Annotated[Optional[Path], typer.Argument(help="Project file to create (or give it with -p).")] = None,
    project: Annotated[Optional[Path], typer.Option(
        "--project", "-p", envvar="QDAKIT_PROJECT", help="Project file to create, as in every other command.")]
    = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing project file (a backup is kept; "
                                                        "asks first if it holds human codings).")] = False,
    yes_delete_codings: Annotated[bool, typer.Option(
        "--yes-delete-codings", help="With --force: replace a project that holds human codings without asking.")]
    = False,
) -> None:
    """Create a new, empty project file."""
    typed = getattr(ctx.get_parameter_source("project"), "name", "") == "COMMANDLINE"  # not $QDAKIT_PROJECT
    if path is not None and project is not None and path != project and typed:
        raise typer.BadParameter(f"two project files, {path} and {project}: give one", param_hint="PATH / -p")
    target = path or project or DEFAULT_PROJECT  # a PATH given wins over $QDAKIT_PROJECT
    delete = yes_delete_codings
    if force and not delete and target.is_file() and (n := human_codings(target)):
        if not sys.stdin.isatty():
            raise ProjectError(f"{target}: holds {n} human codings; init --force would delete them. Add "
                               "--yes-delete-codings if you mean it (a backup is kept). Nothing was changed.")
        if not typer.confirm(f"{target} holds {n} human codings. Delete them all (a backup is kept)?", default=False):
            raise typer.Abort()
        delete = True
    with Project.create(target, overwrite=force, delete_codings=delete) as p:
        backup = p.backup
    if backup is not None:
        console.print(f"The old project was kept as [bold]{backup}[/bold].")
    console.print(f"Created project [bold]{target}[/bold]. Next: [cyan]qdakit import FILES... -p {target}[/cyan]",
                  highlight=False)


@app.command("import")
def import_cmd(
    paths: Annotated[Optional[list[Path]], typer.Argument(
        help="Transcript files or folders (.txt .md .vtt .srt .docx .pdf .rtf; .csv/.xlsx of segments when "
             "named).", show_default=False)] = None,
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
    text_column: TextColumnOpt = "text",
    speaker_column: SpeakerColumnOpt = "speaker",
    transcript_column: TranscriptColumnOpt = "transcript",
    skip_empty: SkipEmptyOpt = False,
    lenient: Annotated[bool, typer.Option(
        "--lenient", help="Skip attribute rows naming unknown speakers instead of failing.")] = False,
    lenient_attributes: Annotated[bool, typer.Option(
        "--lenient-attributes", hidden=True, help="The old name of --lenient.")] = False,
    refi_offsets: Annotated[str, typer.Option(
        "--refi-offsets", help="How a .qdpx counts selection positions: 'auto' (found per source and "
                               "checked), or force 'codepoints', 'codepoints-lf', 'utf16', 'utf16-lf'.")] = "auto",
    accept_renames: Annotated[bool, typer.Option(
        "--accept-renames", help="A .qdpx may rename or redefine codes that human codings use (listed in the "
                                 "report either way); without it such an import is refused.")] = False,
    check: Annotated[bool, typer.Option(
        "--check", help="Dry run: read and audit the files, print the full audit, write nothing.")] = False,
    resplit: Annotated[Optional[str], typer.Option(
        "--resplit", metavar="TRANSCRIPT", help="Cut a transcript already in the project again with the current "
        "rules (from its source file); refused, changing nothing, when codings rest on it.")] = None,
) -> None:
    """Import transcripts, all or nothing: if one file fails, nothing is imported.

    A REFI-QDA project (.qdpx from NVivo, ATLAS.ti, MAXQDA, QualCoder) brings its
    codebook, users, coded selections and cases along; the report says, per
    source, how its selection positions were counted and how well they align.
    Each transcript's import audit (segments, speakers, unresolved text,
    suspected merged turns, non-speech, language) is printed and stored;
    --check prints it in full and writes nothing. --resplit TRANSCRIPT cuts a
    transcript already imported again with the current rules, only if no
    human coding rests on it (otherwise it says how many would have to move).
    """
    if by not in ("turn", "paragraph"):
        raise typer.BadParameter("use 'turn' or 'paragraph'", param_hint="--by")
    if refi_offsets != "auto" and refi_offsets not in SCHEMES:
        raise typer.BadParameter(f"use auto, {', '.join(SCHEMES)}", param_hint="--refi-offsets")
    if resplit is not None:
        if paths:
            raise typer.BadParameter("give either files to import or --resplit TRANSCRIPT", param_hint="--resplit")
        _resplit(project, resplit, by, encoding)
        return
    if not paths:
        raise typer.BadParameter("give the transcript files or folders to import", param_hint="PATHS")
    columns = table_options(text_column, speaker_column, transcript_column, skip_empty)
    if check:
        for f in (p for p in paths if p.suffix.lower() == ".qdpx"):
            console.print(f"{f}: a REFI-QDA project is checked when imported (its offsets and codes); "
                          "--check covers transcript files only.")
        rest = [p for p in paths if p.suffix.lower() != ".qdpx"]
        if rest:
            checked = check_files(rest, segment_by=by, encoding=encoding, columns=columns)  # type: ignore[arg-type]
            print_full_audits(checked.audits)
            for w in checked.warnings:
                console.print(f"  [yellow]warning: {w}[/yellow]")
            console.print(f"Checked {len(checked.transcripts)} transcripts ({checked.segments} segments); "
                          "nothing was written.")
        return
    qdpx = [p for p in paths if p.suffix.lower() == ".qdpx"]
    if qdpx:
        from qdakit.io.refi import import_qdpx

        with _open(project) as proj:
            for f in qdpx:
                refi_report = import_qdpx(proj, f, segment_by=by, offsets=refi_offsets,  # type: ignore[arg-type]
                                          accept_renames=accept_renames)
                console.print(f"[bold]{f}[/bold] (REFI-QDA):")
                for line in refi_report.lines():
                    console.print(f"  {line}", highlight=False)
        paths = [p for p in paths if p.suffix.lower() != ".qdpx"]
        if not paths:
            return
    files = collect_paths(paths, exclude=[*(attributes or []), *([questions] if questions else [])])
    with _open(project) as p, _progress() as bar:
        task = bar.add_task("Reading", total=len(files))

        def step(f: Path) -> None:
            bar.update(task, advance=1, description=f"Reading {f.name}")

        report = import_files(
            p, paths, attributes=attributes or [], questions=questions, segment_by=by,  # type: ignore[arg-type]
            encoding=encoding, moderators=moderator, columns=columns,
            strict_attributes=not (lenient or lenient_attributes), progress=step)
    console.print(f"Imported [bold]{len(report.transcripts)}[/bold] transcripts, "
                  f"[bold]{report.segments}[/bold] segments into {project}.")
    print_audit_summary(report.audits)
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


def _resplit(project: Path, transcript: str, by: str, encoding: str | None) -> None:
    """``qdakit import --resplit TRANSCRIPT``: re-cut one transcript, or refuse and change nothing."""
    from qdakit.io.resplit import resplit_transcript

    with _open(project) as p:
        r = resplit_transcript(p, transcript, segment_by=by, encoding=encoding)  # type: ignore[arg-type]
    console.print(f"Re-split [bold]{r.transcript}[/bold]: {r.before} segments before, {r.after} now; "
                  f"{len(r.changed)} old segment(s) changed" + (f" ({', '.join(r.changed[:8])}"
                                                               f"{', ...' if len(r.changed) > 8 else ''})"
                                                               if r.changed else "") + ".", highlight=False)
    if r.dropped:
        console.print("  Machine output on the old segments was dropped (run it again): "
                      + ", ".join(f"{n} {what}" for what, n in r.dropped.items()) + ".", highlight=False)
    if r.audit is not None:
        print_audit_summary({r.transcript: r.audit})


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
        audits = load_audits(p)
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
    if not tdf.empty:
        print_audit_warnings(audits, dict(zip(tdf["id"], tdf["name"], strict=True)))
    if not codings.empty:
        ct = Table("coder", "codings", "segments", "codes", title="Human codings")
        for coder, grp in codings.groupby("coder"):
            ct.add_row(str(coder), str(len(grp)), str(grp["segment_id"].nunique()), str(grp["code"].nunique()))
        console.print(ct)

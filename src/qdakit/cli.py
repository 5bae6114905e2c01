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
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ._cli_common import (
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
    context_settings={"help_option_names": ["-h", "--help"]},  # inherited by every command
)
codebook_app = typer.Typer(help="Load, show and export the codebook.", no_args_is_help=True)
app.add_typer(codebook_app, name="codebook")
codings_app = typer.Typer(help="Import and list human codings.", no_args_is_help=True)
app.add_typer(codings_app, name="codings")



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
    text_column: TextColumnOpt = "text",
    speaker_column: SpeakerColumnOpt = "speaker",
    transcript_column: TranscriptColumnOpt = "transcript",
    skip_empty: SkipEmptyOpt = False,
    lenient_attributes: Annotated[bool, typer.Option(
        help="Skip attribute rows naming unknown speakers instead of failing.")] = False,
) -> None:
    """Import transcripts, all or nothing: if one file fails, nothing is imported.

    A REFI-QDA project (.qdpx from NVivo, ATLAS.ti, MAXQDA, QualCoder) brings its
    codebook, users, coded selections and cases along.
    """
    if by not in ("turn", "paragraph"):
        raise typer.BadParameter("use 'turn' or 'paragraph'", param_hint="--by")
    qdpx = [p for p in paths if p.suffix.lower() == ".qdpx"]
    if qdpx:
        from .io.refi import import_qdpx

        with _open(project) as proj:
            for f in qdpx:
                report = import_qdpx(proj, f, segment_by=by)  # type: ignore[arg-type]
                console.print(f"[bold]{f}[/bold] (REFI-QDA):")
                for line in report.lines():
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
            encoding=encoding, moderators=moderator,
            columns=table_options(text_column, speaker_column, transcript_column, skip_empty),
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
    """Load (merge) a codebook (.yaml, .json, .csv, or REFI-QDA .qdc) into the project."""
    if file.suffix.lower() == ".qdc":
        from .io.refi import read_qdc

        cb = read_qdc(file)
    else:
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
def export(
    project: ProjectOpt = DEFAULT_PROJECT,
    qdpx: Annotated[Optional[Path], typer.Option(help="REFI-QDA project for NVivo, ATLAS.ti, MAXQDA, "
                                                      "QualCoder.")] = None,
    with_suggestions: Annotated[bool, typer.Option(
        help="Add pending machine suggestions to the .qdpx as a separate user.")] = False,
    min_score: Annotated[Optional[float], typer.Option(help="Only suggestions scoring at least this.")] = None,
    qdc: Annotated[Optional[Path], typer.Option(help="REFI-QDA codebook (.qdc).")] = None,
    quotes: Annotated[Optional[Path], typer.Option(help="Quotation table, one row per coding (.csv/.xlsx).")] = None,
    matrix: Annotated[Optional[Path], typer.Option(help="Code-by-case 0/1 matrix (.csv/.xlsx).")] = None,
    case: Annotated[str, typer.Option(help="Cases of the matrix: participant, transcript or an attribute.")]
    = "participant",
    anonymise: Annotated[bool, typer.Option(help="Pseudonymise the quotation table (spaCy NER + participants).")]
    = False,
    terms: Annotated[Optional[Path], typer.Option(help="CSV term,replacement used when anonymising.")] = None,
) -> None:
    """Export the project: REFI-QDA .qdpx/.qdc, quotation table, code-by-case matrix."""
    if not any([qdpx, qdc, quotes, matrix]):
        raise typer.BadParameter("say what to write: --qdpx, --qdc, --quotes and/or --matrix")
    with _open(project) as p:
        if qdpx:
            from .io.refi import export_qdpx

            report = export_qdpx(p, qdpx, with_suggestions=with_suggestions, min_score=min_score)
            console.print(f"Wrote {qdpx}:")
            for line in report.lines():
                console.print(f"  {line}", highlight=False)
        if qdc:
            from .io.refi import write_qdc

            write_qdc(p.codebook, qdc)
            console.print(f"Wrote {qdc}.")
        if quotes:
            from .io.exports import write_quotations

            anon = None
            if anonymise or terms is not None:
                from .anonymise import Anonymiser

                anon = Anonymiser.for_project(p, terms=_read_terms(terms) if terms else {})
            write_quotations(p, quotes, anonymiser=anon)
            console.print(f"Wrote {quotes}{' (anonymised)' if anon else ''}.")
        if matrix:
            from .io.exports import code_by_case_matrix

            frame = code_by_case_matrix(p, case=case)
            if matrix.suffix.lower() in {".xlsx", ".xlsm"}:
                frame.to_excel(matrix)
            else:
                frame.to_csv(matrix)
            console.print(f"Wrote {matrix} ({frame.shape[0]} cases x {frame.shape[1]} codes).")


@app.command()
def precode(
    project: ProjectOpt = DEFAULT_PROJECT,
    transcript: Annotated[Optional[list[str]], typer.Option(help="Only these transcripts (repeatable).")] = None,
    target_precision: Annotated[float, typer.Option(help="Precision each code's threshold aims for.")] = 0.8,
    min_examples: Annotated[int, typer.Option(help="Codings a code needs before it is learned.")] = 5,
    top_k: Annotated[int, typer.Option(help="At most this many suggestions per segment.")] = 3,
    chunk_size: Annotated[int, typer.Option(help="Segments per checkpoint.")] = 256,
    device: Annotated[str, typer.Option(help="cpu, cuda or mps for the embedding model.")] = "cpu",
    min_similarity: Annotated[float, typer.Option(
        help="Codes not yet learned from codings are suggested only above this cosine to their definition.")]
    = 0.3,
) -> None:
    """Suggest codes for every segment no human has coded: resumable after interruption.

    This pre-codes transcripts already in the project. To import and pre-code many
    files at once (with the fast embedders, or on a Dask cluster), use qdakit batch.
    """
    import warnings

    from .precode import default_embedder, fit_suggester
    from .precode import precode as run

    with _open(project) as p, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        err.print("Fitting the suggester on the human codings ...")
        suggester = fit_suggester(p, embedder=default_embedder(p, device=device),
                                  target_precision=target_precision, min_examples=min_examples,
                                  zero_shot_min_similarity=min_similarity)
        with _progress() as bar:
            task = bar.add_task("Pre-coding", total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = run(p, suggester=suggester, transcripts=transcript, top_k=top_k, chunk_size=chunk_size,
                         progress=step)
    for w in caught:
        if w.category.__module__.startswith("qdakit"):
            console.print(f"[yellow]note:[/yellow] {w.message}", highlight=False)
    if not report.code_report.empty:
        frame = report.code_report.reset_index()
        cols = ["code", "mode", "positives", "transcripts", "threshold", "cv_precision", "cv_recall", "note"]
        _print_frame(frame[[c for c in cols if c in frame.columns]], title="How each code is suggested")
    console.print(f"Pre-coded {report.done} segments ({report.skipped} already done) with {report.model}: "
                  f"{report.suggestions} suggestions in {report.seconds:.1f} s. Review them with "
                  "[cyan]qdakit review --coder NAME[/cyan].")


@app.command()
def suggestions(
    project: ProjectOpt = DEFAULT_PROJECT,
    n: Annotated[int, typer.Option("-n", help="How many to show.")] = 20,
    status: Annotated[str, typer.Option(help="pending, accepted or rejected.")] = "pending",
    min_score: Annotated[float, typer.Option(help="Only suggestions scoring at least this.")] = 0.0,
) -> None:
    """List machine suggestions with their scores and reasons, best first."""
    with _open(project) as p:
        sugg = p.suggestions(status=status)
        texts = p.segments().set_index("id")["text"]
    sugg = sugg[sugg["score"] >= min_score].sort_values("score", ascending=False).head(n)
    table = Table("id", "segment", "code", "score", "text", "reason", title=f"{status.capitalize()} suggestions",
                  show_lines=True)
    for r in sugg.itertuples():
        table.add_row(str(r.id), r.segment_id, r.code, f"{r.score:.2f}", _fmt(texts.get(r.segment_id, ""), 90),
                      _fmt(r.reason, 110))
    console.print(table)


@app.command("suggest")
def suggest_cmd(
    segment: Annotated[str, typer.Argument(help="Segment id, e.g. P02_VCS_Yr2#17.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    explain: Annotated[bool, typer.Option("--explain", help="Show scores for every code and the evidence.")] = False,
) -> None:
    """Suggest codes for one segment, and with --explain say why."""
    from .precode import fit_suggester
    from .suggest import project_frames

    with _open(project) as p:
        seg = p.segment(segment)
        suggester = fit_suggester(p)
        data = project_frames(p)
        rows = data.context[data.context["id"] == seg.id]
        console.print(f"[bold]{seg.id}[/bold] ({seg.speaker}): {seg.text}")
        for s in suggester.suggest(rows, context=data.context):
            console.print(f"  [green]{s.code}[/green] {s.score:.2f}  [dim]{s.reason}[/dim]")
        if explain:
            info = suggester.explain(seg.id, segments=rows, context=data.context)
            for key, value in info.items():
                console.print(f"  [bold]{key}[/bold]: {value}", highlight=False)


@app.command("next")
def next_cmd(
    project: ProjectOpt = DEFAULT_PROJECT,
    n: Annotated[int, typer.Option("-n", help="How many segments.")] = 10,
) -> None:
    """The segments a human should code next: the ones the machine is least sure of, and varied."""
    with _open(project) as p:
        rows = p.next_to_code(n)
    table = Table("segment", "speaker", "text", title="Code these next")
    for r in rows.itertuples():
        table.add_row(r.id, str(r.speaker), _fmt(r.text, 110))
    console.print(table)


@app.command()
def accept(
    coder: Annotated[str, typer.Option(help="The human coder accepting (recorded on every coding).")],
    min_score: Annotated[float, typer.Option(help="Accept pending suggestions scoring at least this.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    code: Annotated[Optional[list[str]], typer.Option(help="Only these codes (repeatable).")] = None,
) -> None:
    """Bulk-accept pending suggestions above a score, as a named human coder's codings."""
    from .precode import accept_above

    with _open(project) as p:
        added = accept_above(p, coder=coder, min_score=min_score, codes=code)
    console.print(f"{coder} accepted {len(added)} suggestions scoring >= {min_score}.")


@app.command()
def review(
    coder: Annotated[str, typer.Option(help="Your name: every decision is recorded as yours.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    min_score: Annotated[float, typer.Option(help="Only suggestions scoring at least this.")] = 0.0,
) -> None:
    """Review suggestions one by one (keys: a accept, r reject, c recode, s skip, q quit); each decision is saved at once."""
    from rich.prompt import Prompt

    with _open(project) as p:
        pending = p.suggestions(status="pending")
        pending = pending[pending["score"] >= min_score].sort_values(["segment_id", "score"],
                                                                      ascending=[True, False])
        segs = p.segments().set_index("id")
        names = list(p.codebook.names)
        decided = 0
        for r in pending.itertuples():
            seg = segs.loc[r.segment_id]
            prev = segs[(segs.transcript_id == seg.transcript_id) & (segs["index"] == seg["index"] - 1)]
            console.rule(f"{r.segment_id}  ({decided} decided, {len(pending) - decided} left)")
            if not prev.empty:
                console.print(f"[dim]{prev.iloc[0]['speaker']}: {_fmt(prev.iloc[0]['text'], 300)}[/dim]")
            console.print(f"[bold]{seg['speaker']}[/bold]: {seg['text']}")
            console.print(f"Suggestion: [green]{r.code}[/green] (score {r.score:.2f})\n[dim]{r.reason}[/dim]")
            key = Prompt.ask("[a]ccept [r]eject re[c]ode [s]kip [q]uit", choices=["a", "r", "c", "s", "q"],
                             default="s", console=console)
            if key == "q":
                break
            if key == "a":
                p.accept(int(r.id), coder)
            elif key == "r":
                p.reject(int(r.id), coder)
            elif key == "c":
                for i, name in enumerate(names, start=1):
                    console.print(f"  {i:2d} {name}")
                pick = Prompt.ask("code number", choices=[str(i) for i in range(1, len(names) + 1)],
                                  console=console)
                with p.transaction():
                    p.reject(int(r.id), coder)
                    p.code(r.segment_id, names[int(pick) - 1], coder, memo=f"recoded suggestion {r.id}")
            if key != "s":
                decided += 1
    console.print(f"{decided} decisions saved as {coder}.")


@app.command()
def agree(
    coders: Annotated[list[str], typer.Option("--coders", "-c", help="Two or more coders; 'machine' = the "
                                                                      "suggestions scoring >= --threshold.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    level: Annotated[str, typer.Option(help="'segment' or 'character' (as NVivo's coding comparison).")] = "segment",
    by: Annotated[str, typer.Option(help="'code', 'transcript', 'question' or any attribute (e.g. wave).")] = "code",
    metric: Annotated[Optional[list[str]], typer.Option(
        "--metric", "-m", help="percent, cohen, scott, fleiss, krippendorff, gwet_ac1, brennan_prediger "
                               "(repeatable).")] = None,
    code: Annotated[Optional[list[str]], typer.Option("--code", help="Only these codes (repeatable).")] = None,
    threshold: Annotated[float, typer.Option(help="Score from which a suggestion is the machine's coding.")] = 0.5,
    units: Annotated[str, typer.Option(help="coded_by_all, coded_by_any, or all segments.")] = "coded_by_all",
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="Write the disagreement table (.csv or .xlsx) for the resolution meeting.")] = None,
) -> None:
    """Agreement between coders (human-human or machine-human), per code and pooled."""
    import warnings

    from .agreement import METRICS
    from .errors import UndefinedStatisticWarning
    from .reliability import agreement, disagreement_table

    if len(coders) < 2:
        raise typer.BadParameter("name at least two coders: --coders JR --coders SM", param_hint="--coders")
    metrics = tuple(metric) if metric else ("percent", "cohen", "krippendorff", "gwet_ac1")
    bad = [m for m in metrics if m not in METRICS]
    if bad:
        raise typer.BadParameter(f"unknown metric {', '.join(bad)}; choose from {', '.join(METRICS)}",
                                 param_hint="--metric")
    with _open(project) as p, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UndefinedStatisticWarning)
        table = agreement(p, coders, level=level, by=by, codes=code, metrics=metrics, threshold=threshold,
                          units=units)
        dis = disagreement_table(p, coders, codes=code, threshold=threshold) if out else None
    keep = ([table.columns[0], "n_units", "all_present", "only_a", "only_b", *metrics] if level == "segment"
            else ["code", "transcript_id", "agreement", "kappa", "u_alpha"])
    short = {"n_units": "units", "all_present": "both", "only_a": f"{coders[0]} only",
             "only_b": f"{coders[-1]} only", "percent": "%agree", "cohen": "kappa", "krippendorff": "alpha",
             "gwet_ac1": "AC1", "brennan_prediger": "BP", "transcript_id": "transcript"}
    view = table[[c for c in keep if c in table.columns]]
    _print_frame(view.rename(columns=short), title=f"Agreement, {' vs '.join(coders)} ({level} level, by {by})")
    undefined = {str(w.message) for w in caught if issubclass(w.category, UndefinedStatisticWarning)}
    if undefined:
        console.print(f"[dim]NaN = undefined ({len(undefined)} cases, e.g. a code used by no one or by "
                      "everyone on every unit).[/dim]")
    if dis is not None and out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() in {".xlsx", ".xlsm"}:
            dis.to_excel(out, index=False)
        else:
            dis.to_csv(out, index=False)
        console.print(f"Wrote {len(dis)} disagreements to {out}. Fill in 'agreed_codes' at the meeting, then "
                      f"[cyan]qdakit resolve {out} --coder NAME[/cyan].")


@app.command()
def resolve(
    file: Annotated[Path, typer.Argument(help="Disagreement table with the agreed_codes column filled in.")],
    coder: Annotated[str, typer.Option(help="Who resolved the disagreements (recorded as the coder).")],
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Record the codes agreed at a resolution meeting as codings by the resolver."""
    from .reliability import resolve_from_table

    with _open(project) as p:
        added = resolve_from_table(p, file, coder=coder)
    console.print(f"Recorded {len(added)} agreed codings by {coder}; the coders' own codings are unchanged.")


def _read_terms(path: Path) -> dict[str, str]:
    """A ``term,replacement`` CSV as a dict."""
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if list(frame.columns[:2]) != ["term", "replacement"]:
        raise typer.BadParameter(f"{path}: needs the columns term,replacement", param_hint="--terms")
    return dict(zip(frame["term"], frame["replacement"]))


def _print_frame(frame, title: str, max_rows: int = 60) -> None:  # noqa: ANN001 - DataFrame
    table = Table(title=title)
    for i, col in enumerate(frame.columns):
        table.add_column(str(col), no_wrap=True, overflow="ellipsis",
                         min_width=20 if i == 0 else max(5, len(str(col))),
                         justify="left" if i == 0 else "right")
    for row in frame.head(max_rows).itertuples(index=False):
        table.add_row(*[_fmt(v, width=28) for v in row])
    console.print(table)
    if len(frame) > max_rows:
        console.print(f"[dim]... {len(frame) - max_rows} more rows[/dim]")


def _fmt(value: object, width: int = 36) -> str:
    if isinstance(value, float):
        return "NaN" if value != value else f"{value:.3f}"
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output HTML file.")] = Path("report.html"),
    project: ProjectOpt = DEFAULT_PROJECT,
    by: Annotated[str, typer.Option(help="Per-group charts by 'question' or any attribute (e.g. sector).")]
    = "question",
    coder: Annotated[Optional[str], typer.Option(help="Count and quote only this coder's codings.")] = None,
    agreement: Annotated[Optional[list[str]], typer.Option(
        "--agreement", help="Coders to report agreement for (repeat: --agreement JR --agreement SM).")] = None,
    terms: Annotated[Optional[Path], typer.Option(
        help="CSV term,replacement for anonymising quotes (e.g. organisation -> [VCS organisation]).")] = None,
    pseudonyms: Annotated[Optional[Path], typer.Option(
        help="Also save the pseudonym table here (keep it apart from the report).")] = None,
    title: Annotated[Optional[str], typer.Option(help="Report title.")] = None,
) -> None:
    """Write a self-contained HTML report: theme tables and charts, agreement, anonymised quotes."""
    from .anonymise import Anonymiser
    from .report import build_report

    term_map = _read_terms(terms) if terms is not None else {}
    with _open(project) as p:
        anon = Anonymiser.for_project(p, terms=term_map)
        path = build_report(p, out, by=by, coder=coder, agreement_coders=agreement, anonymiser=anon, title=title)
    if pseudonyms is not None:
        anon.save_table(pseudonyms)
    console.print(f"Wrote {path}" + (f"; pseudonym table in {pseudonyms} (keep it private)." if pseudonyms else "."))


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


def _register_extensions() -> None:
    """Commands that live in their own modules: themes, batch pre-coding and fast embedders."""
    from .cli_batch import register as register_batch
    from .cli_themes import register as register_themes

    register_themes(app)
    register_batch(app)


_register_extensions()


def main() -> None:
    """Entry point: run the app, turning qdakit errors into one clear line."""
    try:
        code = app(standalone_mode=False)  # a command's typer.Exit(n) comes back as n, not raised
    except QdakitError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except Exception as exc:
        usage, leave = _click_exceptions()
        if isinstance(exc, usage):  # a wrong option or command: its message and the usage line
            exc.show()  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        if isinstance(exc, leave):
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        raise
    if isinstance(code, int) and code:
        sys.exit(code)


def _click_exceptions() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """(usage errors, exits) of click, and of the copy of click that newer typer versions carry."""
    usage: list[type[Exception]] = []
    leave: list[type[Exception]] = [typer.Exit]
    if hasattr(typer, "TyperException"):  # typer >= 0.24 vendors click; its errors derive from this
        usage.append(typer.TyperException)
    try:
        import click
    except ImportError:  # pragma: no cover - typer without click installed beside it
        pass
    else:
        usage.append(click.exceptions.ClickException)
        leave.append(click.exceptions.Exit)
    return tuple(usage), tuple(leave)


if __name__ == "__main__":
    main()

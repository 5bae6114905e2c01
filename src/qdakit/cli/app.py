"""The ``qdakit`` Typer application and its command groups, and the helpers every command module
uses to open a project and print tables and progress.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from qdakit.cli.common import (
    console,
    err,
)
from qdakit.project import Project

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
codebook_app = typer.Typer(help="Load, show, export and edit the codebook (edits by a named coder, with history).",
                           no_args_is_help=True)
app.add_typer(codebook_app, name="codebook")
codings_app = typer.Typer(help="Import and list human codings.", no_args_is_help=True)
app.add_typer(codings_app, name="codings")



def _open(path: Path) -> Project:
    return Project.open(path)


def _read_terms(path: Path) -> dict[str, str]:
    """A ``term,replacement`` CSV as a dict."""
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if list(frame.columns[:2]) != ["term", "replacement"]:
        raise typer.BadParameter(f"{path}: needs the columns term,replacement", param_hint="--terms")
    return dict(zip(frame["term"], frame["replacement"], strict=True))


def _anonymiser(project: Project, terms: Path | None, keep: Path | None, ner: str,  # noqa: ANN202
                acronyms: str = "names"):
    """The project's :class:`~qdakit.analysis.anonymise.Anonymiser` from the --terms, --keep, --ner and
    --acronyms options."""
    from qdakit.analysis.anonymise import Anonymiser, read_keep

    check_anonymiser_modes(ner, acronyms)
    return Anonymiser.for_project(project, terms=_read_terms(terms) if terms is not None else {},
                                  keep=read_keep(keep) if keep is not None else (), ner=ner, acronyms=acronyms)


def check_anonymiser_modes(ner: str, acronyms: str) -> None:
    """A clear usage error for a wrong --ner or --acronyms, before any work is done."""
    from qdakit.analysis.anonymise import ACRONYM_MODES, NER_MODES

    if ner not in NER_MODES:
        raise typer.BadParameter(f"use one of {', '.join(NER_MODES)}", param_hint="--ner")
    if acronyms not in ACRONYM_MODES:
        raise typer.BadParameter(f"use one of {', '.join(ACRONYM_MODES)}", param_hint="--acronyms")


def _print_frame(frame, title: str, max_rows: int = 60) -> None:  # noqa: ANN001 - DataFrame
    """A DataFrame as a table as wide as the console: text columns wrap, numbers stay on one line."""
    table = Table(title=title)
    for i, col in enumerate(frame.columns):
        numeric = frame[col].dtype.kind in "iufb"
        table.add_column(str(col), no_wrap=numeric, overflow="fold",
                         min_width=12 if i == 0 else max(5, len(str(col))) if numeric else 8,
                         justify="right" if numeric else "left")
    for row in frame.head(max_rows).itertuples(index=False):
        table.add_row(*[escape(_fmt(v, width=80)) for v in row])
    console.print(table)
    if len(frame) > max_rows:
        console.print(f"[dim]... {len(frame) - max_rows} more rows[/dim]")


def _fmt(value: object, width: int = 36) -> str:
    if isinstance(value, float):
        return "NaN" if value != value else f"{value:.3f}"
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err, transient=True)

"""What every ``qdakit`` command module shares: the consoles and the ``--project`` option."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

# a terminal keeps its own width, and so does output whose width is set ($COLUMNS); other piped output
# (logs, CI) gets room for the agreement tables
console = Console() if sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit() else Console(width=200)
err = Console(stderr=True)

ProjectOpt = Annotated[
    Path,
    typer.Option("--project", "-p", envvar="QDAKIT_PROJECT", help="Project file.", show_default=True),
]
DEFAULT_PROJECT = Path("project.qdakit")

# anonymising quotes (report, export --quotes)
TermsOpt = Annotated[Optional[Path], typer.Option(
    "--terms", help="CSV term,replacement for anonymising quotes (e.g. an organisation -> [VCS organisation]; "
                    "local place names the model misses -> [place]).")]
KeepOpt = Annotated[Optional[Path], typer.Option(
    "--keep", help="Words and phrases never replaced when anonymising, one a line (the study's own terms, "
                   "e.g. Scrum, QA); code names and definitions are kept anyway.")]
NerOpt = Annotated[str, typer.Option(
    "--ner", help="What the spaCy model may replace: off (participants and --terms only), people, or all "
                  "(people, organisations, places).")]
AcronymsOpt = Annotated[str, typer.Option(
    "--acronyms", help="Acronyms the spaCy model tags as people or organisations: names (replaced unless the "
                       "project uses them as common nouns, 'an SDK', 'SLAs') or keep (never replaced: for jargon-"
                       "heavy studies; list organisations' acronyms such as NHS in --terms).")]

# tables of segments (.csv, .xlsx), for `qdakit import` and `qdakit batch`
TextColumnOpt = Annotated[str, typer.Option(help="Tables: column with the segment text.")]
SpeakerColumnOpt = Annotated[str, typer.Option(
    help="Tables: column with the speaker; '' for a table without speakers (e.g. survey answers).")]
TranscriptColumnOpt = Annotated[str, typer.Option(
    help="Tables: column naming the transcript (e.g. a respondent id); without one, a table is one transcript.")]
SkipEmptyOpt = Annotated[bool, typer.Option(
    "--skip-empty", help="Tables: skip rows whose text is empty (unanswered questions) instead of failing.")]


def table_options(text: str, speaker: str, transcript: str, skip_empty: bool) -> dict[str, object]:
    """What :func:`qdakit.io.read_transcripts` passes to :func:`qdakit.io.table.read_table`."""
    return {"text": text, "speaker": speaker or None, "transcript": transcript, "skip_empty": skip_empty}


def print_notes(caught: list[warnings.WarningMessage]) -> None:
    """qdakit's own warnings caught during a command, as one tidy ``note:`` line each (repeats once).

    Other libraries' warnings are left out: what they say is for developers, and a
    user could do nothing about it.
    """
    seen: set[str] = set()
    for w in caught:
        text = str(w.message)
        if w.category.__module__.startswith("qdakit") and text not in seen:
            seen.add(text)
            console.print(f"[yellow]note:[/yellow] {text}", highlight=False, soft_wrap=True)

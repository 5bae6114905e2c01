"""What every ``qdakit`` command module shares: the consoles and the ``--project`` option."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

# piped output (logs, CI) gets room for the agreement tables; a terminal keeps its own width
console = Console() if sys.stdout.isatty() else Console(width=120)
err = Console(stderr=True)

ProjectOpt = Annotated[
    Path,
    typer.Option("--project", "-p", envvar="QDAKIT_PROJECT", help="Project file.", show_default=True),
]
DEFAULT_PROJECT = Path("project.qdakit")

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

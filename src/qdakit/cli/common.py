"""What every ``qdakit`` command module shares: the consoles and the ``--project`` option."""

from __future__ import annotations

import os
import re
import sys
import warnings
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.text import Text

#: what a terminal would obey rather than show: C0 controls but tab and newline, DEL, C1, lone surrogates
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def visible(text: str) -> str:
    """``text`` with every control character shown as an escape (ESC as ``\\x1b``), never sent raw."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", text)


class SafeConsole(Console):
    """A rich console that prints no raw control character from stored text (tables, messages, errors).

    Every string rich prints (a table cell, a line) passes :meth:`render_str`;
    rich's own styling is added after, so colours still work. Stored text is
    cleaned on import (:mod:`qdakit.io.textclean`); this is the second line.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(visible(text), **kwargs)


# a terminal keeps its own width, and so does output whose width is set ($COLUMNS); other piped output
# (logs, CI) gets room for the agreement tables
console = SafeConsole() if sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit() else SafeConsole(width=200)
err = SafeConsole(stderr=True)

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

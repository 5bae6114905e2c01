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

"""The ``qdakit`` command line, one module per command group.

Every command works on one project file, ``--project/-p`` (default
``project.qdakit`` in the current folder, or ``$QDAKIT_PROJECT``). Errors are
printed as one clear message, never a traceback, and leave the project as it
was. :mod:`~qdakit.cli.app` holds the Typer application, :mod:`~qdakit.cli.main` the entry point.
"""

from __future__ import annotations

from qdakit.cli.app import app
from qdakit.cli.main import main

__all__ = ["app", "main"]

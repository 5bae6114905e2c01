"""The ``qdakit`` command line: the entry point, which registers every command module.

Every command works on one project file, ``--project/-p`` (default
``project.qdakit`` in the current folder, or ``$QDAKIT_PROJECT``). Errors are
printed as one clear message, never a traceback, and leave the project as it
was.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import warnings

import typer
from rich.markup import escape

from qdakit.cli.app import app
from qdakit.cli.common import (
    err,
)
from qdakit.errors import QdakitError


def _register_commands() -> None:
    """Every command module adds its commands to :data:`qdakit.cli.app.app` when imported."""
    from qdakit.cli import (
        agree_cmds,
        codebook_cmds,
        exchange_cmds,
        project_cmds,
        report_cmds,
        serve_cmd,
        suggest_cmds,
    )
    from qdakit.cli.batch import register as register_batch
    from qdakit.cli.themes import register as register_themes

    del agree_cmds, codebook_cmds, exchange_cmds, project_cmds, report_cmds, serve_cmd, suggest_cmds  # their commands
    register_themes(app)
    register_batch(app)


_register_commands()


def _warning_line(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: object = None, line: str | None = None) -> None:
    """A warning as one line, ``warning: ...``, without the file and source line Python adds."""
    err.print(f"[yellow]warning:[/yellow] {escape(str(message))}", highlight=False, soft_wrap=True)


def project_first(argv: list[str]) -> tuple[list[str], str | None]:
    """``-p x.qdakit import ...`` as (``import ...``, ``"x.qdakit"``): the project given before the command.

    Every command takes ``--project/-p`` (and reads ``$QDAKIT_PROJECT``); written before the command, it
    is taken as that variable for this run, so both orders work. A ``-p`` after the command still wins.
    """
    if argv and argv[0] in ("-p", "--project") and len(argv) > 1:
        return argv[2:], argv[1]
    if argv and argv[0].startswith("--project="):
        return argv[1:], argv[0].split("=", 1)[1]
    return argv, None


def main() -> None:
    """Entry point: run the app, turning qdakit errors into one clear line."""
    warnings.showwarning = _warning_line
    args, project = project_first(sys.argv[1:])
    before = os.environ.get("QDAKIT_PROJECT")
    if project is not None:
        os.environ["QDAKIT_PROJECT"] = project
    try:
        code = app(args=args, standalone_mode=False)  # a command's typer.Exit(n) comes back as n, not raised
    except QdakitError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except (typer.Abort, KeyboardInterrupt) as exc:  # a "no" at a prompt, or Ctrl-C (click makes it an Abort)
        if isinstance(exc, KeyboardInterrupt) or isinstance(exc.__cause__, KeyboardInterrupt):
            err.print("interrupted (Ctrl-C): what the command had finished saving is in the project; nothing "
                      "half-written was kept.")
        else:
            err.print("aborted")
        sys.exit(130)
    except sqlite3.DatabaseError as exc:  # a project damaged after it was opened
        err.print(f"[bold red]error:[/bold red] the project file could not be read or written ({exc}); if it "
                  "is damaged, restore it from a backup.", highlight=False, soft_wrap=True)
        sys.exit(1)
    except OSError as exc:  # a full disk, a read-only folder, a file gone: one line, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"[bold red]error:[/bold red] {where}{exc.strerror or exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except Exception as exc:
        usage, leave = _click_exceptions()
        if isinstance(exc, usage):  # a wrong option or command: its message and the usage line
            exc.show()  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        if isinstance(exc, leave):
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        raise
    finally:
        if project is not None:  # as it was: main() may run again in the same process (tests, notebooks)
            if before is None:
                os.environ.pop("QDAKIT_PROJECT", None)
            else:
                os.environ["QDAKIT_PROJECT"] = before
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

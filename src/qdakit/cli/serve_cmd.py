"""``qdakit serve``: the local browser workbench, where a named coder reads, codes and reviews."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from qdakit.cli.app import app
from qdakit.cli.common import DEFAULT_PROJECT, ProjectOpt, console, err


@app.command()
def serve(
    coder: Annotated[str, typer.Option(help="Your name: every coding and decision in the browser is recorded "
                                            "as yours, and shown on every page.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = 0,
    host: Annotated[str, typer.Option(help="Address to listen on. Keep 127.0.0.1 (this computer only) unless you "
                                           "know why: anyone who can reach the address and has the token can "
                                           "code as you.")] = "127.0.0.1",
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser; just print the URL.")]
    = False,
    token: Annotated[Optional[str], typer.Option(
        envvar="QDAKIT_TOKEN", help="Use this token instead of a new random one (for scripts).", hidden=True)]
    = None,
) -> None:
    """Open the browser workbench: read and code transcripts, review suggestions with one key, undo.

    Prints one line, qdakit workbench: http://127.0.0.1:PORT/?token=TOKEN, and serves until Ctrl-C.
    """
    from qdakit.web.server import LOCAL
    from qdakit.web.server import serve as run

    if not coder.strip():
        raise typer.BadParameter("give your name, e.g. --coder JR", param_hint="--coder")
    if not project.exists():
        raise typer.BadParameter(f"{project}: no such project; create one with `qdakit init`", param_hint="--project")
    if host not in (LOCAL, "localhost", "::1"):
        err.print(f"[yellow]warning:[/yellow] listening on {host}, not only on this computer: anyone who can reach "
                  "it and has the token can read the transcripts and code as you.", highlight=False)
    try:
        run(project, coder, host=host, port=port, open_browser=not no_browser,
            say=lambda line: console.print(line, highlight=False, soft_wrap=True), token=token)
    except KeyboardInterrupt:
        pass
    console.print("qdakit workbench stopped.")

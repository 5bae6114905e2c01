"""Running the workbench: bind a local socket, print the URL with its token, serve until Ctrl-C."""

from __future__ import annotations

import socket
import sys
import webbrowser
from collections.abc import Callable
from pathlib import Path

from qdakit.project import Project
from qdakit.web.app import create_app
from qdakit.web.security import new_token

__all__ = ["serve", "LOCAL"]

LOCAL = "127.0.0.1"


def serve(project_path: str | Path, coder: str, *, host: str = LOCAL, port: int = 0, open_browser: bool = True,
          say: Callable[[str], None] = print, token: str | None = None) -> None:
    """Serve the workbench for ``project_path`` as ``coder`` until interrupted.

    ``port`` 0 picks a free port. Prints one line, ``qdakit workbench: http://HOST:PORT/?token=TOKEN``.
    """
    import uvicorn

    token = token or new_token()
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port") from None
    sock.listen(64)
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    hosts = {f"{shown}:{port}", f"localhost:{port}"} if host in (LOCAL, "::1", "localhost") else set()
    project = Project.open(project_path)
    try:
        app = create_app(project, coder, token=token, hosts=hosts, port=port, warm=True)
        url = f"http://{shown}:{port}/?token={token}"
        say(f"qdakit workbench: {url}")
        sys.stdout.flush()
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        server = uvicorn.Server(config)
        if open_browser:
            webbrowser.open(url)
        server.run(sockets=[sock])
    finally:
        project.close()
        sock.close()

"""The workbench application: :func:`create_app` puts the routes, the static files and the token guard together."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from qdakit.errors import QdakitError
from qdakit.project import Project
from qdakit.web import routes_codebook, routes_review, routes_transcripts
from qdakit.web.security import TokenGuard
from qdakit.web.workbench import Workbench, error_handlers

__all__ = ["create_app"]

_STATIC = Path(__file__).parent / "static"


def create_app(project: Project, coder: str, *, token: str, hosts: Iterable[str] = (),
               port: int = 0, warm: bool = False) -> Any:
    """The workbench for ``project`` and ``coder``, behind its token (``hosts``: the Host values answered).

    ``warm=True`` runs the anonymiser's language model over the participants' turns in a background
    thread, so the /anonymise page does not wait for it (``qdakit serve`` does; tests do not).
    """
    if not coder or not coder.strip():
        raise QdakitError("the workbench needs the name of the human coder (qdakit serve --coder JR)")
    routes = [
        *routes_transcripts.ROUTES,
        *routes_review.ROUTES,
        *routes_codebook.ROUTES,
        Mount("/static", app=StaticFiles(directory=_STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers=error_handlers)
    app.state.workbench = Workbench(project, coder.strip(), token)
    if warm:
        threading.Thread(target=_warm_anonymiser, args=(app.state.workbench,), daemon=True).start()
    return TokenGuard(app, token=token, hosts=hosts, cookie=f"qdakit_token_{port}")


def _warm_anonymiser(w: Workbench) -> None:
    """Find the names in every participant turn once, outside the lock (the anonymiser remembers them)."""
    from qdakit.analysis.anonymise import Anonymiser

    with w.lock:
        segs = w.project.segments()
        texts = segs.loc[~segs["is_researcher"].astype(bool), "text"].fillna("").astype(str).tolist()
    try:
        Anonymiser().spans_many(texts)
    except Exception:  # noqa: BLE001 - a warm-up only: the page finds the names itself if this failed
        pass

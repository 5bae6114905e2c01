"""What every workbench route shares: the project, the coder, the lock, the templates, the CSRF check.

Routes parse the request, call one
project (or library) method under the workbench's lock and render a Jinja2 template
with autoescaping on; they hold no state beyond the page, so the browser, the command
line and a script never disagree. Errors a coder can cause (a suggestion another coder
decided meanwhile, a name already taken) come back as a message in the page (JSON
``{"error": ...}`` for the page's script), never a stack trace.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from qdakit.errors import QdakitError
from qdakit.project import Project
from qdakit.web.security import csrf_for, same_token

__all__ = ["Workbench", "Forbidden", "wb", "route", "json_error", "error_handlers"]

T = TypeVar("T")


class Forbidden(Exception):
    """A request without the CSRF token, or from another origin."""


@dataclass
class Workbench:
    """What every route shares: the project, the coder, the secrets and the templates."""

    project: Project
    coder: str
    token: str
    lock: threading.RLock = field(default_factory=threading.RLock)
    cache: dict[str, Any] = field(default_factory=dict)
    env: Environment = field(init=False)

    def __post_init__(self) -> None:
        self.csrf = csrf_for(self.token)
        self.env = Environment(loader=PackageLoader("qdakit.web", "templates"),
                               autoescape=select_autoescape(["html"], default_for_string=True, default=True))
        self.env.filters["q"] = lambda v: quote(str(v), safe="")
        self.env.filters["hash_id"] = lambda v: hashlib.sha1(str(v).encode()).hexdigest()[:10]
        self.env.globals.update(coder=self.coder, csrf=self.csrf, project_name=self.project.path.name)

    async def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in a worker thread, one project call at a time."""
        def locked() -> T:
            with self.lock:
                return fn()
        return await run_in_threadpool(locked)

    def render(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(self.env.get_template(name).render(**context), status_code=status)

    async def check_csrf(self, request: Request) -> dict[str, Any]:
        """The request's form or JSON body, once its CSRF token and origin are checked."""
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host', '')}":
            raise Forbidden("cross-origin request refused")
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body = await request.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise Forbidden("the request body must be a JSON object")
        else:
            body = dict((await request.form()).items())
        given = request.headers.get("x-csrf-token") or body.get("csrf")
        if not same_token(str(given) if given is not None else None, self.csrf):
            raise Forbidden("missing or wrong CSRF token: reload the page")
        return body


def wb(request: Request) -> Workbench:
    return request.app.state.workbench


def json_error(message: str, status: int = 409) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _forbidden(request: Request, exc: Exception) -> Response:
    if request.headers.get("content-type", "").startswith("application/json") or \
            request.headers.get("accept", "").startswith("application/json"):
        return json_error(str(exc), 403)
    return wb(request).render("message.html", status=403, title="Refused", message=str(exc))


async def _qdakit_error(request: Request, exc: Exception) -> Response:
    return wb(request).render("message.html", status=400, title="Not done", message=str(exc))


async def _not_found(request: Request, exc: Exception) -> Response:
    return wb(request).render("message.html", status=404, title="Not found",
                              message=f"Nothing at {request.url.path}.")


def route(path: str, methods: tuple[str, ...] = ("GET",)) -> Callable[[Callable[..., Any]], Route]:
    """A route from an async endpoint (used by the route modules)."""
    def wrap(fn: Callable[..., Any]) -> Route:
        return Route(path, fn, methods=list(methods))
    return wrap


#: the exception handlers of the application: a refused request and a qdakit error become pages
error_handlers: dict[Any, Any] = {Forbidden: _forbidden, QdakitError: _qdakit_error, 404: _not_found}

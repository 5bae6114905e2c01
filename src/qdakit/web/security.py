"""What keeps the workbench private: the token, the allowed hosts, CSRF, and strict response headers.

* **Token.** ``qdakit serve`` makes a random token and prints the URL that carries it
  (``/?token=...``), as Jupyter does. The first request with the right token gets it as
  an HttpOnly, SameSite=Strict cookie (named for the port, so two workbenches in one
  browser keep theirs) and is redirected to the same page without it, so it does not sit
  in the history. Every request without the cookie or token gets 403, static files too.
* **Hosts.** Only the ``Host`` the server was started for (``127.0.0.1:PORT`` or
  ``localhost:PORT``) is answered, which stops DNS rebinding.
* **CSRF.** Every state-changing request (POST) must carry the page's CSRF token (a
  form field ``csrf`` or the header ``X-CSRF-Token``); a cross-site ``Origin`` is refused.
* **Headers.** A strict Content-Security-Policy (scripts, styles and images from the
  workbench itself only, no inline script), no framing, no referrer to other sites, no caching.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["CSP", "new_token", "csrf_for", "TokenGuard", "same_token"]

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),  # "no-referrer" would make form posts send Origin: null
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


def new_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_for(token: str) -> str:
    """The CSRF token of a workbench: derived from its secret token, never the token itself."""
    return hmac.new(token.encode(), b"qdakit-csrf", hashlib.sha256).hexdigest()


def same_token(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class TokenGuard:
    """ASGI middleware: host check, token (query or cookie), security headers on every response."""

    def __init__(self, app: Any, *, token: str, hosts: Iterable[str], cookie: str) -> None:
        self.app = app
        self.token = token
        self.hosts = {h.lower() for h in hosts}
        self.cookie = cookie

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "").lower()
        if self.hosts and host not in self.hosts:
            await _plain(send, 403, f"This workbench answers only at {', '.join(sorted(self.hosts))}.")
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        if "token" in query:
            if not same_token(query["token"], self.token):
                await _plain(send, 403, "Wrong token: open the link that qdakit serve printed.")
                return
            rest = urlencode([(k, v) for k, v in query.items() if k != "token"])
            location = (scope.get("root_path", "") + scope["path"]) + (f"?{rest}" if rest else "")
            cookie = (f"{self.cookie}={self.token}; HttpOnly; SameSite=Strict; Path=/").encode()
            await send({"type": "http.response.start", "status": 303,
                        "headers": [(b"location", location.encode("latin-1")), (b"set-cookie", cookie),
                                    (b"content-length", b"0"), *_HEADERS]})
            await send({"type": "http.response.body", "body": b""})
            return
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed cookie header is simply no token
            jar = SimpleCookie()
        given = jar[self.cookie].value if self.cookie in jar else None
        if not same_token(given, self.token):
            await _plain(send, 403, "This qdakit workbench needs its token: open the link that qdakit serve "
                                    "printed (http://127.0.0.1:PORT/?token=...).")
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *[h for h in _HEADERS if h[0] not in present]]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _plain(send: Any, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *_HEADERS]})
    await send({"type": "http.response.body", "body": body})

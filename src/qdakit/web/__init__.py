"""The local browser workbench (``qdakit serve``): read, hand-code, review suggestions, undo.

A Starlette application (:func:`~qdakit.web.app.create_app`) over one project and one named
coder, rendered server-side with Jinja2 (autoescaped) and a little JavaScript served from
this package (:mod:`qdakit.web` ``static/``; nothing from the network). It holds no state of
its own beyond the page: every write goes through the same :class:`~qdakit.Project`
methods as the command line and a script (the logged, undoable decisions of
:mod:`qdakit.project.decisions`, the codebook edits, the anonymisation choices).

Security (:mod:`~qdakit.web.security`): bound to 127.0.0.1 by default, a token on every
request (from the printed URL, kept as a cookie), a CSRF token on every change, a strict
Content-Security-Policy.

Pages: ``/transcripts``, ``/transcripts/<id>``, ``/review``, ``/codebook``, ``/agreement``,
``/anonymise``.
"""

from __future__ import annotations

from qdakit.web.app import create_app
from qdakit.web.server import serve

__all__ = ["create_app", "serve"]

"""MkDocs hook: Sphinx cross-reference roles in the docstrings shown as plain code.

The docstrings are numpydoc, written for a reader of the source as much as for a site, and use
Sphinx roles (``:class:`ProjectError```, ``:meth:`~qdakit.Project.accept```). mkdocstrings renders
them as ":class:" followed by the code; this hook drops the role and the ``~`` so the API pages
read ``ProjectError`` and ``qdakit.Project.accept``.
"""

from __future__ import annotations

import re
from typing import Any

_ROLES = r":(?:py:)?(?:class|meth|func|mod|attr|data|exc|obj|const|ref|doc):"
_ROLE = re.compile(_ROLES + r"(<code>)~?")
# a role left as typed, where the docstring put a description on the type line (``param : a :class:`X```)
_ROLE_TICKS = re.compile(_ROLES + r"`~?([^`<]+)`")


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Strip the roles from the rendered HTML of every page."""
    return _ROLE_TICKS.sub(r"\1", _ROLE.sub(r"\1", html))

"""MkDocs hook: the command-line reference, rendered from the Typer app at build time.

``docs/reference/cli.md`` holds the marker ``<!-- qdakit-cli-reference -->``; this hook replaces it
with one section per command (usage, help, and a table of every argument and option with its
default), walked from ``typer.main.get_command(qdakit.cli.app)``. Nothing is fetched and nothing is
copied by hand, so the page cannot fall behind the code. ``render()`` is also what
``tests/test_docs.py`` checks against the app.
"""

from __future__ import annotations

import html
import re
from typing import Any

MARKER = "<!-- qdakit-cli-reference -->"


def _escape(text: str) -> str:
    """Plain help text as Markdown that renders as written (no stray emphasis, no HTML)."""
    text = html.escape(text, quote=False)
    return re.sub(r"([*_\[\]|])", r"\\\1", text)


def _paragraphs(text: str) -> str:
    """Click help text (paragraphs separated by blank lines, ``\\b`` marking a block kept as is)."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        if block.startswith("\b"):
            lines = block[1:].strip("\n").splitlines()
            out.append("\n".join(f"    {line}" for line in lines))
        else:
            out.append(_escape(" ".join(line.strip() for line in block.splitlines())))
    return "\n\n".join(out)


def _walk(command: Any, ctx: Any, path: list[str]):
    yield path, command, ctx
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if getattr(sub, "hidden", False):
            continue
        yield from _walk(sub, type(ctx)(sub, info_name=name, parent=ctx), [*path, name])


def render() -> str:
    """The reference as Markdown: a section per command and sub-command, alphabetical."""
    import typer.main

    from qdakit.cli import app

    root = typer.main.get_command(app)
    context_type = type(root.make_context("qdakit", [], resilient_parsing=True))
    root_ctx = context_type(root, info_name="qdakit")
    parts = []
    for path, command, ctx in _walk(root, root_ctx, ["qdakit"]):
        name = " ".join(path)
        level = "#" * min(len(path) + 1, 4)
        parts.append(f"{level} `{name}`\n")
        parts.append(f"```text\n{command.get_usage(ctx)}\n```\n")
        if command.help:
            parts.append(_paragraphs(command.help) + "\n")
        rows = []
        for param in command.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None or param.name == "help":
                continue
            names, help_text = record
            if getattr(param, "required", False) and "[required]" not in help_text:
                help_text += "  [required]"
            rows.append(f"| `{names.replace('|', '/')}` | {_escape(' '.join(help_text.split()))} |")
        if rows:
            parts.append("| argument or option | what it does |\n|---|---|\n" + "\n".join(rows) + "\n")
    return "\n".join(parts)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Fill the marker on the CLI reference page; other pages pass through."""
    if MARKER in markdown:
        return markdown.replace(MARKER, render())
    return markdown

"""The documentation covers the code: every public name in the API reference, every command and
option in the CLI reference, a README short enough to read, and links that lead somewhere.

The site itself is built strictly (``mkdocs build --strict``: broken links and references fail) by
``make docs``, which ``make test`` runs; these tests hold what a build cannot see.
"""

from __future__ import annotations

import importlib.util
import re

import pytest
import typer.main

import qdakit
from qdakit.cli import app
from support import ROOT

DOCS = ROOT / "docs"


def _hook():
    spec = importlib.util.spec_from_file_location("cli_reference", DOCS / "_hooks" / "cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_public_name_is_in_the_api_reference():
    text = (DOCS / "reference" / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^::: qdakit\.(\w+)\s*$", text, flags=re.M))
    missing = set(qdakit.__all__) - {"__version__"} - documented
    assert not missing, f"add '::: qdakit.NAME' to docs/reference/api.md for {sorted(missing)}"
    assert documented - set(qdakit.__all__) <= {"analysis"}


def _commands(command, path):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, [*path, name])


def test_cli_reference_has_every_command_and_option():
    rendered = _hook().render()
    root = typer.main.get_command(app)
    seen = 0
    for path, command in _commands(root, ["qdakit"]):
        assert f"`{' '.join(path)}`" in rendered, path
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("-") and not getattr(param, "hidden", False):
                    assert f"{opt}" in rendered, (path, opt)
                    seen += 1
    assert seen > 100  # the walk really went through the options
    assert "default: project.qdakit]" in rendered.replace("\\]", "]")  # the defaults are shown


def test_cli_reference_page_is_generated():
    page = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    assert _hook().MARKER in page


def test_readme_is_short_and_links_into_the_docs():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    links = re.findall(r"\]\((docs/[^)#\s]+)(?:#[^)]*)?\)", text)
    assert len(links) >= 5
    for link in links:
        assert (ROOT / link).exists(), f"README links to {link}, which does not exist"


@pytest.mark.parametrize("page", sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")))
def test_docs_pages_name_real_benchmarks_and_examples(page):
    text = (DOCS / page).read_text(encoding="utf-8")
    for script in re.findall(r"benchmarks/(\w+\.py)", text):
        assert (ROOT / "benchmarks" / script).is_file(), f"{page} names benchmarks/{script}"
    for path in re.findall(r"examples/study/[\w./-]*\w", text):
        assert (ROOT / path).exists(), f"{page} names {path}"

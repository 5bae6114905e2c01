"""The Python examples of the README and of the documentation pages (``docs/**/*.md``) run as
written, from the repository root.

``demo-output/`` is replaced by a temporary folder holding the project that
``make demo`` builds, made here with the Python API.
"""

from __future__ import annotations

import re

import pytest

from qdakit import Project, import_files, read_codebook
from qdakit.io.codings import import_codings
from support import EXAMPLES, ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _python_blocks() -> list[tuple[str, str]]:
    """(page, code) for every ```python block of the README and the docs."""
    return [(page.relative_to(ROOT).as_posix(), code) for page in PAGES
            for code in re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    if not (EXAMPLES / "interviews").is_dir():
        pytest.skip("example study not present")
    out = tmp_path_factory.mktemp("demo-output")
    with Project.create(out / "study.qdakit") as p:
        import_files(p, [EXAMPLES / "interviews"], attributes=[EXAMPLES / "participants.csv"])
        import_files(p, [EXAMPLES / "focus_group"], attributes=[EXAMPLES / "focus_group" / "participants.csv"],
                     questions=EXAMPLES / "focus_group" / "questions.txt")
        p.load_codebook(read_codebook(EXAMPLES / "codebook.yaml"))
        import_codings(p, sorted((EXAMPLES / "codings").glob("*.csv")))
    return out


def test_readme_has_python_examples():
    pages = {page for page, _ in _python_blocks()}
    assert "README.md" in pages and len(_python_blocks()) >= 10


@pytest.mark.parametrize("index", range(len(_python_blocks())),
                         ids=[f"{page}-{i}" for i, (page, _) in enumerate(_python_blocks())])
def test_readme_python_example_runs(index, monkeypatch, demo_dir):
    monkeypatch.chdir(ROOT)
    import warnings

    from qdakit.embed import LongTextWarning
    from qdakit.suggest import SuggesterWarning

    page, code = _python_blocks()[index]
    code = code.replace("demo-output/", f"{demo_dir}/")
    with warnings.catch_warnings():
        # what a user sees as information on this data (a long turn, a code short of examples)
        warnings.simplefilter("ignore", LongTextWarning)
        warnings.simplefilter("ignore", SuggesterWarning)
        exec(compile(code, f"{page} python block {index}", "exec"), {})

"""The examples in the docstrings run as written: every module of ``src/qdakit`` with a ``>>>``.

The same as ``pytest --doctest-modules src/qdakit``, but inside the default suite (one test per
module, so a failure names it) and without importing modules that have no examples.
"""

from __future__ import annotations

import doctest
import importlib
import warnings
from pathlib import Path

import pytest

import qdakit

SRC = Path(qdakit.__file__).resolve().parent


def _modules() -> list[str]:
    names = []
    for path in sorted(SRC.rglob("*.py")):
        if ">>>" not in path.read_text(encoding="utf-8"):
            continue
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_there_are_doctests():
    assert len(_modules()) >= 30


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for test in finder.find(module, name):
            runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)

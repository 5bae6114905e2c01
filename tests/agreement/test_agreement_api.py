"""The public API: exported names, docstrings and their runnable examples."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import qdakit.agreement as agreement

MODULES = [importlib.import_module(f"qdakit.agreement.{m.name}") for m in pkgutil.iter_modules(agreement.__path__)]
ROOT = Path(__file__).resolve().parents[2]


def test_all_lists_exactly_the_public_names():
    public = {name for name in dir(agreement) if not name.startswith("_")}
    modules = {m.__name__.rsplit(".", 1)[1] for m in MODULES}
    assert set(agreement.__all__) == public - modules - {"annotations"}
    for name in agreement.__all__:
        assert getattr(agreement, name) is not None


def test_every_exported_function_has_a_numpydoc_docstring_with_an_example():
    for name in agreement.__all__:
        obj = getattr(agreement, name)
        if inspect.isfunction(obj):
            doc = inspect.getdoc(obj) or ""
            for section in ("Parameters", "Returns", "Examples"):
                assert section in doc, f"{name} lacks a {section} section"
            if name not in {"pairwise", "bootstrap", "segment_agreement", "disagreements", "character_agreement"}:
                assert "References" in doc, f"{name} lacks references"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_modules_stay_small():
    for module in MODULES:
        lines = Path(module.__file__).read_text().count("\n")
        assert lines < 500, f"{module.__name__} has {lines} lines"


def test_benchmark_quick_run_ends_with_a_result_line():
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "agreement.py"), "--quick"],
                         capture_output=True, text=True, timeout=120, check=True)
    last = run.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"RESULT alpha_speedup_1e5=[\d.]+ max_abs_diff=\S+ .*", last), last
    diff = float(re.search(r"max_abs_diff=(\S+)", last).group(1))
    assert diff < 1e-9

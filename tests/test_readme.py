"""The README's Python examples run as written (from the repository root)."""

from __future__ import annotations

import re

import pytest
from support import EXAMPLES, ROOT


def _python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_has_python_examples():
    assert _python_blocks()


@pytest.mark.parametrize("index", range(len(_python_blocks())))
def test_readme_python_example_runs(index, monkeypatch, tmp_path):
    if not (EXAMPLES / "interviews").is_dir():
        pytest.skip("example study not present")
    monkeypatch.chdir(ROOT)
    code = _python_blocks()[index].replace("demo-output/", f"{tmp_path}/")
    exec(compile(code, f"README.md python block {index}", "exec"), {})

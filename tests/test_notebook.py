"""``examples/analysis.ipynb`` runs from top to bottom without an error (executed with nbclient).

The kernel imports the same qdakit as this test (its ``src`` folder first on ``PYTHONPATH``), runs in
``examples/`` as a reader opening the notebook would, and must finish every cell; an exception in any
cell fails the test with the cell and its traceback. The notebook keeps itself quick (the fake
embedder where the real model adds nothing), so this test runs in the default suite.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import qdakit
from support import ROOT

NOTEBOOK = ROOT / "examples" / "analysis.ipynb"


def test_notebook_is_stored_without_outputs():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, "the notebook has no code"
    # outputs are made by running it (tests, docs build), never committed: they would go stale
    assert all(not cell.outputs and cell.execution_count is None for cell in code)


def test_notebook_runs():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    if not (ROOT / "examples" / "study" / "interviews").is_dir():
        pytest.skip("example study not present")
    src = str(Path(qdakit.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute(env=env)
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    # what a reader sees: the tables and the chart came out, and no warning was printed on the way
    assert any("image/png" in out.get("data", {}) for out in outputs), "the chart is missing"
    stderr = [out.text for out in outputs if out.output_type == "stream" and out.name == "stderr"]
    assert not stderr, stderr

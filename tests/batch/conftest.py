"""The batch tests' shared fixture: a coded project and a folder of transcript files to pre-code."""

from __future__ import annotations

import pytest

from support import make_project, write_batch


@pytest.fixture
def setup(tmp_path):
    p = make_project(tmp_path / "p.qdakit")
    files = write_batch(tmp_path / "batch")
    yield p, files, tmp_path
    p.close()

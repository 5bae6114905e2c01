"""Shared fixtures: a small project built in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from qdakit import Code, Codebook, Project
from support import make_transcript


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project.create(tmp_path / "test.qdakit")
    p.add_transcripts([
        make_transcript("t1", [("Interviewer", "How do partners talk?"),
                               ("Ann", "We meet monthly and email a lot."),
                               ("Ann", "Funding was cut last year, so staff time is short.")]),
        make_transcript("t2", [("Interviewer", "Who leads it?"),
                               ("Bob", "The council chairs, but nobody really leads.")]),
    ])
    p.load_codebook(Codebook([Code("Communication", description="How partners share information"),
                              Code("Clear leadership"), Code("Balance of resources"),
                              Code("Funding", parent="Balance of resources")]))
    yield p
    p.close()


@pytest.fixture
def new_project(tmp_path: Path):
    """A factory of empty projects in tmp_path (``new_project("a")``), all closed afterwards."""
    made: list[Project] = []

    def make(name: str = "p") -> Project:
        made.append(Project.create(tmp_path / f"{name}.qdakit"))
        return made[-1]

    yield make
    for p in made:
        p.close()

"""The project file: a SQLite store of transcripts, segments, participants, the codebook, human
codings and machine suggestions (:mod:`~qdakit.project.store`: schema and migrations), read and
written through :class:`Project` (:mod:`~qdakit.project.project`: storage and DataFrame views only).

The store never imports a learner: everything above it (suggesting, themes, agreement,
analysis) reads the project through :class:`Project`.
"""

from __future__ import annotations

from qdakit.project.project import Project

__all__ = ["Project"]

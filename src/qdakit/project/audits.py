"""The import audit of each transcript, as stored in the project file.

One row per transcript in the ``import_audits`` table: the detected language,
the speakers the file's legend calls researchers (``O = Interviewer 2``; read
by :meth:`Project.segments` for ``is_researcher``), and the audit as JSON
(:class:`qdakit.io.audit.ImportAudit` writes and reads it; the store keeps it
opaque, so this layer imports nothing from ``io``). Written in the import's
own transaction, so a failed import leaves no audit.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from qdakit.project.project import Project

__all__ = ["save_audits", "load_audits", "project_languages"]


def save_audits(project: Project, audits: Mapping[str, tuple[str | None, Collection[str], str]]) -> None:
    """Store ``{transcript_id: (language, researcher speakers, audit_json)}``, replacing an earlier audit."""
    project._con.executemany(
        "INSERT OR REPLACE INTO import_audits (transcript_id, language, researchers, audit) VALUES (?, ?, ?, ?)",
        [(tid, language, json.dumps(sorted(res)), raw) for tid, (language, res, raw) in audits.items()],
    )


def load_audits(project: Project) -> dict[str, dict[str, Any]]:
    """``{transcript_id: audit as a dict}`` for every transcript that has one, in import order."""
    rows = project._con.execute(
        "SELECT a.transcript_id, a.audit FROM import_audits a JOIN transcripts t ON t.id = a.transcript_id "
        "ORDER BY t.position").fetchall()
    return {r["transcript_id"]: json.loads(r["audit"]) for r in rows}


def project_languages(project: Project) -> dict[str, int]:
    """How many transcripts were detected in each language (``{"en": 8, "da": 2}``); empty if none was."""
    rows = project._con.execute(
        "SELECT language, count(*) FROM import_audits WHERE language IS NOT NULL GROUP BY language").fetchall()
    return {r[0]: int(r[1]) for r in rows}

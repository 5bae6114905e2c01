"""One notion of who is a participant (issue 26.6): status, summary, the import audit and segments() agree."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from qdakit import Project
from qdakit.cli import app
from support import EXAMPLES

runner = CliRunner()


def _count(output: str, key: str) -> int:
    return int(re.search(rf"{key}\s*│?\s*(\d+)", output).group(1))  # type: ignore[union-attr]


@pytest.mark.parametrize("with_attributes", [False, True])
def test_status_counts_people_as_segments_and_the_audit_do(tmp_path, with_attributes):
    if not (EXAMPLES / "interviews").is_dir():
        pytest.skip("example study not present")
    proj = tmp_path / "p.qdakit"
    assert runner.invoke(app, ["init", str(proj)]).exit_code == 0
    args = ["import", str(EXAMPLES / "interviews"), "-p", str(proj)]
    r = runner.invoke(app, args + (["--attributes", str(EXAMPLES / "participants.csv")] if with_attributes else []))
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["status", "-p", str(proj)], terminal_width=200)
    assert r.exit_code == 0, r.output
    with Project.open(proj) as p:
        seg = p.segments()
        summary = p.summary()
    speaking = seg[~seg["is_researcher"]]
    # without attributes each interviewee is a person by their label in their transcript (8 transcripts, 8 labels);
    # with them, the 6 participant ids (P01 and P02 speak in two waves)
    assert summary["participants"] == (6 if with_attributes else speaking.groupby(["transcript_id", "speaker"]).ngroups)
    assert summary["participants"] > 0 and summary["researchers"] > 0
    assert summary["unresolved_segments"] == int(seg["speaker"].isna().sum()) == 0  # the audit: 0% unresolved
    assert _count(r.output, "participants") == summary["participants"]
    assert _count(r.output, "researchers") == summary["researchers"]
    assert _count(r.output, "unresolved segments") == 0

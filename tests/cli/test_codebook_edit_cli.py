"""`qdakit codebook add|edit|rename|move|merge|history`: the same Project methods as the workbench."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from qdakit import Code, Codebook, Project
from qdakit.cli import app
from support import make_transcript

runner = CliRunner()


def test_codebook_edits_from_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "p.qdakit"
    with Project.create(path) as p:
        p.add_transcripts([make_transcript("t1", [("Ann", "We meet monthly."), ("Ann", "We email a lot.")])])
        p.load_codebook(Codebook([Code("Communication")]))
        p.code("t1#1", "Communication", "AB")
    run = lambda *argv: runner.invoke(app, [*argv, "-p", str(path)])  # noqa: E731
    r = run("codebook", "add", "Meetings", "--coder", "JR", "--parent", "Communication", "--description", "Meeting")
    assert r.exit_code == 0 and "JR added 'Meetings' under 'Communication'." in r.output, r.output
    assert run("codebook", "edit", "meetings", "--coder", "JR", "--exclusion", "email").exit_code == 0
    assert run("codebook", "rename", "Meetings", "Talking", "--coder", "JR").exit_code == 0
    assert run("codebook", "move", "Talking", "--coder", "JR").exit_code == 0
    r = run("codebook", "merge", "Communication", "Talking", "--coder", "CD")
    assert r.exit_code == 0 and "1 coding(s) recoded" in r.output, r.output
    r = run("codebook", "add", "talking", "--coder", "JR")
    assert r.exit_code == 1 and "already in the codebook" in str(r.exception)  # main() prints it as one line
    r = run("codebook", "history")
    assert r.exit_code == 0
    for action in ("add", "edit", "rename", "move", "merge"):
        assert action in r.output
    with Project.open(path) as p:
        assert p.codings()[["code", "coder"]].values.tolist() == [["Talking", "AB"]]
        assert p.codebook["Talking"].exclusion == "email" and p.codebook["Talking"].parent is None
        assert list(p.codebook_changes()["coder"]) == ["JR", "JR", "JR", "JR", "CD"]

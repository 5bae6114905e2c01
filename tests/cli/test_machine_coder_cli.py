"""The machine as a coder from the command line: agree -c machine, precode's verdict, reviewed marks."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from qdakit import Project
from qdakit.cli import app
from qdakit.embed import FakeEmbedder
from support import code_transcripts, partnership_project


@pytest.fixture
def study(tmp_path, monkeypatch):
    """Four transcripts coded by JR and SM (SM leaves one turn uncoded), the CLI on the fake embedder."""
    from qdakit.suggest import precode as precode_module

    path = tmp_path / "p.qdakit"
    p = partnership_project(path, n_transcripts=5)
    code_transcripts(p, range(4), coder="JR")
    code_transcripts(p, range(4), coder="SM")
    p.retract(int(p.codings(coder="SM")["id"].iloc[0]), "SM")  # SM did not code t0#1
    p.close()
    monkeypatch.setattr(precode_module, "default_embedder", lambda project, device="cpu": FakeEmbedder(dim=64))
    return path


def test_agree_compares_the_machine_on_every_unit_both_coders_coded(study):
    r = CliRunner().invoke(app, ["agree", "-c", "JR", "-c", "SM", "-c", "machine", "-m", "percent", "-m",
                                 "fleiss", "-p", str(study), "--folds", "2"], terminal_width=250)
    assert r.exit_code == 0, r.output
    with Project.open(study) as p:
        both = set(p.codings(coder="JR")["segment_id"]) & set(p.codings(coder="SM")["segment_id"])
        machine = p.machine_codings()
    assert len(both) == 23 and both <= set(machine["segment_id"])
    assert "Is the machine as good as a second coder?" in r.output
    pooled = next(line for line in r.output.splitlines() if "(pooled)" in line)
    assert " 69 " in pooled  # 23 units x 3 codes
    assert "machine ~ JR" in r.output and "SM ~ JR" in r.output


def test_precode_table_says_how_the_machine_compares_and_reruns_supersede(study):
    runner = CliRunner()
    r = runner.invoke(app, ["precode", "-p", str(study), "--min-similarity", "0", "--min-examples", "3"],
                      terminal_width=250)
    assert r.exit_code == 0, r.output
    assert "vs humans" in r.output and "Negatives: transcript" in r.output
    r = runner.invoke(app, ["precode", "-p", str(study), "--min-similarity", "0", "--min-examples", "3",
                            "--target-precision", "0.5", "--no-verdict"], terminal_width=250)
    assert r.exit_code == 0, r.output
    assert "vs humans" not in r.output
    with Project.open(study) as p:
        pending = p.suggestions(status="pending")
        assert not pending.duplicated(["segment_id", "code"]).any() and pending["model"].nunique() <= 1


def test_codings_reviewed_and_review_no_code_applies(study):
    runner = CliRunner()
    r = runner.invoke(app, ["codings", "reviewed", "t4#1", "t4#3", "--coder", "JR", "-p", str(study)])
    assert r.exit_code == 0 and "Marked 2 segment(s) as read by JR" in r.output
    r = runner.invoke(app, ["precode", "-p", str(study), "--min-similarity", "0", "--no-verdict",
                            "--min-examples", "3"])
    assert r.exit_code == 0, r.output
    assert "2 segments marked reviewed" in r.output.replace("\n", " ")
    with Project.open(study) as p:
        pending = p.suggestions(status="pending")
        parts = pending["segment_id"].str.rsplit("#", n=1)  # review goes in natural order: t4#5 before t4#11
        first = pending.assign(_t=parts.str[0], _i=parts.str[1].astype(int)).sort_values(
            ["_t", "_i", "score"], ascending=[True, True, False])
        seg = first["segment_id"].iloc[0]
        n_on_seg = int((first["segment_id"] == seg).sum())
    r = runner.invoke(app, ["review", "--coder", "AB", "-p", str(study)], input="n\nq\n")
    assert r.exit_code == 0, r.output
    with Project.open(study) as p:
        assert (p.suggestions(status="rejected")["segment_id"] == seg).sum() == n_on_seg
        assert [seg, "AB"] in p.reviewed(uncoded=True)[["segment_id", "coder"]].values.tolist()


def test_agree_with_three_coders_works_as_the_readme_shows_it(study):
    """Issue 26.1: `agree -c JR -c SM -c machine` with the default metrics; Cohen per pair, Fleiss and
    alpha across all three, per code and pooled, and no column of <NA>."""
    r = CliRunner().invoke(app, ["agree", "-c", "JR", "-c", "SM", "-c", "machine", "-p", str(study), "--folds", "2"],
                           terminal_width=250)
    assert r.exit_code == 0, r.output
    table = r.output.split("Is the machine as good")[0]
    assert "<NA>" not in table and "NaN" not in table.split("(pooled)")[1].splitlines()[0]
    header = next(line for line in table.splitlines() if "units" in line)
    for column in ("fleiss", "alpha", "kappa JR~SM", "kappa JR~machine", "kappa SM~machine", "machine only"):
        assert column in header, column
    assert "(pooled)" in table and "Communication" in table

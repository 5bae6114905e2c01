"""Accepting the merge and split proposals of `qdakit themes` by a named coder (the /codebook page)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qdakit import CodebookError, Project
from qdakit.embed import FakeEmbedder
from qdakit.themes import (
    accept_proposal,
    load_themes,
    proposals,
    split_names,
    themes_path,
)
from support import proposals_study


@pytest.fixture
def study(tmp_path: Path) -> Project:
    """Funding and meeting passages: 'budget' and 'money' on the same funding passages (near-duplicates),
    'partnership' on all of them (too broad); the themes listing with its proposals saved."""
    p = proposals_study(tmp_path / "study.qdakit")
    yield p
    p.close()


def test_proposals_saved_with_the_listing_and_listed_open(study: Project) -> None:
    table = proposals(study)
    assert list(table["id"]) == ["merge-1", "split-1"]
    assert table.loc[0, "codes"] == ("budget", "money") and table.loc[1, "codes"] == ("partnership",)
    assert set(table["status"]) == {"open"} and table["accepted_by"].isna().all()
    assert [n for n, _ in table.loc[1, "sub_groups"]] == [9, 9]
    saved = load_themes(themes_path(study.path))
    assert saved.merges[0].shared_segments == 9 and len(saved.splits[0].groups[0]) == 9


def test_accepting_a_merge_recodes_every_coding_as_the_coders_decision(study: Project) -> None:
    before = study.codings(history=True)
    done = accept_proposal(study, "merge-1", "CD", keep="budget")
    assert (done.kind, done.codes, done.codings_moved) == ("merge", ("money", "budget"), 9)
    assert done.message == "CD merged money into budget: 9 coding(s) recoded."
    after = study.codings(history=True)
    assert len(after) == len(before) + 9  # nothing deleted
    moved = study.codings()[lambda d: d["supersedes"].notna()]
    assert set(moved["coder"]) == {"AB"} and set(moved["code"]) == {"budget"}  # AB's codings, AB's still
    assert (moved["end"] - moved["start"]).eq(2).all()  # the span kept
    assert "money" not in set(study.codings()["code"])
    assert study.codebook_changes()["coder"].tolist() == ["CD"]
    table = proposals(study)
    assert table.loc[0, "status"] == "accepted" and table.loc[0, "accepted_by"] == "CD"
    with pytest.raises(CodebookError, match="already accepted by CD"):
        accept_proposal(study, "merge-1", "JR")
    listing = json.loads(themes_path(study.path).read_text())
    assert listing["accepted"]["merge-1"]["codes"] == ["money", "budget"]


def test_merge_keeps_the_code_with_more_codings_by_default_and_refuses_a_stranger(study: Project) -> None:
    with pytest.raises(CodebookError, match="keep one of its two codes"):
        accept_proposal(study, "merge-1", "CD", keep="agenda")
    study.code("P0#0", "money", "AB")  # money now has one coding more than budget
    assert accept_proposal(study, "merge-1", "CD").codes == ("budget", "money")


def test_accepting_a_split_adds_sub_codes_and_suggestions_not_codings(study: Project) -> None:
    codings = study.codings()
    saved = load_themes(themes_path(study.path)).splits[0]
    names = split_names(saved)
    assert all(n.startswith("partnership: ") for n in names) and names[0] != names[1]
    done = accept_proposal(study, "split-1", "JR", names=["Money talk", "Meeting talk"])
    assert done.codes == ("partnership", "Money talk", "Meeting talk") and done.suggestions_added == 18
    assert [c.name for c in study.codebook.children("partnership")] == ["Money talk", "Meeting talk"]
    assert "Split from partnership by JR" in study.codebook["Money talk"].description
    pending = study.suggestions("pending")
    assert len(pending) == 18 and set(pending["code"]) == {"Money talk", "Meeting talk"}
    assert sorted(pending.loc[pending["code"] == "Money talk", "segment_id"]) == sorted(saved.groups[0])
    assert study.codings().equals(codings)  # no coding made or changed
    assert [r.action for r in study.codebook_changes().itertuples()] == ["add", "add"]


def test_a_failed_split_changes_nothing_and_a_stale_proposal_shows_so(study: Project) -> None:
    study.add_code("Meeting talk", "AB")
    with pytest.raises(CodebookError, match="already in the codebook"):
        accept_proposal(study, "split-1", "JR", names=["Money talk", "meeting TALK"])
    assert "Money talk" not in study.codebook and study.suggestions("pending").empty
    study.merge_codes("money", "agenda", "AB")
    assert proposals(study).loc[0, "status"] == "stale"
    with pytest.raises(CodebookError, match="no proposal 'merge-9'"):
        accept_proposal(study, "merge-9", "JR")


def test_cli_lists_proposal_ids_and_accepts_one(study: Project, monkeypatch) -> None:
    monkeypatch.setattr("qdakit.themes.project_themes.default_embedder", lambda project: FakeEmbedder(dim=256))
    from qdakit.cli import app
    from qdakit.cli.themes import register

    if not any(c.name == "themes" or getattr(c.callback, "__name__", "") == "themes"
               for c in app.registered_commands):
        register(app)
    runner = CliRunner()
    r = runner.invoke(app, ["themes", "-p", str(study.path)])
    assert r.exit_code == 0, r.output
    assert "merge-1? budget + money" in r.output and "split-1? partnership" in r.output
    r = runner.invoke(app, ["themes", "-p", str(study.path), "--accept", "merge-1"])
    assert r.exit_code != 0 and study.codebook_changes().empty
    r = runner.invoke(app, ["themes", "-p", str(study.path), "--accept", "merge-1", "--coder", "CD", "--keep", "money"])
    assert r.exit_code == 0, r.output
    assert "CD merged budget into money: 9 coding(s) recoded." in r.output

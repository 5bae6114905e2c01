"""Codebook edits by a named coder: validation as `codebook load`, one history row each, merges keep history."""

from __future__ import annotations

import sqlite3

import pytest

from qdakit import Project, Suggestion
from qdakit.errors import CodebookError, CodingError


def _changes(p: Project) -> list[tuple[str, str, str | None]]:
    return [(r.coder, r.action, r.code) for r in p.codebook_changes().itertuples()]


def test_add_code_open_coding_with_definition_and_parent(project: Project) -> None:
    code = project.add_code("Trust", "JR", description="Partners rely on each other", inclusion="explicit trust")
    child = project.add_code("Distrust", "AB", parent="trust")  # parent found whatever its case
    assert (code.name, code.parent, code.description, code.inclusion) == (
        "Trust", None, "Partners rely on each other", "explicit trust")
    assert child.parent == "Trust" and project.codebook.children("Trust")[0].name == "Distrust"
    assert _changes(project) == [("JR", "add", "Trust"), ("AB", "add", "Distrust")]
    detail = project.codebook_changes()["detail"][0]
    assert detail["description"] == "Partners rely on each other" and detail["parent"] is None
    # the new code is usable at once, as a coding and as a suggestion
    assert project.code("t1#1", "Trust", "JR").code == "Trust"


@pytest.mark.parametrize(("call", "message"), [
    (lambda p: p.add_code("communication", "JR"), "already in the codebook"),
    (lambda p: p.add_code("  ", "JR"), "non-empty name"),
    (lambda p: p.add_code("Tr\x07ust", "JR"), "control character"),
    (lambda p: p.add_code("Line\nbreak", "JR"), "control character"),
    (lambda p: p.add_code("Trust", "JR", parent="Nowhere"), "no code 'Nowhere'"),
    (lambda p: p.add_code("Trust", " "), "name of the human coder"),
    (lambda p: p.add_code("Trust", "JR", description="bad\x00text"), "control character"),
    (lambda p: p.edit_code("Nowhere", "JR", description="x"), "no code 'Nowhere'"),
    (lambda p: p.rename_code("Communication", "clear LEADERSHIP", "JR"), "already in the codebook"),
    (lambda p: p.rename_code("Communication", "", "JR"), "non-empty name"),
    (lambda p: p.move_code("Balance of resources", "Funding", "JR"), "its own ancestor"),
    (lambda p: p.move_code("Funding", "Funding", "JR"), "its own ancestor"),
    (lambda p: p.merge_codes("Funding", "funding", "JR"), "same code"),
    (lambda p: p.merge_codes("Balance of resources", "Funding", "JR"), "sub-code"),
])
def test_invalid_edits_are_one_line_errors_and_change_nothing(project: Project, call, message) -> None:
    before = list(project.codebook)
    with pytest.raises(CodebookError, match=message) as info:
        call(project)
    assert "\n" not in str(info.value)
    assert list(project.codebook) == before and project.codebook_changes().empty


def test_edit_rename_and_move_are_recorded_with_old_and_new(project: Project) -> None:
    coding = project.code("t1#2", "Funding", "JR")
    project.edit_code("Funding", "AB", description="Money for the partnership", exclusion="in-kind help")
    project.edit_code("Funding", "AB", description="Money for the partnership")  # no change: no row
    renamed = project.rename_code("funding", "Funding cuts", "AB")
    moved = project.move_code("Funding cuts", None, "JR")
    assert (renamed.name, moved.parent, moved.description, moved.exclusion) == (
        "Funding cuts", None, "Money for the partnership", "in-kind help")
    # the coding follows the code: it points to the code, not to its name
    assert project.coding(coding.id).code == "Funding cuts"
    hist = project.codebook_changes()
    assert list(hist["action"]) == ["edit", "rename", "move"] and set(hist["code"]) == {"Funding cuts"}
    assert hist["detail"][0] == {"name": "Funding", "description": ["", "Money for the partnership"],
                                 "exclusion": ["", "in-kind help"]}
    assert hist["detail"][1] == {"from": "Funding", "to": "Funding cuts"}
    assert hist["detail"][2] == {"name": "Funding cuts", "from": "Balance of resources", "to": None}
    # a rename to another case of the same name is allowed (it is the same code)
    assert project.rename_code("Funding cuts", "funding cuts", "JR").name == "funding cuts"


def test_move_with_sub_codes_and_back(project: Project) -> None:
    project.move_code("Balance of resources", "Clear leadership", "JR")
    assert project.codebook.path("Funding") == ("Clear leadership", "Balance of resources", "Funding")
    with pytest.raises(CodebookError, match="sub-codes"):
        project.move_code("Clear leadership", "Funding", "JR")


def test_merge_moves_every_coders_codings_keeping_coder_span_memo(project: Project) -> None:
    project.add_code("Talking", "JR")
    seg = project.segment("t1#1")
    a = project.code("t1#1", "Talking", "JR", start=seg.start, end=seg.start + 7, memo="monthly meetings")
    b = project.code("t2#1", "Talking", "AB")
    dup = project.code("t1#2", "Talking", "AB")
    project.code("t1#2", "Communication", "AB")  # AB already has the target here: no second coding
    retracted = project.code("t2#1", "Talking", "JR")
    project.retract(retracted.id, "JR")  # not active: not moved
    project.add_suggestions([Suggestion("t2#1", "Talking", 0.8, "m1"), Suggestion("t1#2", "Communication", 0.7, "m1")])
    n_before = len(project.codings(history=True))

    moved = project.merge_codes("talking", "Communication", "CD")

    assert moved == 3
    history = project.codings(history=True).set_index("id")
    assert len(history) == n_before + 2  # nothing deleted; two new codings, one folded into AB's existing one
    for old in (a, b, dup):
        assert history.loc[old.id, "status"] == "superseded"
    row = project._con.execute("SELECT status_changed_by FROM codings WHERE id = ?", (a.id,)).fetchone()
    assert row[0] == "CD"  # the merging coder decided it
    new = project.codings()
    new_a = new[new["supersedes"] == a.id].iloc[0]
    assert (new_a["code"], new_a["coder"], new_a["start"], new_a["end"]) == ("Communication", "JR", seg.start,
                                                                             seg.start + 7)
    assert new_a["memo"].startswith("monthly meetings\n[Merged into Communication by CD on ")
    assert new[new["supersedes"] == b.id].iloc[0]["coder"] == "AB"
    assert set(new["code"]) == {"Communication"}
    assert history.loc[retracted.id, "status"] == "retracted"
    # the merged code stays, saying so; its pending suggestion is set aside, the other stays pending
    assert project.codebook["Talking"].description.startswith("Merged into Communication by CD on ")
    assert list(project.suggestions("pending")["code"]) == ["Communication"]
    assert list(project.suggestions("superseded")["code"]) == ["Talking"]
    assert project.merged_codes() == {"Talking": "Communication"}
    change = project.codebook_changes().iloc[-1]
    assert (change["coder"], change["action"], change["code"]) == ("CD", "merge", "Talking")
    assert change["detail"]["codings"][2] == [dup.id, int(new[(new["segment_id"] == "t1#2")]["id"].iloc[0])]
    with pytest.raises(CodebookError, match="already merged into 'Communication' by CD"):
        project.merge_codes("Talking", "Clear leadership", "JR")  # nothing left: a second merge is refused
    with pytest.raises(CodebookError, match="itself merged into 'Communication'; merge into 'Communication'"):
        project.merge_codes("Clear leadership", "Talking", "JR")
    # the schema still refuses to delete the used, merged code
    with pytest.raises(sqlite3.IntegrityError):
        project._con.execute("DELETE FROM codes WHERE name = 'Talking'")


def test_merge_moves_sub_codes_and_a_sub_code_into_its_parent(project: Project) -> None:
    project.add_code("Money", "JR")
    project.code("t1#2", "Funding", "JR")
    assert project.merge_codes("Balance of resources", "Money", "JR") == 0
    assert project.codebook["Funding"].parent == "Money"
    assert project.merge_codes("Funding", "Money", "JR") == 1  # a sub-code into its parent
    assert list(project.codings()["code"]) == ["Money"]
    assert project.codebook_changes()["detail"].iloc[1]["children_moved"] == ["Funding"]


def test_merge_needs_a_named_coder_and_a_failed_merge_changes_nothing(project: Project) -> None:
    project.code("t1#1", "Funding", "JR")
    with pytest.raises(CodebookError, match="human coder"):
        project.merge_codes("Funding", "Communication", "")
    with pytest.raises(CodebookError, match="no code 'Nowhere'"):
        project.merge_codes("Funding", "Nowhere", "JR")
    assert list(project.codings()["code"]) == ["Funding"] and project.codebook_changes().empty


def test_code_counts_by_coder(project: Project) -> None:
    project.code("t1#1", "Communication", "JR")
    project.code("t2#1", "Communication", "JR")
    c = project.code("t2#1", "Clear leadership", "AB")
    project.retract(c.id, "AB")
    project.code("t1#2", "Funding", "AB")
    counts = project.code_counts()
    assert list(counts.columns) == ["AB", "JR", "total"]
    assert list(counts.index) == list(project.codebook.names)
    assert counts.loc["Communication"].tolist() == [0, 2, 2]
    assert counts.loc["Clear leadership"].tolist() == [0, 0, 0]  # retracted: not counted
    assert counts.loc["Funding"].tolist() == [1, 0, 1]
    with pytest.raises(CodebookError, match="by 'coder'"):
        project.code_counts(by="code")


def test_two_connections_see_each_others_edits(project: Project) -> None:
    other = Project.open(project.path)
    try:
        other.add_code("Trust", "AB")
        with pytest.raises(CodebookError, match="already in the codebook"):
            project.add_code("TRUST", "JR")
    finally:
        other.close()


def test_anonymise_choice_storage(project: Project) -> None:
    project.set_anonymise_choice("Riverside", "keep", "JR", kind="org")
    project.set_anonymise_choice("Riverside", "replace", "AB", kind="org", replacement="[VCS organisation]")
    project.set_anonymise_choice("Scrum", "keep", "JR", kind="org", replacement="ignored")
    rows = project.anonymise_choices()[["term", "choice", "replacement", "coder"]].values.tolist()
    assert rows == [["Riverside", "replace", "[VCS organisation]", "AB"], ["Scrum", "keep", "", "JR"]]
    with pytest.raises(CodebookError, match="'keep' or 'replace'"):
        project.set_anonymise_choice("Riverside", "drop", "JR")
    with pytest.raises(CodebookError, match="human coder"):
        project.set_anonymise_choice("Riverside", "keep", "")


def test_codings_error_type_unchanged_for_coding_calls(project: Project) -> None:
    # the edits raise CodebookError; the coding API keeps its own CodingError for an unknown code
    with pytest.raises(CodingError):
        project.code("t1#1", "Nowhere", "JR")

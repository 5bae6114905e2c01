"""The decision log: every workbench / review decision is logged, and undo reverses it without deleting."""

from __future__ import annotations

import threading

import pytest

from qdakit import CodingError, Project, Suggestion


def _suggest(p: Project, *pairs: tuple[str, str, float]) -> list[int]:
    p.add_suggestions([Suggestion(seg, code, score, "m1", "zero-shot") for seg, code, score in pairs])
    return [int(i) for i in p.suggestions(status="pending")["id"]][-len(pairs):]


def _count(p: Project, table: str) -> int:
    return int(p._scalar(f"SELECT count(*) FROM {table}"))


def test_accept_then_undo_retracts_the_coding_and_returns_the_suggestion(project: Project) -> None:
    (sid,) = _suggest(project, ("t1#1", "Communication", 0.8))
    d = project.decide(sid, "accept", "JR")
    assert d.kind == "accept" and d.coding_made is not None and d.suggestions == (sid,)
    assert project.codings(coder="JR")["code"].tolist() == ["Communication"]
    undone = project.undo(coder="JR")
    assert undone.id == d.id and undone.undone_by == "JR"
    assert project.codings(coder="JR").empty  # no active coding ...
    history = project.codings(history=True, coder="JR")
    assert history["status"].tolist() == ["retracted"]  # ... but nothing deleted
    assert project.suggestion(sid).status == "pending"
    with pytest.raises(CodingError, match="no decision left"):
        project.undo(coder="JR")


def test_accept_of_a_coding_the_coder_already_had_is_undone_without_touching_that_coding(project: Project) -> None:
    project.code("t1#1", "Communication", "JR")
    (sid,) = _suggest(project, ("t1#1", "Communication", 0.8))
    d = project.decide(sid, "accept", "JR")
    assert d.coding_made is None
    project.undo(coder="JR")
    assert project.codings(coder="JR")["code"].tolist() == ["Communication"]
    assert project.suggestion(sid).status == "pending"


def test_recode_and_nocode_and_their_undo(project: Project) -> None:
    a, b, c = _suggest(project, ("t1#1", "Communication", 0.8), ("t1#2", "Funding", 0.7),
                       ("t1#2", "Clear leadership", 0.4))
    project.decide(a, "recode", "JR", code="Clear leadership")
    assert project.suggestion(a).status == "rejected"
    assert project.codings(coder="JR")[["segment_id", "code"]].values.tolist() == [["t1#1", "Clear leadership"]]
    d = project.decide(b, "nocode", "JR")
    assert set(d.suggestions) == {b, c} and d.reviewed_added
    assert project.suggestion(c).status == "rejected"
    assert project.reviewed(coder="JR", uncoded=True)["segment_id"].tolist() == ["t1#2"]
    project.undo(coder="JR")  # the no-code decision
    assert project.suggestion(b).status == project.suggestion(c).status == "pending"
    assert project.reviewed(coder="JR").empty
    assert _count(project, "reviewed_undone") == 1  # the withdrawn mark is kept
    project.undo(coder="JR")  # the recode
    assert project.codings(coder="JR").empty and project.suggestion(a).status == "pending"


def test_span_coding_remove_recode_and_undo_each(project: Project) -> None:
    seg = project.segment("t1#1")
    d = project.code_span("t1#1", "Communication", "JR", start=seg.start + 3, end=seg.start + 10)
    coding = project.coding(int(d.coding_made))
    assert (coding.start, coding.end) == (seg.start + 3, seg.start + 10)
    r = project.recode_coding(coding.id, "Funding", "JR")
    new = project.coding(int(r.coding_made))
    assert (new.code, new.start, new.end) == ("Funding", coding.start, coding.end)
    rm = project.remove_coding(new.id, "JR")
    assert project.codings(coder="JR").empty and rm.coding_retracted == new.id
    project.undo(coder="JR")  # remove undone: Funding back, as a new coding with the same span
    back = project.codings(coder="JR")
    assert back[["code", "start", "end"]].values.tolist() == [["Funding", coding.start, coding.end]]
    with pytest.raises(CodingError, match="retracted since|superseded since"):
        project.undo(r.id, coder="JR")  # its coding was changed since: refused, nothing changed
    assert len(project.codings(coder="JR")) == 1


def test_a_coder_changes_and_undoes_only_their_own(project: Project) -> None:
    d = project.code_span("t1#1", "Communication", "JR")
    with pytest.raises(CodingError, match="JR's"):
        project.remove_coding(int(d.coding_made), "SM")
    with pytest.raises(CodingError, match="made by JR"):
        project.undo(d.id, coder="SM")
    with pytest.raises(CodingError, match="named|name of the human"):
        project.code_span("t1#1", "Communication", " ")


def test_deciding_what_another_coder_decided_says_who_and_stores_nothing(project: Project) -> None:
    (sid,) = _suggest(project, ("t1#1", "Communication", 0.8))
    project.decide(sid, "reject", "SM")
    before = _count(project, "decisions")
    with pytest.raises(CodingError, match="already rejected by SM"):
        project.decide(sid, "accept", "JR")
    assert _count(project, "decisions") == before and project.codings().empty


def test_two_coders_at_once_neither_lost_nor_doubled(tmp_path, project: Project) -> None:
    ids = _suggest(project, *[(f"t{t}#{i}", "Communication", 0.5) for t, i in ((1, 1), (1, 2), (2, 1))])
    path = project.path
    errors: list[str] = []

    def review(coder: str) -> None:
        with Project.open(path) as p:
            for sid in ids:
                try:
                    p.decide(sid, "accept", coder)
                except CodingError as exc:
                    errors.append(str(exc))

    threads = [threading.Thread(target=review, args=(c,)) for c in ("JR", "SM")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    accepted = project.suggestions(status="accepted")
    assert len(accepted) == len(ids)  # each decided once
    assert len(project.codings()) == len(ids)  # one coding per suggestion, never two
    assert len(errors) == len(ids)  # the other reviewer was told each time
    assert _count(project, "decisions") == len(ids)


def test_decisions_are_listed_newest_first(project: Project) -> None:
    project.code_span("t1#1", "Communication", "JR")
    project.mark_no_code("t2#1", "JR")
    log = project.decisions(coder="JR")
    assert log["kind"].tolist() == ["nocode", "code"]
    project.undo(coder="JR")
    assert project.decisions(coder="JR", include_undone=False)["kind"].tolist() == ["code"]


def test_the_project_mixins_never_shadow_each_others_methods() -> None:
    """Each mixin of Project owns its names: a shared private helper name would silently call the wrong one."""
    import inspect

    mixins = [b for b in Project.__mro__[1:] if b is not object]
    seen: dict[str, str] = {}
    for m in mixins:
        for name, _ in inspect.getmembers(m, inspect.isfunction):
            if name in vars(m) and not name.startswith("__"):
                assert name not in seen, f"{name} is defined by both {seen[name]} and {m.__name__}"
                seen[name] = m.__name__

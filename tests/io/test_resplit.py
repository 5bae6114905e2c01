"""`qdakit import --resplit TRANSCRIPT`: a transcript imported before the known-speaker rule is cut again,
only when no human decision rests on it; otherwise it refuses, says how many would have to move, and
nothing changes."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

import qdakit.io.labels as labels
from qdakit import Code, Codebook, ImportFormatError, Project, ProjectError, import_files
from qdakit.cli import app
from qdakit.io.resplit import resplit_transcript
from qdakit.model import Suggestion
from qdakit.project.audits import load_audits

_TEXT = ("[00:05] RESEARCHER: Thanks for joining. Shall we start?\n[00:09] PARTICIPANT 33: Sure, go ahead.\n"
         "[00:12] RESEARCHER: How does your team plan its work?\n28:32 PARTICIPANT 33? We plan in sprints.\n"
         "We review them every second week.\n[01:40] RESEARCHER: And the testers?\n"
         "[01:44] PARTICIPANT 33: They sit with us.\n[01:50] RESEARCHER: Thank you.\n")


@pytest.fixture
def imported_before_the_rule(tmp_path, monkeypatch):
    """A project holding s7.txt as qdakit imported it before issue 25: the answer inside the question."""
    src = tmp_path / "s7.txt"
    src.write_text(_TEXT, encoding="utf-8")
    p = Project.create(tmp_path / "p.qdakit")
    with monkeypatch.context() as m:
        m.setattr(labels, "known_speaker_rule", lambda like, mostly_timed: False)
        import_files(p, [src])
    p.load_codebook(Codebook([Code("Planning")]))
    yield p, src
    p.close()


def _segments(p):
    return [(s.id, s.speaker, s.text) for s in p.iter_segments("s7")]


def test_resplit_cuts_the_merged_turn_and_updates_the_audit(imported_before_the_rule):
    p, _ = imported_before_the_rule
    before = _segments(p)
    assert before[2][1] == "RESEARCHER" and "We plan in sprints." in before[2][2]
    assert load_audits(p)["s7"]["known_splits"] == []
    p.add_suggestions([Suggestion(segment_id="s7#2", code="Planning", score=0.9, model="m")])
    report = resplit_transcript(p, "s7")
    after = _segments(p)
    # one old segment changed (the question with the answer in it); the ones after it keep their text under the next number
    assert (report.before, report.after, report.changed) == (6, 7, ["s7#2"])
    assert after[2] == ("s7#2", "RESEARCHER", "How does your team plan its work?")
    assert after[3] == ("s7#3", "PARTICIPANT 33", "We plan in sprints.\nWe review them every second week.")
    assert report.dropped == {"pending suggestions": 1}  # machine output, counted, can be produced again
    assert p.suggestions().empty
    stored = load_audits(p)["s7"]
    assert [k["text"] for k in stored["known_splits"]] == ["28:32 PARTICIPANT 33? We plan in sprints."]
    assert stored["segments"] == 7
    # the researcher's segments are still researchers' (the is_researcher column reads the speakers)
    segs = p.segments("s7")
    assert not segs.loc[segs["id"] == "s7#3", "is_researcher"].item()


def test_resplit_refuses_when_codings_rest_on_the_transcript_and_changes_nothing(imported_before_the_rule):
    p, _ = imported_before_the_rule
    p.code("s7#0", "Planning", "JR")
    p.code("s7#4", "Planning", "JR")
    before = _segments(p)
    with pytest.raises(ProjectError, match=r"s7: re-splitting would have to move 2 human codings to new segments; "
                                           r"nothing was changed"):
        resplit_transcript(p, "s7")
    assert _segments(p) == before and len(p.codings()) == 2
    assert load_audits(p)["s7"]["known_splits"] == []


def test_resplit_refuses_a_changed_or_missing_source(imported_before_the_rule):
    p, src = imported_before_the_rule
    before = _segments(p)
    src.write_text(_TEXT.replace("28:32 PARTICIPANT 33?", "[28:32] PARTICIPANT 33:"), encoding="utf-8")
    with pytest.raises(ImportFormatError, match="no longer holds the text of s7 as imported"):
        resplit_transcript(p, "s7")
    src.unlink()
    with pytest.raises(ImportFormatError, match="its source file .*s7.txt is not there"):
        resplit_transcript(p, "s7")
    assert _segments(p) == before


def test_cli_resplit_and_its_refusal(imported_before_the_rule, monkeypatch, capsys):
    from qdakit.cli import main

    p, _ = imported_before_the_rule
    path = str(p.path)
    p.code("s7#1", "Planning", "JR")
    p.close()
    monkeypatch.setattr(sys, "argv", ["qdakit", "import", "--resplit", "s7", "-p", path])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = " ".join(capsys.readouterr().err.split())
    assert exit_.value.code == 1 and "Traceback" not in err
    assert "error: s7: re-splitting would have to move 1 human codings to new segments; nothing was changed" in err
    r = CliRunner().invoke(app, ["import", "--resplit", "s7", "extra.txt", "-p", path])
    assert r.exit_code != 0 and "either files to import or --resplit" in " ".join(r.output.split())
    with Project.open(path) as again:
        assert len(list(again.iter_segments("s7"))) == 6


def test_cli_resplit_prints_what_changed(imported_before_the_rule):
    p, _ = imported_before_the_rule
    path = str(p.path)
    p.close()
    r = CliRunner().invoke(app, ["import", "--resplit", "s7", "-p", path])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "Re-split s7: 6 segments before, 7 now; 1 old segment(s) changed (s7#2)." in out
    assert "split by the known-speaker rule: 1" in out

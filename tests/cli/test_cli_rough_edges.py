"""Issue 20: review and command-line rough edges."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from qdakit import Code, Codebook, Project, Suggestion
from qdakit.cli import app
from support import ROOT, make_transcript

runner = CliRunner()


@pytest.fixture
def proj(tmp_path):
    """Segments #0..#119 in one transcript; pending suggestions on #114, #75 and #9."""
    turns = [("Helen", f"turn {i} with [laughs] in it, and then a long tail of words to fill the line") for i in range(120)]
    t, segs = make_transcript("t", turns)
    path = tmp_path / "p.qdakit"
    with Project.create(path) as p:
        p.add_transcripts([(t, [replace(s, participant="P01") for s in segs])])
        p.load_codebook(Codebook([Code("Communication"), Code("Clear leadership")]))
        p.add_suggestions([Suggestion(f"t#{i}", "Communication", 0.9, "m", "near [x]: t#3 (0.80), t#4 (0.75), t#5")
                           for i in (114, 75, 9)])
        p.code("t#3", "Clear leadership", "JR")
        p.code("t#4", "Communication", "SM")
    return path


def test_review_prompt_is_escaped_and_segments_in_natural_order(proj):
    r = runner.invoke(app, ["review", "--coder", "JR", "-p", str(proj)], input="s\ns\ns\n")
    assert r.exit_code == 0, r.output
    assert "[a]ccept [r]eject re[c]ode [n]o code applies [s]kip [q]uit" in r.output
    assert "ccept eject" not in r.output
    order = [int(m) for m in re.findall(r"t#(\d+)  \(\d+ decided", r.output)]
    assert order == [9, 75, 114]
    assert "[laughs]" in r.output  # segment text is not read as markup either


def test_init_accepts_p_and_says_the_right_next_step(tmp_path):
    path = tmp_path / "study.qdakit"
    r = runner.invoke(app, ["init", "-p", str(path)])
    assert r.exit_code == 0 and path.exists()
    assert f"qdakit import FILES... -p {path}" in " ".join(r.output.split())


def test_init_path_wins_over_the_project_in_the_environment(tmp_path):
    other, path = tmp_path / "other.qdakit", tmp_path / "new.qdakit"
    r = runner.invoke(app, ["init", str(path)], env={"QDAKIT_PROJECT": str(other)})
    assert r.exit_code == 0, r.output
    assert path.exists() and not other.exists()
    r = runner.invoke(app, ["init", str(path), "-p", str(other)])  # two typed: which one?
    assert r.exit_code == 2 and "two project files" in r.output


def test_one_option_name_lenient_with_hidden_alias(tmp_path):
    r = runner.invoke(app, ["import", "--help"])
    assert "--lenient" in r.output and "--lenient-attributes" not in r.output
    (tmp_path / "a.txt").write_text("Helen: hello there\n", encoding="utf-8")
    (tmp_path / "attrs.csv").write_text("participant,speaker,transcript,sector\nP9,Nobody,a,LA\n", encoding="utf-8")
    for flag in ("--lenient", "--lenient-attributes"):
        proj = tmp_path / f"{flag.strip('-')}.qdakit"
        runner.invoke(app, ["init", str(proj)])
        r = runner.invoke(app, ["import", str(tmp_path / "a.txt"), "-a", str(tmp_path / "attrs.csv"), flag,
                                "-p", str(proj)])
        assert r.exit_code == 0, r.output


def test_codings_list(proj):
    r = runner.invoke(app, ["codings", "--help"])
    assert "list" in r.output
    r = runner.invoke(app, ["codings", "list", "-p", str(proj)])
    assert r.exit_code == 0 and "t#3" in r.output and "t#4" in r.output
    r = runner.invoke(app, ["codings", "list", "--coder", "SM", "-p", str(proj)])
    assert "t#4" in r.output and "t#3" not in r.output


def test_tables_use_the_terminal_width(proj):
    env = {**os.environ, "COLUMNS": "160", "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-m", "qdakit.cli", "suggestions", "-p", str(proj)], env=env,
                         capture_output=True, text=True, check=True).stdout
    widths = [len(line) for line in out.splitlines()]
    assert max(widths) > 120 and max(widths) <= 160


def test_readme_links_nothing_outside_the_repository():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../" not in text  # no link or path that leaves the repository
    for target in re.findall(r"\]\(([^)#]+)\)", text):  # relative links point at files in it
        assert target.startswith(("http://", "https://", "mailto:")) or (ROOT / target).exists(), target


def test_explain_is_a_table_not_a_dict():
    from rich.console import Console

    from qdakit.cli.suggest_cmds import explain_table

    info = {"segment_id": "t#1", "text": "x", "model": "m", "suggested": ["Communication"],
            "codes": {"Communication": {"mode": "supervised", "score": 0.91, "threshold": 0.5, "supervised": 0.9,
                                       "zero_shot": None, "similarity": 0.4, "weight": 1.0, "definition": "d",
                                       "nearest_examples": [{"segment_id": "t#3", "text": "we meet [monthly]",
                                                             "similarity": 0.8}]},
                      "Clear leadership": {"mode": "zero-shot", "score": 0.2, "threshold": 0.6, "supervised": None,
                                           "zero_shot": 0.2, "similarity": 0.2, "weight": 0.0, "definition": "",
                                           "nearest_examples": []}}}
    console = Console(width=140, record=True)
    console.print(explain_table(info))
    out = console.export_text()
    assert "{" not in out and "'" not in out
    assert out.index("Communication") < out.index("Clear leadership")  # best first
    assert "t#3 (0.80): we meet [monthly]" in out


def test_export_quotes_with_keep_list_and_ner_off(proj, tmp_path):
    import pandas as pd

    keep = tmp_path / "keep.txt"
    keep.write_text("laughs\n", encoding="utf-8")
    out = tmp_path / "quotes.csv"
    r = runner.invoke(app, ["export", "--quotes", str(out), "--keep", str(keep), "--ner", "off", "-p", str(proj)])
    assert r.exit_code == 0, r.output
    quotes = pd.read_csv(out)["quote"]
    assert quotes.str.startswith("turn ").all() and quotes.str.contains("[laughs]", regex=False).all()
    r = runner.invoke(app, ["export", "--quotes", str(out), "--ner", "everything", "-p", str(proj)])
    assert r.exit_code != 0 and "off, people, all" in r.output


def test_acronyms_option_on_export_and_report(proj, tmp_path):
    out = tmp_path / "quotes.csv"
    r = runner.invoke(app, ["export", "--quotes", str(out), "--ner", "off", "--acronyms", "keep", "-p", str(proj)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["export", "--quotes", str(out), "--acronyms", "none", "-p", str(proj)])
    assert r.exit_code != 0 and "names, keep" in r.output
    r = runner.invoke(app, ["report", "--acronyms", "none", "-p", str(proj)])
    assert r.exit_code != 0 and "names, keep" in r.output


def test_status_counts_researchers_apart(tmp_path):
    t, segs = make_transcript("t", [("Interviewer", "why?"), ("Helen", "because."), ("Kate", "and you?")])
    path = tmp_path / "s.qdakit"
    with Project.create(path) as p:
        p.add_transcripts([(t, [replace(s, participant={"Helen": "P01", "Kate": "R1"}.get(s.speaker, "R2"))
                                for s in segs])])
        p.set_participant_attributes("R1", {"role": "researcher"})
    r = runner.invoke(app, ["status", "-p", str(path)])
    rows = dict(re.findall(r"│ (participants|researchers)\s+│ (\d+)", r.output))
    assert rows == {"participants": "1", "researchers": "2"}


def test_a_losing_review_session_skips_what_another_decided_and_goes_on(proj, monkeypatch):
    """Issue 28: the second reviewer's session ended at its first collision ('already accepted by SM')."""
    from rich.prompt import Prompt

    with Project.open(proj) as p:
        first, second, third = p.suggestions(status="pending").sort_values("segment_id")["id"].tolist()  # 114, 75, 9
    answers = iter(["a", "a", "a"])
    real_ask = Prompt.ask

    def ask(*args, **kwargs):  # SM decides #9 and #75 in another session while JR looks at #9
        if "ccept" in str(args[0]) and not getattr(ask, "raced", False):
            ask.raced = True
            with Project.open(proj) as other:
                other.accept(int(third), "SM")  # the one JR is looking at: JR's accept collides
                other.reject(int(second), "SM")  # the next one: JR's session skips it without asking
        return next(answers) if "ccept" in str(args[0]) else real_ask(*args, **kwargs)

    monkeypatch.setattr(Prompt, "ask", ask)
    r = runner.invoke(app, ["review", "--coder", "JR", "-p", str(proj)])
    assert r.exit_code == 0, r.output
    assert "skipped:" in r.output and "already accepted by SM" in r.output
    assert f"suggestion {second} was rejected by SM meanwhile; skipped" in r.output
    assert "1 decisions saved as JR" in r.output
    with Project.open(proj) as p:
        s = p.suggestions().set_index("id")
        assert s.loc[first, "status"] == "accepted" and s.loc[first, "decided_by"] == "JR"
        assert s.loc[third, "decided_by"] == "SM"

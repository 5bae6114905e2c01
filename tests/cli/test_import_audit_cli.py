"""`qdakit import` prints each file's audit, `qdakit import --check` prints it in full and writes
nothing, `qdakit status` lists the transcripts whose audit has warnings."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from qdakit.cli import app

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "io"


def test_check_prints_the_full_audit_and_writes_nothing(tmp_path):
    proj = tmp_path / "p.qdakit"
    r = runner.invoke(app, ["import", "--check", str(FIXTURES / "field_notes.rtf"), str(FIXTURES / "paged.pdf"),
                            "-p", str(proj)])
    assert r.exit_code == 0, r.output
    assert not proj.exists()
    out = " ".join(r.output.split())
    assert "field_notes (" in out and "paged (" in out
    assert "non-speech page_header: 78 chars" in out  # "Allotment study - transcript 7", 26 non-blank, 3 pages
    assert "unresolved" in out and "WARNING" in out and "nothing was written" in out


def test_check_names_removed_control_characters_and_skips_a_qdpx_with_a_word(tmp_path):
    bad = tmp_path / "bell.txt"
    bad.write_bytes(b"Interviewer: Ready?\nAnn: Yes\x07 we are.\nInterviewer: Good.\nAnn: Fine.\n")
    qdpx = tmp_path / "other.qdpx"
    qdpx.write_bytes(b"PK")  # not read: --check covers transcript files
    r = runner.invoke(app, ["import", "--check", str(bad), str(qdpx), "-p", str(tmp_path / "p.qdakit")])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "warning:" in out and "bell.txt, line 2: removed 1 control" in out
    assert "other.qdpx: a REFI-QDA project is checked when imported" in out
    r = runner.invoke(app, ["import", "--check", str(qdpx), "-p", str(tmp_path / "p.qdakit")])
    assert r.exit_code == 0 and "Checked" not in r.output


def test_import_prints_the_audit_and_status_lists_warnings(tmp_path):
    proj = tmp_path / "p.qdakit"
    clean = tmp_path / "clean.txt"
    clean.write_text("Interview 2\n\nInterviewer: How do partners talk?\nAnn: We meet every month.\n"
                     "Interviewer: And?\nAnn: We also email each other a lot.\n"
                     "Interviewer: Thanks.\nAnn: You are welcome.\n")  # 3 turns each: a speaker in fewer is flagged
    assert runner.invoke(app, ["init", str(proj)]).exit_code == 0
    r = runner.invoke(app, ["import", str(clean), str(FIXTURES / "messy_da.docx"), "-p", str(proj)])
    assert r.exit_code == 0, r.output
    assert "Import audit" in r.output and "messy_da" in r.output
    assert "covers English only" in " ".join(r.output.split())
    r = runner.invoke(app, ["status", "-p", str(proj)])
    assert r.exit_code == 0, r.output
    flagged = r.output[r.output.index("Transcripts with import warnings"):]
    assert "messy_da" in flagged and "clean" not in flagged


def test_import_counts_suspected_merges_check_lists_them_and_status_names_the_transcript(tmp_path):
    proj = tmp_path / "p.qdakit"
    t = tmp_path / "fg.txt"
    t.write_text("[00:05] MODERATOR: Welcome. Let me ask the group.\nANN? Your turn first.\n"
                 "[00:09] ANN: Thanks.\n[00:12] MODERATOR: Bob?\n[00:14] BOB: Agreed.\n[00:20] MODERATOR: Good.\n"
                 "[00:25] ANN: Yes.\n[00:30] BOB: Fine.\n[00:35] ANN: Bye.\n[00:40] BOB: Bye.\n")
    assert runner.invoke(app, ["init", str(proj)]).exit_code == 0
    r = runner.invoke(app, ["import", str(t), "-p", str(proj)])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "Suspected merged turns: 1 (every segment searched); split by the known-speaker rule: 0." in out
    r = runner.invoke(app, ["import", "--check", str(t)])
    out = " ".join(r.output.split())
    assert "suspected merged turns: 1 fg#0, line 2 (character 50): 'ANN? Your turn first.'" in out
    r = runner.invoke(app, ["status", "-p", str(proj)])
    assert "Suspected merged turns in: fg (1)" in " ".join(r.output.split())

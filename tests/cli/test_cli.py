from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from qdakit.cli import app
from support import EXAMPLES, ROOT

runner = CliRunner()


def test_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in ("init", "import", "codebook", "status"):
        assert cmd in result.output


def test_init_import_status(tmp_path):
    proj = tmp_path / "p.qdakit"
    (tmp_path / "a.txt").write_text("Interviewer: Hi?\nAnn: We meet monthly.\n")
    (tmp_path / "cb.yaml").write_text("codes:\n  - name: Communication\n")
    assert runner.invoke(app, ["init", str(proj)]).exit_code == 0
    r = runner.invoke(app, ["import", str(tmp_path / "a.txt"), "-p", str(proj)])
    assert r.exit_code == 0, r.output
    assert "1 transcripts, 2 segments" in r.output
    assert runner.invoke(app, ["codebook", "load", str(tmp_path / "cb.yaml"), "-p", str(proj)]).exit_code == 0
    r = runner.invoke(app, ["status", "--speakers", "-p", str(proj)])
    assert r.exit_code == 0 and "Ann" in r.output and "codes" in r.output


def test_errors_are_one_clear_line_not_a_traceback(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    subprocess.run([sys.executable, "-m", "qdakit.cli", "init", str(tmp_path / "p.qdakit")], check=True,
                   capture_output=True)
    r = subprocess.run([sys.executable, "-m", "qdakit.cli", "import", str(tmp_path / "empty.txt"),
                        "-p", str(tmp_path / "p.qdakit")], capture_output=True, text=True)
    assert r.returncode == 1
    assert "error:" in r.stderr and "empty.txt: the file is empty" in r.stderr.replace("\n", "")
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("argv, message", [(["--nope"], "No such option: --nope"),
                                            (["batch", "--bogus", "x"], "No such option: --bogus"),
                                            (["nosuchcmd"], "No such command")])
def test_usage_errors_are_a_message_and_the_usage_line(argv, message, monkeypatch, capsys):
    from qdakit.cli import main

    monkeypatch.setattr(sys, "argv", ["qdakit", *argv])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and message in err and "Usage:" in err and "Traceback" not in err


@pytest.mark.parametrize("argv, shown", [(["--help"], "batch"), (["-h"], "batch"), (["batch", "-h"], "--backend"),
                                         (["codebook", "load", "-h"], "Usage")])
def test_help_exits_cleanly(argv, shown, monkeypatch, capsys):
    from qdakit.cli import main

    monkeypatch.setattr(sys, "argv", ["qdakit", *argv])
    try:
        main()
    except SystemExit as exit_:
        assert exit_.code in (0, None)
    assert shown in capsys.readouterr().out


def test_demo_script_runs_on_example_study(tmp_path):
    if not (EXAMPLES / "interviews").is_dir():
        pytest.skip("example interviews not present")
    env = {"PATH": f"{ROOT / '.venv' / 'bin'}:{sys.prefix}/bin:/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    r = subprocess.run(["bash", str(ROOT / "examples" / "demo.sh")], capture_output=True, text=True, env=env,
                       cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "8/8 questions located" in r.stdout


def test_qdpx_export_then_import_via_cli(tmp_path):
    src = tmp_path / "src.qdakit"
    (tmp_path / "a.txt").write_text("Interviewer: Hi?\nAnn: We meet monthly, café ☕.\nInterviewer: Ok.\nAnn: Fine.\n")
    (tmp_path / "cb.yaml").write_text("codes:\n  - name: Communication\n")
    (tmp_path / "c.csv").write_text("transcript,quote,code,coder\na,monthly,Communication,JR\n")
    for args in (["init", str(src)], ["import", str(tmp_path / "a.txt")],
                 ["codebook", "load", str(tmp_path / "cb.yaml")], ["codings", "import", str(tmp_path / "c.csv")],
                 ["export", "--qdpx", str(tmp_path / "out.qdpx"), "--quotes", str(tmp_path / "q.csv")]):
        r = runner.invoke(app, [*args, "-p", str(src)] if args[0] != "init" else args)
        assert r.exit_code == 0, (args, r.output)
    dst = tmp_path / "dst.qdakit"
    assert runner.invoke(app, ["init", str(dst)]).exit_code == 0
    r = runner.invoke(app, ["import", str(tmp_path / "out.qdpx"), "-p", str(dst)])
    assert r.exit_code == 0, r.output
    from qdakit import Project

    with Project.open(dst) as p:
        codings = p.codings()
        assert codings[["code", "coder"]].values.tolist() == [["Communication", "JR"]]
        text = p.transcript(codings.transcript_id[0]).text
        assert text[codings.start[0]:codings.end[0]] == "monthly"
    assert "monthly" in (tmp_path / "q.csv").read_text()


def test_import_qdpx_prints_the_offset_scheme_per_source(tmp_path):
    from refi_vendors import spans_in, write_vendor_qdpx

    f = write_vendor_qdpx(tmp_path / "nvivo.qdpx", "nvivo-windows")
    proj = tmp_path / "p.qdakit"
    assert runner.invoke(app, ["init", str(proj)]).exit_code == 0
    r = runner.invoke(app, ["import", str(f), "-p", str(proj)])
    assert r.exit_code == 0, r.output
    line = next(x for x in r.output.splitlines() if "source 'Interview Zsófia'" in x)
    assert "offsets in utf16 (UTF-16 units, \\r\\n as two): 100% of 14 selection starts and ends" in line
    bad = write_vendor_qdpx(tmp_path / "bad.qdpx", "nvivo-mac",
                            [("Shifted", "Ann: trust grew slowly.\n", [(s + 2, e, c, w) for s, e, c, w in spans_in(
                                "Ann: trust grew slowly.\n", [("trust grew", "Trust", "Anna")])])], memos={})
    r = runner.invoke(app, ["import", str(bad), "-p", str(proj)])
    assert r.exit_code != 0 and "do not line up" in str(r.exception)
    r = runner.invoke(app, ["import", str(bad), "-p", str(proj), "--refi-offsets", "bytes"])
    assert r.exit_code == 2 and "--refi-offsets" in r.output

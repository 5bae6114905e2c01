"""`qdakit export --quotes` anonymises by default (issue 26.3): the quotes file is what leaves the team."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from qdakit import Project
from qdakit.cli import app
from support import make_transcript

runner = CliRunner()


@pytest.fixture
def proj(tmp_path):
    path = tmp_path / "p.qdakit"
    with Project.create(path) as p:
        p.add_transcripts([make_transcript("t1", [("Interviewer", "How do partners talk?"),
                                                  ("Helen Baxter", "Helen Baxter here: we email Tom Okafor weekly.")])])
        p.set_participant_attributes("P01", {"sector": "LA"})
        p.set_segment_participant("t1#1", "P01")
        from qdakit import Code, Codebook

        p.load_codebook(Codebook([Code("Communication")]))
        p.code("t1#1", "Communication", "JR")
    return path


def test_quotes_are_anonymised_unless_asked_not_to(proj, tmp_path):
    out = tmp_path / "quotes.csv"
    r = runner.invoke(app, ["export", "--quotes", str(out), "--ner", "off", "-p", str(proj)], terminal_width=200)
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out)
    assert "Helen" not in out.read_text(encoding="utf-8-sig") and table["speaker"].tolist() == ["P01"]
    assert "[Participant P01]" in table["quote"][0] and "anonymised" in r.output
    r = runner.invoke(app, ["export", "--quotes", str(out), "--no-anonymise", "-p", str(proj)], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "Helen Baxter" in out.read_text(encoding="utf-8-sig") and "holds real names" in r.output
    r = runner.invoke(app, ["export", "--quotes", str(out), "--no-anonymise", "--keep", str(out), "-p", str(proj)])
    assert r.exit_code != 0 and "--no-anonymise" in r.output

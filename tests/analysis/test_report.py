from __future__ import annotations

import re
from dataclasses import replace

import pytest

from qdakit import Code, Codebook, CodingError, Project
from qdakit.analysis.anonymise import Anonymiser
from qdakit.analysis.report import build_report
from qdakit.embed import FakeEmbedder
from support import make_transcript


@pytest.fixture
def coded(tmp_path):
    t, segs = make_transcript("int1", [
        ("Interviewer", "How do partners communicate?"),
        ("Helen Baxter", "We meet monthly at the Town Hall and Helen Baxter sends the minutes round."),
        ("Helen Baxter", "The funding from Brightwater was cut, so staff time is very tight now."),
        ("Helen Baxter", "Linda chairs it but people see it as a council thing, honestly."),
    ])
    segs = [replace(s, participant=None if s.speaker == "Interviewer" else "P01") for s in segs]
    p = Project.create(tmp_path / "r.qdakit")
    p.add_transcripts([(replace(t, attributes={"sector": "LA", "wave": "Yr1"}), segs)])
    p.load_codebook(Codebook([Code("Communication", colour="#1b9e77", description="How partners talk."),
                              Code("Balance of resources"), Code("Clear leadership")]))
    for seg, code in [(1, "Communication"), (2, "Balance of resources"), (3, "Clear leadership")]:
        p.code(f"int1#{seg}", code, "JR")
        p.code(f"int1#{seg}", code, "SM")
    p.code("int1#1", "Clear leadership", "SM")
    yield p
    p.close()


def test_report_is_self_contained_with_plots_tables_and_anonymised_quotes(coded, tmp_path):
    anon = Anonymiser(None, participants={"Helen Baxter": "P01"}, terms={"Brightwater": "[funder]"})
    out = build_report(coded, tmp_path / "r.html", by="sector", agreement_coders=["JR", "SM"],
                       anonymiser=anon, embedder=FakeEmbedder())
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert len(re.findall(r"src='data:image/png;base64,", html)) == 3  # overall, LA, agreement (one wave only: no wave chart)
    assert not re.search(r"<(script|link)\b|src='http", html)  # nothing external
    assert "<b>Change between waves</b>: not shown; the coded segments come from one wave only (Yr1)." in html
    assert "Helen Baxter" not in html and "Brightwater" not in html
    assert "[Participant P01]" in html and "(Participant P01, LA, Yr1)" in html
    assert "JR only" in html and "Cohen&#x27;s kappa" in html
    assert (out.stat().st_mode & 0o777) == 0o644


def test_report_without_codings_is_a_clear_error(tmp_path):
    with Project.create(tmp_path / "e.qdakit") as p, pytest.raises(CodingError, match="no human codings"):
        build_report(p, tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()

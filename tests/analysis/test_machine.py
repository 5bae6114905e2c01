"""The machine as a coder on a project: verdict table, learning curves and the report section."""

from __future__ import annotations

import re

import pytest

from qdakit import CodingError
from qdakit.analysis.anonymise import Anonymiser
from qdakit.analysis.machine import machine_learning_curve, machine_section, machine_vs_humans, verdict_display
from qdakit.analysis.report import build_report
from qdakit.embed import FakeEmbedder
from support import BATCH_PARAMS, code_transcripts, partnership_project


@pytest.fixture
def coded(tmp_path):
    p = partnership_project(tmp_path / "p.qdakit", n_transcripts=5)
    code_transcripts(p, range(4), coder="JR")
    code_transcripts(p, range(4), coder="SM")
    p.retract(int(p.codings(coder="SM")["id"].iloc[-1]), "SM")  # SM leaves t3#11 uncoded: not a unit
    yield p
    p.close()


def test_machine_vs_humans_compares_on_the_units_both_coders_coded(coded):
    table = machine_vs_humans(coded, ["JR", "SM"], embedder=FakeEmbedder(dim=64), n_boot=200, **BATCH_PARAMS)
    both = set(coded.codings(coder="JR")["segment_id"]) & set(coded.codings(coder="SM")["segment_id"])
    assert table["n_units"].eq(len(both)).all() and len(both) == 23
    assert set(table["code"]) == {"Communication", "Balance of resources", "Clear leadership"}
    assert {"machine_vs_JR", "machine_vs_SM", "SM_vs_JR", "verdict", "diff_low"} <= set(table.columns)
    shown = verdict_display(table)
    assert list(shown.columns[:5]) == ["code", "units", "machine ~ JR", "machine ~ SM", "SM ~ JR"]
    assert shown["human kappa [95% CI]"].str.match(r"^-?\d\.\d\d( \[.*\])?$").all()


def test_learning_curve_has_a_point_per_code_and_share(coded):
    lc = machine_learning_curve(coded, ["JR", "SM"], fractions=(0.5, 1.0), embedder=FakeEmbedder(dim=64),
                                **BATCH_PARAMS)
    assert len(lc) == 3 * 2 and set(lc["fraction"]) == {0.5, 1.0}
    half, full = (lc[lc.fraction == f].set_index("code")["codings"] for f in (0.5, 1.0))
    assert (half < full).all()


def test_no_humans_no_section_but_a_note(tmp_path):
    p = partnership_project(tmp_path / "empty.qdakit")
    with pytest.raises(CodingError, match="no human coders"):
        machine_vs_humans(p)
    parts = machine_section(p, ["JR"])
    assert "Not available" in "".join(parts)
    p.close()


def test_report_section_machine_and_human_coders(coded, tmp_path):
    anon = Anonymiser(None, participants={}, terms={})
    out = build_report(coded, tmp_path / "r.html", agreement_coders=["JR", "SM", "machine"], anonymiser=anon,
                       embedder=FakeEmbedder(dim=64))
    html = out.read_text(encoding="utf-8")
    assert "<h2>Machine and human coders</h2>" in html
    assert "<h2>Agreement: JR vs SM</h2>" in html  # the humans' own table is still there
    assert re.search(r"For (Communication|Balance of resources|Clear leadership) (the machine|there are too few)", html)
    assert "machine kappa [95% CI]" in html and "Learning curves" in html
    assert len(re.findall(r"src='data:image/png;base64,", html)) >= 3


def test_an_unchanged_project_fits_no_model_again(coded, monkeypatch):
    """Issue 26.7: the machine's cross-validated codings and learning curves (what the report's machine section
    shows) are stored and reused while the codings and the model are unchanged; a new coding or another model
    makes them again."""
    from qdakit.suggest.suggester import CodeSuggester

    fits = []
    real_fit = CodeSuggester.fit

    def counting_fit(self, *args, **kwargs):  # noqa: ANN001, ANN202
        fits.append(1)
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(CodeSuggester, "fit", counting_fit)

    def section(embedder: FakeEmbedder) -> int:
        before = len(fits)
        verdict = machine_vs_humans(coded, ["JR", "SM"], embedder=embedder, n_boot=50, n_splits=2, **BATCH_PARAMS)
        curve = machine_learning_curve(coded, ["JR", "SM"], fractions=(0.5, 1.0), embedder=embedder, **BATCH_PARAMS)
        assert len(verdict) == 3 and len(curve) == 6
        return len(fits) - before

    first = section(FakeEmbedder(dim=64))
    assert first > 0
    again = machine_learning_curve(coded, ["JR", "SM"], fractions=(0.5, 1.0), embedder=FakeEmbedder(dim=64),
                                   **BATCH_PARAMS)
    assert section(FakeEmbedder(dim=64)) == 0  # nothing changed: nothing fitted
    before = len(fits)  # precode's verdict passes the suggester's defaults explicitly: the same run
    machine_vs_humans(coded, ["JR", "SM"], embedder=FakeEmbedder(dim=64), n_boot=50, n_splits=2, **BATCH_PARAMS,
                      target_precision=None)
    assert len(fits) == before
    assert again["kappa"].notna().any()
    coded.code("t4#1", "Communication", "JR")
    assert section(FakeEmbedder(dim=64)) > 0  # a new coding: cross-validated again
    assert section(FakeEmbedder(dim=32)) > 0  # another model too

"""Quotation table and code-by-case matrix."""

from __future__ import annotations

import pandas as pd
import pytest

from qdakit import ExportError
from qdakit.io.codings import read_codings
from qdakit.io.exports import code_by_case_matrix, quotation_table, write_quotations


@pytest.fixture
def coded(project):
    project.set_transcript_attributes("t1", {"wave": "1"})
    project.set_transcript_attributes("t2", {"wave": "2"})
    for seg, who in (("t1#1", "P1"), ("t1#2", "P1"), ("t2#1", "P2")):
        project.set_segment_participant(seg, who)
    project.set_participant_attributes("P1", {"sector": "health"})
    project.set_participant_attributes("P2", {"sector": "council"})
    s = project.segment("t1#1")
    project.code("t1#1", "Communication", coder="JR", start=s.start + 3, end=s.start + 18, memo="monthly")
    project.code("t1#2", "Funding", coder="JR")
    project.code("t2#1", "Clear leadership", coder="MK")
    old = project.code("t2#1", "Communication", coder="MK")
    project.retract(old.id, coder="MK")  # retracted codings are not quotations
    return project


def test_quotation_table_one_row_per_active_coding(coded):
    df = quotation_table(coded)
    assert len(df) == 3
    assert list(df.columns[:12]) == ["transcript", "segment_id", "speaker", "participant", "code", "theme",
                                     "coder", "quote", "start", "end", "memo", "coding_id"]
    rows = df.set_index("code")
    assert rows.loc["Communication", "quote"] == "meet monthly an"  # the span, not the segment
    assert rows.loc["Funding", "quote"] == coded.segment("t1#2").text  # whole segment
    assert rows.loc["Funding", "theme"] == "Balance of resources"
    assert rows.loc["Clear leadership", "theme"] == "Clear leadership"
    assert rows.loc["Communication", "memo"] == "monthly"
    assert rows[["participant", "sector", "wave"]].values.tolist() == [
        ["P1", "health", "1"], ["P1", "health", "1"], ["P2", "council", "2"]]
    for r in df.itertuples():  # offsets reproduce the quote
        assert coded.transcript(r.transcript).text[r.start:r.end] == r.quote


def test_quotation_table_empty_project(project):
    df = quotation_table(project)
    assert df.empty and "quote" in df.columns


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_write_quotations(tmp_path, coded, suffix):
    out = write_quotations(coded, tmp_path / f"quotes{suffix}")
    back = (pd.read_csv(out, encoding="utf-8-sig", dtype=str) if suffix == ".csv"
            else pd.read_excel(out, dtype=str))
    assert back["quote"].tolist() == quotation_table(coded)["quote"].tolist()
    assert back["coder"].tolist() == ["JR", "JR", "MK"]


def test_written_quotations_read_back_as_codings(tmp_path, coded):
    """A quotation sheet is also a codings sheet for the codings reader (by segment id)."""
    out = write_quotations(coded, tmp_path / "quotes.csv")
    again = read_codings(coded, out)
    assert sorted((c.segment_id, c.code, c.coder) for c in again) == [
        ("t1#1", "Communication", "JR"), ("t1#2", "Funding", "JR"), ("t2#1", "Clear leadership", "MK")]


def test_write_quotations_unknown_suffix(tmp_path, coded):
    with pytest.raises(ExportError, match=r"\.csv or \.xlsx"):
        write_quotations(coded, tmp_path / "quotes.pdf")
    assert not (tmp_path / "quotes.pdf").exists()


def test_code_by_case_matrix(coded):
    m = code_by_case_matrix(coded)
    assert list(m.index) == ["P1", "P2"]
    assert list(m.columns) == list(coded.codebook.names)
    assert m.to_dict("index") == {
        "P1": {"Communication": 1, "Clear leadership": 0, "Balance of resources": 0, "Funding": 1},
        "P2": {"Communication": 0, "Clear leadership": 1, "Balance of resources": 0, "Funding": 0}}
    assert set(m.values.ravel()) <= {0, 1}
    only_jr = code_by_case_matrix(coded, coder="JR")
    assert only_jr.loc["P2"].sum() == 0 and only_jr.loc["P1"].sum() == 2
    by_t = code_by_case_matrix(coded, case="transcript")
    assert by_t.loc["t2", "Clear leadership"] == 1 and by_t.loc["t1", "Clear leadership"] == 0
    by_sector = code_by_case_matrix(coded, case="sector")
    assert list(by_sector.index) == ["council", "health"] and by_sector.loc["health", "Funding"] == 1


def test_code_by_case_matrix_counts_a_code_once_per_case(coded):
    coded.code("t1#2", "Communication", coder="MK")
    m = code_by_case_matrix(coded)
    assert m.loc["P1", "Communication"] == 1


def test_code_by_case_matrix_uncoded_cases_and_bad_case(project):
    m = code_by_case_matrix(project, case="speaker")
    assert list(m.index) == ["Ann", "Bob"]  # interviewers are not cases
    assert int(m.values.sum()) == 0
    with pytest.raises(ExportError, match="no case column 'age'"):
        code_by_case_matrix(project, case="age")


def test_anonymised_quotation_export(tmp_path):
    from qdakit import Code, Codebook, Project
    from qdakit.analysis.anonymise import Anonymiser
    from qdakit.io.exports import write_quotations
    from support import make_transcript

    t, segs = make_transcript("t", [("Helen Baxter", "Helen Baxter and Riverside agreed on it.")])
    with Project.create(tmp_path / "a.qdakit") as p:
        from dataclasses import replace

        p.add_transcripts([(t, [replace(s, participant="P01") for s in segs])])
        p.load_codebook(Codebook([Code("Communication")]))
        p.code("t#0", "Communication", "JR")
        out = write_quotations(p, tmp_path / "q.csv",
                               anonymiser=Anonymiser(None, participants={"Helen Baxter": "P01"},
                                                     terms={"Riverside": "[VCS organisation]"}))
    text = out.read_text(encoding="utf-8-sig")
    assert "Helen" not in text and "Riverside" not in text
    assert "[Participant P01] and [VCS organisation] agreed on it." in text

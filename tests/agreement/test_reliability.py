from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from qdakit import CodingError, Suggestion
from qdakit.agreement.reliability import agreement, codings_for, disagreement_table, resolve, resolve_from_table
from qdakit.cli import app


@pytest.fixture
def coded(project):
    # JR and SM both code the three participant segments; they differ on t1#2
    for seg, jr, sm in [("t1#1", ["Communication"], ["Communication"]),
                        ("t1#2", ["Funding"], ["Funding", "Clear leadership"]),
                        ("t2#1", ["Clear leadership"], ["Clear leadership"])]:
        for c in jr:
            project.code(seg, c, "JR")
        for c in sm:
            project.code(seg, c, "SM")
    return project


def test_segment_agreement_counts_by_hand(coded):
    table = agreement(coded, ["JR", "SM"], metrics=("percent", "cohen")).set_index("code")
    # 3 units x 3 codes used; one disagreement (Clear leadership on t1#2)
    assert table.loc["(pooled)", "n_units"] == 9
    assert table.loc["Clear leadership", "only_b"] == 1
    assert table.loc["(pooled)", "percent"] == pytest.approx(8 / 9)
    assert table.loc["Communication", "percent"] == 1.0


def test_disagreements_and_resolution_keep_original_codings(coded, tmp_path):
    dis = disagreement_table(coded, ["JR", "SM"])
    assert dis["segment_id"].tolist() == ["t1#2"]
    assert "agreed_codes" in dis.columns
    dis.loc[0, "agreed_codes"] = "Funding; Clear leadership"
    path = tmp_path / "dis.csv"
    dis.to_csv(path, index=False)
    before = coded.codings()
    added = resolve_from_table(coded, path, coder="Lead")
    assert sorted(c.code for c in added) == ["Clear leadership", "Funding"]
    after = coded.codings()
    assert len(after) == len(before) + 2
    pd.testing.assert_frame_equal(after[after.coder != "Lead"].reset_index(drop=True), before)


def test_resolution_needs_known_code_and_resolver(coded, tmp_path):
    path = tmp_path / "dis.csv"
    pd.DataFrame({"segment_id": ["t1#2"], "agreed_codes": ["Nonsense"]}).to_csv(path, index=False)
    with pytest.raises(CodingError, match="line 2: agreed code 'Nonsense'"):
        resolve_from_table(coded, path, coder="Lead")
    with pytest.raises(CodingError, match="name of the person"):
        resolve(coded, "t1#2", ["Funding"], coder="")


def test_machine_is_its_stored_out_of_fold_codings_on_the_units_humans_read(coded):
    with pytest.raises(CodingError, match="no machine codings"):
        codings_for(coded, ["JR", "machine"])
    coded.add_suggestions([Suggestion("t1#1", "Funding", 0.99, "m")])  # a suggestion is not a machine coding
    machine = pd.DataFrame({"segment_id": ["t1#1", "t1#2", "t2#1"], "code": ["Communication", "Funding", None],
                            "score": [0.9, 0.7, None], "model": "fold-model", "fold": [0, 0, 1]})
    coded.set_machine_codings(machine, run="crossval:test", labels="x")
    frame = codings_for(coded, ["JR", "SM", "machine"])
    mine = frame[frame.coder == "machine"]
    assert mine["segment_id"].tolist() == ["t1#1", "t1#2", "t2#1"] and mine["code"].isna().tolist() == [0, 0, 1]
    table = agreement(coded, ["JR", "machine"], metrics=("percent",)).set_index("code")
    # all three segments are units (the machine read t2#1 and found nothing): it misses Clear leadership there
    assert table.loc["(pooled)", "n_segments"] == 3
    assert table.loc["Clear leadership", "only_a"] == 1 and table.loc["Communication", "percent"] == 1.0
    with pytest.raises(CodingError, match="no codings by XY"):
        codings_for(coded, ["JR", "XY"])


def test_a_reviewed_segment_without_codes_is_a_unit_where_every_code_is_absent(coded):
    coded.mark_reviewed(["t1#0"], "JR")  # JR read the interviewer's turn: no code applies
    coded.mark_reviewed(["t1#0"], "SM")
    table = agreement(coded, ["JR", "SM"], metrics=("percent",)).set_index("code")
    assert table.loc["(pooled)", "n_segments"] == 4  # three coded segments and the reviewed one
    assert table.loc["Communication", "percent"] == 1.0


def test_cli_agree_writes_disagreements(coded, tmp_path):
    out = tmp_path / "dis.csv"
    r = CliRunner().invoke(app, ["agree", "-c", "JR", "-c", "SM", "-p", str(coded.path), "--out", str(out),
                                 "-m", "percent", "-m", "cohen"])
    assert r.exit_code == 0, r.output
    assert "(pooled)" in r.output and "0.889" in r.output
    assert pd.read_csv(out)["segment_id"].tolist() == ["t1#2"]
    r = CliRunner().invoke(app, ["agree", "-c", "JR", "-c", "SM", "-p", str(coded.path), "-m", "nope"])
    assert r.exit_code != 0

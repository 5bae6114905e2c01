"""Segment-level agreement and the disagreement table, on a small hand-made project."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

from qdakit.agreement import (
    AgreementError,
    cohen_kappa,
    disagreements,
    gwet_ac1,
    krippendorff_alpha,
    segment_agreement,
)
from qdakit.agreement.coding import metric_columns
from qdakit.errors import UndefinedStatisticWarning

# s1-s3 in t1, s4-s7 in t2. ann coded s1, s2, s3, s5, s6; bob coded s1, s2, s3, s4, s6;
# nobody coded s7. Code sets:
#   s1 ann {cost}        bob {cost}
#   s2 ann {cost, trust} bob {trust}
#   s3 ann {trust}       bob {trust}
#   s4 ann -             bob {cost}
#   s5 ann {cost}        bob -
#   s6 ann {trust}       bob {cost}
SEGMENTS = pd.DataFrame({
    "id": [f"s{i}" for i in range(1, 8)],
    "transcript_id": ["t1", "t1", "t1", "t2", "t2", "t2", "t2"],
    "index": [0, 1, 2, 0, 1, 2, 3],
    "speaker": ["P1", "P2", "P1", "P3", "P3", "P4", "P4"],
    "participant": ["P1", "P2", "P1", "P3", "P3", "P4", "P4"],
    "question": ["Q1", "Q1", "Q2", "Q1", "Q2", "Q2", "Q2"],
    "text": ["It costs a lot.", "Money, and we trust them.", "We trust them.", "Too dear.",
             "Budget cuts.", "I believe them.", "Thanks."],
    "start": [0, 16, 42, 0, 10, 23, 39],
    "end": [15, 41, 56, 9, 22, 38, 46],
    "sector": ["LA", "LA", "VCS", "VCS", "VCS", "LA", None],
})
CODINGS = pd.DataFrame(
    [("s1", "cost", "ann"), ("s1", "cost", "bob"), ("s2", "cost", "ann"), ("s2", "trust", "ann"),
     ("s2", "trust", "bob"), ("s3", "trust", "ann"), ("s3", "trust", "bob"), ("s4", "cost", "bob"),
     ("s5", "cost", "ann"), ("s6", "trust", "ann"), ("s6", "cost", "bob")],
    columns=["segment_id", "code", "coder"],
).assign(id=lambda d: np.arange(len(d)), transcript_id=lambda d: d["segment_id"].map(
    dict(zip(SEGMENTS["id"], SEGMENTS["transcript_id"], strict=True))), start=None, end=None, memo="")
CODEBOOK = pd.DataFrame({"name": ["cost", "trust"],
                         "description": ["Money, price, budget.", "Confidence in partners."]})


def kappa(both, only_a, only_b, neither):
    n = both + only_a + only_b + neither
    pa, pb, po = (both + only_a) / n, (both + only_b) / n, (both + neither) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return (po - pe) / (1 - pe)


def test_per_code_and_pooled_by_hand():
    table = segment_agreement(SEGMENTS, CODINGS, ["ann", "bob"])
    assert table["code"].tolist() == ["cost", "trust", "(pooled)"]
    # units: s1, s2, s3, s6 (coded by both)
    assert table["n_segments"].tolist() == [4, 4, 4]
    assert table["n_units"].tolist() == [4, 4, 8]
    assert table["all_present"].tolist() == [1, 2, 3]
    assert table["only_a"].tolist() == [1, 1, 2]
    assert table["only_b"].tolist() == [1, 0, 1]
    assert table["none_present"].tolist() == [1, 1, 2]
    assert table["mixed"].tolist() == [2, 1, 3]
    assert table["percent"].tolist() == pytest.approx([0.5, 0.75, 0.625])
    assert table["cohen"].tolist() == pytest.approx([kappa(1, 1, 1, 1), kappa(2, 1, 0, 1), kappa(3, 2, 1, 2)])
    assert table["cohen"].tolist() == pytest.approx([0.0, 0.5, 0.25])
    cost = [[1, 1], [1, 0], [0, 0], [0, 1]]
    assert table.loc[0, "krippendorff"] == pytest.approx(krippendorff_alpha(cost).value)
    assert table.loc[0, "gwet_ac1"] == pytest.approx(gwet_ac1(cost).value)
    assert table.attrs["coders"] == ["ann", "bob"]


def test_units_options():
    anyone = segment_agreement(SEGMENTS, CODINGS, ["ann", "bob"], units="coded_by_any", metrics=["percent"])
    assert anyone["n_segments"].tolist() == [6, 6, 6]  # s4 and s5 join; a coder who skipped a segment finds no code
    assert anyone.loc[0, ["only_a", "only_b"]].tolist() == [2, 2]
    everything = segment_agreement(SEGMENTS, CODINGS, ["ann", "bob"], units="all", metrics=["percent"])
    assert everything["n_segments"].tolist() == [7, 7, 7]
    assert everything.loc[0, "none_present"] == 2  # s3 and s7
    with pytest.raises(AgreementError, match="units must be one of"):
        segment_agreement(SEGMENTS, CODINGS, ["ann", "bob"], units="both")


def test_by_transcript_pools_each_groups_codes():
    table = segment_agreement(SEGMENTS, CODINGS, ["ann", "bob"], by="transcript", metrics=["percent", "cohen"])
    assert table["transcript_id"].tolist() == ["t1", "t2", "(all)"]
    assert table["n_segments"].tolist() == [3, 1, 4]
    assert table["n_units"].tolist() == [6, 2, 8]
    assert table["percent"].tolist() == pytest.approx([5 / 6, 0.0, 0.625])
    assert table.loc[0, "cohen"] == pytest.approx(kappa(3, 1, 0, 2))
    assert table.loc[1, "cohen"] == pytest.approx(-1.0)
    assert table.loc[2, "cohen"] == pytest.approx(0.25)


def test_by_attribute_warns_once_for_undefined_rows():
    with pytest.warns(UndefinedStatisticWarning, match=r"1 row\(s\).*VCS \(cohen, krippendorff, gwet_ac1\)"):
        table = segment_agreement(SEGMENTS, CODINGS, ["ann", "bob"], by="sector")
    assert table["sector"].tolist() == ["LA", "VCS", "(all)"]
    assert table.loc[1, "n_units"] == 1  # s3, code trust only
    assert np.isnan(table.loc[1, "cohen"]) and table.loc[1, "percent"] == 1.0
    by_question = segment_agreement(SEGMENTS, CODINGS, ["ann", "bob"], by="question", metrics=["percent"])
    assert by_question["question"].tolist() == ["Q1", "Q2", "(all)"]


def test_missing_group_values_are_labelled():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedStatisticWarning)
        table = segment_agreement(SEGMENTS, CODINGS, ["ann", "bob"], by="sector", units="all", metrics=["percent"])
    assert "(missing)" in table["sector"].tolist()


def test_codes_argument_and_unused_codes():
    with pytest.warns(UndefinedStatisticWarning, match="unused"):
        table = segment_agreement(SEGMENTS, CODINGS, ["ann", "bob"], codes=["trust", "unused"])
    assert table["code"].tolist() == ["trust", "unused", "(pooled)"]
    assert table.loc[1, "percent"] == 1.0 and np.isnan(table.loc[1, "cohen"])
    assert table.loc[1, "gwet_ac1"] == 1.0  # AC1 stays defined: categories are {0, 1}


def test_three_coders():
    extra = pd.concat([CODINGS, pd.DataFrame({"segment_id": ["s1", "s2", "s3", "s6"],
                                              "code": ["cost", "trust", "trust", "trust"], "coder": "cy"})])
    table = segment_agreement(SEGMENTS, extra, ["ann", "bob", "cy"], metrics=["percent", "fleiss", "krippendorff"])
    assert "only_a" not in table.columns and table.notna().all().all()  # no column of NA
    assert table.loc[0, "mixed"] == 2
    assert table[["only ann", "only bob", "only cy"]].dtypes.map(lambda d: d.kind == "i").all()


def test_three_coders_get_cohen_per_pair_beside_the_all_coder_metrics():
    extra = pd.concat([CODINGS, pd.DataFrame({"segment_id": ["s1", "s2", "s3", "s6"],
                                              "code": ["cost", "trust", "trust", "trust"], "coder": "cy"})])
    coders = ["ann", "bob", "cy"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedStatisticWarning)
        table = segment_agreement(SEGMENTS, extra, coders, metrics=["cohen", "fleiss"])
        # each pair's kappa on the units all three coded, as the two-coder table of those units gives it
        all_coded = set.intersection(*(set(extra.loc[extra.coder == c, "segment_id"]) for c in coders))
        units = SEGMENTS[SEGMENTS["id"].isin(all_coded)]
        for a, b in [("ann", "bob"), ("ann", "cy"), ("bob", "cy")]:
            pair = segment_agreement(units, extra, [a, b], metrics=["cohen"], codes=table["code"].iloc[:-1].tolist())
            np.testing.assert_allclose(table[f"cohen {a}~{b}"], pair["cohen"], equal_nan=True)
    assert metric_columns(["percent", "cohen", "fleiss"], coders) == [
        "percent", "cohen ann~bob", "cohen ann~cy", "cohen bob~cy", "fleiss"]
    assert list(table.columns[-4:]) == ["cohen ann~bob", "cohen ann~cy", "cohen bob~cy", "fleiss"]


def test_argument_errors():
    with pytest.raises(AgreementError, match="made no codings.*ann"):
        segment_agreement(SEGMENTS, CODINGS, ["ann", "zoe"])
    with pytest.raises(AgreementError, match="at least 2 different coders"):
        segment_agreement(SEGMENTS, CODINGS, ["ann", "ann"])
    with pytest.raises(AgreementError, match="unknown metric"):
        segment_agreement(SEGMENTS, CODINGS, ["ann", "bob"], metrics=["kappa"])
    with pytest.raises(AgreementError, match="cannot group by 'wave'"):
        segment_agreement(SEGMENTS, CODINGS, ["ann", "bob"], by="wave")
    with pytest.raises(AgreementError, match="lacks column"):
        segment_agreement(SEGMENTS.drop(columns="id"), CODINGS, ["ann", "bob"])


def test_machine_as_a_coder_and_subset_of_segments():
    machine = CODINGS[CODINGS["coder"] == "ann"].assign(coder="model")
    both = pd.concat([CODINGS, machine])
    table = segment_agreement(SEGMENTS, both, ["ann", "model"], metrics=["percent", "cohen"])
    assert table["percent"].tolist() == [1.0, 1.0, 1.0]
    only_t1 = segment_agreement(SEGMENTS[SEGMENTS["transcript_id"] == "t1"], CODINGS, ["ann", "bob"],
                                metrics=["percent"])
    assert only_t1.loc[2, "n_segments"] == 3


def test_pooled_equals_cohen_on_stacked_presence():
    table = segment_agreement(SEGMENTS, CODINGS, ["ann", "bob"], metrics=["cohen"])
    stacked = [[1, 1], [1, 0], [0, 0], [0, 1], [0, 0], [1, 1], [1, 1], [1, 0]]
    assert table.loc[2, "cohen"] == pytest.approx(cohen_kappa(stacked).value)


def test_disagreement_table():
    table = disagreements(SEGMENTS, CODINGS, ["ann", "bob"], CODEBOOK)
    assert table["segment_id"].tolist() == ["s2", "s6"]
    assert table.columns.tolist() == ["segment_id", "transcript_id", "index", "speaker", "text", "codes_ann",
                                      "codes_bob", "only_ann", "only_bob", "disputed", "definitions"]
    assert table.loc[0, "codes_ann"] == "cost; trust"
    assert table.loc[0, "codes_bob"] == "trust"
    assert table.loc[0, "only_ann"] == "cost" and table.loc[0, "only_bob"] == ""
    assert table.loc[1, ["only_ann", "only_bob", "disputed"]].tolist() == ["trust", "cost", "cost; trust"]
    assert table.loc[1, "definitions"] == "cost: Money, price, budget.\ntrust: Confidence in partners."
    assert table.loc[0, "text"] == "Money, and we trust them."
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    assert pd.read_csv(io.StringIO(buffer.getvalue()))["segment_id"].tolist() == ["s2", "s6"]


def test_disagreement_table_options():
    anyone = disagreements(SEGMENTS, CODINGS, ["ann", "bob"], units="coded_by_any")
    assert anyone["segment_id"].tolist() == ["s2", "s4", "s5", "s6"]
    assert "definitions" not in anyone.columns
    only_cost = disagreements(SEGMENTS, CODINGS, ["ann", "bob"], codes=["cost"])
    assert only_cost["segment_id"].tolist() == ["s2", "s6"]
    partial = disagreements(SEGMENTS, CODINGS, ["ann", "bob"], CODEBOOK.iloc[:1])
    assert partial.loc[1, "definitions"].endswith("trust: (not in the codebook)")
    with pytest.raises(AgreementError, match="codebook"):
        disagreements(SEGMENTS, CODINGS, ["ann", "bob"], CODEBOOK.rename(columns={"name": "code"}))


def test_no_disagreement_gives_an_empty_table():
    same = pd.concat([CODINGS[CODINGS["coder"] == "ann"], CODINGS[CODINGS["coder"] == "ann"].assign(coder="bob")])
    table = disagreements(SEGMENTS, same, ["ann", "bob"])
    assert table.empty and "codes_bob" in table.columns

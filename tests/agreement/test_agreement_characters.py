"""Character-level agreement (NVivo's coding comparison) and unitizing alpha."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from qdakit.agreement import AgreementError, character_agreement, unitizing_alpha
from qdakit.errors import UndefinedStatisticWarning


def project(codings, lengths=None):
    """One segment per 100 characters of each transcript."""
    lengths = lengths or {"doc": 1000}
    segments = pd.DataFrame([
        {"id": f"{t}-{i}", "transcript_id": t, "index": i, "start": s, "end": min(s + 100, n)}
        for t, n in lengths.items() for i, s in enumerate(range(0, n, 100))
    ])
    frame = pd.DataFrame(codings, columns=["segment_id", "code", "coder", "start", "end"])
    frame["start"] = frame["start"].astype("Int64")
    frame["end"] = frame["end"].astype("Int64")
    frame["id"] = np.arange(len(frame))
    return lengths, segments, frame


def test_nvivo_help_example():
    # NVivo help: a 1000-character source, 50 characters coded by both users, 150 by
    # one of them, 800 by neither: percentage agreement (800 + 50) / 1000 = 85%.
    lengths, segments, codings = project([("doc-0", "x", "A", 0, 100), ("doc-1", "x", "A", 100, 150),
                                          ("doc-1", "x", "B", 100, 200)])
    table = character_agreement(lengths, segments, codings, ["A", "B"])
    row = table.iloc[0]
    assert (row["both_chars"], row["only_a_chars"], row["only_b_chars"], row["neither_chars"]) == (50, 100, 50, 800)
    assert row["agree_chars"] == 850 and row["disagree_chars"] == 150
    assert row["agreement"] == pytest.approx(0.85)
    # kappa: p_A = 0.15, p_B = 0.10, p_e = 0.015 + 0.765 = 0.78
    assert row["kappa"] == pytest.approx((0.85 - 0.78) / (1 - 0.78))


def test_kappa_is_cohen_over_characters():
    lengths, segments, codings = project(
        [("doc-0", "x", "A", None, None), ("doc-2", "x", "A", 230, 260), ("doc-2", "x", "B", 210, 290),
         ("doc-5", "x", "B", 500, 580), ("doc-0", "y", "A", 10, 20), ("doc-0", "y", "B", 15, 25)])
    table = character_agreement(lengths, segments, codings, ["A", "B"])
    a, b = np.zeros(1000, int), np.zeros(1000, int)
    a[0:100] = a[230:260] = 1
    b[210:290] = b[500:580] = 1
    x = table[(table["code"] == "x") & (table["transcript_id"] == "doc")].iloc[0]
    assert x["kappa"] == pytest.approx(cohen_kappa_score(a, b))
    assert x["agreement"] == pytest.approx(np.mean(a == b))
    starts_a = [(0, 100), (230, 260)]
    assert x["u_alpha"] == pytest.approx(unitizing_alpha([starts_a, [(210, 290), (500, 580)]], 1000).value)


def test_whole_segment_codings_and_overlaps_count_once():
    lengths, segments, codings = project([("doc-3", "x", "A", None, None), ("doc-3", "x", "A", 320, 340),
                                          ("doc-3", "x", "B", 300, 400)])
    row = character_agreement(lengths, segments, codings, ["A", "B"]).iloc[0]
    assert row["a_chars"] == 100 and row["both_chars"] == 100
    assert row["kappa"] == pytest.approx(1.0) and row["u_alpha"] == pytest.approx(1.0)


def test_rows_per_transcript_and_pooled_over_characters():
    lengths = {"t1": 400, "t2": 600, "t3": 300}
    lengths, segments, codings = project([
        ("t1-0", "x", "A", 0, 50), ("t1-0", "x", "B", 0, 60), ("t2-1", "x", "A", 100, 200),
        ("t2-2", "y", "B", 200, 300), ("t3-0", "y", "A", 0, 10),  # t3: only A coded -> out of scope
    ], lengths)
    table = character_agreement(lengths, segments, codings, ["A", "B"])
    assert table[["code", "transcript_id"]].values.tolist() == [["x", "t1"], ["x", "t2"], ["x", "(all)"],
                                                              ["y", "t2"], ["y", "(all)"]]
    pooled = table.iloc[2]
    assert pooled["n_chars"] == 1000  # t1 + t2
    assert (pooled["a_chars"], pooled["b_chars"], pooled["both_chars"]) == (150, 60, 50)
    assert table.iloc[4]["n_chars"] == 1000
    everything = character_agreement(lengths, segments, codings, ["A", "B"], transcripts="all")
    assert everything[everything["transcript_id"] == "(all)"]["n_chars"].tolist() == [1300, 1300]
    assert ("y", "t3") in set(map(tuple, everything[["code", "transcript_id"]].values.tolist()))


def test_groups_of_coders():
    lengths, segments, codings = project([("doc-0", "x", "A", 0, 40), ("doc-0", "x", "C", 30, 80),
                                          ("doc-0", "x", "B", 0, 80)])
    row = character_agreement(lengths, segments, codings, [["A", "C"], "B"]).iloc[0]
    assert row["a_chars"] == 80 and row["kappa"] == pytest.approx(1.0)


def test_undefined_when_both_code_everything():
    lengths, segments, codings = project([("doc-0", "x", "A", None, None), ("doc-0", "x", "B", None, None)],
                                         {"doc": 100})
    with pytest.warns(UndefinedStatisticWarning, match="undefined kappa"):
        table = character_agreement(lengths, segments, codings, ["A", "B"])
    assert table.iloc[0]["agreement"] == 1.0 and np.isnan(table.iloc[0]["kappa"])


def test_input_errors():
    lengths, segments, codings = project([("doc-0", "x", "A", 0, 2000), ("doc-0", "x", "B", 0, 10)])
    with pytest.raises(AgreementError, match="outside transcript 'doc'"):
        character_agreement(lengths, segments, codings, ["A", "B"])
    lengths, segments, codings = project([("doc-0", "x", "A", 0, 20), ("doc-0", "x", "B", 0, 10)])
    with pytest.raises(AgreementError, match="two coders"):
        character_agreement(lengths, segments, codings, ["A", "B", "A"])
    with pytest.raises(AgreementError, match="both sides"):
        character_agreement(lengths, segments, codings, [["A", "B"], "B"])
    with pytest.raises(AgreementError, match="made no codings"):
        character_agreement(lengths, segments, codings, ["A", "Z"])
    with pytest.raises(AgreementError, match="transcripts must be"):
        character_agreement(lengths, segments, codings, ["A", "B"], transcripts="some")


def test_codes_argument_and_empty_result():
    lengths, segments, codings = project([("doc-0", "x", "A", 0, 20), ("doc-0", "x", "B", 0, 10)])
    assert character_agreement(lengths, segments, codings, ["A", "B"], codes=["x"]).shape[0] == 2
    empty = character_agreement({"other": 10}, segments, codings, ["A", "B"])
    assert empty.empty and "kappa" in empty.columns

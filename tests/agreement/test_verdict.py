"""The machine as a second coder: binary kappas, bootstrap intervals and the per-code verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from qdakit.agreement import AgreementError
from qdakit.agreement.verdict import binary_kappas, machine_verdict, pairwise_kappas, verdict_sentences


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=2, max_size=40))
def test_binary_kappa_matches_scikit_learn(pairs):
    X = np.array(pairs)
    k = binary_kappas(X, [(0, 1)])[0, 0]
    if len(set(X[:, 0])) == 1 and len(set(X[:, 1])) == 1 and X[0, 0] == X[0, 1]:
        assert np.isnan(k)  # both constant and equal: undefined
    else:
        assert k == pytest.approx(cohen_kappa_score(X[:, 0], X[:, 1]), abs=1e-12)
        assert k <= 1 + 1e-12


def test_bootstrap_weights_reproduce_a_resample():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 2, size=(30, 3))
    idx = rng.integers(0, 30, size=30)
    w = np.bincount(idx, minlength=30)[None, :]
    got = binary_kappas(X, [(0, 1), (1, 2)], w)[0]
    want = [cohen_kappa_score(X[idx, 0], X[idx, 1]), cohen_kappa_score(X[idx, 1], X[idx, 2])]
    assert got == pytest.approx(want)


def _codings(truth_a, truth_b, machine, code="Funding"):
    rows = []
    for i, (a, b, m) in enumerate(zip(truth_a, truth_b, machine, strict=True)):
        for coder, v in (("JR", a), ("SM", b), ("machine", m)):
            rows.append({"segment_id": f"s{i}", "code": code if v else None, "coder": coder})
    return pd.DataFrame(rows)


def test_a_machine_copying_one_coder_is_as_good_as_the_other():
    rng = np.random.default_rng(0)
    a = rng.random(120) < 0.3
    b = a ^ (rng.random(120) < 0.1)  # SM differs from JR on about a tenth
    m = b.copy()  # the machine codes exactly like SM
    v = machine_verdict(_codings(a, b, m), ["JR", "SM"], n_boot=300).set_index("code")
    row = v.loc["Funding"]
    assert row["n_units"] == 120
    assert row["machine_vs_JR"] == pytest.approx(row["SM_vs_JR"])  # the machine stands in for SM
    assert row["machine_vs_SM"] == pytest.approx(1.0)
    assert row["diff_low"] <= 0 <= row["diff_high"] or row["diff_low"] > 0
    assert row["verdict"] == "as humans"
    assert "the machine agrees with JR about as well as SM does" in verdict_sentences(v.reset_index())[0]


def test_a_random_machine_is_guessing_and_a_silent_one_never_applied():
    rng = np.random.default_rng(0)
    a = rng.random(100) < 0.4
    v = machine_verdict(_codings(a, a, rng.random(100) < 0.4), ["JR", "SM"], n_boot=300)
    assert v.loc[0, "machine_low"] <= 0 <= v.loc[0, "machine_high"]
    assert v.loc[0, "verdict"] == "guessing"
    silent = machine_verdict(_codings(a, a, np.zeros(100, bool)), ["JR", "SM"], n_boot=100)
    assert silent.loc[0, "verdict"] == "never applied"
    assert "never applied" in verdict_sentences(silent)[0]


def test_clearly_worse_than_the_humans_is_below_humans():
    rng = np.random.default_rng(2)
    a = rng.random(400) < 0.5
    m = a ^ (rng.random(400) < 0.3)  # right 70% of the time; the humans agree fully
    v = machine_verdict(_codings(a, a, m), ["JR", "SM"], n_boot=300)
    assert v.loc[0, "machine_low"] > 0 and v.loc[0, "diff_high"] < 0
    assert v.loc[0, "verdict"] == "below humans"


def test_units_are_the_segments_every_coder_read():
    frame = _codings([1, 0, 1, 0], [1, 0, 0, 0], [1, 0, 1, 0])
    frame = pd.concat([frame, pd.DataFrame([{"segment_id": "only-JR", "code": "Funding", "coder": "JR"}])])
    v = machine_verdict(frame, ["JR", "SM"], n_boot=50)
    assert v.loc[0, "n_units"] == 4  # "only-JR" was not read by SM nor the machine
    pk = pairwise_kappas(frame, ["JR", "SM", "machine"], n_boot=50)
    assert set(zip(pk.coder_a, pk.coder_b, strict=True)) == {("JR", "SM"), ("JR", "machine"), ("SM", "machine")}
    assert pk["n_units"].eq(4).all()


def test_one_human_gives_no_human_level_and_bad_input_names_the_fix():
    a = np.r_[np.ones(30, bool), np.zeros(30, bool)]
    rows = [{"segment_id": f"s{i}", "code": "Funding" if v else None, "coder": c}
            for i, v in enumerate(a) for c in ("JR", "machine")]
    v = machine_verdict(pd.DataFrame(rows), ["JR"], n_boot=100)
    assert v.loc[0, "verdict"] == "no human level" and np.isnan(v.loc[0, "human_kappa"])
    with pytest.raises(AgreementError, match="coded or read no segment"):
        machine_verdict(pd.DataFrame(rows), ["JR", "SM"])
    with pytest.raises(AgreementError, match="besides 'machine'"):
        machine_verdict(pd.DataFrame(rows), ["machine"])


def test_a_code_only_the_machine_applied_says_so():
    none = np.zeros(40, bool)
    v = machine_verdict(_codings(none, none, np.r_[np.ones(5, bool), np.zeros(35, bool)]), ["JR", "SM"], n_boot=50)
    assert v.loc[0, "verdict"] == "only the machine" and v.loc[0, "machine_present"] == 5
    assert "only the machine applied the code (5 of 40 units)" in verdict_sentences(v)[0]


def test_too_few_coded_units_get_no_verdict_and_no_interval():
    """Issue 26.5: a kappa of 1.00 [1.00, 1.00] from two positive units in one transcript is not a verdict."""
    from qdakit.analysis.machine import verdict_display

    def study(n_transcripts: int, positives_each: int) -> pd.DataFrame:
        rows = []
        for t in range(n_transcripts):
            for i in range(8):
                code = "cost" if i < positives_each else None
                rows += [{"segment_id": f"t{t}#{i}", "transcript_id": f"t{t}", "code": code, "coder": c}
                         for c in ("A", "B", "machine")]
        return pd.DataFrame(rows)

    few = machine_verdict(study(1, 2), ["A", "B"], n_boot=200)
    assert few.loc[0, "machine_kappa"] == 1.0 and few.loc[0, "verdict"] == "too few to judge"
    shown = verdict_display(few).iloc[0]
    assert "[" not in shown["machine kappa [95% CI]"] and "[" not in shown["difference [95% CI]"]
    assert "too few coded units" in verdict_sentences(few)[0]
    assert machine_verdict(study(2, 6), ["A", "B"], n_boot=200).loc[0, "verdict"] == "too few to judge"  # 2 transcripts
    enough = machine_verdict(study(4, 3), ["A", "B"], n_boot=200)
    assert enough.loc[0, "human_present"] == 12 and enough.loc[0, "human_transcripts"] == 4
    assert enough.loc[0, "verdict"] == "as humans"

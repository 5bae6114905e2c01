"""Undefined statistics, bad input, the result type and the bootstrap."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

from qdakit.agreement import (
    AgreementError,
    AgreementResult,
    bootstrap,
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    gwet_ac2,
    krippendorff_alpha,
    pairwise,
    percent_agreement,
    scott_pi,
    unitizing_alpha,
)
from qdakit.errors import QdakitError, UndefinedStatisticWarning

CHANCE_CORRECTED = [fleiss_kappa, conger_kappa, gwet_ac1, brennan_prediger, krippendorff_alpha,
                    cohen_kappa, scott_pi]


@pytest.mark.parametrize("func", CHANCE_CORRECTED, ids=lambda f: f.__name__)
def test_one_category_used_by_everyone_is_undefined(func):
    with pytest.warns(UndefinedStatisticWarning, match="undefined"):
        result = func([["a", "a"], ["a", "a"], ["a", None]])
    assert np.isnan(result.value)
    assert result.n_categories == 1


def test_percent_agreement_with_one_category_is_one():
    assert percent_agreement([["a", "a"], ["a", "a"]]).value == 1.0


def test_gwet_ac1_is_defined_when_the_category_set_is_given():
    # AC1's chance agreement is 0 when one of two possible categories is used
    assert gwet_ac1([["a", "a"], ["a", "a"]], categories=["a", "b"]).value == 1.0


@pytest.mark.parametrize("func", CHANCE_CORRECTED, ids=lambda f: f.__name__)
def test_a_single_unit_is_undefined(func):
    with pytest.warns(UndefinedStatisticWarning, match="single unit|1 unit"):
        result = func([["a", "b"], ["a", None], [None, "b"]])
    assert np.isnan(result.value)


@pytest.mark.parametrize("func", CHANCE_CORRECTED + [percent_agreement], ids=lambda f: f.__name__)
def test_no_pairable_unit_is_undefined(func):
    with pytest.warns(UndefinedStatisticWarning):
        result = func([["a", None], [None, "b"], [None, None]])
    assert np.isnan(result.value)
    assert result.n_units == 0


@pytest.mark.parametrize("func", [fleiss_kappa, krippendorff_alpha, gwet_ac1, percent_agreement],
                         ids=lambda f: f.__name__)
def test_empty_and_single_coder_tables_are_undefined(func):
    with pytest.warns(UndefinedStatisticWarning):
        assert np.isnan(func(np.empty((0, 3))).value)
    with pytest.warns(UndefinedStatisticWarning):
        assert np.isnan(func([[1], [2], [1]]).value)


def test_interval_alpha_without_variation_is_undefined():
    with pytest.warns(UndefinedStatisticWarning, match="D_e = 0"):
        assert np.isnan(krippendorff_alpha([[2.0, 2.0], [2.0, 2.0]], "interval").value)


@pytest.mark.parametrize("bad", [[1, 2, 3], np.arange(4), [[1, 2], [1]]], ids=["list", "array", "ragged"])
def test_not_a_units_by_coders_table(bad):
    with pytest.raises(AgreementError, match="units x coders"):
        fleiss_kappa(bad)


def test_errors_are_qdakit_and_value_errors():
    assert issubclass(AgreementError, QdakitError) and issubclass(AgreementError, ValueError)


def test_unknown_label_is_named():
    with pytest.raises(AgreementError, match=r"\['maybe'\] are not among the categories"):
        cohen_kappa([["yes", "maybe"], ["no", "no"]], categories=["yes", "no"])
    with pytest.raises(AgreementError, match="unique"):
        cohen_kappa([["yes", "no"]], categories=["yes", "no", "yes"])


def test_cohen_needs_two_coders():
    with pytest.raises(AgreementError, match="exactly 2 coders"):
        cohen_kappa([[1, 1, 2], [2, 2, 2]])
    with pytest.raises(AgreementError, match="exactly 2 coders"):
        scott_pi([[1], [2]])


def test_bad_weights():
    data = [[1, 2], [2, 3], [3, 3]]
    with pytest.raises(AgreementError, match="unknown weights"):
        cohen_kappa(data, weights="cubic")
    with pytest.raises(AgreementError, match="3 x 3|q x q"):
        cohen_kappa(data, weights=np.eye(2))
    with pytest.raises(AgreementError, match="agreement weights"):
        cohen_kappa(data, weights=1 - np.eye(3))
    custom = np.array([[1, 0.5, 0], [0.5, 1, 0.5], [0, 0.5, 1]])
    assert cohen_kappa(data, weights=custom).value == pytest.approx(cohen_kappa(data, weights="linear").value)
    assert cohen_kappa(data, weights=custom).metric == "cohen_kappa(weights=custom)"


@pytest.mark.parametrize("weights", ["identity", "linear", "quadratic", "ordinal", "radical", "ratio",
                                     "circular", "bipolar"])
def test_named_weights_are_agreement_weights(weights):
    result = gwet_ac2([[1, 1], [2, 3], [3, 3], [4, 2], [1, 2]], weights=weights)
    assert result.value <= 1
    assert result.expected <= 1


def test_alpha_bad_level_and_values():
    with pytest.raises(AgreementError, match="unknown level"):
        krippendorff_alpha([[1, 2]], "cardinal")
    with pytest.raises(AgreementError, match="numeric"):
        krippendorff_alpha([["a", "b"], ["b", "b"]], "interval")
    with pytest.raises(AgreementError, match="non-negative"):
        krippendorff_alpha([[-1, 2], [2, 2]], "ratio")
    with pytest.raises(AgreementError, match="broadcast shape"):
        krippendorff_alpha([[1, 2], [2, 2]], lambda a, b: np.zeros(7))


def test_ordinal_labels_need_an_order_or_are_sorted():
    data = [["mid", "high"], ["mid", "mid"], ["high", "high"], ["low", "low"], ["low", "low"]]
    ordered = krippendorff_alpha(data, "ordinal", categories=["low", "mid", "high"]).value
    alphabetical = krippendorff_alpha(data, "ordinal").value  # high < low < mid
    assert ordered != pytest.approx(alphabetical)


def test_missing_markers():
    expected = fleiss_kappa([[1, 1, None], [2, 2, 1], [1, 2, 2]]).value
    assert fleiss_kappa([[1, 1, np.nan], [2, 2, 1], [1, 2, 2]]).value == pytest.approx(expected)
    frame = pd.DataFrame({"a": ["x", "y", "x"], "b": ["x", "y", pd.NA], "c": ["", "y", "y"]}, dtype="string")
    assert fleiss_kappa(frame).n_units == 3
    as_str = np.array([["x", "x", "nan"], ["y", "y", "y"], ["x", "", "y"]])  # NumPy writes NaN as "nan"
    assert fleiss_kappa(as_str).value == pytest.approx(
        fleiss_kappa([["x", "x", None], ["y", "y", "y"], ["x", None, "y"]]).value)


def test_mixed_int_and_str_labels_sort_numbers_first():
    result = krippendorff_alpha([[1, "x"], [1, 1], ["x", "x"], [2, 2]])
    assert result.n_categories == 3


def test_result_is_a_frozen_dataclass():
    result = cohen_kappa([[1, 1], [2, 2], [1, 2]])
    assert isinstance(result, AgreementResult)
    assert float(result) == result.value
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.value = 0.0  # type: ignore[misc]
    assert (result.n_units, result.n_coders, result.n_categories) == (3, 2, 2)
    assert result.ci is None


def test_bootstrap_interval():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, size=(200, 1))
    data = np.where(rng.random((200, 3)) < 0.3, rng.integers(0, 3, size=(200, 3)), truth)
    res = bootstrap(krippendorff_alpha, data, n=300, random_state=1)
    low, high = res.ci
    assert low < res.value < high
    assert res.se == pytest.approx((high - low) / (2 * 1.96), rel=0.3)  # bootstrap SD
    again = bootstrap(krippendorff_alpha, data, n=300, random_state=1)
    assert again.ci == res.ci
    assert res.value == krippendorff_alpha(data).value
    kappa = bootstrap(fleiss_kappa, data, n=300, ci=0.9, random_state=2)
    assert kappa.se == fleiss_kappa(data).se  # the analytical SE is kept
    assert kappa.ci[0] < kappa.value < kappa.ci[1]
    interval = bootstrap(krippendorff_alpha, data.astype(float), n=50, random_state=3, level="interval")
    assert interval.metric == "krippendorff_alpha(level=interval)"


def test_bootstrap_reports_undefined_resamples():
    data = [["a", "a"]] * 9 + [["b", "b"]]
    with pytest.warns(UndefinedStatisticWarning, match="bootstrap resamples"):
        res = bootstrap(cohen_kappa, data, n=100, random_state=0)
    assert res.value == 1.0


def test_bootstrap_arguments():
    with pytest.raises(AgreementError, match="at least 1"):
        bootstrap(cohen_kappa, [[1, 1], [2, 2]], n=0)
    with pytest.raises(AgreementError, match="between 0 and 1"):
        bootstrap(cohen_kappa, [[1, 1], [2, 2]], ci=95)


def test_pairwise_names_pairs_and_averages():
    frame = pd.DataFrame({"ann": [1, 2, 1, 2, 1], "bob": [1, 2, 1, 2, 2], "cy": [1, 2, 2, 2, 1]})
    table = pairwise(cohen_kappa, frame, weights="linear")
    assert table[["coder_a", "coder_b"]].values.tolist() == [["ann", "bob"], ["ann", "cy"], ["bob", "cy"]]
    assert table.loc[0, "value"] == pytest.approx(cohen_kappa(frame[["ann", "bob"]]).value)
    assert table["n_units"].tolist() == [5, 5, 5]


def test_unitizing_input_checks():
    with pytest.raises(AgreementError, match="outside the continuum"):
        unitizing_alpha([[(0, 120)], [(0, 10)]], 100)
    with pytest.raises(AgreementError, match="positive"):
        unitizing_alpha([[], []], 0)
    with pytest.warns(UndefinedStatisticWarning, match="at least 2"):
        assert np.isnan(unitizing_alpha([[(0, 10)]], 100).value)
    with pytest.warns(UndefinedStatisticWarning, match="expected disagreement is 0"):
        assert np.isnan(unitizing_alpha([[], []], 100).value)


def test_unitizing_merges_overlaps_but_keeps_touching_units():
    merged = unitizing_alpha([[(10, 30), (20, 40)], [(10, 40)]], 100)
    assert merged.value == 1.0
    touching = unitizing_alpha([[(10, 25), (25, 40)], [(10, 40)]], 100)
    assert touching.value < 1.0


def test_too_many_categories_for_a_count_matrix(monkeypatch):
    from qdakit.agreement import _base

    monkeypatch.setattr(_base, "DENSE_CELLS", 50)
    data = np.arange(60.0).reshape(30, 2)
    with pytest.raises(AgreementError, match="too many"):
        fleiss_kappa(data)
    with pytest.raises(AgreementError, match="too large"):
        cohen_kappa(data)
    assert krippendorff_alpha(data, "interval").n_categories == 60  # no count matrix needed


def test_no_stray_warnings_on_ordinary_input():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for func in CHANCE_CORRECTED + [percent_agreement]:
            func([[1, 1], [2, 2], [1, 2], [2, None]])

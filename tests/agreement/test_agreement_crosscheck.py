"""Cross-checks on random data against independent implementations:
scikit-learn, statsmodels and the ``krippendorff`` package."""

from __future__ import annotations

import warnings

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats import inter_rater

from qdakit.agreement import (
    _base,
    alpha,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
    scott_pi,
)
from qdakit.errors import UndefinedStatisticWarning

SEEDS = range(12)


def correlated(rng, n_units, n_coders, n_categories, missing=0.0, noise=0.4):
    """Ratings that agree more than chance: a true category plus coder noise."""
    truth = rng.integers(0, n_categories, size=(n_units, 1))
    flip = rng.random((n_units, n_coders)) < noise
    data = np.where(flip, rng.integers(0, n_categories, size=(n_units, n_coders)), truth).astype(float)
    data[rng.random(data.shape) < missing] = np.nan
    return data


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_matches_sklearn(seed, weights):
    rng = np.random.default_rng(seed)
    data = correlated(rng, int(rng.integers(20, 300)), 2, int(rng.integers(2, 7))).astype(int)
    expected = cohen_kappa_score(data[:, 0], data[:, 1], weights=weights)
    assert cohen_kappa(data, weights=weights).value == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_cohen_with_string_labels_and_missing_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    data = correlated(rng, 200, 2, 4, missing=0.1)
    names = np.array(["alpha", "beta", "gamma", "delta"], dtype=object)
    labelled = [[None if np.isnan(v) else names[int(v)] for v in row] for row in data]
    both = ~np.isnan(data).any(axis=1)
    expected = cohen_kappa_score(names[data[both, 0].astype(int)], names[data[both, 1].astype(int)])
    result = cohen_kappa(labelled)
    assert result.value == pytest.approx(expected, abs=1e-12)
    assert result.n_units == both.sum()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("wt", [None, "linear", "quadratic"])
def test_cohen_and_its_standard_error_match_statsmodels(seed, wt):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 6))
    data = correlated(rng, int(rng.integers(30, 300)), 2, k).astype(int)
    table = np.zeros((k, k))
    np.add.at(table, (data[:, 0], data[:, 1]), 1)
    expected = inter_rater.cohens_kappa(table, wt=wt)
    ours = cohen_kappa(data, weights={None: None, "linear": "linear", "quadratic": "quadratic"}[wt],
                       categories=range(k))
    assert ours.value == pytest.approx(expected.kappa, abs=1e-12)
    assert ours.se == pytest.approx(expected.std_kappa, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_fleiss_matches_statsmodels(seed):
    rng = np.random.default_rng(seed)
    data = correlated(rng, int(rng.integers(10, 200)), int(rng.integers(2, 9)), int(rng.integers(2, 6))).astype(int)
    counts, _ = inter_rater.aggregate_raters(data)
    assert fleiss_kappa(data).value == pytest.approx(inter_rater.fleiss_kappa(counts), abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_brennan_prediger_matches_statsmodels_randolph(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 6))
    data = correlated(rng, 100, 4, k).astype(int)
    counts, _ = inter_rater.aggregate_raters(data, n_cat=k)
    from qdakit.agreement import brennan_prediger

    expected = inter_rater.fleiss_kappa(counts, method="randolph")
    assert brennan_prediger(data, categories=range(k)).value == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_two_complete_coders_special_cases(seed):
    rng = np.random.default_rng(seed)
    data = correlated(rng, 150, 2, 4)
    # Conger's kappa is Cohen's, Fleiss' kappa is Scott's pi, percent agreement is the share agreeing
    assert conger_kappa(data).value == pytest.approx(cohen_kappa(data).value, abs=1e-12)
    assert fleiss_kappa(data).value == pytest.approx(scott_pi(data).value, abs=1e-12)
    assert percent_agreement(data).value == pytest.approx(np.mean(data[:, 0] == data[:, 1]))
    # Krippendorff's alpha is Scott's pi with a small-sample correction of D_e:
    # D_o = 1 - p_o and D_e = n / (n - 1) (1 - p_e) over n = 2 x units values
    n = 2 * len(data)
    pi = scott_pi(data)
    expected = 1 - (1 - pi.observed) * (n - 1) / (n * (1 - pi.expected))
    assert krippendorff_alpha(data).value == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_matches_krippendorff_package(seed, level):
    rng = np.random.default_rng(seed)
    data = correlated(rng, int(rng.integers(5, 400)), int(rng.integers(2, 9)), int(rng.integers(2, 8)), missing=0.25)
    data = data * float(rng.choice([1.0, 2.5, 1e3])) + float(rng.choice([0.0, 1.0, 1e6]))
    pairable = (~np.isnan(data)).sum(axis=1) >= 2
    if pairable.sum() < 2 or len(np.unique(data[pairable][~np.isnan(data[pairable])])) < 2:
        pytest.skip("degenerate draw")
    expected = krippendorff.alpha(reliability_data=data.T, level_of_measurement=level)
    assert krippendorff_alpha(data, level).value == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_custom_metric_matches_builtin_levels(seed):
    rng = np.random.default_rng(seed)
    data = correlated(rng, 120, 4, 5, missing=0.2)
    nominal = krippendorff_alpha(data, lambda a, b: (a != b).astype(float)).value
    assert nominal == pytest.approx(krippendorff_alpha(data, "nominal").value, abs=1e-12)
    interval = krippendorff_alpha(data, lambda a, b: (a - b) ** 2).value
    assert interval == pytest.approx(krippendorff_alpha(data, "interval").value, abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_general_and_fast_paths_agree(seed, monkeypatch):
    """The kernels (numeric input), the count-matrix path (labels), the sparse
    path (many values) and the coincidence path must give the same alpha."""
    rng = np.random.default_rng(seed)
    data = correlated(rng, 300, 5, 6, missing=0.2)
    fast = krippendorff_alpha(data, "nominal").value
    labels = np.where(np.isnan(data), None, data.astype(object))
    labels = np.array([[None if v is None else f"c{int(v)}" for v in row] for row in labels], dtype=object)
    assert krippendorff_alpha(labels, "nominal").value == pytest.approx(fast, abs=1e-12)
    coincidence = krippendorff_alpha(data, lambda a, b: (a != b) * 1.0).value
    assert coincidence == pytest.approx(fast, abs=1e-12)
    monkeypatch.setattr(_base, "DENSE_CELLS", 10)
    monkeypatch.setattr(alpha, "_DENSE_VALUES", 2)
    assert krippendorff_alpha(labels, "nominal").value == pytest.approx(fast, abs=1e-12)
    ratio = krippendorff_alpha(data + 1, "ratio").value
    expected = krippendorff.alpha(reliability_data=(data + 1).T, level_of_measurement="ratio")
    assert ratio == pytest.approx(expected, abs=1e-9)


def test_alpha_many_distinct_values_stays_exact():
    rng = np.random.default_rng(7)
    truth = rng.normal(50, 10, size=(2000, 1))
    data = truth + rng.normal(0, 3, size=(2000, 4))
    data[rng.random(data.shape) < 0.1] = np.nan
    for level in ("interval", "ordinal", "ratio"):
        expected = krippendorff.alpha(reliability_data=data[:50].T, level_of_measurement=level)
        assert krippendorff_alpha(data[:50], level).value == pytest.approx(expected, abs=1e-9)
    result = krippendorff_alpha(data, "interval")
    assert result.n_categories == np.unique(data[~np.isnan(data)]).size
    assert 0.8 < result.value < 1


def test_gwet_ac1_two_coders_equals_closed_form():
    # Gwet (2008): for two raters, p_e = sum_k pi_k (1 - pi_k) / (q - 1), pi_k the mean margin
    rng = np.random.default_rng(3)
    data = correlated(rng, 80, 2, 3).astype(int)
    pi = (np.bincount(data[:, 0], minlength=3) + np.bincount(data[:, 1], minlength=3)) / (2 * len(data))
    pe = (pi * (1 - pi)).sum() / 2
    pa = np.mean(data[:, 0] == data[:, 1])
    assert gwet_ac1(data).value == pytest.approx((pa - pe) / (1 - pe), abs=1e-12)


def test_dataframe_list_and_array_give_the_same():
    rng = np.random.default_rng(11)
    data = correlated(rng, 60, 3, 4, missing=0.1)
    as_list = [[None if np.isnan(v) else int(v) for v in row] for row in data]
    frame = pd.DataFrame(as_list, columns=["ann", "bob", "cy"]).astype("Int64")
    for func in (fleiss_kappa, gwet_ac1, percent_agreement, conger_kappa, krippendorff_alpha):
        values = {func(data).value, func(as_list).value, func(frame).value}
        assert max(values) - min(values) < 1e-12, func.__name__
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedStatisticWarning)
        assert _base.as_matrix(frame).shape == (60, 3)

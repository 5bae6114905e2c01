"""Invariants every coefficient must satisfy (Hypothesis)."""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qdakit.agreement import (
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    gwet_ac2,
    krippendorff_alpha,
    percent_agreement,
    scott_pi,
    unitizing_alpha,
)
from qdakit.errors import UndefinedStatisticWarning

MANY = {
    "percent_agreement": percent_agreement,
    "fleiss_kappa": fleiss_kappa,
    "conger_kappa": conger_kappa,
    "gwet_ac1": gwet_ac1,
    "gwet_ac2": gwet_ac2,
    "brennan_prediger": brennan_prediger,
    "alpha_nominal": krippendorff_alpha,
    "alpha_ordinal": partial(krippendorff_alpha, level="ordinal"),
    "alpha_interval": partial(krippendorff_alpha, level="interval"),
    "alpha_ratio": partial(krippendorff_alpha, level="ratio"),
    "fleiss_quadratic": partial(fleiss_kappa, weights="quadratic"),
}
TWO = {
    "cohen_kappa": cohen_kappa,
    "cohen_linear": partial(cohen_kappa, weights="linear"),
    "cohen_quadratic": partial(cohen_kappa, weights="quadratic"),
    "scott_pi": scott_pi,
}
ALL = {**MANY, **TWO}
NOMINAL = ["percent_agreement", "fleiss_kappa", "conger_kappa", "gwet_ac1", "brennan_prediger",
           "alpha_nominal", "cohen_kappa", "scott_pi"]
SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def ratings(draw, n_coders=None, missing=True):
    n_units = draw(st.integers(2, 25))
    n_coders = n_coders or draw(st.integers(2, 5))
    k = draw(st.integers(1, 4))
    cell = st.integers(0, k - 1)
    if missing:
        cell = st.one_of(cell, st.none())
    return draw(st.lists(st.lists(cell, min_size=n_coders, max_size=n_coders), min_size=n_units, max_size=n_units))


@st.composite
def unanimous(draw, n_coders=None):
    """Every coder who rated a unit gave it the same label (at least 2 per unit)."""
    n_units = draw(st.integers(2, 25))
    n_coders = n_coders or draw(st.integers(2, 5))
    labels = draw(st.lists(st.integers(1, 4), min_size=n_units, max_size=n_units).filter(lambda v: len(set(v)) > 1))
    rows = []
    for label in labels:
        row = [label] * n_coders
        for j in draw(st.lists(st.integers(0, n_coders - 1), max_size=max(0, n_coders - 2), unique=True)):
            row[j] = None
        rows.append(row)
    return rows


def value(func, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedStatisticWarning)
        return func(data).value


def same(a, b):
    return (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, abs=1e-9)


def pick(name, data):
    return [row[:2] for row in data] if name in TWO else data


@pytest.mark.parametrize("name", sorted(MANY))
@SETTINGS
@given(data=unanimous())
def test_perfect_agreement_gives_one(name, data):
    assert value(MANY[name], data) == pytest.approx(1.0)


@pytest.mark.parametrize("name", sorted(TWO))
@SETTINGS
@given(data=unanimous(n_coders=2))
def test_perfect_agreement_of_two_coders_gives_one(name, data):
    assert value(TWO[name], data) == pytest.approx(1.0)


@pytest.mark.parametrize("name", sorted(ALL))
@SETTINGS
@given(data=ratings(), seed=st.integers(0, 2**32 - 1))
def test_symmetric_in_coders(name, data, seed):
    data = pick(name, data)
    order = np.random.default_rng(seed).permutation(len(data[0]))
    shuffled = [[row[j] for j in order] for row in data]
    assert same(value(ALL[name], data), value(ALL[name], shuffled))


@pytest.mark.parametrize("name", sorted(ALL))
@SETTINGS
@given(data=ratings(), seed=st.integers(0, 2**32 - 1))
def test_invariant_to_unit_order(name, data, seed):
    data = pick(name, data)
    order = np.random.default_rng(seed).permutation(len(data))
    assert same(value(ALL[name], data), value(ALL[name], [data[i] for i in order]))


@pytest.mark.parametrize("name", NOMINAL)
@SETTINGS
@given(data=ratings(), seed=st.integers(0, 2**32 - 1))
def test_nominal_invariant_to_relabelling(name, data, seed):
    data = pick(name, data)
    perm = np.random.default_rng(seed).permutation(4)
    relabelled = [[None if v is None else f"code-{perm[v]}" for v in row] for row in data]
    assert same(value(ALL[name], data), value(ALL[name], relabelled))


@pytest.mark.parametrize("name", sorted(ALL))
@SETTINGS
@given(data=ratings())
def test_at_most_one_and_nan_only_with_a_warning(name, data):
    data = pick(name, data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = ALL[name](data)
    warned = any(issubclass(w.category, UndefinedStatisticWarning) for w in caught)
    assert np.isnan(result.value) == warned
    assert np.isnan(result.value) or result.value <= 1 + 1e-12
    assert not [w for w in caught if not issubclass(w.category, UndefinedStatisticWarning)]


@pytest.mark.parametrize("name", sorted(ALL))
@SETTINGS
@given(data=ratings(missing=False))
def test_list_array_and_int_or_str_labels_agree(name, data):
    data = pick(name, data)
    as_array = np.array(data)
    assert same(value(ALL[name], data), value(ALL[name], as_array))
    if name in NOMINAL:
        assert same(value(ALL[name], data), value(ALL[name], as_array.astype(str)))


spans = st.lists(st.tuples(st.integers(0, 90), st.integers(1, 10)).map(lambda t: (t[0], t[0] + t[1])), max_size=6)


@SETTINGS
@given(first=spans, second=spans)
def test_unitizing_alpha_properties(first, second):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedStatisticWarning)
        both = unitizing_alpha([first, second], 100).value
        swapped = unitizing_alpha([second, first], 100).value
        identical = unitizing_alpha([first, first], 100).value
    assert same(both, swapped)
    assert np.isnan(both) or both <= 1 + 1e-12
    assert np.isnan(identical) or identical == 1.0
    if first:
        assert identical == 1.0

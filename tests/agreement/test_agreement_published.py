"""Published worked examples, typed in from their sources."""

from __future__ import annotations

import numpy as np
import pytest

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

NAN = np.nan

# Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability, section C
# ("nominal data, any number of observers, missing data"): observers A-D (rows)
# x 12 units. The paper reports nominal 0.743, ordinal 0.815, interval 0.849,
# ratio 0.797.
KRIPPENDORFF_2011 = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]).T  # units x coders

# Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
# Psychological Bulletin, 76, 378-382, table 1: 30 patients x 6 psychiatrists,
# 1 depression, 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other
# (raw ratings as distributed with R's irr package as `diagnoses`). kappa = .430.
FLEISS_1971 = [
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]

# Gwet's irrCAC package (R, and its Python port), dataset `cac.raw4raters`:
# 12 units x 4 raters, categories 1-5, with missing ratings.
RAW4RATERS = [
    [1, 1, NAN, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
    [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [NAN, 5, 5, 5], [NAN, NAN, 1, 1], [NAN, NAN, 3, NAN],
]


def expand(table, labels=None) -> list[list]:
    """Two coders' ratings from their contingency table (rows: coder A)."""
    table = np.asarray(table)
    labels = list(range(len(table))) if labels is None else list(labels)
    return [[labels[i], labels[j]] for i in range(len(table)) for j in range(len(table))
            for _ in range(int(table[i, j]))]


@pytest.mark.parametrize(("level", "expected"), [
    ("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797),
])
def test_krippendorff_2011_example(level, expected):
    result = krippendorff_alpha(KRIPPENDORFF_2011, level)
    assert round(result.value, 3) == expected
    assert result.n_units == 11  # unit 12 has a single value: not pairable
    assert result.n_coders == 4 and result.n_categories == 5


def test_krippendorff_2011_nominal_details():
    # the paper's coincidence-matrix totals: n = 40 pairable values, D_o = 8/40 ... (0.2)
    result = krippendorff_alpha(KRIPPENDORFF_2011, "nominal")
    assert result.observed == pytest.approx(0.2)
    assert result.value == pytest.approx(1 - 0.2 / result.expected)


def test_krippendorff_2011_ordinal_with_labels():
    names = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
    labelled = [[names.get(v) for v in row] for row in KRIPPENDORFF_2011.tolist()]
    order = ["very low", "low", "mid", "high", "very high"]
    assert round(krippendorff_alpha(labelled, "ordinal", categories=order).value, 3) == 0.815
    assert round(krippendorff_alpha(labelled, "nominal").value, 3) == 0.743


def test_fleiss_1971():
    result = fleiss_kappa(FLEISS_1971)
    assert round(result.value, 3) == 0.430
    assert result.value == pytest.approx(0.4302445, abs=1e-7)  # R irr::kappam.fleiss
    assert (result.n_units, result.n_coders, result.n_categories) == (30, 6, 5)


# irrCAC documentation for cac.raw4raters (value, standard error):
# AC1 0.77544 (0.14295), pa 0.81818, pe 0.19032; Fleiss 0.76117 (0.15302), pe 0.23872;
# AC2 with bipolar weights 0.90037 (0.10582), pa 0.96836, pe 0.68244;
# percent agreement 0.81818 (0.12561); Conger 0.76282; Krippendorff 0.74342.
def test_gwet_raw4raters_ac1():
    result = gwet_ac1(RAW4RATERS)
    assert result.value == pytest.approx(0.77544, abs=5e-6)
    assert result.se == pytest.approx(0.14295, abs=5e-6)
    assert result.observed == pytest.approx(0.81818, abs=5e-6)
    assert result.expected == pytest.approx(0.19032, abs=5e-6)


def test_gwet_raw4raters_fleiss():
    result = fleiss_kappa(RAW4RATERS)
    assert result.value == pytest.approx(0.76117, abs=5e-6)
    assert result.se == pytest.approx(0.15302, abs=5e-6)
    assert result.expected == pytest.approx(0.23872, abs=5e-6)


def test_gwet_raw4raters_ac2_bipolar():
    result = gwet_ac2(RAW4RATERS, weights="bipolar")
    assert result.value == pytest.approx(0.90037, abs=5e-6)
    assert result.se == pytest.approx(0.10582, abs=5e-6)
    assert result.observed == pytest.approx(0.96836, abs=5e-6)
    assert result.expected == pytest.approx(0.68244, abs=5e-6)


def test_gwet_raw4raters_others():
    pa = percent_agreement(RAW4RATERS)
    assert pa.value == pytest.approx(0.81818, abs=5e-6)
    assert pa.se == pytest.approx(0.12561, abs=5e-6)
    assert conger_kappa(RAW4RATERS).value == pytest.approx(0.76282, abs=5e-6)
    assert krippendorff_alpha(RAW4RATERS).value == pytest.approx(0.74342, abs=5e-6)
    # Brennan-Prediger by hand from the documented p_a: (0.81818 - 1/5) / (1 - 1/5)
    assert brennan_prediger(RAW4RATERS).value == pytest.approx((9 / 11 - 0.2) / 0.8)


# Wikipedia, "Cohen's kappa": 50 grant proposals read by two readers (yes/no):
# kappa 0.4; and two tables with the same agreement but different margins.
@pytest.mark.parametrize(("table", "expected"), [
    ([[20, 5], [10, 15]], 0.4),
    ([[45, 15], [25, 15]], 0.1304),
    ([[25, 35], [5, 35]], 0.2593),
])
def test_cohen_two_by_two(table, expected):
    assert cohen_kappa(expand(table, ["yes", "no"])).value == pytest.approx(expected, abs=5e-5)


# SAS/STAT PROC FREQ documentation, "Getting Started: Agreement Study": two
# dermatologists rate 88 patients terrible/poor/marginal/clear (data from Fleiss,
# Levin & Paik 2003). SAS reports simple kappa 0.3449 with ASE 0.0724 and the
# weighted kappa with Cicchetti-Allison (= linear) weights 0.5082.
SKIN = [[10, 4, 1, 0], [5, 10, 12, 2], [2, 4, 12, 5], [0, 2, 6, 13]]
SKIN_LEVELS = ["terrible", "poor", "marginal", "clear"]


def test_cohen_sas_skin_condition():
    ratings = expand(SKIN, SKIN_LEVELS)
    simple = cohen_kappa(ratings, categories=SKIN_LEVELS)
    assert simple.value == pytest.approx(0.3449, abs=5e-5)
    assert simple.se == pytest.approx(0.0724, abs=5e-5)
    weighted = cohen_kappa(ratings, weights="linear", categories=SKIN_LEVELS)
    assert weighted.value == pytest.approx(0.5082, abs=5e-5)
    assert weighted.se == pytest.approx(0.0655, abs=5e-5)
    assert weighted.metric == "cohen_kappa(weights=linear)"


def test_cohen_weights_need_the_category_order():
    ratings = expand(SKIN, SKIN_LEVELS)
    # sorted alphabetically the scale is clear < marginal < poor < terrible: the
    # same order reversed, so linear weights give the same value ...
    assert cohen_kappa(ratings, weights="linear").value == pytest.approx(0.5082, abs=5e-5)
    # ... but a scrambled order does not
    scrambled = ["poor", "terrible", "clear", "marginal"]
    assert cohen_kappa(ratings, weights="linear", categories=scrambled).value != pytest.approx(0.5082, abs=1e-3)


def test_scott_pi_equals_fleiss_for_two_complete_coders():
    ratings = expand(SKIN, SKIN_LEVELS)
    assert scott_pi(ratings).value == pytest.approx(fleiss_kappa(ratings).value)


# Krippendorff (2004), Content Analysis, 2nd ed., p. 254: two observers unitize
# the continuum [150, 450) into units of categories c and k; alpha_c = 0.7286 with
# D_o = 0.0144 and D_e = 0.0532; the k units coincide (alpha_k = 1, D_e = 0.0490).
# (Values as reproduced by DKPro Statistics' test suite, Meyer et al. 2014.)
def test_unitizing_krippendorff_2004_example():
    shift = 150
    c_i = [(225, 295), (370, 400)]
    c_j = [(220, 300), (355, 375), (400, 420)]
    result = unitizing_alpha({"i": [(b - shift, e - shift) for b, e in c_i],
                              "j": [(b - shift, e - shift) for b, e in c_j]}, 300)
    assert result.value == pytest.approx(0.7286, abs=5e-5)
    assert result.observed == pytest.approx(0.0144, abs=5e-5)
    assert result.expected == pytest.approx(0.0532, abs=5e-5)
    k = [(180 - shift, 240 - shift), (300 - shift, 350 - shift)]
    same = unitizing_alpha({"i": k, "j": k}, 300)
    assert same.value == 1.0
    assert same.expected == pytest.approx(0.0490, abs=5e-5)


# Krippendorff (1995), On the reliability of unitizing continuous data, p. 57:
# four pairs of observers unitize a continuum of 24 (A Bertha/Bill, B John/Jill,
# C Gerret/Gill, D Heather/Hill). D_o is exact; the paper's D_e and alpha are for
# a fine-grained continuum (here stretched 50 000 times) and its D_e has a small
# known error, so alpha is checked to 0.02 (as DKPro Statistics does).
KRIPPENDORFF_1995 = {
    "A": ([(2, 8), (14, 6)], [(4, 4), (15, 2)], 0.03125, 0.553),
    "B": ([(0, 18)], [(0, 2), (2, 1), (3, 1), (4, 1), (5, 1), (6, 3), (9, 1)], 2.26736, -0.926),
    "C": ([(2, 6), (10, 2), (14, 4), (20, 2)], [(0, 2), (4, 4), (10, 4), (16, 2), (20, 2)], 0.02777, 0.679),
    "D": ([(0, 2), (2, 8), (10, 4), (14, 6), (20, 4)], [(0, 4), (4, 4), (8, 7), (15, 2), (17, 7)], 0.38715, 0.066),
}


@pytest.mark.parametrize("pair", sorted(KRIPPENDORFF_1995))
def test_unitizing_krippendorff_1995_example(pair):
    first, second, d_o, alpha = KRIPPENDORFF_1995[pair]

    def spans(units, stretch):
        return [(b * stretch, (b + n) * stretch) for b, n in units]

    exact = unitizing_alpha([spans(first, 1), spans(second, 1)], 24)
    assert exact.observed == pytest.approx(d_o, abs=1e-5)
    fine = unitizing_alpha([spans(first, 50_000), spans(second, 50_000)], 24 * 50_000)
    assert fine.observed == pytest.approx(d_o, abs=1e-5)
    assert fine.value == pytest.approx(alpha, abs=0.02)

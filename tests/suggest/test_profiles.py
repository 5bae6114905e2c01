"""Feature profiles (the one-standard-error choice by grouped CV), the kappa-best cut, the calibration guard."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score

from qdakit.embed import FakeEmbedder
from qdakit.suggest import CodeSuggester
from qdakit.suggest.fitting import best_kappa_threshold, fit_code, grouped_oof
from qdakit.suggest.profiles import PROFILES, choose_profile

from .test_suggest import CODEBOOK, make_data, quiet_fit


def _labelled(n_codes: int, n: int = 120, seed: int = 0):
    """Codes whose label is the sign of one informative column; rows grouped in 12 transcripts."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=(n, n_codes))
    labelled = {f"c{j}": (np.arange(n), (signal[:, j] > 0.3).astype(int), np.arange(n) % 12)
                for j in range(n_codes)}
    return signal, labelled, rng


def test_a_profile_that_ranks_clearly_better_is_chosen_even_when_less_simple() -> None:
    signal, labelled, rng = _labelled(5)
    noise = sparse.csr_matrix(rng.normal(size=signal.shape))
    informative = sparse.csr_matrix(signal + 0.3 * rng.normal(size=signal.shape))
    choice = choose_profile({"simple": noise, "rich": informative}, labelled, LogisticRegression, cv=5,
                            random_state=0)
    assert choice.name == "rich"
    assert choice.scores["rich"] > choice.scores["simple"] + 0.2
    assert set(choice.codes) == set(labelled)


def test_profiles_that_score_alike_keep_the_simplest() -> None:
    signal, labelled, rng = _labelled(5)
    X = sparse.csr_matrix(signal + 0.3 * rng.normal(size=signal.shape))
    choice = choose_profile({"simple": X, "rich": X.copy()}, labelled, LogisticRegression, cv=5, random_state=0)
    assert choice.name == "simple" and choice.scores["simple"] == pytest.approx(choice.scores["rich"])


def test_the_sample_of_codes_spans_the_range_of_positives() -> None:
    signal, labelled, rng = _labelled(12)
    choice = choose_profile({"a": sparse.csr_matrix(signal)}, labelled, LogisticRegression, cv=5, random_state=0,
                            max_codes=4)
    assert choice.name == "a" and choice.scores == {}  # one candidate: nothing to measure
    two = choose_profile({"a": sparse.csr_matrix(signal), "b": sparse.csr_matrix(signal)}, labelled,
                         LogisticRegression, cv=5, random_state=0, max_codes=4)
    ranked = sorted(labelled, key=lambda c: (-int(labelled[c][1].sum()), c))
    assert len(two.codes) == 4 and ranked[0] in two.codes and ranked[-1] in two.codes


def test_a_calibration_running_against_the_labels_is_dropped() -> None:
    # no information in X: a fold holding more positives gets a lower training prevalence, so out of
    # fold the scores run against the labels; a falling Platt fit would invert the final model
    y = np.array([1, 0, 0, 0] * 10)
    np.random.default_rng(0).shuffle(y)
    X, groups = sparse.csr_matrix(np.zeros((40, 3))), np.arange(40) % 10
    raw, _ = grouped_oof(X, y, groups, LogisticRegression, cv=5, random_state=0)
    assert np.corrcoef(raw, y)[0, 1] < 0  # the situation is real
    fit = fit_code(X, y, groups, None, LogisticRegression, target=None, cv=5, random_state=0)
    assert fit.calibrator is None


def test_suggester_records_the_profile_and_refuses_an_unknown_one() -> None:
    segs, cods = make_data(8, 20, seed=2)
    auto = quiet_fit(CodeSuggester(FakeEmbedder()), segs, CODEBOOK, cods)
    assert auto.profile_.name in PROFILES and set(auto.profile_.scores) == set(PROFILES)
    assert any(d.startswith("feature profile") for d in auto.diagnostics_)
    fixed = quiet_fit(CodeSuggester(FakeEmbedder(), features="conversation"), segs, CODEBOOK, cods)
    assert fixed.profile_.name == "conversation" and fixed.profile_.scores == {}
    assert fixed.features_.shapes and fixed.features_.embedding_weight == 0.5
    semantic = quiet_fit(CodeSuggester(FakeEmbedder(), features="semantic"), segs, CODEBOOK, cods)
    assert semantic.features_.tfidf_ is None and not semantic.features_.shapes
    with pytest.raises(ValueError, match="features='words'"):
        CodeSuggester(FakeEmbedder(), features="words").fit(segs, CODEBOOK, cods)


@given(st.lists(st.tuples(st.integers(0, 6), st.booleans()), min_size=2, max_size=30))
@settings(max_examples=200, deadline=None)
def test_the_kappa_cut_is_the_best_of_all_cuts(pairs: list[tuple[int, bool]]) -> None:
    scores = np.array([s / 6 for s, _ in pairs])
    y = np.array([int(b) for _, b in pairs])
    cut, kappa = best_kappa_threshold(scores, y)
    if not y.any():
        assert cut == np.inf
        return
    best = max(_kappa(y, (scores >= t).astype(int)) for t in np.unique(scores))
    assert kappa == pytest.approx(best, abs=1e-9)
    assert _kappa(y, (scores >= cut).astype(int)) == pytest.approx(best, abs=1e-9)


def _kappa(a: np.ndarray, b: np.ndarray) -> float:
    if a.min() == a.max() and b.min() == b.max():
        return 0.0
    return float(cohen_kappa_score(a, b))


def test_choosing_the_profile_shows_progress_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    signal, labelled, _ = _labelled(3)
    X = sparse.csr_matrix(signal)
    choose_profile({"a": X, "b": X}, labelled, LogisticRegression, cv=3, random_state=0, show_progress=True)
    assert "choosing the feature profile" in capsys.readouterr().err
    choose_profile({"a": X, "b": X}, labelled, LogisticRegression, cv=3, random_state=0)
    assert "choosing the feature profile" not in capsys.readouterr().err

"""Evaluation metrics: the paired bootstrap behind "gain over a baseline"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from training.metrics import (
    compare_to_baselines,
    describe_gains,
    evaluate,
    gain_metrics,
    paired_difference,
)


def _noisy(Y: np.ndarray, flip: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.where(rng.random(Y.shape) < flip, 1 - Y, Y)


@pytest.fixture
def truth() -> np.ndarray:
    rng = np.random.default_rng(1)
    return (rng.random((600, 6)) < 0.25).astype(int)


def test_observed_differences_equal_sklearn_scores(truth):
    a, b = _noisy(truth, 0.05, 2), _noisy(truth, 0.15, 3)
    micro, macro = paired_difference(truth, a, b, n_boot=200)
    assert micro.difference == pytest.approx(
        f1_score(truth, a, average="micro") - f1_score(truth, b, average="micro")
    )
    assert macro.difference == pytest.approx(
        f1_score(truth, a, average="macro") - f1_score(truth, b, average="macro")
    )
    assert micro.low <= micro.difference <= micro.high


def test_a_clearly_better_model_has_an_interval_above_zero(truth):
    micro, macro = paired_difference(truth, _noisy(truth, 0.02, 2), _noisy(truth, 0.2, 3))
    assert micro.low > 0 and macro.low > 0


def test_equally_good_models_erring_on_different_rows_have_an_interval_around_zero():
    Y = np.zeros((400, 3), dtype=int)
    Y[:200, 0] = Y[100:300, 1] = Y[::3, 2] = 1
    a, b = Y.copy(), Y.copy()
    a[:30, 0] = 0  # a misses 30 companies of cluster 0, b misses 30 others
    b[30:60, 0] = 0
    micro, macro = paired_difference(Y, a, b)
    assert micro.difference == macro.difference == 0.0
    assert micro.low < 0 < micro.high and macro.low < 0 < macro.high


def test_identical_predictions_differ_by_exactly_nothing(truth):
    pred = _noisy(truth, 0.1, 2)
    for d in paired_difference(truth, pred, pred):
        assert (d.difference, d.low, d.high) == (0.0, 0.0, 0.0)


def test_the_interval_narrows_with_more_rows_and_is_seeded():
    rng = np.random.default_rng(5)
    widths = []
    for n in (200, 5000):
        Y = (rng.random((n, 4)) < 0.3).astype(int)
        micro, _ = paired_difference(Y, _noisy(Y, 0.05, 6), _noisy(Y, 0.1, 7))
        widths.append(micro.high - micro.low)
    assert widths[1] < widths[0] / 2
    Y = (rng.random((300, 4)) < 0.3).astype(int)
    a, b = _noisy(Y, 0.05, 8), _noisy(Y, 0.1, 9)
    assert paired_difference(Y, a, b, seed=3) == paired_difference(Y, a, b, seed=3)
    assert paired_difference(Y, a, b, seed=3) != paired_difference(Y, a, b, seed=4)


def test_macro_counts_only_clusters_present_in_the_resample():
    # cluster 1 has one true example: resamples without it must not count it as F1 = 0
    Y = np.zeros((50, 2), dtype=int)
    Y[:25, 0] = 1
    Y[0, 1] = 1
    perfect = Y.copy()
    _, macro = paired_difference(Y, perfect, perfect, n_boot=300)
    assert (macro.low, macro.high) == (0.0, 0.0)
    blind = Y.copy()
    blind[0, 1] = 0  # misses the rare cluster
    _, macro = paired_difference(Y, perfect, blind, n_boot=300)
    assert macro.difference == pytest.approx(0.5)
    assert macro.low == 0.0  # resamples without row 0 see no difference
    assert macro.high == pytest.approx(0.5)


def test_no_resamples_gives_the_difference_alone(truth):
    micro, _ = paired_difference(truth, _noisy(truth, 0.05, 2), truth, n_boot=0)
    assert micro.low == micro.high == micro.difference < 0


@pytest.mark.parametrize(
    "shapes",
    [((10, 3), (10, 3), (10, 2)), ((10, 3), (9, 3), (10, 3)), ((10,), (10,), (10,))],
)
def test_mismatched_shapes_are_refused(shapes):
    Y, a, b = (np.zeros(s, dtype=int) for s in shapes)
    with pytest.raises(ValueError, match="one shape"):
        paired_difference(Y, a, b)


def test_no_rows_and_a_bad_level_are_refused():
    empty = np.zeros((0, 3), dtype=int)
    with pytest.raises(ValueError, match="no rows"):
        paired_difference(empty, empty, empty)
    Y = np.ones((4, 2), dtype=int)
    with pytest.raises(ValueError, match="level"):
        paired_difference(Y, Y, Y, level=1.5)


def test_gains_over_each_baseline_table_lines_and_metric_names(truth):
    ids = [f"c{j}" for j in range(truth.shape[1])]
    model = evaluate(truth, None, ids, Y_pred=_noisy(truth, 0.03, 2))
    baselines = {
        "tfidf": evaluate(truth, None, ids, Y_pred=_noisy(truth, 0.1, 3)),
        "sic": evaluate(truth, None, ids, Y_pred=_noisy(truth, 0.3, 4)),
    }
    gains = compare_to_baselines(model, baselines, n_boot=200)
    assert list(gains["baseline"]) == ["tfidf", "tfidf", "sic", "sic"]
    assert list(gains["metric"]) == ["micro_f1", "macro_f1"] * 2
    tfidf_micro = gains.iloc[0]
    assert tfidf_micro["gain"] == pytest.approx(
        model.metrics["micro_f1"] - baselines["tfidf"].metrics["micro_f1"]
    )
    assert (gains["ci_low"] > 0).all()
    lines = describe_gains(gains)
    assert len(lines) == 2 and lines[0].startswith("classifier vs tfidf: micro-F1 +0.")
    assert "95% CI" in lines[1] and "macro-F1" in lines[1]
    names = gain_metrics(gains)
    assert names["gain_over_sic_macro_f1"] == pytest.approx(gains.iloc[3]["gain"])
    assert {"gain_over_tfidf_micro_f1_ci_low", "gain_over_tfidf_micro_f1_ci_high"} <= set(names)
    assert describe_gains(compare_to_baselines(model, {}, n_boot=10)) == []
    assert isinstance(compare_to_baselines(model, {}), pd.DataFrame)

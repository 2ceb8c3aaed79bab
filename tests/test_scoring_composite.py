"""Composite score (OECD/JRC steps), sensitivity analysis and cluster connections."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring.composite import Method, aggregate, normalise
from scoring.config import ScoringConfigError, Sensitivity, load_scoring_config
from scoring.connections import co_membership, sic_similarity


def test_minmax_with_base_year_bounds_and_inversion():
    base = np.array([[0.0, 0.0], [10.0, 10.0]])
    values = np.array([[5.0, 5.0], [20.0, 20.0]])
    method = Method(winsorise=False, log_transform=False)
    out = normalise(values, base, np.array([False, False]), np.array([True, False]), method)
    # bounds come from the base year: 20 is beyond the base maximum, so it scores 200
    assert out[:, 0].tolist() == [50.0, 200.0]
    assert out[:, 1].tolist() == [50.0, -100.0]  # lower is better: inverted


def test_winsorising_clips_outliers_at_two_sd():
    values = np.array([[0.0]] * 20 + [[1000.0]])
    out = normalise(
        values, values, np.array([False]), np.array([True]), Method(log_transform=False)
    )
    assert out.max() == pytest.approx(100.0)
    assert np.isfinite(out).all()
    raw = values.ravel()
    assert (raw.mean() + 2 * raw.std()) < 1000  # the outlier was clipped


def test_log_transform_of_heavy_tails():
    values = np.array([[0.0], [np.e - 1], [np.e**2 - 1]])
    out = normalise(values, values, np.array([True]), np.array([True]), Method(winsorise=False))
    assert out.ravel() == pytest.approx([0.0, 50.0, 100.0])


def test_base_year_without_values_falls_back_to_the_scored_year_and_nan_stays_nan():
    values = np.array([[1.0], [3.0], [np.nan]])
    base = np.array([[np.nan], [np.nan]])
    out = normalise(values, base, np.array([False]), np.array([True]), Method(winsorise=False))
    assert out[:2].ravel().tolist() == [0.0, 100.0]
    assert np.isnan(out[2, 0])


def test_constant_metric_scores_nan_in_every_normalisation():
    values = np.ones((4, 1))
    for name in ("minmax", "zscore", "rank"):
        out = normalise(values, values, np.array([False]), np.array([True]), Method(name))
        assert np.isnan(out).all(), name


def test_aggregate_equal_weights_and_missing_pillars():
    scores = np.array([[100.0, 50.0, 20.0, np.nan], [0.0, 0.0, np.nan, np.nan]])
    pillars, composite, coverage = aggregate(scores, np.array([0, 0, 1, 1]), np.ones(4), np.ones(2))
    assert pillars[0].tolist() == [75.0, 20.0]
    assert composite[0] == pytest.approx(47.5)
    assert coverage[0] == pytest.approx(0.75)
    assert np.isnan(pillars[1, 1]) and composite[1] == 0.0 and coverage[1] == 0.5


def test_config_rejects_unknown_metrics_and_wrong_pillars(tmp_path):
    bad = tmp_path / "w.yaml"
    bad.write_text("metrics: {size: {business_lq: 1}}\n")
    with pytest.raises(ScoringConfigError, match="belongs to pillar"):
        load_scoring_config(bad)
    bad.write_text("metrics: {size: {nope: 1}}\n")
    with pytest.raises(ScoringConfigError, match="unknown metric"):
        load_scoring_config(bad)
    good = tmp_path / "g.yaml"
    good.write_text("pillars: {size: 2}\nmetrics: {size: {business_count: 1}}\n")
    cfg = load_scoring_config(good)
    assert cfg.metric_weights() == {"size": {"business_count": 1.0}}


def test_gva_ratios_are_configurable_and_their_provenance_is_honest(tmp_path):
    cfg = load_scoring_config()
    assert cfg.gva_ratios["G"] == 0.15 and "Placeholder" in cfg.gva_provenance
    assert "Annual Business Survey" in cfg.gva_provenance
    cfg = load_scoring_config(gva_ratios={"C": 0.31})
    assert cfg.gva_ratios["C"] == 0.31 and cfg.gva_ratios["G"] == 0.15
    assert cfg.gva_provenance.endswith("Overridden in the scoring settings: C.")
    own = tmp_path / "abs.yaml"
    own.write_text("provenance: ABS 2023 test table\ndefault: 0.4\nsections: {C: 0.2}\n")
    weights = tmp_path / "w.yaml"
    weights.write_text(f"gva_ratios_file: {own}\n")
    cfg = load_scoring_config(weights)
    assert cfg.gva_ratios == {"C": 0.2} and cfg.gva_default_ratio == 0.4
    assert cfg.gva_provenance == "ABS 2023 test table"
    with pytest.raises(ScoringConfigError, match="GVA ratios"):
        load_scoring_config(gva_ratios={"C": 1.5})


def test_gva_ratios_reach_the_gva_estimate():
    from scoring.metrics import prepare_companies

    base = pd.DataFrame(
        {"company_id": ["1", "2"], "sic_codes": [["10110"], ["47110"]], "turnover": [100.0, 100.0]}
    )
    gva = prepare_companies(base, load_scoring_config(gva_ratios={"C": 0.31}))["gva"]
    assert gva.tolist() == [pytest.approx(31.0), pytest.approx(15.0)]


@pytest.fixture(scope="module")
def demo_result():
    from clusters.taxonomy import load_taxonomy
    from scoring.config import PROJECT_ROOT
    from scoring.inputs import load_companies, load_evidence, load_predictions, membership
    from scoring.run import score

    demo = PROJECT_ROOT / "data" / "demo"
    tax = load_taxonomy(PROJECT_ROOT / "data" / "taxonomy" / "midlands.yaml")
    base = load_companies(demo / "companies.csv")
    members = membership(load_predictions(demo / "truth.csv"), tax)
    cfg = load_scoring_config(sensitivity={"draws": 40, "seed": 3})
    return score(base, members, load_evidence(demo / "evidence"), cfg, tax), base, members


def test_demo_scores_are_tidy_and_ranked(demo_result):
    result, _, _ = demo_result
    ranking = result.ranking
    assert len(ranking) > 50
    assert ranking["rank"].min() == 1
    assert ranking["investment_potential"].is_monotonic_decreasing
    assert (ranking["rank_p05"] <= ranking["median_rank"]).all()
    assert (ranking["median_rank"] <= ranking["rank_p95"]).all()
    comps = set(result.scores["component"])
    assert {"size", "specialisation", "investment_potential"} <= comps
    assert result.scores.loc[result.scores["component"] == "size", "rank"].isna().all()


def test_sensitivity_is_reproducible_with_a_seed(demo_result):
    from scoring.composite import score_inputs
    from scoring.sensitivity import rank_intervals

    result, _, _ = demo_result
    inputs = score_inputs(result.metrics, result.config)
    a = rank_intervals(inputs, Sensitivity(draws=25, seed=11))
    b = rank_intervals(inputs, Sensitivity(draws=25, seed=11))
    c = rank_intervals(inputs, Sensitivity(draws=25, seed=12))
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_connections_by_hand():
    members = pd.DataFrame(
        {"company_id": ["1", "2", "3", "3", "4"], "cluster_id": ["a", "a", "a", "b", "b"]}
    )
    jac = co_membership(members).iloc[0]
    assert (jac.shared_companies, jac.jaccard) == (1, pytest.approx(1 / 4))
    base = pd.DataFrame(
        {
            "company_id": ["1", "2", "3", "4"],
            "sic_codes": [["62012"], ["62012"], ["10110"], ["10110"]],
        }  # fmt: skip
    )
    sim = sic_similarity(base, members).iloc[0]
    # a: 62012 x2, 10110 x1; b: 10110 x2 -> cosine = 2 / (sqrt(5) * 2)
    assert sim.sic_similarity == pytest.approx(1 / np.sqrt(5))


def test_demo_connections_name_the_multi_cluster_links(demo_result):
    result, _, _ = demo_result
    links = result.connections
    assert len(links) == 29 * 28 // 2
    top = links[~links["parent_child"]].nlargest(5, "jaccard")
    assert top["jaccard"].gt(0).all()
    assert links["lq_correlation"].between(-1, 1).all()

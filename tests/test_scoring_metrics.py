"""Scoring metrics: hand-computed expectations on a tiny fixture, reconciliation, missing data."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring.catalogue import CATALOGUE, METRIC_NAMES, by_name, catalogue_frame
from scoring.config import load_scoring_config
from scoring.inputs import Evidence, membership
from scoring.metrics import compute_metrics, sic_section

R1, R2 = "E12000004", "E12000005"
L1, L2, L3 = "E06000001", "E06000002", "E06000003"


def company(cid, lad, region, inc, diss=None, emp=None, turn=None, sic="62012", status="Active"):
    return {
        "company_id": cid,
        "name": f"C{cid}",
        "lad_code": lad,
        "lad_name": {L1: "One", L2: "Two", L3: "Three"}[lad],
        "region_code": region,
        "region_name": {R1: "Region One", R2: "Region Two"}[region],
        "status": "Dissolved" if diss else status,
        "incorporation_date": inc,
        "dissolution_date": diss,
        "sic_codes": [sic],
        "turnover": turn,
        "employees": emp,
    }


@pytest.fixture
def base() -> pd.DataFrame:
    return pd.DataFrame(
        [
            company("00000001", L1, R1, "2010-05-01", emp=300, turn=30e6, sic="62012"),
            company("00000002", L1, R1, "2022-03-01", emp=10, turn=1e6, sic="10110"),
            company("00000003", L2, R1, "2019-06-01", diss="2023-02-01"),
            company("00000004", L2, R1, "2021-01-01", emp=5),
            company("00000005", L3, R2, "2015-01-01", emp=20, turn=2e6, sic="62012"),
            company("00000006", L3, R2, "2020-07-01"),
        ]
    )


@pytest.fixture
def members() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "company_id": ["00000001", "00000002", "00000003", "00000002", "00000005"],
            "cluster_id": ["a", "a", "a", "b", "b"],
        }
    )


@pytest.fixture
def evidence() -> Evidence:
    d = pd.to_datetime
    return Evidence(
        {
            "rd_grants": pd.DataFrame(
                {
                    "company_id": ["00000001", "00000002", "00000005", "09999999"],
                    "date": d(["2024-01-01", "2018-01-01", "2025-02-01", "2025-01-01"]),
                    "amount": [100.0, 50.0, 200.0, 999.0],
                }
            ),
            "patents": pd.DataFrame(
                {
                    "company_id": ["00000001", "00000001", "00000005"],
                    "date": d(["2023-05-01", "2025-01-01", "2019-01-01"]),
                }
            ),
            "equity_deals": pd.DataFrame(
                {
                    "company_id": ["00000002", "00000005"],
                    "date": d(["2024-06-01", "2025-03-01"]),
                    "amount": [5e5, 2e6],
                }
            ),
            "spinouts": pd.DataFrame({"company_id": ["00000002"], "institution": ["U"]}),
            "fdi_projects": pd.DataFrame(
                {
                    "lad_code": [L3],
                    "cluster_ids": ["b"],
                    "date": d(["2024-05-01"]),
                    "jobs": [50.0],
                    "capex": [1e6],
                }  # fmt: skip
            ),
            "talent": pd.DataFrame(
                {
                    "lad_code": [L1, L3],
                    "cluster_id": ["a", "b"],
                    "related_graduates": [4.0, 2.0],
                    "related_workforce": [10.0, 5.0],
                    "total_workforce": [100.0, 200.0],
                    "degree_workforce": [30.0, 40.0],
                }  # fmt: skip
            ),
            "financials_history": pd.DataFrame(
                {
                    "company_id": ["00000001", "00000001", "00000005", "00000005"],
                    "year": [2022, 2025, 2022, 2025],
                    "employees": [200.0, 300.0, 10.0, 20.0],
                    "turnover": [20e6, 30e6, None, 2e6],
                }  # fmt: skip
            ),
        }
    )


@pytest.fixture
def cfg():
    return load_scoring_config(
        base_year=2020,
        latest_year=2025,
        area={"name": "Area", "regions": [R1]},
        benchmark_name="Bench",
    )


@pytest.fixture
def metrics(base, members, evidence, cfg) -> pd.DataFrame:
    return compute_metrics(base, members, evidence, cfg)


def value(metrics, metric, cluster="a", code=L1, year=2025, col="value"):
    row = metrics[
        (metrics["metric"] == metric)
        & (metrics["cluster_id"] == cluster)
        & (metrics["geo_code"] == code)
        & (metrics["year"] == year)
    ]
    assert len(row) == 1, (metric, cluster, code, year, len(row))
    return float(row[col].iloc[0])


def test_catalogue_has_at_least_22_unique_documented_metrics():
    assert len(CATALOGUE) >= 22
    assert len(set(METRIC_NAMES)) == len(METRIC_NAMES)
    for record in catalogue_frame():
        assert record["definition"] and record["formula"] and record["unit"]
    with pytest.raises(KeyError):
        by_name("nope")


def test_sic_section():
    assert [sic_section(c) for c in ("62012", "10110", "01110", "99999", "x")] == [
        "J", "C", "A", "U", None,
    ]  # fmt: skip


def test_every_catalogue_metric_is_computed(metrics):
    assert set(metrics["metric"]) == set(METRIC_NAMES)
    assert set(metrics["geo_level"]) == {"lad", "region", "area", "benchmark"}


def test_size_metrics_by_hand(metrics):
    assert value(metrics, "business_count") == 2
    assert value(metrics, "business_count", code=L2) == 0  # the only one was dissolved in 2023
    assert value(metrics, "business_count", code=L2, year=2022) == 1
    assert value(metrics, "benchmark_share") == 100.0
    assert value(metrics, "employees") == 310
    assert value(metrics, "turnover") == 31e6
    assert value(metrics, "gva_estimate") == pytest.approx(30e6 * 0.50 + 1e6 * 0.30)
    assert value(metrics, "anchor_firms") == 1
    assert value(metrics, "turnover_per_employee") == pytest.approx(31e6 / 310)
    assert value(metrics, "gva_per_employee") == pytest.approx(15.3e6 / 310)


def test_specialisation_by_hand(metrics):
    # all active companies 2025: L1 2, L2 1, L3 2 -> benchmark 5; cluster a: 2 in L1
    assert value(metrics, "business_lq") == pytest.approx((2 / 2) / (2 / 5))
    assert value(metrics, "business_lq", code=L2) == 0
    # employees: a in L1 310 of 310; a overall 310 of 335
    assert value(metrics, "employment_lq") == pytest.approx(1 / (310 / 335))


def test_dynamism_by_hand(metrics):
    assert value(metrics, "company_count_growth") == pytest.approx(100 * (2 ** (1 / 5) - 1))
    assert math.isnan(value(metrics, "company_count_growth", year=2020))  # base year
    assert value(metrics, "incorporations_5y") == 1  # 2022 in; 2019 is outside 2021-2025
    assert value(metrics, "incorporations_5y", code=L2, year=2023) == 1
    assert value(metrics, "young_firm_share") == 50.0
    assert value(metrics, "survival_3y") == 100.0  # 2022 cohort: company 2 survives
    assert math.isnan(value(metrics, "survival_5y"))  # no cluster-a company from 2020
    assert value(metrics, "survival_3y", code=L2, year=2022) == 100.0  # 2019 cohort, alive
    assert value(metrics, "survival_5y", code=L2, year=2024) == 0.0  # dissolved 2023


def test_history_metrics_by_hand(metrics):
    assert value(metrics, "employee_growth") == pytest.approx(100 * (1.5 ** (1 / 3) - 1))
    assert value(metrics, "turnover_growth") == pytest.approx(100 * (1.5 ** (1 / 3) - 1))
    assert value(metrics, "high_growth_firms") == 0  # 14.5 %/yr is below the 20 % bar
    assert value(metrics, "high_growth_firms", cluster="b", code=L3) == 1  # 10 -> 20 in 3 years
    assert math.isnan(value(metrics, "turnover_growth", cluster="b", code=L3))  # no start value
    assert value(metrics, "employee_growth", col="coverage") == 0.5  # 1 of 2 has history


def test_evidence_metrics_by_hand(metrics):
    assert value(metrics, "rd_grants_count") == 1
    assert value(metrics, "rd_grants_value") == 100
    assert value(metrics, "rd_grants_count", cluster="b") == 0  # 2018 is outside 2021-2025
    assert value(metrics, "rd_grants_count", cluster="b", year=2020) == 1
    assert value(metrics, "rd_grants_value", cluster="b", code=L3) == 200
    assert value(metrics, "fdi_projects", cluster="b", code=L3) == 1
    assert value(metrics, "fdi_jobs", cluster="b", code=R2) == 50
    assert value(metrics, "fdi_capex", cluster="b", code="BENCHMARK") == 1e6
    assert value(metrics, "related_workforce") == 10
    assert value(metrics, "related_graduates") == 4
    assert value(metrics, "workforce_lq") == pytest.approx((10 / 100) / (10 / 300))
    assert value(metrics, "degree_share") == 30.0


def test_patents_equity_and_spinouts_by_hand(metrics):
    assert value(metrics, "patents") == 2  # company 1, 2023 and 2025
    assert value(metrics, "patents", cluster="b", code=L3) == 0  # 2019 is outside 2021-2025
    assert value(metrics, "patents", cluster="b", code=L3, year=2020) == 1
    # company 2 (clusters a and b, L1) raised 0.5m in 2024; company 5 (b, L3) 2m in 2025
    assert value(metrics, "equity_deals_count") == 1
    assert value(metrics, "equity_deals_value") == 5e5
    assert value(metrics, "equity_deals_count", cluster="b", code="BENCHMARK") == 2
    assert value(metrics, "equity_deals_value", cluster="b", code="BENCHMARK") == 2.5e6
    assert value(metrics, "equity_deals_value", cluster="b", code=R2) == 2e6
    # company 2 is a spin-out, active from 2022
    assert value(metrics, "spinouts") == 1
    assert value(metrics, "spinouts", year=2021) == 0
    assert value(metrics, "spinouts", cluster="b", code=L3) == 0


def test_every_metric_has_a_hand_computed_expectation():
    """Guard: a metric added to the catalogue needs a hand-computed test in this file."""
    source = Path(__file__).read_text(encoding="utf-8")
    untested = [m for m in METRIC_NAMES if f'"{m}"' not in source.split("def test_catalogue")[1]]
    assert not untested


def test_missing_evidence_is_nan_with_zero_coverage(base, members, cfg):
    metrics = compute_metrics(base, members, Evidence(), cfg)
    for name in ("patents", "rd_grants_count", "fdi_jobs", "workforce_lq", "spinouts",
                 "equity_deals_value", "employee_growth", "high_growth_firms"):  # fmt: skip
        rows = metrics[metrics["metric"] == name]
        assert rows["value"].isna().all(), name
        assert (rows["coverage"] == 0).all(), name
    # a present file with no events for a place gives 0, not NaN
    assert value(metrics, "business_count", code=L3, cluster="a") == 0


def test_partial_reporting_lowers_coverage(metrics):
    # cluster b in L1: company 2 reports employees and turnover -> coverage 1
    assert value(metrics, "employees", cluster="b", col="coverage") == 1.0
    # all-companies L2 has 1 active company with employees but no turnover: not exposed;
    # cluster a in L2 has no active companies: sums are 0, ratios NaN
    assert value(metrics, "employees", code=L2) == 0
    assert math.isnan(value(metrics, "turnover_per_employee", code=L2))


def test_reconciliation_lads_sum_to_regions_and_area(metrics):
    additive = ["business_count", "employees", "turnover", "gva_estimate", "anchor_firms",
                "incorporations_5y", "rd_grants_count", "rd_grants_value", "fdi_projects",
                "related_workforce"]  # fmt: skip
    latest = metrics[metrics["year"] == 2025]
    for name in additive:
        m = latest[latest["metric"] == name]
        lads = m[m["geo_level"] == "lad"].groupby(["cluster_id", "region_code"])["value"].sum()
        regions = m[m["geo_level"] == "region"].set_index(["cluster_id", "geo_code"])["value"]
        regions.index.names = ["cluster_id", "region_code"]
        pd.testing.assert_series_equal(
            lads.sort_index(), regions.sort_index(), check_names=False, obj=name
        )
        area = m[(m["geo_level"] == "region") & (m["geo_code"] == R1)].set_index("cluster_id")
        area_total = m[m["geo_level"] == "area"].set_index("cluster_id")["value"]
        pd.testing.assert_series_equal(area["value"], area_total, check_names=False, obj=name)


def test_benchmark_lq_is_one(metrics):
    bench = metrics[(metrics["geo_level"] == "benchmark") & metrics["metric"].str.endswith("_lq")]
    assert np.allclose(bench["value"].dropna(), 1.0)
    assert bench["value"].notna().any()
    assert set(bench["geo_name"]) == {"Bench"}


def test_growth_of_a_constant_series_is_zero(cfg):
    base = pd.DataFrame([company("00000001", L1, R1, "2000-01-01", emp=5)])
    members = pd.DataFrame({"company_id": ["00000001"], "cluster_id": ["a"]})
    history = pd.DataFrame(
        {
            "company_id": ["00000001"] * 2,
            "year": [2022, 2025],
            "employees": [5.0, 5.0],
            "turnover": [1e5, 1e5],
        }  # fmt: skip
    )
    metrics = compute_metrics(base, members, Evidence({"financials_history": history}), cfg)
    growth = metrics[metrics["metric"].isin(["company_count_growth", "employee_growth",
                                              "turnover_growth"]) & (metrics["year"] == 2025)]  # fmt: skip
    assert np.allclose(growth["value"], 0.0)


def test_membership_implies_parents_and_drops_unknown_clusters():
    from clusters.taxonomy import Cluster, Taxonomy

    tax = Taxonomy(
        name="t",
        version="1",
        clusters=(
            Cluster(id="p", name="P", description="d", tier="super"),
            Cluster(id="c", name="C", description="d", tier="established", parent="p"),
        ),
    )
    preds = pd.DataFrame({"company_id": ["00000001", "00000002"], "labels": ["c", "zzz;p"]})
    pairs = membership(preds, tax)
    assert sorted(map(tuple, pairs.to_numpy())) == [
        ("00000001", "c"), ("00000001", "p"), ("00000002", "p"),
    ]  # fmt: skip


# --- site-level apportionment ----------------------------------------------------------------


@pytest.fixture
def sites() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "company_id": ["00000001", "00000005", "00000004", "00000004", "09999999"],
            "lad_code": [L3, L1, L1, L3, L1],
            "employee_share": [0.5, 0.25, 0.7, 0.6, 1.0],
            "turnover_share": [0.6, None, None, None, None],
        }
    )


@pytest.fixture
def sited(base, members, cfg, sites) -> pd.DataFrame:
    return compute_metrics(base, members, Evidence({"sites": sites}), cfg)


def test_site_shares_keep_the_remainder_at_the_registered_address(base, sites):
    from scoring.sites import site_shares

    shares = site_shares(sites, base, {L1: R1, L2: R1, L3: R2}).sort_values(
        ["company_id", "lad_code"]
    )
    # company 1: 50 % of employees and 60 % of turnover at L3, the rest at L1; company 5:
    # 25 % (turnover share defaults to the employee share) at L1; company 4's shares sum to
    # 1.3: left at its registered address; 09999999 is not in the base
    assert shares.values.tolist() == [
        ["00000001", L1, R1, 0.5, 0.4],
        ["00000001", L3, R2, 0.5, 0.6],
        ["00000005", L1, R1, 0.25, 0.25],
        ["00000005", L3, R2, 0.75, 0.75],
    ]


def test_sites_override_registered_address_by_hand(sited):
    # cluster a: company 1 (300 employees, 30m turnover, SIC J: GVA ratio 0.5) keeps 50 % of
    # employees and 40 % of turnover at L1 and moves the rest to L3; company 2 (10, 1m, C 0.3)
    assert value(sited, "employees") == 150 + 10
    assert value(sited, "employees", code=L3) == 150
    assert value(sited, "turnover") == pytest.approx(12e6 + 1e6)
    assert value(sited, "turnover", code=L3) == pytest.approx(18e6)
    assert value(sited, "gva_estimate") == pytest.approx(12e6 * 0.5 + 1e6 * 0.3)
    assert value(sited, "gva_estimate", code=L3) == pytest.approx(18e6 * 0.5)
    assert value(sited, "turnover_per_employee") == pytest.approx(13e6 / 160)
    assert value(sited, "turnover_per_employee", code=L3) == pytest.approx(18e6 / 150)
    assert value(sited, "employees", code=R2) == 150
    # counts stay at the registered address
    assert value(sited, "business_count") == 2
    assert value(sited, "business_count", code=L3) == 0
    assert value(sited, "anchor_firms") == 1
    assert value(sited, "anchor_firms", code=L3) == 0
    # cluster b: company 2 (10, 1m) at L1 and company 5 (20, 2m) split 25 % L1 / 75 % L3
    assert value(sited, "employees", cluster="b") == 10 + 5
    assert value(sited, "employees", cluster="b", code=L3) == 15
    assert value(sited, "turnover", cluster="b") == pytest.approx(1e6 + 0.5e6)
    # employment LQ at L3: all L3 employees = 150 (company 1) + 15 (company 5)
    assert value(sited, "employment_lq", code=L3) == pytest.approx((150 / 165) / (310 / 335))


def test_sites_move_financials_but_keep_totals(metrics, sited):
    def totals(frame, name):
        m = frame[(frame["metric"] == name) & (frame["year"] == 2025)]
        return m[m["geo_level"] == "benchmark"].set_index("cluster_id")["value"]

    for name in ("employees", "turnover", "gva_estimate", "business_count", "anchor_firms"):
        pd.testing.assert_series_equal(totals(metrics, name), totals(sited, name), obj=name)
    latest = sited[(sited["year"] == 2025) & (sited["metric"] == "employees")]
    lads = latest[latest["geo_level"] == "lad"].groupby("cluster_id")["value"].sum()
    bench = latest[latest["geo_level"] == "benchmark"].set_index("cluster_id")["value"]
    pd.testing.assert_series_equal(lads, bench, check_names=False)


def test_site_in_an_authority_without_companies_takes_its_given_region(base, members, cfg):
    sites = pd.DataFrame(
        {
            "company_id": ["00000001"],
            "lad_code": ["E06000099"],
            "employee_share": [1.0],
            "region_code": [R2],
        }
    )
    metrics = compute_metrics(base, members, Evidence({"sites": sites}), cfg)
    assert value(metrics, "employees", code="E06000099") == 300
    assert value(metrics, "employees", code=R2) == 300
    assert value(metrics, "employees") == 10


def test_site_table_contract_rejects_shares_outside_0_1(tmp_path):
    from scoring.inputs import load_evidence

    (tmp_path / "sites.csv").write_text(
        "company_id,lad_code,employee_share,turnover_share\n"
        "1,E06000001,0.5,0.4\n2,E06000001,1.5,\n3,E06000002,,0.2\n"
    )
    table = load_evidence(tmp_path).get("sites")
    assert table["company_id"].tolist() == ["00000001"]
    assert table["turnover_share"].tolist() == [0.4]

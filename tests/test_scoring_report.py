"""Maps, the report and the `clusters score` / `clusters report` commands on the demo."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from clusters.cli import app
from scoring.config import PROJECT_ROOT

DEMO = PROJECT_ROOT / "data" / "demo"
GEO = PROJECT_ROOT / "data" / "geo"


def test_choropleth_draws_every_area_with_a_legend(tmp_path):
    from scoring.maps import choropleth, load_lads, load_regions

    lads = load_lads(GEO)
    values = pd.Series(np.arange(len(lads), dtype=float), index=lads["LAD13CD"]).iloc[:-2]
    fig = choropleth(values, "Test", "n", lads=lads, regions=load_regions(GEO))
    assert len(fig.data) == 70
    assert fig.data["value"].isna().sum() == 2
    assert len(fig.legend_labels) >= 5 and "no data" in fig.legend_labels
    path = fig.save(tmp_path / "map.png", dpi=40)
    assert path.stat().st_size > 1000


def test_choropleth_with_few_distinct_values_is_categorical():
    from scoring.maps import choropleth, load_lads

    lads = load_lads(GEO)
    values = pd.Series(0.0, index=lads["LAD13CD"])
    values.iloc[:3] = 1.0
    fig = choropleth(values, "Few", "n", lads=lads)
    assert fig.legend_labels == ["0", "1"]


def test_top_cluster_map_and_folium(tmp_path):
    from scoring.maps import folium_map, load_lads, top_cluster_map

    lads = load_lads(GEO)
    top = pd.Series(["a", "b"] * 35, index=lads["LAD13CD"])
    fig = top_cluster_map(top, lads=lads)
    assert len(fig.data) == 70 and {"a", "b"} <= set(fig.legend_labels)
    fmap = folium_map(
        pd.DataFrame({"n": np.arange(70.0)}, index=lads["LAD13CD"]), "n", "t", lads=lads
    )
    fmap.save(str(tmp_path / "m.html"))
    assert "Local authority" in (tmp_path / "m.html").read_text()


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    out = tmp_path_factory.mktemp("scores")
    weights = out / "w.yaml"
    weights.write_text("sensitivity: {draws: 30, seed: 1}\n")
    result = CliRunner().invoke(
        app,
        [
            "score", "--companies", str(DEMO / "companies.csv"), "--predictions",
            str(DEMO / "truth.csv"), "--evidence", str(DEMO / "evidence"), "--weights",
            str(weights), "--output", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out, result.output


def test_score_command_writes_tidy_tables(scored):
    out, output = scored
    assert "top 5 cluster-places" in output
    for name in ("metrics.parquet", "metrics.csv", "scores.parquet", "scores.csv",
                 "connections.csv", "coverage.csv", "catalogue.csv", "scoring.yaml"):  # fmt: skip
        assert (out / name).exists(), name
    metrics = pd.read_parquet(out / "metrics.parquet")
    assert metrics["metric"].nunique() >= 22
    bench = metrics[(metrics["geo_level"] == "benchmark") & (metrics["metric"] == "business_lq")]
    assert np.allclose(bench["value"].dropna(), 1.0)
    # the demo has no financial history: growth is missing, not zero
    growth = metrics[metrics["metric"] == "employee_growth"]
    assert growth["value"].isna().all() and (growth["coverage"] == 0).all()


def test_report_builds_from_the_demo_with_every_cluster(scored, tmp_path):
    from clusters.taxonomy import load_taxonomy
    from scoring.report import build_report

    out, _ = scored
    tax = load_taxonomy(PROJECT_ROOT / "data" / "taxonomy" / "midlands.yaml")
    report = build_report(
        out, tmp_path / "report", companies=DEMO / "companies.csv",
        predictions=DEMO / "truth.csv", taxonomy=tax, dpi=40, geo_dir=GEO, cluster_maps=False,
    )  # fmt: skip
    html = report.html.read_text(encoding="utf-8")
    sections = re.findall(r'<section class="cluster" id="([^"]+)"', html)
    assert sections == tax.ids
    assert "Methods appendix" in html and "Business location quotient" in html
    assert html.count("data:image/png;base64,") >= len(tax.ids) + 5
    assert "SYNTHETIC" in html  # top companies are the synthetic demo companies
    assert any(p.suffix == ".html" for p in report.files)
    assert 'src="http' not in html.split("<body>")[1].split("Interactive map")[0]


def test_score_command_reports_a_missing_file(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "score",
            "--companies",
            str(tmp_path / "none.csv"),
            "--predictions",
            str(DEMO / "truth.csv"),
            "--output",
            str(tmp_path),
        ],  # fmt: skip
    )
    assert result.exit_code == 2
    assert "no such file" in result.output

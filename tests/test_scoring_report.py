"""Maps, the report and the `clusters score` / `clusters report` commands on the demo."""

from __future__ import annotations

import re
import zlib

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from clusters.cli import app
from scoring.config import PROJECT_ROOT

DEMO = PROJECT_ROOT / "data" / "demo"
GEO = PROJECT_ROOT / "data" / "geo"
TAXONOMY = PROJECT_ROOT / "data" / "taxonomy" / "midlands.yaml"


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


def test_designations_overlay_static_and_folium_maps(tmp_path):
    from scoring.designations import load_designations
    from scoring.maps import choropleth, folium_map, load_lads

    lads = load_lads(GEO)
    table = load_designations(DEMO / "designations.csv")
    values = pd.Series(np.arange(len(lads), dtype=float), index=lads["LAD13CD"])
    fig = choropleth(values, "Test", "n", lads=lads, designations=table)
    assert len(fig.data) == 70 and len(fig.legend_labels) == 5
    assert [" ".join(label.split()) for label in fig.overlay_labels] == [
        "Freeport: East Midlands Freeport",
        "Investment Zone: East Midlands Investment Zone, West Midlands Investment Zone",
    ]  # labels are wrapped to the legend's width
    fig.save(tmp_path / "overlay.png", dpi=40)
    fmap = folium_map(
        pd.DataFrame({"n": values}), "n", "t", lads=lads, designations=table.head(1)
    )  # fmt: skip
    fmap.save(str(tmp_path / "m.html"))
    html = (tmp_path / "m.html").read_text()
    assert "East Midlands Freeport" in html and "Investment Zone" not in html


def test_designations_contract_and_relations(tmp_path):
    from scoring.designations import load_designations, related

    path = tmp_path / "d.csv"
    path.write_text(
        "place_code,designation,name,cluster_ids\n"
        "E08000025,Investment Zone,IZ,advanced-manufacturing\n"
        "E08000026,Freeport,,automotive-ev\n"  # no name: rejected
        "E08000031,High Potential Opportunity,HPO,\n"  # not cluster-specific
    )
    table = load_designations(path)
    assert table["name"].tolist() == ["IZ", "HPO"]
    parents = {"robotics-automation": "advanced-manufacturing", "advanced-manufacturing": None}
    assert related(table, "robotics-automation", parents)["name"].tolist() == ["IZ"]
    assert related(table, "advanced-manufacturing", parents)["name"].tolist() == ["IZ"]
    assert related(table, "fintech", parents).empty
    with pytest.raises(FileNotFoundError):
        load_designations(tmp_path / "none.csv")


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    out = tmp_path_factory.mktemp("scores")
    weights = out / "w.yaml"
    weights.write_text(
        "sensitivity: {draws: 30, seed: 1}\nreport: {pdf: true, dpi: 40, cluster_maps: false}\n"
    )
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
    # the synthetic history covers some companies: growth is shown, with partial coverage
    growth = metrics[(metrics["metric"] == "employee_growth") & (metrics["geo_level"] == "area")]
    assert growth["value"].notna().all()
    assert ((growth["coverage"] > 0) & (growth["coverage"] < 1)).all()
    # every metric can be shown on the demo (some value somewhere in the area)
    area = metrics[(metrics["geo_level"] == "area") & (metrics["year"] == metrics["year"].max())]
    assert area.groupby("metric")["value"].apply(lambda v: v.notna().any()).all()


@pytest.fixture(scope="module")
def report(scored, tmp_path_factory):
    """`clusters report` on the demo, with designations and the PDF (settings: dpi 40, maps
    of the detailed cluster only)."""
    out, _ = scored
    folder = tmp_path_factory.mktemp("report")
    result = CliRunner().invoke(
        app,
        [
            "report", "--scores", str(out), "--output", str(folder), "--companies",
            str(DEMO / "companies.csv"), "--predictions", str(DEMO / "truth.csv"),
            "--designations", str(DEMO / "designations.csv"), "--taxonomy", str(TAXONOMY),
            "--cluster", "automotive-ev",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder, result.output


def _cluster_pages(html: str) -> dict[str, str]:
    parts = re.split(r'<section class="cluster" id="([^"]+)">', html)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_report_builds_from_the_demo_with_every_cluster(report):
    from clusters.taxonomy import load_taxonomy

    folder, output = report
    html = (folder / "report.html").read_text(encoding="utf-8")
    tax = load_taxonomy(TAXONOMY)
    assert list(_cluster_pages(html)) == tax.ids
    assert "Methods appendix" in html and "Business location quotient" in html
    assert html.count("data:image/png;base64,") >= len(tax.ids) + 5
    assert "SYNTHETIC" in html  # top companies are the synthetic demo companies
    assert (folder / "maps" / "automotive-ev_interactive.html").exists()
    assert 'src="http' not in html.split("<body>")[1].split("Interactive map")[0]
    assert f"report: {folder / 'report.html'}" in output


def test_methods_appendix_states_gva_provenance_and_the_site_table(report):
    folder, _ = report
    html = (folder / "report.html").read_text(encoding="utf-8")
    appendix = html.split('id="methods"')[1]
    assert "Placeholder approximations" in appendix and "Annual Business Survey" in appendix
    assert "split across their sites" in appendix  # the demo evidence has a site table
    assert "sites: <code>" in appendix


def test_report_lists_designations_on_each_cluster_page(report):
    folder, _ = report
    pages = _cluster_pages((folder / "report.html").read_text(encoding="utf-8"))
    assert all("Place designations targeting this cluster" in page for page in pages.values())
    assert "West Midlands Investment Zone" in pages["automotive-ev"]
    assert "East Midlands Freeport" not in pages["automotive-ev"]
    # a child cluster sees designations targeting its parent
    assert "East Midlands Freeport" in pages["robotics-automation"]
    assert "None in the designations file" in pages["fintech"]
    interactive = (folder / "maps" / "automotive-ev_interactive.html").read_text()
    assert "East Midlands Freeport" in interactive and "Investment Zone" in interactive


def _pdf_objects(data: bytes) -> bytes:
    """The PDF's text with its compressed object streams expanded (no PDF library needed)."""
    chunks = [data]
    for m in re.finditer(rb"<<([^<>]*?/Type\s*/ObjStm[^<>]*?)>>\s*stream\r?\n", data):
        length = int(re.search(rb"/Length\s+(\d+)", m.group(1)).group(1))
        chunks.append(zlib.decompress(data[m.end() : m.end() + length]))
    return b"\n".join(chunks)


def test_report_pdf_has_a_page_run_per_cluster_and_bookmarks(report):
    from clusters.taxonomy import load_taxonomy

    folder, output = report
    data = (folder / "report.pdf").read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(data) > 200_000
    objects = _pdf_objects(data)
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", objects))
    tax = load_taxonomy(TAXONOMY)
    # a cover page run, every cluster starting on a new page, the appendix
    assert pages >= len(tax.ids) + 3
    assert f"({pages} pages)" in output
    for cluster in tax.clusters:  # every cluster page is a bookmark
        title = cluster.name.replace("(", r"\(").replace(")", r"\)")  # PDF string escapes
        assert f"/Title ({title})".encode() in objects, cluster.name
    assert b"/Title (Methods appendix)" in objects


def test_report_without_pdf_or_designations(scored, tmp_path):
    from clusters.taxonomy import load_taxonomy
    from scoring.report import build_report

    out, _ = scored
    full = load_taxonomy(TAXONOMY)  # two clusters keep this fast
    tax = full.model_copy(update={"clusters": (full["agri-food"], full["agri-tech"])})
    report = build_report(
        out, tmp_path, taxonomy=tax, pdf=False, geo_dir=GEO, clusters=["agri-tech"], dpi=30
    )
    assert report.pdf is None and not (tmp_path / "report.pdf").exists()
    assert report.clusters == ["agri-food", "agri-tech"]
    html = report.html.read_text(encoding="utf-8")
    assert "Place designations" not in html  # no designations file given


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


def _score(tmp_path, companies, *extra):
    weights = tmp_path / "w.yaml"
    weights.write_text("sensitivity: {draws: 5, seed: 1}\n")
    return CliRunner().invoke(
        app,
        [
            "score", "--companies", str(companies), "--predictions", str(DEMO / "truth.csv"),
            "--weights", str(weights), "--output", str(tmp_path / "out"), *extra,
        ],
    )  # fmt: skip


def test_score_command_year_sets_the_snapshot(tmp_path):
    result = _score(tmp_path, DEMO / "companies.csv", "--year", "2021")
    assert result.exit_code == 0, result.output
    scores = pd.read_parquet(tmp_path / "out" / "scores.parquet")
    assert set(scores["year"]) == {2021}


def test_score_command_on_a_base_without_dates_says_what_to_do(tmp_path):
    base = pd.read_csv(DEMO / "companies.csv", dtype=str, keep_default_na=False)
    undated = tmp_path / "undated.csv"
    base.assign(incorporation_date="", dissolution_date="", accounts_period_end="").to_csv(
        undated, index=False
    )

    result = _score(tmp_path, undated)
    assert result.exit_code == 2
    assert "no dates" in result.output and "--year" in result.output

    result = _score(tmp_path, undated, "--year", "2024")
    assert result.exit_code == 2, result.output
    assert "incorporation date" in result.output and "Traceback" not in result.output

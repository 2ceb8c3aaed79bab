"""The analyst report: maps, charts and one self-contained HTML file (``clusters report``).

Reads the folder written by ``clusters score`` (metrics, scores, connections, settings) and,
optionally, the company base and predictions (for each cluster's top companies). Writes to the
output folder:

* ``report.html``: self-contained (every image embedded as base64), no server needed; a
  summary of the top cluster-places, a section per cluster (definition, headline findings
  written from the numbers, key metrics vs the benchmark, maps and charts, top places,
  connections, top companies, caveats and coverage) and a methods appendix generated from the
  metrics catalogue;
* ``maps/*.png``: the choropleths and charts, also as files;
* ``maps/<cluster>_interactive.html``: a folium map of the detailed cluster(s).

PDF output (WeasyPrint) is not provided: print the HTML to PDF from a browser.
"""

from __future__ import annotations

import base64
import io
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import jinja2
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import yaml

from clusters.taxonomy import Taxonomy, load_taxonomy
from scoring.catalogue import CATALOGUE, by_name, catalogue_frame
from scoring.connections import strongest_links
from scoring.maps import (
    choropleth,
    count_index_chart,
    folium_map,
    heatmap,
    load_lads,
    load_regions,
    network,
    pillar_chart,
    rank_interval_chart,
    top_cluster_map,
)

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
COMPOSITE = "investment_potential"
KEY_METRICS = [
    "business_count", "benchmark_share", "business_lq", "employees", "employment_lq",
    "turnover", "gva_estimate", "turnover_per_employee", "company_count_growth",
    "incorporations_5y", "young_firm_share", "anchor_firms", "survival_3y", "survival_5y",
    "employee_growth", "high_growth_firms", "related_workforce", "workforce_lq",
    "rd_grants_count", "rd_grants_value", "patents", "spinouts", "equity_deals_count",
    "equity_deals_value", "fdi_projects", "fdi_jobs", "fdi_capex",
]  # fmt: skip
DETAIL_MAPS = ["business_count", "business_lq", "employees", "turnover", "rd_grants_count"]


@dataclass
class ScoreOutputs:
    """The tables written by ``clusters score``."""

    metrics: pd.DataFrame
    scores: pd.DataFrame
    connections: pd.DataFrame
    settings: dict

    @classmethod
    def read(cls, folder: Path) -> ScoreOutputs:
        folder = Path(folder)
        for name in ("metrics.parquet", "scores.parquet", "connections.csv", "scoring.yaml"):
            if not (folder / name).exists():
                raise FileNotFoundError(f"{folder / name}: run `clusters score` first")
        return cls(
            pd.read_parquet(folder / "metrics.parquet"),
            pd.read_parquet(folder / "scores.parquet"),
            pd.read_csv(folder / "connections.csv"),
            yaml.safe_load((folder / "scoring.yaml").read_text(encoding="utf-8")),
        )


@dataclass
class Report:
    html: Path
    files: list[Path] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)


def fmt(value: object, unit: str = "") -> str:
    """A number for people: thousands separators, sensible decimals, "n/a" for missing.

    >>> fmt(1234567.0, "GBP"), fmt(0.8765, "ratio"), fmt(float("nan")), fmt(12.345, "%")
    ('£1.2m', '0.88', 'n/a', '12.3%')
    """
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    v = float(value)
    if unit == "GBP" or unit.startswith("GBP"):
        for div, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
            if abs(v) >= div:
                return f"£{v / div:.1f}{suffix}"
        return f"£{v:,.0f}"
    if unit == "ratio":
        return f"{v:.2f}"
    if unit.startswith("%"):
        return f"{v:.1f}{unit}"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _png(fig: plt.Figure, path: Path, dpi: int) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    path.write_bytes(buffer.getvalue())
    return base64.b64encode(buffer.getvalue()).decode("ascii")


class MetricIndex:
    """The tidy metrics split once by (metric, level, year) and by cluster for fast look-ups."""

    def __init__(self, metrics: pd.DataFrame) -> None:
        self.frame = metrics
        self.year = int(metrics["year"].max())
        self.groups = dict(iter(metrics.groupby(["metric", "geo_level", "year"], sort=False)))
        latest = metrics[metrics["year"] == self.year]
        self.latest = dict(iter(latest.groupby("cluster_id", sort=False)))
        self.empty = metrics.iloc[0:0]

    def get(self, name: str, level: str, year: int) -> pd.DataFrame:
        return self.groups.get((name, level, year), self.empty)


def _metric(metrics: MetricIndex, name: str, level: str, year: int) -> pd.DataFrame:
    return metrics.get(name, level, year)


def _lad_values(metrics: MetricIndex, cluster: str, name: str, year: int) -> pd.Series:
    sub = _metric(metrics, name, "lad", year)
    sub = sub[sub["cluster_id"] == cluster]
    return sub.set_index("geo_code")["value"]


def _top_companies(
    companies: Path | None, predictions: Path | None, taxonomy: Taxonomy
) -> dict[str, pd.DataFrame]:
    if companies is None or predictions is None:
        return {}
    from scoring.inputs import load_companies, load_predictions, membership

    base = load_companies(companies)
    active = base[base.get("dissolution_date").isna()] if "dissolution_date" in base else base
    members = membership(load_predictions(predictions), taxonomy).merge(active, on="company_id")
    members = members.sort_values(["employees", "turnover"], ascending=False, na_position="last")
    return {c: g.head(5) for c, g in members.groupby("cluster_id")}


def _findings(
    cid: str, name: str, metrics: MetricIndex, ranking: pd.DataFrame, s: dict, year: int
) -> list[str]:
    area, base_year = s["area"]["name"], s["base_year"]

    def at(metric: str, level: str = "area", y: int = year) -> float:
        sub = _metric(metrics, metric, level, y)
        sub = sub[sub["cluster_id"] == cid]
        return float(sub["value"].iloc[0]) if len(sub) else float("nan")

    lines = []
    n, n0, growth = (
        at("business_count"),
        at("business_count", y=base_year),
        at("company_count_growth"),
    )
    share = at("benchmark_share")
    text = f"In {year}, {area} has {fmt(n)} active {name} companies"
    if np.isfinite(share) and share < 99.95:
        text += f" ({fmt(share, '%')} of the benchmark's)"
    if np.isfinite(growth):
        text += f", against {fmt(n0)} in {base_year}: {growth:+.1f}% a year"
        bench_growth = at("company_count_growth", "benchmark")
        if np.isfinite(bench_growth) and abs(bench_growth - growth) > 0.05:
            text += f" (benchmark {bench_growth:+.1f}% a year)"
    lines.append(text + ".")
    inc5, young, young_b = (
        at("incorporations_5y"),
        at("young_firm_share"),
        at("young_firm_share", "benchmark"),
    )
    lines.append(
        f"{fmt(inc5)} were incorporated in the last five years; {fmt(young, '%')} of active "
        f"companies are under five years old (benchmark {fmt(young_b, '%')})."
    )
    lq = _metric(metrics, "business_lq", "lad", year)
    count = _metric(metrics, "business_count", "lad", year)
    lq = lq[lq["cluster_id"] == cid].merge(
        count[count["cluster_id"] == cid][["geo_code", "value"]], on="geo_code", suffixes=("", "_n")
    )
    lq = lq[lq["value_n"] >= s["min_businesses"]].nlargest(3, "value")
    if len(lq):
        places = ", ".join(
            f"{r.geo_name} (LQ {r.value:.2f}, {fmt(r.value_n)} companies)" for r in lq.itertuples()
        )
        lines.append(f"Most concentrated in {places}.")
    emp, anchors = at("employees"), at("anchor_firms")
    if np.isfinite(emp):
        lines.append(
            f"Cluster companies report {fmt(emp)} employees and {fmt(at('turnover'), 'GBP')} "
            f"turnover; {fmt(anchors)} anchor firms have 250+ staff."
        )
    rd, eq = at("rd_grants_value"), at("equity_deals_value")
    if np.isfinite(rd) or np.isfinite(eq):
        lines.append(
            f"In the last {s['evidence_window_years']} years: {fmt(at('rd_grants_count'))} R&D "
            f"grants ({fmt(rd, 'GBP')}), {fmt(at('patents'))} patents, "
            f"{fmt(at('equity_deals_count'))} equity deals ({fmt(eq, 'GBP')}) and "
            f"{fmt(at('fdi_projects'))} FDI projects ({fmt(at('fdi_jobs'))} jobs)."
        )
    mine = ranking[ranking["cluster_id"] == cid]
    if len(mine):
        best = mine.nsmallest(1, "rank").iloc[0]
        lines.append(
            f"Highest potential place: {best.geo_name}, score {best[COMPOSITE]:.1f}, rank "
            f"{int(best['rank'])} of {len(ranking)} cluster-places (90% interval "
            f"{best.rank_p05:.0f}-{best.rank_p95:.0f}"
            f"{'' if best.robust else ', not robust'})."
        )
    return lines


def _key_metrics(cid: str, metrics: MetricIndex) -> list[dict]:
    rows = []
    latest = metrics.latest.get(cid, metrics.empty)
    for name in KEY_METRICS:
        m = by_name(name)
        sub = latest[latest["metric"] == name].set_index("geo_level")
        if "area" not in sub.index:
            continue
        rows.append(
            {
                "label": m.label,
                "area": fmt(sub.loc["area", "value"], m.unit),
                "bench": fmt(sub.loc["benchmark", "value"], m.unit),
                "unit": m.unit,
                "coverage": fmt(100 * sub.loc["area", "coverage"], "%"),
            }
        )
    return rows


def _caveats(cid: str, metrics: MetricIndex) -> list[str]:
    latest = metrics.latest.get(cid, metrics.empty)
    latest = latest[latest["geo_level"] == "area"].set_index("metric")
    missing = [by_name(n).label for n in latest.index if pd.isna(latest.loc[n, "value"])]
    lines = []
    if missing:
        lines.append(
            "Not available (missing source, shown as n/a, never as zero): "
            + ", ".join(missing)
            + "."
        )
    for name in ("employees", "turnover", "turnover_per_employee"):
        if name in latest.index and latest.loc[name, "coverage"] < 1:
            lines.append(
                f"{by_name(name).label}: {fmt(100 * latest.loc[name, 'coverage'], '%')} of active "
                "companies report the input; totals are lower bounds."
            )
    lines += [
        "Financials are apportioned by registered address: branch sites are not seen.",
        "Company counts over time are built from incorporation and dissolution dates of the "
        "companies in today's register: firms removed before the snapshot are missed, so past "
        "counts and growth are approximate.",
        "Cluster membership comes from a classifier's predictions: precision is below 100%.",
    ]
    return lines


def build_report(
    scores_dir: Path,
    output_dir: Path,
    *,
    companies: Path | None = None,
    predictions: Path | None = None,
    clusters: list[str] | None = None,
    taxonomy: Path | Taxonomy | None = None,
    dpi: int = 110,
    geo_dir: Path | None = None,
    top_n: int = 15,
    cluster_maps: bool = True,
) -> Report:
    """Build the report from a ``clusters score`` folder (see the module docstring).

    Args:
        clusters: clusters to map in detail (count, LQ, employees, turnover, grants, and an
            interactive map); default: the cluster of the top-ranked cluster-place. Every
            cluster gets its LQ map and count chart.
        cluster_maps: draw each cluster's LQ map (False: only the detailed clusters' maps;
            faster, for tests and previews).
    """
    out = ScoreOutputs.read(scores_dir)
    s = out.settings
    output_dir = Path(output_dir)
    maps_dir = output_dir / "maps"
    if taxonomy is None:
        from clusters.config import get_settings

        taxonomy = get_settings().paths.taxonomy
    tax = taxonomy if isinstance(taxonomy, Taxonomy) else load_taxonomy(Path(taxonomy))
    metrics, scores = out.metrics, out.scores
    index = MetricIndex(metrics)
    year = index.year
    base_year = int(s["base_year"])
    lads, regions = load_lads(geo_dir), load_regions(geo_dir)
    ranking = scores[scores["component"] == COMPOSITE].sort_values("rank").reset_index(drop=True)
    ranking = ranking.rename(columns={"score": COMPOSITE}).drop(columns="component")
    pillars = [p for p in scores["component"].unique() if p != COMPOSITE]
    wide = scores.pivot_table(
        index=["cluster_id", "geo_code"], columns="component", values="score"
    ).reset_index()
    ranking = ranking.merge(
        wide[["cluster_id", "geo_code", *pillars]], on=["cluster_id", "geo_code"]
    )
    names = {c.id: c.name for c in tax.clusters}
    ranking["cluster_name"] = ranking["cluster_id"].map(names).fillna(ranking["cluster_id"])
    present = [c for c in tax.ids if c in set(metrics["cluster_id"])]
    detailed = clusters or ([ranking["cluster_id"].iloc[0]] if len(ranking) else present[:1])
    unknown = set(detailed) - set(present)
    if unknown:
        raise ValueError(f"no metrics for cluster(s) {sorted(unknown)}")
    files: list[Path] = []

    def image(fig: plt.Figure, name: str, alt: str) -> dict:
        path = maps_dir / f"{name}.png"
        data = _png(fig, path, dpi)
        files.append(path)
        return {"data": data, "alt": alt}

    # overview
    overview = []
    top = ranking.dropna(subset=[COMPOSITE]).drop_duplicates("geo_code")
    top_by_lad = top.set_index("geo_code")["cluster_name"]
    overview.append(image(top_cluster_map(top_by_lad, lads=lads, regions=regions).figure,
                          "top_cluster_by_lad", "Cluster with the highest investment potential in each local authority"))  # fmt: skip
    head = ranking.head(top_n)
    overview.append(image(pillar_chart(head, pillars, "Score breakdown by pillar, top cluster-places"),
                          "pillars_top", "Pillar scores of the top cluster-places"))  # fmt: skip
    overview.append(image(rank_interval_chart(ranking.head(max(top_n, 25)), "Rank intervals (Monte Carlo sensitivity)"),
                          "rank_intervals", "Median rank and 90% rank interval; red = not robust"))  # fmt: skip
    links = out.connections
    jac = pd.concat(
        [links, links.rename(columns={"cluster_a": "cluster_b", "cluster_b": "cluster_a"})]
    )
    matrix = jac.pivot_table(index="cluster_a", columns="cluster_b", values="jaccard").reindex(
        index=present, columns=present
    )
    overview.append(image(heatmap(matrix, "Company co-membership between clusters (Jaccard)"),
                          "connections_heatmap", "Co-membership heatmap (parent-child pairs included)"))  # fmt: skip
    overview.append(image(network(links[~links["parent_child"]], "jaccard", "Strongest links between clusters (co-membership)"),
                          "connections_network", "Network of the strongest co-membership links (parent-child pairs left out)"))  # fmt: skip

    # interactive map of the detailed cluster(s)
    interactive = None
    for cid in detailed:
        table = pd.DataFrame(
            {
                "businesses": _lad_values(index, cid, "business_count", year),
                "business LQ": _lad_values(index, cid, "business_lq", year),
                "employees": _lad_values(index, cid, "employees", year),
            }
        )
        sc = ranking[ranking["cluster_id"] == cid].set_index("geo_code")[COMPOSITE]
        table["investment potential"] = sc.reindex(table.index)
        fmap = folium_map(table, "business LQ", f"{names.get(cid, cid)}: business LQ", lads=lads)
        path = maps_dir / f"{cid}_interactive.html"
        maps_dir.mkdir(parents=True, exist_ok=True)
        fmap.save(str(path))
        files.append(path)
        interactive = interactive or str(path.relative_to(output_dir))

    # a section per cluster
    top_companies = _top_companies(companies, predictions, tax)
    sections = []
    count_series = metrics[
        (metrics["metric"] == "business_count") & metrics["geo_level"].isin(["area", "benchmark"])
    ]
    for cid in present:
        cluster = tax[cid]
        imgs = []
        for metric_name in DETAIL_MAPS if cid in detailed else ["business_lq"] * cluster_maps:
            m = by_name(metric_name)
            values = _lad_values(index, cid, metric_name, year)
            fig = choropleth(
                values, f"{cluster.name}: {m.label}, {year}", m.unit, lads=lads, regions=regions,
                fmt="{:.2f}" if m.unit == "ratio" else "{:,.0f}",
            ).figure  # fmt: skip
            imgs.append(image(fig, f"{cid}_{metric_name}", f"{m.label} by local authority"))
        series = count_series[count_series["cluster_id"] == cid].pivot_table(
            index="year", columns="geo_level", values="value"
        )
        series = series.rename(columns={"area": s["area"]["name"], "benchmark": "benchmark"})
        imgs.append(image(count_index_chart(series, f"{cluster.name}: active companies", base_year),
                          f"{cid}_count_index", "Company count over time (index)"))  # fmt: skip
        mine = ranking[ranking["cluster_id"] == cid].head(8)
        counts = _lad_values(index, cid, "business_count", year)
        lqs = _lad_values(index, cid, "business_lq", year)
        places = [
            {
                "rank": int(r.rank), "geo_name": r.geo_name, "score": f"{getattr(r, COMPOSITE):.1f}",
                "count": fmt(counts.get(r.geo_code)), "lq": fmt(lqs.get(r.geo_code), "ratio"),
                "interval": f"{r.rank_p05:.0f}-{r.rank_p95:.0f}", "robust": bool(r.robust),
            }
            for r in mine.itertuples()
        ]  # fmt: skip
        conn = [
            f"{names.get(r.other, r.other)}: {r.shared_companies} shared companies (Jaccard "
            f"{r.jaccard:.3f}), LQ correlation across places {fmt(r.lq_correlation, 'ratio')}, "
            f"SIC similarity {fmt(r.sic_similarity, 'ratio')}"
            for r in strongest_links(links, cid).itertuples()
            if r.shared_companies > 0 or (np.isfinite(r.lq_correlation) and r.lq_correlation > 0.3)
        ]
        comp_rows = [
            {"name": r.name, "lad_name": r.lad_name or "", "employees": fmt(r.employees),
             "turnover": fmt(r.turnover, "GBP")}
            for r in top_companies.get(cid, pd.DataFrame()).itertuples()
        ]  # fmt: skip
        sections.append(
            {
                "id": cid, "name": cluster.name, "tier": cluster.tier.value,
                "parent": names.get(cluster.parent) if cluster.parent else None,
                "description": cluster.description,
                "findings": _findings(cid, cluster.name, index, ranking, s, year),
                "key_metrics": _key_metrics(cid, index), "images": imgs,
                "places": places, "connections": conn, "companies": comp_rows,
                "caveats": _caveats(cid, index),
            }
        )  # fmt: skip

    latest = metrics[(metrics["year"] == year) & (metrics["geo_level"] == "lad")]
    non_missing = latest.groupby("metric")["value"].apply(lambda v: v.notna().mean())
    catalogue = [
        {**rec, "non_missing": fmt(100 * non_missing.get(rec["name"], 0.0), "%")}
        for rec in catalogue_frame()
    ]
    sens = s["sensitivity"]
    weights = [
        (p, s["pillars"].get(p, 1), ", ".join(f"{by_name(m).label} ({w})" for m, w in ms.items()))
        for p, ms in s["metrics"].items()
    ]
    links_table = (
        links[~links["parent_child"]]
        .sort_values("jaccard", ascending=False)
        .head(10)
        .to_dict("records")
    )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    html = env.get_template("report.html.j2").render(
        title=f"Cluster investment potential: {s['area']['name']}",
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
        scores_dir=str(scores_dir), year=year, base_year=base_year,
        benchmark_name=s["benchmark_name"], area_name=s["area"]["name"],
        synthetic=any("demo" in str(p) for p in s.get("evidence_sources", {}).values())
        or "SYNTHETIC" in " ".join(ranking.get("geo_name", pd.Series(dtype=str)).astype(str)),
        n_units=len(ranking), min_businesses=s["min_businesses"], pillars=pillars,
        draws=sens["draws"], seed=sens["seed"], jitter=sens["weight_jitter"],
        normalisations=", ".join(sens["normalisations"]),
        robust_width=f"{sens['robust_width_share'] * len(ranking):.0f}",
        top=head.to_dict("records"), overview_images=overview, interactive=interactive,
        links=links_table, clusters=sections, window=s["evidence_window_years"],
        weights=weights, catalogue=catalogue, evidence=sorted(s.get("evidence_sources", {}).items()),
    )  # fmt: skip
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / "report.html"
    path.write_text(html, encoding="utf-8")
    logger.info("report: %s (%d cluster sections, %d files)", path, len(sections), len(files))
    return Report(path, files, [c["id"] for c in sections])


__all__ = ["CATALOGUE", "Report", "ScoreOutputs", "build_report", "fmt"]

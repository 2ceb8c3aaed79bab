"""The analyst report: maps, charts, one self-contained HTML file and its PDF (``clusters report``).

Reads the folder written by ``clusters score`` (metrics, scores, connections, settings) and,
optionally, the company base and predictions (for each cluster's top companies) and a place
designations CSV (:mod:`scoring.designations`). Writes to the output folder:

* ``report.html``: self-contained (every image embedded as base64), no server needed; a
  summary of the top cluster-places, a section per cluster (definition, headline findings
  written from the numbers, key metrics vs the benchmark, maps and charts, top places, place
  designations, connections, top companies, caveats and coverage) and a methods appendix
  generated from the metrics catalogue;
* ``report.pdf``: the same report printed by WeasyPrint (A4; setting ``report.pdf``);
* ``maps/*.png``: the choropleths and charts, also as files;
* ``maps/<cluster>_interactive.html``: a folium map of the detailed cluster(s).
"""

from __future__ import annotations

import base64
import io
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import jinja2
import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure

from clusters.taxonomy import Taxonomy, load_taxonomy
from scoring import designations as des
from scoring.catalogue import CATALOGUE, by_name, catalogue_frame
from scoring.connections import strongest_links
from scoring.findings import (
    COMPOSITE,
    MetricIndex,
    caveats,
    findings,
    fmt,
    key_metrics,
    lad_values,
)
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
    """What ``build_report`` wrote."""

    html: Path
    files: list[Path] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)
    pdf: Path | None = None
    pdf_pages: int | None = None
    pdf_bookmarks: list[str] = field(default_factory=list)


class _Images:
    """Saves figures as PNG files and returns them base64-encoded for the HTML."""

    def __init__(self, folder: Path, dpi: int) -> None:
        self.folder, self.dpi, self.files = folder, dpi, []

    def add(self, fig: Figure, name: str, alt: str) -> dict[str, str]:
        path = self.folder / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=self.dpi, bbox_inches="tight")
        path.write_bytes(buffer.getvalue())
        self.files.append(path)
        return {"data": base64.b64encode(buffer.getvalue()).decode("ascii"), "alt": alt}


@dataclass
class _Context:
    """Everything the parts of the report read, prepared once."""

    settings: dict
    taxonomy: Taxonomy
    index: MetricIndex
    ranking: pd.DataFrame
    pillars: list[str]
    links: pd.DataFrame
    lads: gpd.GeoDataFrame
    regions: gpd.GeoDataFrame
    designations: pd.DataFrame | None

    @property
    def year(self) -> int:
        return self.index.year

    @property
    def names(self) -> dict[str, str]:
        return {c.id: c.name for c in self.taxonomy.clusters}

    @property
    def parents(self) -> dict[str, str | None]:
        return {c.id: c.parent for c in self.taxonomy.clusters}

    @property
    def place_names(self) -> dict[str, str]:
        return dict(zip(self.lads["LAD13CD"], self.lads["LAD13NM"], strict=True))

    @property
    def styles(self) -> dict[str, dict[str, str]]:
        return des.styles(self.designations)


def _ranking(scores: pd.DataFrame, names: dict[str, str]) -> tuple[pd.DataFrame, list[str]]:
    """Scored cluster-places (wide: pillars, composite, rank, sensitivity) and the pillars."""
    ranking = scores[scores["component"] == COMPOSITE].sort_values("rank").reset_index(drop=True)
    ranking = ranking.rename(columns={"score": COMPOSITE}).drop(columns="component")
    pillars = [p for p in scores["component"].unique() if p != COMPOSITE]
    wide = scores.pivot_table(
        index=["cluster_id", "geo_code"], columns="component", values="score"
    ).reset_index()
    ranking = ranking.merge(
        wide[["cluster_id", "geo_code", *pillars]], on=["cluster_id", "geo_code"]
    )
    ranking["cluster_name"] = ranking["cluster_id"].map(names).fillna(ranking["cluster_id"])
    return ranking, pillars


def _overview(ctx: _Context, images: _Images, present: list[str], top_n: int) -> list[dict]:
    ranking, links = ctx.ranking, ctx.links
    top = ranking.dropna(subset=[COMPOSITE]).drop_duplicates("geo_code")
    top_map = top_cluster_map(
        top.set_index("geo_code")["cluster_name"], lads=ctx.lads, regions=ctx.regions,
        designations=ctx.designations, styles=ctx.styles,
    )  # fmt: skip
    jac = pd.concat(
        [links, links.rename(columns={"cluster_a": "cluster_b", "cluster_b": "cluster_a"})]
    )
    matrix = jac.pivot_table(index="cluster_a", columns="cluster_b", values="jaccard").reindex(
        index=present, columns=present
    )
    figures = [
        (top_map.figure, "top_cluster_by_lad",
         "Cluster with the highest investment potential in each local authority"),
        (pillar_chart(ranking.head(top_n), ctx.pillars, "Score breakdown by pillar, top cluster-places"),
         "pillars_top", "Pillar scores of the top cluster-places"),
        (rank_interval_chart(ranking.head(max(top_n, 25)), "Rank intervals (Monte Carlo sensitivity)"),
         "rank_intervals", "Median rank and 90% rank interval; red = not robust"),
        (heatmap(matrix, "Company co-membership between clusters (Jaccard)"),
         "connections_heatmap", "Co-membership heatmap (parent-child pairs included)"),
        (network(links[~links["parent_child"]], "jaccard", "Strongest links between clusters (co-membership)"),
         "connections_network", "Network of the strongest co-membership links (parent-child pairs left out)"),
    ]  # fmt: skip
    return [images.add(fig, name, alt) for fig, name, alt in figures]


def _interactive(ctx: _Context, cid: str, folder: Path) -> Path:
    """The folium map of one cluster: values in tooltips, designations as layers."""
    index, year = ctx.index, ctx.year
    table = pd.DataFrame(
        {
            "businesses": lad_values(index, cid, "business_count", year),
            "business LQ": lad_values(index, cid, "business_lq", year),
            "employees": lad_values(index, cid, "employees", year),
        }
    )
    sc = ctx.ranking[ctx.ranking["cluster_id"] == cid].set_index("geo_code")[COMPOSITE]
    table["investment potential"] = sc.reindex(table.index)
    fmap = folium_map(
        table, "business LQ", f"{ctx.names.get(cid, cid)}: business LQ", lads=ctx.lads,
        designations=ctx.designations, styles=ctx.styles,
    )  # fmt: skip
    path = folder / f"{cid}_interactive.html"
    folder.mkdir(parents=True, exist_ok=True)
    fmap.save(str(path))
    return path


def _cluster_maps(
    ctx: _Context, cid: str, images: _Images, metrics: list[str], related: pd.DataFrame
) -> list[dict]:
    cluster, s = ctx.taxonomy[cid], ctx.settings
    imgs = []
    for name in metrics:
        m = by_name(name)
        values, unit, number = lad_values(ctx.index, cid, name, ctx.year), m.unit, "{:,.0f}"
        if unit == "GBP":
            values, unit, number = values / 1e6, "£ million", "{:,.1f}"
        elif unit == "ratio":
            number = "{:.2f}"
        fig = choropleth(
            values, f"{cluster.name}: {m.label}, {ctx.year}", unit, lads=ctx.lads,
            regions=ctx.regions, fmt=number, designations=related, styles=ctx.styles,
        ).figure  # fmt: skip
        imgs.append(images.add(fig, f"{cid}_{name}", f"{m.label} by local authority"))
    counts = ctx.index.frame
    counts = counts[
        (counts["metric"] == "business_count")
        & counts["geo_level"].isin(["area", "benchmark"])
        & (counts["cluster_id"] == cid)
    ]
    series = counts.pivot_table(index="year", columns="geo_level", values="value")
    series = series.rename(columns={"area": s["area"]["name"], "benchmark": "benchmark"})
    chart = count_index_chart(series, f"{cluster.name}: active companies", int(s["base_year"]))
    imgs.append(images.add(chart, f"{cid}_count_index", "Company count over time (index)"))
    return imgs


def _cluster_section(
    ctx: _Context,
    cid: str,
    images: list[dict],
    companies: pd.DataFrame | None,
) -> dict:
    """The template fields of one cluster page."""
    cluster, names, index, year = ctx.taxonomy[cid], ctx.names, ctx.index, ctx.year
    designated = des.by_place(ctx.designations)
    counts = lad_values(index, cid, "business_count", year)
    lqs = lad_values(index, cid, "business_lq", year)
    places = [
        {
            "rank": int(r.rank), "geo_name": r.geo_name, "score": f"{getattr(r, COMPOSITE):.1f}",
            "count": fmt(counts.get(r.geo_code)), "lq": fmt(lqs.get(r.geo_code), "ratio"),
            "interval": f"{r.rank_p05:.0f}-{r.rank_p95:.0f}", "robust": bool(r.robust),
            "designations": designated.get(r.geo_code, ""),
        }
        for r in ctx.ranking[ctx.ranking["cluster_id"] == cid].head(8).itertuples()
    ]  # fmt: skip
    connections = [
        f"{names.get(r.other, r.other)}: {r.shared_companies} shared companies (Jaccard "
        f"{r.jaccard:.3f}), LQ correlation across places {fmt(r.lq_correlation, 'ratio')}, "
        f"SIC similarity {fmt(r.sic_similarity, 'ratio')}"
        for r in strongest_links(ctx.links, cid).itertuples()
        if r.shared_companies > 0 or (np.isfinite(r.lq_correlation) and r.lq_correlation > 0.3)
    ]
    top = companies if companies is not None else pd.DataFrame()
    return {
        "id": cid, "name": cluster.name, "tier": cluster.tier.value,
        "parent": names.get(cluster.parent) if cluster.parent else None,
        "description": cluster.description,
        "findings": findings(cid, cluster.name, index, ctx.ranking, ctx.settings, year),
        "key_metrics": key_metrics(cid, index), "images": images, "places": places,
        "designations": des.summary(des.related(ctx.designations, cid, ctx.parents),
                                    ctx.place_names),
        "connections": connections,
        "companies": [
            {"name": r.name, "lad_name": r.lad_name or "", "employees": fmt(r.employees),
             "turnover": fmt(r.turnover, "GBP")}
            for r in top.itertuples()
        ],
        "caveats": caveats(cid, index, sites="sites" in ctx.settings.get("evidence_sources", {})),
    }  # fmt: skip


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


def _appendix(ctx: _Context, designations_source: str | None) -> dict:
    """Template fields of the methods appendix (catalogue, weights, GVA ratios, sources)."""
    s, year = ctx.settings, ctx.year
    metrics = ctx.index.frame
    latest = metrics[(metrics["year"] == year) & (metrics["geo_level"] == "lad")]
    non_missing = latest.groupby("metric")["value"].apply(lambda v: v.notna().mean())
    sens = s["sensitivity"]
    return {
        "catalogue": [
            {**rec, "non_missing": fmt(100 * non_missing.get(rec["name"], 0.0), "%")}
            for rec in catalogue_frame()
        ],
        "weights": [
            (p, s["pillars"].get(p, 1),
             ", ".join(f"{by_name(m).label} ({w})" for m, w in ms.items()))
            for p, ms in s["metrics"].items()
        ],  # fmt: skip
        "draws": sens["draws"], "seed": sens["seed"], "jitter": sens["weight_jitter"],
        "normalisations": ", ".join(sens["normalisations"]),
        "robust_width": f"{sens['robust_width_share'] * len(ctx.ranking):.0f}",
        "window": s["evidence_window_years"],
        "gva_ratios": sorted((s.get("gva_ratios") or {}).items()),
        "gva_default": s.get("gva_default_ratio"),
        "gva_provenance": s.get("gva_provenance", ""),
        "evidence": sorted(s.get("evidence_sources", {}).items()),
        "sites": "sites" in s.get("evidence_sources", {}),
        "designations_source": designations_source,
    }  # fmt: skip


def _is_synthetic(ctx: _Context, companies: dict[str, pd.DataFrame]) -> bool:
    sources = list(ctx.settings.get("evidence_sources", {}).values())
    names = " ".join(str(n) for g in companies.values() for n in g.get("name", []))
    return any("demo" in str(p) for p in sources) or "SYNTHETIC" in names


def build_report(
    scores_dir: Path,
    output_dir: Path,
    *,
    companies: Path | None = None,
    predictions: Path | None = None,
    clusters: list[str] | None = None,
    taxonomy: Path | Taxonomy | None = None,
    designations: Path | None = None,
    pdf: bool | None = None,
    dpi: int | None = None,
    geo_dir: Path | None = None,
    top_n: int = 15,
    cluster_maps: bool | None = None,
) -> Report:
    """Build the report from a ``clusters score`` folder (see the module docstring).

    Args:
        clusters: clusters to map in detail (count, LQ, employees, turnover, grants, and an
            interactive map); default: the cluster of the top-ranked cluster-place. Every
            cluster gets its LQ map and count chart.
        designations: place designations CSV (:mod:`scoring.designations`), drawn on the maps
            and listed on the cluster pages.
        pdf: also write ``report.pdf`` with WeasyPrint (default: the ``report.pdf`` setting
            of the scoring settings). If WeasyPrint is unusable, a warning and no PDF.
        dpi: resolution of the PNGs (default: the ``report.dpi`` setting).
        cluster_maps: draw each cluster's LQ map (False: only the detailed clusters' maps;
            faster, for tests and previews; default: the ``report.cluster_maps`` setting).
    """
    from scoring.pdf import PdfUnavailable, write_pdf

    started = time.perf_counter()
    out = ScoreOutputs.read(scores_dir)
    s = out.settings
    options = s.get("report") or {}
    pdf = options.get("pdf", True) if pdf is None else pdf
    dpi = int(options.get("dpi", 110)) if dpi is None else dpi
    cluster_maps = options.get("cluster_maps", True) if cluster_maps is None else cluster_maps
    if taxonomy is None:
        from clusters.config import get_settings

        taxonomy = get_settings().paths.taxonomy
    tax = taxonomy if isinstance(taxonomy, Taxonomy) else load_taxonomy(Path(taxonomy))
    ranking, pillars = _ranking(out.scores, {c.id: c.name for c in tax.clusters})
    ctx = _Context(
        settings=s, taxonomy=tax, index=MetricIndex(out.metrics), ranking=ranking,
        pillars=pillars, links=out.connections, lads=load_lads(geo_dir),
        regions=load_regions(geo_dir), designations=des.load_designations(designations),
    )  # fmt: skip
    if ctx.designations is not None:
        off_map = set(ctx.designations["place_code"]) - set(ctx.lads["LAD13CD"])
        if off_map:
            logger.warning("designations: %s are not on the map's boundaries", sorted(off_map))
    present = [c for c in tax.ids if c in set(out.metrics["cluster_id"])]
    detailed = clusters or ([ranking["cluster_id"].iloc[0]] if len(ranking) else present[:1])
    unknown = set(detailed) - set(present)
    if unknown:
        raise ValueError(f"no metrics for cluster(s) {sorted(unknown)}")
    output_dir = Path(output_dir)
    images = _Images(output_dir / "maps", dpi)
    overview = _overview(ctx, images, present, top_n)
    interactive = [_interactive(ctx, cid, output_dir / "maps") for cid in detailed]
    top_companies = _top_companies(companies, predictions, tax)
    sections = []
    for cid in present:
        maps = DETAIL_MAPS if cid in detailed else ["business_lq"] * cluster_maps
        related = des.related(ctx.designations, cid, ctx.parents)
        imgs = _cluster_maps(ctx, cid, images, maps, related)
        sections.append(_cluster_section(ctx, cid, imgs, top_companies.get(cid)))
    links_table = (
        ctx.links[~ctx.links["parent_child"]].sort_values("jaccard", ascending=False).head(10)
    )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    html = env.get_template("report.html.j2").render(
        title=f"Cluster investment potential: {s['area']['name']}",
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
        scores_dir=str(scores_dir), year=ctx.year, base_year=int(s["base_year"]),
        benchmark_name=s["benchmark_name"], area_name=s["area"]["name"],
        synthetic=_is_synthetic(ctx, top_companies),
        n_units=len(ranking), min_businesses=s["min_businesses"], pillars=pillars,
        top=ranking.head(top_n).to_dict("records"), overview_images=overview,
        interactive=[str(p.relative_to(output_dir)) for p in interactive],
        designations=des.summary(ctx.designations, ctx.place_names)
        if ctx.designations is not None else [],
        links=links_table.to_dict("records"), clusters=sections,
        **_appendix(ctx, str(designations) if designations else None),
    )  # fmt: skip
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / "report.html"
    path.write_text(html, encoding="utf-8")
    report = Report(path, [*images.files, *interactive], [c["id"] for c in sections])
    logger.info(
        "report: %s (%d cluster sections, %d files) in %.1f s",
        path, len(sections), len(report.files), time.perf_counter() - started,
    )  # fmt: skip
    if pdf:
        started = time.perf_counter()
        try:
            printed = write_pdf(path, output_dir / "report.pdf")
        except PdfUnavailable as exc:
            logger.warning("no PDF: %s", exc)
        else:
            report.pdf, report.pdf_pages, report.pdf_bookmarks = (
                printed.path, printed.pages, printed.bookmarks
            )  # fmt: skip
            logger.info("report PDF written in %.1f s", time.perf_counter() - started)
    return report


__all__ = ["CATALOGUE", "Report", "ScoreOutputs", "build_report", "fmt"]

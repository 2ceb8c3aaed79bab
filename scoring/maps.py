"""Maps of cluster metrics by local authority: static choropleths (PNG) and folium HTML.

Boundaries are the bundled 2013 Midlands local authorities (``data/geo/midlands_lad13.geojson``)
with the English regions for context, drawn on the British National Grid (EPSG:27700, north
up). Classes come from ``mapclassify`` (Fisher-Jenks natural breaks by default: optimal and deterministic; fewer classes when there are
few distinct values). Every map has a title, a legend, a source note and a north arrow.

Example:
    >>> from scoring.maps import load_lads
    >>> len(load_lads())
    70
"""

from __future__ import annotations

import logging
import textwrap
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

logger = logging.getLogger(__name__)

BNG = "EPSG:27700"
SIMPLIFY_M = 150.0
LEGEND = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "fontsize": 7, "frameon": False}
"""Legends sit right of the map, so they hide no area."""
SOURCE_NOTE = (
    "Contains OS data © Crown copyright and database right. Boundaries: ONS (OGL v3), 2013 "
    "local authorities."
)


def _geo_dir() -> Path:
    from clusters.config import get_settings

    return get_settings().paths.geo_dir


@lru_cache(maxsize=4)
def _read(path: str) -> gpd.GeoDataFrame:
    frame = gpd.read_file(path).to_crs(BNG)
    frame["geometry"] = frame.geometry.simplify(SIMPLIFY_M)  # invisible at A4, 4x faster
    return frame


def load_lads(geo_dir: Path | None = None) -> gpd.GeoDataFrame:
    """Midlands local authorities (``LAD13CD, LAD13NM, RGN_CD, RGN_NM, geometry``), BNG."""
    return _read(str(Path(geo_dir or _geo_dir()) / "midlands_lad13.geojson")).copy()


def load_regions(geo_dir: Path | None = None) -> gpd.GeoDataFrame:
    """English regions (context layer), BNG."""
    return _read(str(Path(geo_dir or _geo_dir()) / "eng_regions_simplified.geojson")).copy()


def _figure(width: float, height: float) -> tuple[Figure, plt.Axes]:
    """A figure outside pyplot's registry: geopandas' ``plt.draw()`` then redraws pyplot's
    (empty) current figure instead of this one after every layer, which makes maps ~2x
    faster, and nothing needs closing."""
    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot()


@dataclass
class MapFigure:
    """A rendered map: the figure, the areas drawn (with their values) and the legend labels."""

    figure: Figure
    data: gpd.GeoDataFrame
    legend_labels: list[str]
    overlay_labels: list[str] = field(default_factory=list)
    """Legend entries of the designations overlay (empty without one)."""

    def save(self, path: Path, dpi: int = 110) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.figure.savefig(path, dpi=dpi, bbox_inches="tight")
        return path


def _decorate(ax: plt.Axes, title: str, note: str) -> None:
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_axis_off()
    ax.annotate(
        "N", xy=(0.95, 0.96), xytext=(0.95, 0.86), xycoords="axes fraction",
        ha="center", va="center", fontsize=10, fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5},
    )  # fmt: skip
    ax.text(0.0, -0.02, note, transform=ax.transAxes, fontsize=6, va="top", wrap=True)


def _context(ax: plt.Axes, lads: gpd.GeoDataFrame, regions: gpd.GeoDataFrame | None) -> None:
    ax.set_axis_off()
    ax.set_aspect("equal")
    if regions is not None:
        regions.plot(ax=ax, color="#f2f2f2", edgecolor="#bbbbbb", linewidth=0.5, zorder=0)
        xmin, ymin, xmax, ymax = lads.total_bounds
        pad = 0.04 * max(xmax - xmin, ymax - ymin)
        ax.set_xlim(xmin - pad, xmax + pad)
        ax.set_ylim(ymin - pad, ymax + pad)


def _overlay(
    ax: plt.Axes,
    lads: gpd.GeoDataFrame,
    designations: pd.DataFrame | None,
    styles: dict[str, dict[str, str]] | None,
) -> list[str]:
    """Outline the authorities of each designation kind and add a second legend for them."""
    from scoring.designations import styles as default_styles

    if designations is None or designations.empty:
        return []
    styles = styles or default_styles(designations)
    handles, labels = [], []
    for kind, group in designations.groupby("designation", sort=True):
        areas = lads[lads["LAD13CD"].isin(set(group["place_code"]))]
        if areas.empty:
            continue
        style = styles.get(kind, {"edgecolor": "black", "linestyle": "-"})
        areas.dissolve().plot(
            ax=ax, facecolor="none", linewidth=1.8, zorder=4, **style
        )  # fmt: skip
        names = ", ".join(sorted(group["name"].unique()))
        labels.append(textwrap.fill(f"{kind}: {names}", 45, subsequent_indent="  "))
        handles.append(Line2D([], [], color=style["edgecolor"], ls=style["linestyle"], lw=1.8))
    if handles:
        first = ax.get_legend()
        if first is not None:
            ax.add_artist(first)
        ax.legend(
            handles, labels, title="Designations (outlined)", loc="lower left",
            bbox_to_anchor=(1.01, 0.0), fontsize=6, title_fontsize=7, frameon=False,
        )  # fmt: skip
    return labels


def _finish(
    fig: Figure,
    ax: plt.Axes,
    data: gpd.GeoDataFrame,
    title: str,
    note: str,
    overlay: tuple[pd.DataFrame | None, dict | None],
) -> MapFigure:
    _decorate(ax, title, note)
    legend = ax.get_legend()
    labels = [t.get_text() for t in legend.get_texts()] if legend else []
    return MapFigure(fig, data, labels, _overlay(ax, data, *overlay))


def choropleth(
    values: pd.Series,
    title: str,
    legend_title: str,
    *,
    lads: gpd.GeoDataFrame | None = None,
    regions: gpd.GeoDataFrame | None = None,
    scheme: str = "FisherJenks",
    k: int = 5,
    cmap: str = "YlGnBu",
    note: str = SOURCE_NOTE,
    fmt: str = "{:,.0f}",
    designations: pd.DataFrame | None = None,
    styles: dict[str, dict[str, str]] | None = None,
) -> MapFigure:
    """A choropleth of ``values`` (indexed by LAD code) over the Midlands local authorities.

    Areas without a value are hatched grey and labelled "no data" in the legend.
    ``designations`` (:mod:`scoring.designations`) are outlined, with their own legend;
    ``styles`` fixes the outline of each designation kind across maps.
    """
    lads = load_lads() if lads is None else lads
    data = lads.merge(
        values.rename("value").rename_axis("LAD13CD").reset_index(), on="LAD13CD", how="left"
    )
    fig, ax = _figure(7.5, 7.5)
    _context(ax, lads, regions)
    distinct = data["value"].dropna().nunique()
    kwargs: dict = {
        "column": "value",
        "cmap": cmap,
        "edgecolor": "white",
        "linewidth": 0.4,
        "legend": True,
        "missing_kwds": {"color": "#dddddd", "hatch": "///", "label": "no data"},
    }
    if distinct >= 3:
        kwargs.update(
            scheme=scheme,
            k=min(k, distinct),
            legend_kwds={"title": legend_title, **LEGEND, "fmt": fmt},
        )
    else:
        kwargs.update(
            categorical=True,
            legend_kwds={"title": legend_title, **LEGEND},
        )
        data["value"] = data["value"].map(lambda v: fmt.format(v) if pd.notna(v) else None)
    try:
        with warnings.catch_warnings():  # "Numba not installed": fine for 70 areas
            warnings.filterwarnings("ignore", message="Numba not installed")
            data.plot(ax=ax, **kwargs)
    except ValueError:  # a scheme that cannot split these values: fall back to quantiles
        kwargs["scheme"] = "Quantiles"
        data.plot(ax=ax, **kwargs)
    return _finish(fig, ax, data, title, note, (designations, styles))


def top_cluster_map(
    top: pd.Series,
    title: str = "Cluster with the highest investment potential, by local authority",
    *,
    lads: gpd.GeoDataFrame | None = None,
    regions: gpd.GeoDataFrame | None = None,
    note: str = SOURCE_NOTE,
    designations: pd.DataFrame | None = None,
    styles: dict[str, dict[str, str]] | None = None,
) -> MapFigure:
    """A categorical map of ``top`` (LAD code → cluster name), designations outlined."""
    lads = load_lads() if lads is None else lads
    data = lads.merge(
        top.rename("value").rename_axis("LAD13CD").reset_index(), on="LAD13CD", how="left"
    )
    fig, ax = _figure(7.5, 7.5)
    _context(ax, lads, regions)
    data.plot(
        ax=ax, column="value", categorical=True, cmap="tab20", edgecolor="white", linewidth=0.4,
        legend=True, legend_kwds={**LEGEND, "fontsize": 6, "title": "Cluster"},
        missing_kwds={"color": "#dddddd", "hatch": "///", "label": "none scored"},
    )  # fmt: skip
    return _finish(fig, ax, data, title, note, (designations, styles))


def folium_map(
    table: pd.DataFrame,
    value_column: str,
    title: str,
    *,
    lads: gpd.GeoDataFrame | None = None,
    designations: pd.DataFrame | None = None,
    styles: dict[str, dict[str, str]] | None = None,
):
    """An interactive folium map: ``table`` (indexed by LAD code) joined to the boundaries,
    coloured by ``value_column``, with every column of ``table`` in the tooltip, and one
    switchable outline layer per designation kind (tooltip: designation, name, targets).

    The saved HTML loads Leaflet from a CDN: it needs an internet connection to display.
    """
    import folium

    lads = (load_lads() if lads is None else lads).to_crs("EPSG:4326")
    data = lads.merge(table.rename_axis("LAD13CD").reset_index(), on="LAD13CD", how="left")
    for col in table.columns:
        if pd.api.types.is_float_dtype(data[col]):
            data[col] = data[col].round(2)
    data["geometry"] = data.geometry.simplify(0.002)
    xmin, ymin, xmax, ymax = data.total_bounds
    fmap = folium.Map(location=[(ymin + ymax) / 2, (xmin + xmax) / 2], zoom_start=7)
    fields = ["LAD13NM", *table.columns]
    layer = folium.Choropleth(
        geo_data=data[["LAD13CD", *fields, "geometry"]].fillna("n/a").to_json(),
        data=data,
        columns=["LAD13CD", value_column],
        key_on="feature.properties.LAD13CD",
        fill_color="YlGnBu",
        nan_fill_color="#dddddd",
        legend_name=title,
    ).add_to(fmap)
    layer.geojson.add_child(
        folium.GeoJsonTooltip(fields=fields, aliases=["Local authority", *table.columns])
    )
    if designations is not None and not designations.empty:
        _folium_designations(fmap, data, designations, styles)
    return fmap


def _folium_designations(
    fmap, lads: gpd.GeoDataFrame, designations: pd.DataFrame, styles: dict | None
) -> None:  # noqa: ANN001
    import folium

    from scoring.designations import styles as default_styles

    styles = styles or default_styles(designations)
    rows = designations.merge(
        lads[["LAD13CD", "LAD13NM", "geometry"]], left_on="place_code", right_on="LAD13CD"
    )
    rows["cluster_ids"] = rows["cluster_ids"].fillna("(not cluster-specific)")
    for kind, group in rows.groupby("designation", sort=True):
        style = styles.get(kind, {"edgecolor": "black", "linestyle": "-"})
        dash = None if style["linestyle"] == "-" else "6 4"
        features = gpd.GeoDataFrame(
            group[["LAD13NM", "designation", "name", "cluster_ids", "geometry"]], crs=lads.crs
        )
        folium.GeoJson(
            features.to_json(),
            name=kind,
            style_function=lambda _f, c=style["edgecolor"], d=dash: {
                "fill": False, "color": c, "weight": 3, "dashArray": d,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["LAD13NM", "designation", "name", "cluster_ids"],
                aliases=["Local authority", "Designation", "Name", "Targets"],
            ),
        ).add_to(fmap)  # fmt: skip
    folium.LayerControl(collapsed=False).add_to(fmap)


def count_index_chart(series: pd.DataFrame, title: str, base_year: int) -> Figure:
    """Company count over time as an index (base year = 100), one line per column."""
    fig, ax = _figure(6.5, 3.2)
    base = series.loc[base_year] if base_year in series.index else series.iloc[0]
    index = 100 * series.div(base.where(base > 0))
    for col, style in zip(index.columns, ["-", "--", ":", "-."] * 3, strict=False):
        ax.plot(index.index, index[col], ls=style, marker="o", markersize=3, label=col)
    ax.axhline(100, color="#999999", lw=0.6)
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_ylabel(f"index, {base_year} = 100")
    ax.legend(fontsize=7, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def pillar_chart(ranking: pd.DataFrame, pillars: list[str], title: str) -> Figure:
    """Horizontal bars: pillar scores of the top cluster-places (one group per place)."""
    fig, ax = _figure(7, 0.35 * len(ranking) + 1.2)
    labels = [f"{r.cluster_id} - {r.geo_name}" for r in ranking.itertuples()]
    y = np.arange(len(ranking))
    height = 0.8 / max(len(pillars), 1)
    for i, p in enumerate(pillars):
        ax.barh(y + i * height, ranking[p].fillna(0), height=height, label=p)
    ax.set_yticks(y + 0.4 - height / 2, labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("pillar score (0-100, base-year bounds)")
    ax.set_title(title, fontsize=10, loc="left")
    ax.legend(fontsize=6, ncol=4, frameon=False, loc="lower right")
    fig.tight_layout()
    return fig


def rank_interval_chart(ranking: pd.DataFrame, title: str) -> Figure:
    """Median rank and 90 % rank interval per cluster-place (non-robust ones in red)."""
    fig, ax = _figure(7, 0.28 * len(ranking) + 1.2)
    y = np.arange(len(ranking))
    colours = np.where(ranking["robust"].astype(bool), "#2b6cb0", "#c53030")
    ax.hlines(y, ranking["rank_p05"], ranking["rank_p95"], colors=colours, lw=2)
    ax.scatter(ranking["median_rank"], y, color=colours, s=12, zorder=3, label="median rank")
    ax.scatter(ranking["rank"], y, marker="x", color="black", s=14, zorder=4, label="nominal rank")
    ax.set_yticks(y, [f"{r.cluster_id} - {r.geo_name}" for r in ranking.itertuples()], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("rank (1 = highest potential); bar = 90% interval, red = not robust")
    ax.set_title(title, fontsize=10, loc="left")
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def heatmap(matrix: pd.DataFrame, title: str, cmap: str = "Blues") -> Figure:
    """A labelled heatmap of a square cluster x cluster matrix."""
    fig, ax = _figure(8, 7)
    im = ax.imshow(matrix.to_numpy(dtype=float), cmap=cmap)
    ax.set_xticks(range(len(matrix.columns)), matrix.columns, rotation=90, fontsize=6)
    ax.set_yticks(range(len(matrix.index)), matrix.index, fontsize=6)
    fig.colorbar(im, ax=ax, shrink=0.7)
    ax.set_title(title, fontsize=10, loc="left")
    fig.tight_layout()
    return fig


def network(edges: pd.DataFrame, weight: str, title: str, top: int = 40) -> Figure:
    """Clusters on a circle, the ``top`` strongest links drawn with width by ``weight``."""
    nodes = sorted(set(edges["cluster_a"]) | set(edges["cluster_b"]))
    angle = np.linspace(0, 2 * np.pi, len(nodes), endpoint=False)
    pos = {n: (np.cos(a), np.sin(a)) for n, a in zip(nodes, angle, strict=True)}
    strongest = edges.dropna(subset=[weight]).nlargest(top, weight)
    fig, ax = _figure(7.5, 7.5)
    wmax = strongest[weight].max() if len(strongest) else 1.0
    for r in strongest.itertuples():
        (x0, y0), (x1, y1) = pos[r.cluster_a], pos[r.cluster_b]
        w = getattr(r, weight)
        ax.plot(
            [x0, x1], [y0, y1], color="#2b6cb0", alpha=0.3 + 0.6 * w / wmax, lw=0.5 + 4 * w / wmax
        )
    for n, (x, y) in pos.items():
        ax.scatter([x], [y], s=40, color="#1a365d", zorder=3)
        ax.text(1.08 * x, 1.08 * y, n, fontsize=7, ha="left" if x >= 0 else "right", va="center")
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.3, 1.3)
    ax.set_axis_off()
    ax.set_title(title, fontsize=10, loc="left")
    return fig

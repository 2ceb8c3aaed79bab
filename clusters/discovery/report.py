"""The discovery report: one self-contained HTML page (the map is an embedded PNG).

Sections: what was searched (scope, candidates and why), the 2-D map of the embedding space
(classified companies coloured by their cluster, candidates in grey, discovered groups in
strong colours and labelled), the ranking, one section per group (terms, central companies,
SIC mix, growth, geography, cohesion and stability, its draft entry) and the groups dropped as
unstable.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

TEMPLATES = Path(__file__).parent / "templates"
GROUP_COLOURS = plt.get_cmap("tab10").colors


@dataclass
class MapPoints:
    """Points of the 2-D map: ``x``, ``y``, ``kind`` (``cluster``, ``candidate`` or
    ``group``) and ``label`` (cluster id or group name)."""

    frame: pd.DataFrame


def map_png(points: MapPoints, dpi: int = 110) -> str:
    """The map as a base64 PNG."""
    frame = points.frame
    fig, ax = plt.subplots(figsize=(9, 7))
    clusters = frame[frame["kind"] == "cluster"]
    if len(clusters):
        codes, names = pd.factorize(clusters["label"])
        ax.scatter(clusters["x"], clusters["y"], c=codes, cmap="tab20", s=4, alpha=0.25,
                   linewidths=0)  # fmt: skip
        for name in names:
            at = clusters[clusters["label"] == name][["x", "y"]].median()
            ax.annotate(str(name), at, fontsize=6, color="#4a5568", ha="center")
    rest = frame[frame["kind"] == "candidate"]
    ax.scatter(rest["x"], rest["y"], c="#a0aec0", s=4, alpha=0.5, linewidths=0,
               label="candidates in no group")  # fmt: skip
    groups = frame[frame["kind"] == "group"]
    for i, (name, part) in enumerate(groups.groupby("label", sort=False)):
        colour = GROUP_COLOURS[i % len(GROUP_COLOURS)]
        ax.scatter(part["x"], part["y"], color=colour, s=10, alpha=0.9, linewidths=0, label=name)
        ax.annotate(str(name), part[["x", "y"]].median(), fontsize=8, weight="bold",
                    color=colour, ha="center")  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("Embedding space: existing clusters (faint), discovered groups (strong)")
    if len(groups) or len(rest):
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7, markerscale=2,
                  frameon=False)  # fmt: skip
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def fmt(value: object, spec: str = ".2f") -> str:
    """A number for the page; missing values read ``n/a``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return format(value, spec)


def render_report(
    *,
    title: str,
    facts: Mapping[str, object],
    groups: Sequence[Mapping[str, object]],
    dropped: pd.DataFrame,
    map_points: MapPoints,
    timings: Mapping[str, float],
    settings: Mapping[str, object],
) -> str:
    """The HTML page (a pure function of its inputs)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    env.filters["fmt"] = fmt
    return env.get_template("discovery.html.j2").render(
        title=title,
        facts=facts,
        groups=groups,
        dropped=dropped.to_dict("records"),
        map_png=map_png(map_points),
        timings={k: round(v, 1) for k, v in timings.items()},
        settings=settings,
        nan=np.nan,
    )

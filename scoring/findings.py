"""The report's words: numbers formatted for people, and findings written from the metrics.

Pure functions over the tidy metrics table (:class:`MetricIndex` splits it once for fast
look-ups) used by :mod:`scoring.report`.

Example:
    >>> fmt(2500000.0, "GBP")
    '£2.5m'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.catalogue import by_name

COMPOSITE = "investment_potential"
KEY_METRICS = [
    "business_count", "benchmark_share", "business_lq", "employees", "employment_lq",
    "turnover", "gva_estimate", "turnover_per_employee", "company_count_growth",
    "incorporations_5y", "young_firm_share", "anchor_firms", "survival_3y", "survival_5y",
    "employee_growth", "high_growth_firms", "related_workforce", "workforce_lq",
    "rd_grants_count", "rd_grants_value", "patents", "spinouts", "equity_deals_count",
    "equity_deals_value", "fdi_projects", "fdi_jobs", "fdi_capex",
]  # fmt: skip


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
        """Rows of one metric at one geographic level and year (empty if none)."""
        return self.groups.get((name, level, year), self.empty)


def metric_rows(metrics: MetricIndex, name: str, level: str, year: int) -> pd.DataFrame:
    """Rows of metric ``name`` at ``level`` in ``year``, every cluster."""
    return metrics.get(name, level, year)


def lad_values(metrics: MetricIndex, cluster: str, name: str, year: int) -> pd.Series:
    """One cluster's values of a metric by local authority code (for maps and tables)."""
    sub = metric_rows(metrics, name, "lad", year)
    sub = sub[sub["cluster_id"] == cluster]
    return sub.set_index("geo_code")["value"]


def findings(
    cid: str, name: str, metrics: MetricIndex, ranking: pd.DataFrame, s: dict, year: int
) -> list[str]:
    """Headline sentences for a cluster page, written from its numbers (``s``: the scoring
    settings as written to ``scoring.yaml``)."""
    area, base_year = s["area"]["name"], s["base_year"]

    def at(metric: str, level: str = "area", y: int = year) -> float:
        sub = metric_rows(metrics, metric, level, y)
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
    lq = metric_rows(metrics, "business_lq", "lad", year)
    count = metric_rows(metrics, "business_count", "lad", year)
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
    emp_growth = at("employee_growth")
    if np.isfinite(emp_growth):
        cov = metric_rows(metrics, "employee_growth", "area", year)
        cov = cov.loc[cov["cluster_id"] == cid, "coverage"]
        lines.append(
            f"Employees grew {emp_growth:+.1f}% a year over the last "
            f"{s['growth_window_years']} years (benchmark "
            f"{at('employee_growth', 'benchmark'):+.1f}%; companies with accounts at both ends, "
            f"{fmt(100 * float(cov.iloc[0]), '%')} of active ones); "
            f"{fmt(at('high_growth_firms'))} high-growth firms."
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


def key_metrics(cid: str, metrics: MetricIndex) -> list[dict]:
    """Rows of the key-metrics table: the area's value vs the benchmark's, with coverage."""
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


def caveats(cid: str, metrics: MetricIndex, sites: bool = False) -> list[str]:
    """Caveats of a cluster page: missing metrics, partial reporting, method limits.

    ``sites``: a site table split some companies' financials across their sites."""
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
        "Financials are placed at the registered address, except for the companies in the "
        "site table, which are split across their sites."
        if sites
        else "Financials are placed at the registered address (no site table): branch sites "
        "are not seen.",
        "Company counts over time are built from incorporation and dissolution dates of the "
        "companies in today's register: firms removed before the snapshot are missed, so past "
        "counts and growth are approximate.",
        "Cluster membership comes from a classifier's predictions: precision is below 100%.",
    ]
    return lines

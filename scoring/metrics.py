"""Metrics per cluster x geography x year: pure functions over data frames.

The computation has two steps, so that every place total reconciles by construction:

1. :func:`components` counts and sums *additive* quantities (active companies, employees,
   grants, ...) per cluster x local authority x year. A pseudo-cluster ``__all__`` holds the
   totals of every company, the denominators of location quotients.
2. :func:`compute_metrics` sums the components up to each geography (local authority, region,
   the focus area, the benchmark universe) and only then forms ratios, shares, LQs and growth
   rates, returning the tidy metrics table::

       cluster_id, geo_level, geo_code, geo_name, region_code, year, metric, value, coverage

``coverage`` is the share of the inputs a value rests on (companies reporting employees,
companies with history, 1/0 for an evidence file present/absent). A metric whose source is
missing is NaN with coverage 0, never zero.

The benchmark universe is the whole input base (named by ``ScoringConfig.benchmark_name``):
with a national base it is the UK.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusters.contracts import split_labels
from clusters.sic import sic_code_list
from scoring.catalogue import CATALOGUE, Source
from scoring.config import ScoringConfig
from scoring.inputs import Evidence
from scoring.sites import apportion, site_shares

logger = logging.getLogger(__name__)

ALL = "__all__"
UNKNOWN_LAD = "UNKNOWN"
BENCHMARK_CODE = "BENCHMARK"
LEVELS = ("lad", "region", "area", "benchmark")
METRIC_COLUMNS = [
    "cluster_id",
    "geo_level",
    "geo_code",
    "geo_name",
    "region_code",
    "year",
    "metric",
    "value",
    "coverage",
]

_DIVISION_SECTIONS = (
    ("A", 1, 3), ("B", 5, 9), ("C", 10, 33), ("D", 35, 35), ("E", 36, 39), ("F", 41, 43),
    ("G", 45, 47), ("H", 49, 53), ("I", 55, 56), ("J", 58, 63), ("K", 64, 66), ("L", 68, 68),
    ("M", 69, 75), ("N", 77, 82), ("O", 84, 84), ("P", 85, 85), ("Q", 86, 88), ("R", 90, 93),
    ("S", 94, 96), ("T", 97, 98), ("U", 99, 99),
)  # fmt: skip


def sic_section(code: object) -> str | None:
    """SIC 2007 section letter of a 5-digit code (by its 2-digit division).

    >>> sic_section("62012"), sic_section("01110"), sic_section(None)
    ('J', 'A', None)
    """
    if not isinstance(code, str) or len(code) < 2 or not code[:2].isdigit():
        return None
    division = int(code[:2])
    return next((s for s, lo, hi in _DIVISION_SECTIONS if lo <= division <= hi), None)


def _first_sic(value: object) -> str | None:
    codes = sic_code_list(value)
    return codes[0] if codes else None


def _year(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, errors="coerce").dt.year.astype("float64")


def latest_year(base: pd.DataFrame) -> int:
    """The year of the latest date in the base (its snapshot year)."""
    dates = [
        pd.to_datetime(base[c], errors="coerce").max()
        for c in ("incorporation_date", "dissolution_date", "accounts_period_end")
        if c in base
    ]
    dates = [d for d in dates if pd.notna(d)]
    if not dates:
        raise ValueError(
            "the company base has no dates (incorporation, dissolution or accounts period "
            "end) to tell its snapshot year: give it (clusters score --year YYYY, or "
            "latest_year in the weights YAML)"
        )
    return int(max(dates).year)


def prepare_companies(base: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    """One row per company with the fields the metrics need (pure).

    Columns: ``company_id, lad_code, region_code, inc_year, diss_year, employees, turnover,
    gva``. A company marked dissolved without a date is treated as dissolved before the
    series starts (never active); one without an incorporation date is left out of the
    date-based metrics (``inc_year`` NaN).
    """
    base = base.reset_index(drop=True)
    none = pd.Series(None, index=base.index, dtype=object)
    col = lambda name: base.get(name, none)  # noqa: E731
    out = pd.DataFrame({"company_id": base["company_id"].astype(str)})
    out["lad_code"] = col("lad_code").fillna(UNKNOWN_LAD)
    out["region_code"] = col("region_code").fillna(UNKNOWN_LAD)
    out["inc_year"] = _year(col("incorporation_date"))
    diss = _year(col("dissolution_date")).to_numpy()
    status = col("status").fillna("").astype(str)
    undated = status.str.lower().str.startswith("dissolved").to_numpy() & np.isnan(diss)
    out["diss_year"] = np.where(undated, -np.inf, diss)
    out["employees"] = pd.to_numeric(col("employees"), errors="coerce").astype(float)
    out["turnover"] = pd.to_numeric(col("turnover"), errors="coerce").astype(float)
    sections = col("sic_codes").map(_first_sic).map(sic_section)
    ratios = sections.map(cfg.gva_ratios).fillna(cfg.gva_default_ratio).astype(float)
    out["gva"] = out["turnover"] * ratios
    if undated.any():
        logger.warning(
            "%d companies are dissolved without a date: never counted active", undated.sum()
        )
    no_start = int(out["inc_year"].isna().sum())
    if no_start:
        logger.warning(
            "%d of %d companies have no incorporation date: left out of every count",
            no_start,
            len(out),
        )
    return out


@dataclass(frozen=True)
class Geography:
    """Names of places and the LAD → region map."""

    lad_names: dict[str, str]
    region_names: dict[str, str]
    lad_region: dict[str, str]

    @classmethod
    def from_base(cls, base: pd.DataFrame) -> Geography:
        def pairs(a: str, b: str) -> dict[str, str]:
            if a not in base or b not in base:
                return {}
            sub = base[[a, b]].dropna().drop_duplicates(a)
            return dict(zip(sub[a], sub[b], strict=True))

        return cls(
            pairs("lad_code", "lad_name"),
            pairs("region_code", "region_name"),
            pairs("lad_code", "region_code"),
        )


def _member_frame(companies: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """Company rows once per cluster they belong to, plus once under ``__all__``."""
    everyone = companies.assign(cluster_id=ALL)
    in_clusters = members.merge(companies, on="company_id", how="inner")
    return pd.concat([in_clusters, everyone], ignore_index=True)


def _count(frame: pd.DataFrame, mask: np.ndarray | pd.Series, name: str, value: str | None = None):
    keys = ["cluster_id", "lad_code", "region_code"]
    sub = frame[np.asarray(mask)]
    if value is None:
        return sub.groupby(keys).size().rename(name)
    return sub.groupby(keys)[value].sum().rename(name)


def components(
    companies: pd.DataFrame,
    members: pd.DataFrame,
    evidence: Evidence,
    cfg: ScoringConfig,
    years: list[int],
    lad_region: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Additive components per ``cluster_id, lad_code, region_code, year`` (pure).

    Components of an absent evidence file are NaN everywhere; otherwise missing combinations
    are 0. Sums of employees, turnover and GVA go to the registered address, or are split by
    the site table (evidence ``sites``, :mod:`scoring.sites`); counts stay at the registered
    address.
    """
    latest = years[-1]
    frame = _member_frame(companies, members)
    inc, diss = frame["inc_year"].to_numpy(), frame["diss_year"].to_numpy()
    alive_at = lambda t: (inc <= t) & ~(diss <= t)  # noqa: E731  (NaN dissolution = alive)

    shares = site_shares(evidence.get("sites"), companies, lad_region or {})
    spin_ids: set[str] | None = None
    if "spinouts" in evidence:
        spin_ids = set(evidence.get("spinouts")["company_id"])
    per_year: list[pd.DataFrame] = []
    for t in years:
        active = alive_at(t)
        parts = [
            _count(frame, active, "n_active"),
            _count(frame, active & (inc > t - cfg.young_firm_years), "n_young"),
            _count(frame, (inc > t - 5) & (inc <= t), "n_inc5"),
            _count(frame, inc == t - 3, "coh3"),
            _count(frame, (inc == t - 3) & ~(diss <= t), "surv3"),
            _count(frame, inc == t - 5, "coh5"),
            _count(frame, (inc == t - 5) & ~(diss <= t), "surv5"),
            _count(frame, np.isnan(inc), "n_nodate"),
            _count(frame, np.ones(len(frame), bool), "n_members"),
        ]
        if spin_ids is not None:
            parts.append(_count(frame, active & frame["company_id"].isin(spin_ids), "spinouts"))
        if t == latest:
            emp, turn = frame["employees"].notna(), frame["turnover"].notna()
            parts += [
                _count(frame, active & emp, "emp_n"),
                _count(frame, active & turn, "turn_n"),
                _count(frame, active & emp & turn, "both_n"),
                _count(frame, active & (frame["employees"] >= 250), "anchors"),
            ]
            parts += _financial_parts(apportion(frame.assign(active=active), shares))
            parts += _history_parts(frame, active, evidence, cfg, latest)
        per_year.append(pd.concat(parts, axis=1).assign(year=t))
    out = pd.concat(per_year).reset_index()
    out = _add_company_events(out, frame, evidence, cfg, years)
    out = _add_place_evidence(out, evidence, cfg, years, lad_region or {})
    return _complete_grid(out, evidence, companies, members, years)


def _financial_parts(frame: pd.DataFrame) -> list[pd.Series]:
    """Sums of employees, turnover and GVA of active companies, by the places they are
    apportioned to (registered address, or sites)."""
    active = frame["active"].to_numpy(dtype=bool)
    emp, turn = frame["employees"].notna(), frame["turnover"].notna()
    both = active & emp & turn
    return [
        _count(frame, active & emp, "emp_sum", "employees"),
        _count(frame, active & emp, "emp_rows"),
        _count(frame, active & turn, "turn_sum", "turnover"),
        _count(frame, active & turn, "turn_rows"),
        _count(frame, active & turn, "gva_sum", "gva"),
        _count(frame, both, "both_turn", "turnover"),
        _count(frame, both, "both_gva", "gva"),
        _count(frame, both, "both_emp", "employees"),
    ]


def _history_parts(
    frame: pd.DataFrame, active: np.ndarray, evidence: Evidence, cfg: ScoringConfig, latest: int
) -> list[pd.Series]:
    history = evidence.get("financials_history")
    if history is None:
        return []
    k = cfg.growth_window_years
    start = history[history["year"] == latest - k].set_index("company_id")
    end = history[history["year"] == latest].set_index("company_id")
    ids = frame["company_id"]
    e0 = ids.map(start["employees"].groupby(level=0).last()).to_numpy(dtype=float)
    e1 = ids.map(end["employees"].groupby(level=0).last()).to_numpy(dtype=float)
    y0 = ids.map(start["turnover"].groupby(level=0).last()).to_numpy(dtype=float)
    y1 = ids.map(end["turnover"].groupby(level=0).last()).to_numpy(dtype=float)
    has_e, has_y = ~np.isnan(e0) & ~np.isnan(e1), ~np.isnan(y0) & ~np.isnan(y1)
    f = frame.assign(e0=e0, e1=e1, y0=y0, y1=y1)
    with np.errstate(divide="ignore", invalid="ignore"):
        annual = np.where(has_e & (e0 > 0), (e1 / e0) ** (1.0 / k) - 1.0, np.nan)
    hgf = active & has_e & (e0 >= 10) & (annual > 0.2)
    return [
        _count(f, active & has_e, "hist_e0", "e0"),
        _count(f, active & has_e, "hist_e1", "e1"),
        _count(f, active & has_e, "hist_e_n"),
        _count(f, active & has_y, "hist_y0", "y0"),
        _count(f, active & has_y, "hist_y1", "y1"),
        _count(f, active & has_y, "hist_y_n"),
        _count(f, hgf, "hgf"),
    ]


_COMPANY_EVENTS = {
    "rd_grants": (("rd_n", None), ("rd_value", "amount")),
    "patents": (("pat_n", None),),
    "equity_deals": (("eq_n", None), ("eq_value", "amount")),
}


def _add_company_events(
    comp: pd.DataFrame,
    frame: pd.DataFrame,
    evidence: Evidence,
    cfg: ScoringConfig,
    years: list[int],
) -> pd.DataFrame:
    keys = ["cluster_id", "lad_code", "region_code", "year"]
    places = frame[["company_id", "cluster_id", "lad_code", "region_code"]]
    for name, outputs in _COMPANY_EVENTS.items():
        events = evidence.get(name)
        if events is None:
            continue
        events = events.assign(event_year=_year(events["date"]))
        matched = events["company_id"].isin(set(places["company_id"]))
        if (~matched).any():
            logger.info(
                "%s: %d of %d rows name companies not in the base",
                name,
                (~matched).sum(),
                len(events),
            )
        joined = events.merge(places, on="company_id")
        pieces = []
        for t in years:
            w = joined[
                (joined["event_year"] > t - cfg.evidence_window_years) & (joined["event_year"] <= t)
            ]
            g = w.groupby(keys[:-1])
            cols = {col: (g.size() if value is None else g[value].sum()) for col, value in outputs}
            pieces.append(pd.DataFrame(cols).assign(year=t).reset_index())
        comp = comp.merge(pd.concat(pieces), on=keys, how="outer")
    return comp


def _add_place_evidence(
    comp: pd.DataFrame,
    evidence: Evidence,
    cfg: ScoringConfig,
    years: list[int],
    lad_region: dict[str, str],
) -> pd.DataFrame:
    keys = ["cluster_id", "lad_code", "region_code", "year"]
    fdi = evidence.get("fdi_projects")
    if fdi is not None:
        rows = fdi.assign(
            cluster_id=fdi["cluster_ids"].map(split_labels),
            event_year=_year(fdi["date"]),
            region_code=fdi["lad_code"].map(lad_region).fillna(UNKNOWN_LAD),
        ).explode("cluster_id")
        rows = rows.dropna(subset=["cluster_id"])
        pieces = []
        for t in years:
            w = rows[
                (rows["event_year"] > t - cfg.evidence_window_years) & (rows["event_year"] <= t)
            ]
            g = w.groupby(keys[:-1])
            pieces.append(
                pd.DataFrame(
                    {"fdi_n": g.size(), "fdi_jobs": g["jobs"].sum(), "fdi_capex": g["capex"].sum()}
                )
                .assign(year=t)
                .reset_index()
            )
        comp = comp.merge(pd.concat(pieces), on=keys, how="outer")
    talent = evidence.get("talent")
    if talent is not None:
        t = talent.assign(region_code=talent["lad_code"].map(lad_region).fillna(UNKNOWN_LAD))
        per_cluster = (
            t.groupby(keys[:-1])[["related_graduates", "related_workforce"]]
            .sum()
            .rename(columns={"related_graduates": "grads", "related_workforce": "rel_wf"})
        )
        place = (
            t.groupby(["lad_code", "region_code"])[["total_workforce", "degree_workforce"]]
            .first()
            .rename(columns={"total_workforce": "total_wf", "degree_workforce": "degree_wf"})
            .assign(cluster_id=ALL)
            .set_index("cluster_id", append=True)
            .reorder_levels(keys[:-1])
        )
        tal = pd.concat([per_cluster, place]).groupby(level=[0, 1, 2]).sum(min_count=1)
        comp = comp.merge(tal.assign(year=years[-1]).reset_index(), on=keys, how="outer")
    return comp


_EVIDENCE_COMPONENTS = {
    "spinouts": ["spinouts"],
    "rd_grants": ["rd_n", "rd_value"],
    "patents": ["pat_n"],
    "equity_deals": ["eq_n", "eq_value"],
    "fdi_projects": ["fdi_n", "fdi_jobs", "fdi_capex"],
    "talent": ["grads", "rel_wf", "total_wf", "degree_wf"],
    "financials_history": [
        "hist_e0",
        "hist_e1",
        "hist_e_n",
        "hist_y0",
        "hist_y1",
        "hist_y_n",
        "hgf",
    ],
}
_LATEST_ONLY = {
    "emp_sum", "emp_n", "emp_rows", "turn_rows", "turn_sum", "gva_sum", "turn_n", "both_turn", "both_gva", "both_emp",
    "both_n", "anchors", "grads", "rel_wf", "total_wf", "degree_wf",
    *_EVIDENCE_COMPONENTS["financials_history"],
}  # fmt: skip


def _complete_grid(
    comp: pd.DataFrame,
    evidence: Evidence,
    companies: pd.DataFrame,
    members: pd.DataFrame,
    years: list[int],
) -> pd.DataFrame:
    """Every cluster x place x year, zero-filled where a source is present, NaN where absent."""
    keys = ["cluster_id", "lad_code", "region_code", "year"]
    clusters = sorted(set(members["cluster_id"])) + [ALL]
    places = pd.concat(
        [companies[["lad_code", "region_code"]], comp[["lad_code", "region_code"]]]
    ).drop_duplicates()
    grid = (
        pd.DataFrame({"cluster_id": clusters})
        .merge(places, how="cross")
        .merge(pd.DataFrame({"year": years}), how="cross")
    )
    out = grid.merge(comp, on=keys, how="left")
    base_cols = ["n_active", "n_young", "n_inc5", "coh3", "surv3", "coh5", "surv5", "n_nodate",
                 "n_members", "emp_sum", "emp_n", "emp_rows", "turn_sum", "gva_sum", "turn_n",
                 "turn_rows", "both_turn", "both_gva", "both_emp", "both_n", "anchors"]  # fmt: skip
    for col in base_cols:
        if col not in out:
            out[col] = np.nan
    for source, cols in _EVIDENCE_COMPONENTS.items():
        for col in cols:
            if col not in out:
                out[col] = np.nan
            if source in evidence:
                out[col] = out[col].fillna(0.0)
    for col in base_cols:
        out[col] = out[col].fillna(0.0)
    latest_only = [c for c in _LATEST_ONLY if c in out]
    out.loc[out["year"] != years[-1], latest_only] = np.nan
    return out


def rollup(comp: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    """Sum components to every geography: ``geo_level, geo_code, region_code`` (pure)."""
    value_cols = [
        c for c in comp.columns if c not in ("cluster_id", "lad_code", "region_code", "year")
    ]

    def total(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        return frame.groupby(keys, dropna=False)[value_cols].sum(min_count=1).reset_index()

    lad = total(
        comp[comp["lad_code"] != UNKNOWN_LAD], ["cluster_id", "lad_code", "region_code", "year"]
    )
    lad = lad.rename(columns={"lad_code": "geo_code"}).assign(geo_level="lad")
    region = total(comp[comp["region_code"] != UNKNOWN_LAD], ["cluster_id", "region_code", "year"])
    region = region.assign(geo_code=region["region_code"], geo_level="region")
    area = total(comp[comp["region_code"].isin(cfg.area.regions)], ["cluster_id", "year"])
    area = area.assign(geo_code=cfg.area.name, geo_level="area", region_code=None)
    bench = total(comp, ["cluster_id", "year"])
    bench = bench.assign(geo_code=BENCHMARK_CODE, geo_level="benchmark", region_code=None)
    return pd.concat([lad, region, area, bench], ignore_index=True)


def _safe_div(a: pd.Series, b: pd.Series) -> pd.Series:
    a, b = a.astype(float), b.astype(float)
    return (a / b.where(b != 0)).astype(float)


def _cagr(end: pd.Series, start: pd.Series, years: pd.Series | float) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = _safe_div(end, start)
        years = pd.Series(years, index=end.index) if np.isscalar(years) else years
        out = 100.0 * (ratio ** (1.0 / years.where(years > 0)) - 1.0)
    return out.where((ratio > 0) & (years > 0))


def derive(totals: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    """Metrics (wide, one column per metric plus ``cov_<metric>``) from rolled-up components."""
    keys = ["geo_level", "geo_code", "year"]
    t = totals[totals["cluster_id"] != ALL].copy()
    all_ = totals[totals["cluster_id"] == ALL].set_index(keys)
    bench = totals[totals["geo_level"] == "benchmark"].set_index(["cluster_id", "year"])
    bench_all = all_.xs("benchmark", level="geo_level").droplevel("geo_code")

    def place(col: str) -> pd.Series:
        return pd.Series(all_[col].reindex(pd.MultiIndex.from_frame(t[keys])).to_numpy(), t.index)

    def benchmark(col: str) -> pd.Series:
        idx = pd.MultiIndex.from_frame(t[["cluster_id", "year"]])
        return pd.Series(bench[col].reindex(idx).to_numpy(), t.index)

    def benchmark_all(col: str) -> pd.Series:
        return pd.Series(bench_all[col].reindex(t["year"]).to_numpy(), t.index)

    def lq(col: str) -> pd.Series:
        return _safe_div(
            _safe_div(t[col], place(col)), _safe_div(benchmark(col), benchmark_all(col))
        )

    n = t["n_active"]
    has = lambda cnt: t[cnt].where(n > 0)  # noqa: E731 a sum is only as good as its reporters
    m = pd.DataFrame(index=t.index)
    m["business_count"] = n
    m["benchmark_share"] = 100 * _safe_div(n, benchmark("n_active"))
    # a sum is missing when companies are here but none reports the input (placed by
    # registered address or a site: ``*_rows``); with no companies at all it is 0
    m["employees"] = t["emp_sum"].where((t["emp_rows"] > 0) | (n == 0))
    m["turnover"] = t["turn_sum"].where((t["turn_rows"] > 0) | (n == 0))
    m["gva_estimate"] = t["gva_sum"].where((t["turn_rows"] > 0) | (n == 0))
    m["anchor_firms"] = t["anchors"].where(t["emp_n"].notna())
    m["business_lq"] = lq("n_active")
    m["employment_lq"] = lq("emp_sum")
    m["turnover_per_employee"] = _safe_div(t["both_turn"], t["both_emp"])
    m["gva_per_employee"] = _safe_div(t["both_gva"], t["both_emp"])
    base = t.merge(
        t.loc[t["year"] == cfg.base_year, ["cluster_id", "geo_level", "geo_code", "n_active"]],
        on=["cluster_id", "geo_level", "geo_code"],
        how="left",
        suffixes=("", "_base"),
    )
    m["company_count_growth"] = _cagr(
        n, pd.Series(base["n_active_base"].to_numpy(), t.index), t["year"] - cfg.base_year
    )
    k = cfg.growth_window_years
    m["employee_growth"] = _cagr(t["hist_e1"], t["hist_e0"], k)
    m["turnover_growth"] = _cagr(t["hist_y1"], t["hist_y0"], k)
    m["incorporations_5y"] = t["n_inc5"]
    m["young_firm_share"] = 100 * _safe_div(t["n_young"], n)
    m["high_growth_firms"] = t["hgf"]
    m["survival_3y"] = 100 * _safe_div(t["surv3"], t["coh3"])
    m["survival_5y"] = 100 * _safe_div(t["surv5"], t["coh5"])
    m["related_graduates"] = t["grads"]
    m["related_workforce"] = t["rel_wf"]
    m["workforce_lq"] = _safe_div(
        _safe_div(t["rel_wf"], place("total_wf")),
        _safe_div(benchmark("rel_wf"), benchmark_all("total_wf")),
    )
    m["degree_share"] = 100 * _safe_div(place("degree_wf"), place("total_wf"))
    m["rd_grants_count"] = t["rd_n"]
    m["rd_grants_value"] = t["rd_value"]
    m["patents"] = t["pat_n"]
    m["spinouts"] = t["spinouts"]
    m["equity_deals_count"] = t["eq_n"]
    m["equity_deals_value"] = t["eq_value"]
    m["fdi_projects"] = t["fdi_n"]
    m["fdi_jobs"] = t["fdi_jobs"]
    m["fdi_capex"] = t["fdi_capex"]

    # coverage: the share of the inputs each value rests on
    dated = 1 - _safe_div(t["n_nodate"], t["n_members"]).fillna(0.0)
    cov = {}
    for metric in CATALOGUE:
        if metric.source is Source.BASE:
            cov[metric.name] = dated
        elif metric.source is Source.HISTORY:
            cov[metric.name] = _safe_div(has("hist_e_n"), n).fillna(0.0)
        else:
            cov[metric.name] = m[metric.name].notna().astype(float)
    for name in ("employees", "employment_lq", "anchor_firms"):
        cov[name] = _safe_div(t["emp_n"], n)
    for name in ("turnover", "gva_estimate"):
        cov[name] = _safe_div(t["turn_n"], n)
    for name in ("turnover_per_employee", "gva_per_employee"):
        cov[name] = _safe_div(t["both_n"], n)
    cov["turnover_growth"] = _safe_div(has("hist_y_n"), n).fillna(0.0)
    for name, c in cov.items():
        m[f"cov_{name}"] = c
    latest = t["year"] == t["year"].max()
    for metric in CATALOGUE:
        if not metric.per_year:
            m.loc[~latest, [metric.name, f"cov_{metric.name}"]] = np.nan
    return pd.concat([t[["cluster_id", "geo_level", "geo_code", "region_code", "year"]], m], axis=1)


def to_tidy(wide: pd.DataFrame, geography: Geography, cfg: ScoringConfig) -> pd.DataFrame:
    """The tidy metrics table from :func:`derive`'s wide frame."""
    names = [m.name for m in CATALOGUE]
    value = wide.melt(
        id_vars=["cluster_id", "geo_level", "geo_code", "region_code", "year"],
        value_vars=names,
        var_name="metric",
        value_name="value",
    )
    coverage = wide.melt(value_vars=[f"cov_{n}" for n in names], value_name="coverage")["coverage"]
    value["coverage"] = coverage.to_numpy()
    per_year = {m.name for m in CATALOGUE if m.per_year}
    latest = value["year"] == value["year"].max()
    value = value[latest | value["metric"].isin(per_year)]
    value["geo_name"] = _geo_names(value, geography, cfg)
    value["year"] = value["year"].astype("int64")
    return value[METRIC_COLUMNS].reset_index(drop=True)


def _geo_names(frame: pd.DataFrame, geography: Geography, cfg: ScoringConfig) -> pd.Series:
    names = pd.Series(frame["geo_code"].to_numpy(copy=True), index=frame.index, dtype=object)
    lad = frame["geo_level"] == "lad"
    region = frame["geo_level"] == "region"
    names[lad] = (
        frame.loc[lad, "geo_code"].map(geography.lad_names).fillna(frame.loc[lad, "geo_code"])
    )
    names[region] = (
        frame.loc[region, "geo_code"]
        .map(geography.region_names)
        .fillna(frame.loc[region, "geo_code"])
    )
    names[frame["geo_level"] == "benchmark"] = cfg.benchmark_name
    return names


def compute_metrics(
    base: pd.DataFrame,
    members: pd.DataFrame,
    evidence: Evidence,
    cfg: ScoringConfig,
) -> pd.DataFrame:
    """The tidy metrics table for every cluster x geography x year.

    Args:
        base: company base in contract types (``COMPANY_BASE``).
        members: ``company_id, cluster_id`` pairs (:func:`scoring.inputs.membership`).
        evidence: the evidence files that exist (:func:`scoring.inputs.load_evidence`).
        cfg: scoring settings (years, area, benchmark name, windows).

    Returns:
        Columns ``cluster_id, geo_level, geo_code, geo_name, region_code, year, metric, value,
        coverage``; ``geo_level`` is one of ``lad, region, area, benchmark``.
    """
    last = cfg.latest_year or latest_year(base)
    years = list(range(min(cfg.base_year, last), last + 1))
    geography = Geography.from_base(base)
    companies = prepare_companies(base, cfg)
    comp = components(companies, members, evidence, cfg, years, geography.lad_region)
    totals = rollup(comp, cfg)
    wide = derive(totals, cfg)
    tidy = to_tidy(wide, geography, cfg)
    logger.info(
        "metrics: %d rows, %d clusters, %d local authorities, years %d-%d",
        len(tidy),
        tidy["cluster_id"].nunique(),
        tidy.loc[tidy["geo_level"] == "lad", "geo_code"].nunique(),
        years[0],
        years[-1],
    )
    return tidy


def coverage_summary(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per metric (latest year, local authorities): share of non-missing values and mean coverage."""
    latest = metrics[metrics["year"] == metrics["year"].max()]
    return (
        latest.groupby("metric")
        .agg(
            values=("value", "size"),
            non_missing=("value", lambda v: float(v.notna().mean())),
            mean_coverage=("coverage", "mean"),
        )
        .reindex([m.name for m in CATALOGUE])
        .reset_index()
    )

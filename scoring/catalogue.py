"""The metrics catalogue: every metric the scoring stage computes, written down once.

Each :class:`Metric` carries its name, definition, formula, unit, direction (is more better?),
pillar and the source columns it needs. :mod:`scoring.metrics` computes exactly these metrics,
the composite score takes its pillars and directions from here, and the report's methods
appendix is generated from this list.

Example:
    >>> from scoring.catalogue import CATALOGUE, by_name
    >>> by_name("business_lq").pillar.value
    'specialisation'
    >>> len(CATALOGUE) >= 22
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Pillar(StrEnum):
    """Pillars of the investment-potential score (size and specialisation kept apart)."""

    SIZE = "size"
    SPECIALISATION = "specialisation"
    PRODUCTIVITY = "productivity"
    DYNAMISM = "dynamism"
    TALENT = "talent"
    INNOVATION = "innovation"
    INVESTMENT = "investment"


class Source(StrEnum):
    """Where a metric's inputs come from."""

    BASE = "company base"
    HISTORY = "financial history (evidence/financials_history.csv)"
    GRANTS = "R&D grants (evidence/rd_grants.csv)"
    PATENTS = "patents (evidence/patents.csv)"
    SPINOUTS = "spin-outs (evidence/spinouts.csv)"
    EQUITY = "equity deals (evidence/equity_deals.csv)"
    FDI = "FDI projects (evidence/fdi_projects.csv)"
    TALENT = "talent (evidence/talent.csv)"


@dataclass(frozen=True)
class Metric:
    """One metric of the catalogue."""

    name: str
    label: str
    definition: str
    formula: str
    unit: str
    pillar: Pillar
    source: Source
    columns: tuple[str, ...]
    higher_is_better: bool = True
    heavy_tailed: bool = False
    """Log-transformed (``log1p``) before winsorising and scaling."""
    per_year: bool = False
    """Computed for every year of the series (from dates); otherwise for the latest year only."""


_ACTIVE = "active at the end of year t (incorporated by then, not dissolved by then)"
_PLACED = (
    "counted at the registered address, or split across sites by the site table "
    "(evidence/sites.csv) where one is given"
)

CATALOGUE: tuple[Metric, ...] = (
    # --- size -----------------------------------------------------------------------------
    Metric(
        "business_count",
        "Businesses",
        f"Cluster companies {_ACTIVE}.",
        "n_c,p,t",
        "companies",
        Pillar.SIZE,
        Source.BASE,
        ("incorporation_date", "dissolution_date"),
        heavy_tailed=True,
        per_year=True,
    ),
    Metric(
        "benchmark_share",
        "Share of benchmark businesses",
        "The place's share of the benchmark's cluster companies.",
        "100 x n_c,p,t / n_c,B,t",
        "%",
        Pillar.SIZE,
        Source.BASE,
        ("incorporation_date", "dissolution_date"),
        heavy_tailed=True,
        per_year=True,
    ),
    Metric(
        "employees",
        "Employees",
        f"Sum of the latest reported average employees of active cluster companies, {_PLACED}.",
        "sum e_i",
        "employees",
        Pillar.SIZE,
        Source.BASE,
        ("employees",),
        heavy_tailed=True,
    ),
    Metric(
        "turnover",
        "Turnover",
        f"Sum of the latest reported turnover of active cluster companies, {_PLACED}.",
        "sum y_i",
        "GBP",
        Pillar.SIZE,
        Source.BASE,
        ("turnover",),
        heavy_tailed=True,
    ),
    Metric(
        "gva_estimate",
        "Estimated GVA",
        "Turnover times the GVA-to-turnover ratio of each company's SIC section (first SIC "
        "code). The bundled ratios (scoring/gva_ratios.yaml) are placeholder approximations, "
        "to be replaced by ONS Annual Business Survey ratios.",
        "sum y_i x r_section(i)",
        "GBP",
        Pillar.SIZE,
        Source.BASE,
        ("turnover", "sic_codes"),
        heavy_tailed=True,
    ),
    Metric(
        "anchor_firms",
        "Anchor firms (250+ employees)",
        "Active cluster companies with 250 or more employees.",
        "count(e_i >= 250)",
        "companies",
        Pillar.SIZE,
        Source.BASE,
        ("employees",),
        heavy_tailed=True,
    ),
    # --- specialisation -------------------------------------------------------------------
    Metric(
        "business_lq",
        "Business location quotient",
        "The cluster's share of the place's "
        "companies over its share of the benchmark's companies; 1 = as concentrated as the "
        "benchmark.",
        "(n_c,p / n_p) / (n_c,B / n_B)",
        "ratio",
        Pillar.SPECIALISATION,
        Source.BASE,
        ("incorporation_date", "dissolution_date"),
        per_year=True,
    ),
    Metric(
        "employment_lq",
        "Employment location quotient",
        "As the business LQ, with employees (companies reporting employees only).",
        "(e_c,p / e_p) / (e_c,B / e_B)",
        "ratio",
        Pillar.SPECIALISATION,
        Source.BASE,
        ("employees",),
    ),
    # --- productivity ---------------------------------------------------------------------
    Metric(
        "turnover_per_employee",
        "Turnover per employee",
        "Turnover over employees, over companies reporting both.",
        "sum y_i / sum e_i (both reported)",
        "GBP/employee",
        Pillar.PRODUCTIVITY,
        Source.BASE,
        ("turnover", "employees"),
        heavy_tailed=True,
    ),
    Metric(
        "gva_per_employee",
        "Estimated GVA per employee",
        "Estimated GVA over employees, over companies reporting both.",
        "sum y_i r_i / sum e_i (both reported)",
        "GBP/employee",
        Pillar.PRODUCTIVITY,
        Source.BASE,
        ("turnover", "employees", "sic_codes"),
        heavy_tailed=True,
    ),
    # --- dynamism -------------------------------------------------------------------------
    Metric(
        "company_count_growth",
        "Company-count growth",
        "Compound annual growth of the "
        "business count from the base year to year t. Survivors-only bias: companies "
        "dissolved and removed from the register before the snapshot are not seen.",
        "100 x ((n_t / n_t0)^(1/(t-t0)) - 1)",
        "%/yr",
        Pillar.DYNAMISM,
        Source.BASE,
        ("incorporation_date", "dissolution_date"),
        per_year=True,
    ),
    Metric(
        "employee_growth",
        "Employee growth",
        "Compound annual growth of employees over the "
        "growth window, over companies reporting at both ends.",
        "100 x ((sum e_t / sum e_t-k)^(1/k) - 1)",
        "%/yr",
        Pillar.DYNAMISM,
        Source.HISTORY,
        ("company_id", "year", "employees"),
    ),
    Metric(
        "turnover_growth",
        "Turnover growth",
        "Compound annual growth of turnover over the "
        "growth window, over companies reporting at both ends.",
        "100 x ((sum y_t / sum y_t-k)^(1/k) - 1)",
        "%/yr",
        Pillar.DYNAMISM,
        Source.HISTORY,
        ("company_id", "year", "turnover"),
    ),
    Metric(
        "incorporations_5y",
        "Incorporations in the last 5 years",
        "Cluster companies incorporated in years t-4 to t (whether or not still active).",
        "count(t-5 < year(inc_i) <= t)",
        "companies",
        Pillar.DYNAMISM,
        Source.BASE,
        ("incorporation_date",),
        heavy_tailed=True,
        per_year=True,
    ),
    Metric(
        "young_firm_share",
        "Young-firm share",
        "Share of active cluster companies "
        "incorporated less than 5 years before the end of year t.",
        "100 x n_young / n_c,p,t",
        "%",
        Pillar.DYNAMISM,
        Source.BASE,
        ("incorporation_date", "dissolution_date"),
        per_year=True,
    ),
    Metric(
        "high_growth_firms",
        "High-growth firms",
        "OECD definition: companies with at least "
        "10 employees at the start and more than 20 % annualised employee growth over 3 years.",
        "count(e_t-3 >= 10 and (e_t/e_t-3)^(1/3) - 1 > 0.2)",
        "companies",
        Pillar.DYNAMISM,
        Source.HISTORY,
        ("company_id", "year", "employees"),
        heavy_tailed=True,
    ),
    Metric(
        "survival_3y",
        "3-year survival rate",
        "Of cluster companies incorporated in year "
        "t-3, the share not dissolved by the end of year t.",
        "100 x surv / cohort(t-3)",
        "%",
        Pillar.DYNAMISM,
        Source.BASE,
        ("incorporation_date", "dissolution_date"),
        per_year=True,
    ),
    Metric(
        "survival_5y",
        "5-year survival rate",
        "Of cluster companies incorporated in year "
        "t-5, the share not dissolved by the end of year t.",
        "100 x surv / cohort(t-5)",
        "%",
        Pillar.DYNAMISM,
        Source.BASE,
        ("incorporation_date", "dissolution_date"),
        per_year=True,
    ),
    # --- talent ---------------------------------------------------------------------------
    Metric(
        "related_graduates",
        "Related graduates",
        "Graduates in subjects related to the cluster, by place of study.",
        "sum g_c,p",
        "people",
        Pillar.TALENT,
        Source.TALENT,
        ("lad_code", "cluster_id", "related_graduates"),
        heavy_tailed=True,
    ),
    Metric(
        "related_workforce",
        "Related-occupation workforce",
        "Residents working in occupations related to the cluster.",
        "sum w_c,p",
        "people",
        Pillar.TALENT,
        Source.TALENT,
        ("lad_code", "cluster_id", "related_workforce"),
        heavy_tailed=True,
    ),
    Metric(
        "workforce_lq",
        "Related-workforce location quotient",
        "The related occupations' share of the place's workforce over the benchmark's share.",
        "(w_c,p / W_p) / (w_c,B / W_B)",
        "ratio",
        Pillar.TALENT,
        Source.TALENT,
        ("lad_code", "cluster_id", "related_workforce", "total_workforce"),
    ),
    Metric(
        "degree_share",
        "Degree-level share",
        "Share of the place's workforce qualified to "
        "degree level (a place measure, the same for every cluster).",
        "100 x D_p / W_p",
        "%",
        Pillar.TALENT,
        Source.TALENT,
        ("lad_code", "degree_workforce", "total_workforce"),
    ),
    # --- innovation -----------------------------------------------------------------------
    Metric(
        "rd_grants_count",
        "R&D grants",
        "Grants to cluster companies dated in years t-4..t.",
        "count(grants)",
        "grants",
        Pillar.INNOVATION,
        Source.GRANTS,
        ("company_id", "date", "amount"),
        heavy_tailed=True,
        per_year=True,
    ),
    Metric(
        "rd_grants_value",
        "R&D grant value",
        "Value of grants to cluster companies dated in years t-4..t.",
        "sum(amount)",
        "GBP",
        Pillar.INNOVATION,
        Source.GRANTS,
        ("company_id", "date", "amount"),
        heavy_tailed=True,
        per_year=True,
    ),
    Metric(
        "patents",
        "Patents",
        "Patent publications by cluster companies dated in years t-4..t.",
        "count(patents)",
        "patents",
        Pillar.INNOVATION,
        Source.PATENTS,
        ("company_id", "date"),
        heavy_tailed=True,
        per_year=True,
    ),
    Metric(
        "spinouts",
        "University spin-outs",
        "Active cluster companies flagged as university spin-outs.",
        "count(spin-out and active)",
        "companies",
        Pillar.INNOVATION,
        Source.SPINOUTS,
        ("company_id",),
        heavy_tailed=True,
        per_year=True,
    ),
    # --- investment -----------------------------------------------------------------------
    Metric(
        "equity_deals_count",
        "Equity deals",
        "Equity investment deals into cluster companies dated in years t-4..t.",
        "count(deals)",
        "deals",
        Pillar.INVESTMENT,
        Source.EQUITY,
        ("company_id", "date", "amount"),
        heavy_tailed=True,
        per_year=True,
    ),
    Metric(
        "equity_deals_value",
        "Equity investment",
        "Value of equity deals into cluster companies dated in years t-4..t.",
        "sum(amount)",
        "GBP",
        Pillar.INVESTMENT,
        Source.EQUITY,
        ("company_id", "date", "amount"),
        heavy_tailed=True,
        per_year=True,
    ),
    Metric(
        "fdi_projects",
        "FDI projects",
        "Inward investment projects in the place tagged with the cluster, dated in years t-4..t.",
        "count(projects)",
        "projects",
        Pillar.INVESTMENT,
        Source.FDI,
        ("lad_code", "cluster_ids", "date"),
        heavy_tailed=True,
        per_year=True,
    ),
    Metric(
        "fdi_jobs",
        "FDI jobs",
        "New jobs of those FDI projects.",
        "sum(jobs)",
        "jobs",
        Pillar.INVESTMENT,
        Source.FDI,
        ("lad_code", "cluster_ids", "date", "jobs"),
        heavy_tailed=True,
        per_year=True,
    ),
    Metric(
        "fdi_capex",
        "FDI capital expenditure",
        "Capital expenditure of those FDI projects.",
        "sum(capex)",
        "GBP",
        Pillar.INVESTMENT,
        Source.FDI,
        ("lad_code", "cluster_ids", "date", "capex"),
        heavy_tailed=True,
        per_year=True,
    ),
)
"""Every metric, in report order."""

METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in CATALOGUE)


def by_name(name: str) -> Metric:
    """The catalogue entry called ``name``.

    Raises:
        KeyError: no such metric.
    """
    for metric in CATALOGUE:
        if metric.name == name:
            return metric
    raise KeyError(f"metric {name!r} is not in the catalogue")


def catalogue_frame() -> list[dict[str, object]]:
    """The catalogue as records (for the report's methods appendix and CSV export)."""
    return [
        {
            "name": m.name,
            "label": m.label,
            "definition": m.definition,
            "formula": m.formula,
            "unit": m.unit,
            "direction": "higher is better" if m.higher_is_better else "lower is better",
            "pillar": m.pillar.value,
            "source": m.source.value,
            "columns": ", ".join(m.columns),
            "log_transformed": m.heavy_tailed,
            "per_year": m.per_year,
        }
        for m in CATALOGUE
    ]

"""The investment-potential score: an OECD/JRC composite indicator over the metrics.

Steps (OECD/JRC *Handbook on Constructing Composite Indicators*, 2008):

1. **Transform**: ``log1p`` for heavy-tailed metrics (counts, sums, values; the catalogue's
   ``heavy_tailed`` flag).
2. **Winsorise** at mean +- 2 SD.
3. **Normalise** min-max to 0-100. Bounds (winsorising limits, minimum and maximum) are fixed
   on the *base year* so that scores compare over time (later years may leave 0-100). A metric
   with no value in the base year (latest-accounts metrics) takes its bounds from the scored
   year.
4. **Direction**: lower-is-better metrics are inverted (100 - score).
5. **Aggregate**: weighted arithmetic mean of the metrics of each pillar (equal weights by
   default, ``scoring/weights.yaml``), then weighted mean of the pillar scores. Size and
   specialisation are separate pillars, so large places do not win on size alone. Missing
   values are not imputed: a pillar averages the metrics it has, the score averages the pillars
   it has, and ``weight_coverage`` says what share of the weight was available.

Cluster-places with fewer than ``min_businesses`` companies are not scored.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.catalogue import by_name
from scoring.config import ScoringConfig

logger = logging.getLogger(__name__)

COMPOSITE = "investment_potential"
UNIT_KEYS = ["cluster_id", "geo_level", "geo_code", "geo_name", "region_code", "year"]


@dataclass(frozen=True)
class Method:
    """One set of normalisation choices (the nominal one, or a Monte Carlo draw)."""

    normalisation: str = "minmax"  # minmax | zscore | rank
    winsorise: bool = True
    log_transform: bool = True


def wide_metrics(metrics: pd.DataFrame, level: str, year: int) -> pd.DataFrame:
    """Units (cluster x place at ``level``) by metrics for ``year``, from the tidy table."""
    sub = metrics[(metrics["geo_level"] == level) & (metrics["year"] == year)]
    keys = [k for k in UNIT_KEYS if k != "year"]
    wide = sub.set_index([*keys, "metric"])["value"].unstack("metric").reset_index()
    wide.columns.name = None
    return wide.assign(year=year)


def normalise(
    values: np.ndarray,
    base: np.ndarray,
    heavy: np.ndarray,
    higher_is_better: np.ndarray,
    method: Method = Method(),  # noqa: B008  (frozen dataclass)
) -> np.ndarray:
    """Normalised scores (units x metrics) of ``values``, with bounds taken from ``base``.

    ``base`` has the same metric columns (the base-year units); a column of ``base`` with no
    finite value falls back to ``values`` for its bounds. NaN stays NaN. A metric with no
    spread gets NaN (it says nothing).

    >>> v = np.array([[0.0], [5.0], [10.0]])
    >>> normalise(v, v, np.array([False]), np.array([True])).ravel().tolist()
    [0.0, 50.0, 100.0]
    """
    values = np.asarray(values, dtype=float).copy()
    base = np.asarray(base, dtype=float).copy()
    if base.shape[0] == 0:
        base = values.copy()
    if method.log_transform:
        values[:, heavy] = np.log1p(np.clip(values[:, heavy], 0, None))
        base[:, heavy] = np.log1p(np.clip(base[:, heavy], 0, None))
    use_base = np.isfinite(base).any(axis=0)

    def bound(fn, lo=None, hi=None):  # noqa: ANN001, ANN202
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            b, v = (
                (base, values) if lo is None else (np.clip(base, lo, hi), np.clip(values, lo, hi))
            )
            return np.where(use_base, fn(b, axis=0), fn(v, axis=0))

    mean, sd = bound(np.nanmean), bound(np.nanstd)
    lo, hi = (mean - 2 * sd, mean + 2 * sd) if method.winsorise else (None, None)
    if method.winsorise:
        values = np.clip(values, lo, hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method.normalisation == "minmax":
            vmin, vmax = bound(np.nanmin, lo, hi), bound(np.nanmax, lo, hi)
            scores = 100.0 * (values - vmin) / np.where(vmax > vmin, vmax - vmin, np.nan)
            scores = np.where(higher_is_better, scores, 100.0 - scores)
        elif method.normalisation == "zscore":
            scores = (values - mean) / np.where(sd > 0, sd, np.nan)
            scores = np.where(higher_is_better, scores, -scores)
        elif method.normalisation == "rank":
            frame = pd.DataFrame(np.where(higher_is_better, values, -values))
            scores = 100.0 * frame.rank(pct=True, method="average").to_numpy()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                spread = np.nanmax(values, axis=0) > np.nanmin(values, axis=0)
            scores[:, ~spread] = np.nan
        else:
            raise ValueError(f"unknown normalisation {method.normalisation!r}")
    return scores


def weight_vectors(
    cfg: ScoringConfig, metric_names: list[str]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Pillar names, the metric-to-pillar index and the metric weights (within pillar)."""
    weights = cfg.metric_weights()
    pillars = list(weights)
    pillar_of = np.array([pillars.index(by_name(m).pillar.value) for m in metric_names])
    mw = np.array([weights[by_name(m).pillar.value][m] for m in metric_names], dtype=float)
    return pillars, pillar_of, mw


def aggregate(
    scores: np.ndarray,
    pillar_of: np.ndarray,
    metric_weights: np.ndarray,
    pillar_weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pillar scores (units x pillars), composite (units) and its weight coverage (units).

    Weighted means over what is present; a pillar with no metric is NaN and left out.

    >>> s = np.array([[100.0, 0.0, np.nan]])
    >>> p, c, cov = aggregate(s, np.array([0, 0, 1]), np.ones(3), np.ones(2))
    >>> p.tolist(), c.tolist(), cov.tolist()
    ([[50.0, nan]], [50.0], [0.5])
    """
    n_pillars = len(pillar_weights)
    present = np.isfinite(scores)
    filled = np.where(present, scores, 0.0)
    pillars = np.full((scores.shape[0], n_pillars), np.nan)
    for p in range(n_pillars):
        cols = pillar_of == p
        w = metric_weights[cols]
        got = present[:, cols] * w
        total = got.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            pillars[:, p] = np.where(total > 0, (filled[:, cols] * w).sum(axis=1) / total, np.nan)
    p_present = np.isfinite(pillars)
    pw = pillar_weights / pillar_weights.sum()
    got = (p_present * pw).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        composite = np.where(
            got > 0, (np.where(p_present, pillars, 0) * pw).sum(axis=1) / got, np.nan
        )
    share_in_pillar = np.zeros(scores.shape[0])
    for p in range(n_pillars):
        cols = pillar_of == p
        w = metric_weights[cols] / metric_weights[cols].sum()
        share_in_pillar += pw[p] * (present[:, cols] * w).sum(axis=1)
    return pillars, composite, share_in_pillar


@dataclass
class ScoreInputs:
    """The matrices a score is computed from (shared by the nominal score and sensitivity)."""

    units: pd.DataFrame
    values: np.ndarray
    base: np.ndarray
    metric_names: list[str]
    heavy: np.ndarray
    higher_is_better: np.ndarray
    pillars: list[str]
    pillar_of: np.ndarray
    metric_weights: np.ndarray
    pillar_weights: np.ndarray


def score_inputs(metrics: pd.DataFrame, cfg: ScoringConfig, year: int | None = None) -> ScoreInputs:
    """Units to score (``cfg.score_level``, ``year`` or the latest) and their metric matrices."""
    year = int(year or metrics["year"].max())
    names = [m for ws in cfg.metric_weights().values() for m in ws]
    current = wide_metrics(metrics, cfg.score_level, year)
    base = wide_metrics(metrics, cfg.score_level, min(cfg.base_year, year))
    for frame in (current, base):
        for name in names:
            if name not in frame:
                frame[name] = np.nan
    scored = current["business_count"].fillna(0) >= cfg.min_businesses
    base_scored = base["business_count"].fillna(0) >= cfg.min_businesses
    units = current.loc[scored].reset_index(drop=True)
    logger.info(
        "scoring %d of %d cluster-places (%s, %d; at least %d companies)",
        len(units), len(current), cfg.score_level, year, cfg.min_businesses,
    )  # fmt: skip
    if units.empty:
        raise ValueError(
            f"no cluster-place has the {cfg.min_businesses} companies active in {year} that a "
            f"score needs (score_level {cfg.score_level}, min_businesses in the weights YAML); "
            "companies count as active from their incorporation date, so check that the base "
            "has incorporation dates and that the year is right"
        )
    pillars, pillar_of, mw = weight_vectors(cfg, names)
    return ScoreInputs(
        units=units,
        values=units[names].to_numpy(dtype=float),
        base=base.loc[base_scored, names].to_numpy(dtype=float),
        metric_names=names,
        heavy=np.array([by_name(n).heavy_tailed for n in names]),
        higher_is_better=np.array([by_name(n).higher_is_better for n in names]),
        pillars=pillars,
        pillar_of=pillar_of,
        metric_weights=mw,
        pillar_weights=np.array([cfg.pillars.get(p, 1.0) for p in pillars], dtype=float),
    )


def nominal_scores(inputs: ScoreInputs) -> pd.DataFrame:
    """The nominal score: units with one column per pillar, the composite and its rank."""
    scores = normalise(inputs.values, inputs.base, inputs.heavy, inputs.higher_is_better)
    pillars, composite, coverage = aggregate(
        scores, inputs.pillar_of, inputs.metric_weights, inputs.pillar_weights
    )
    out = inputs.units[UNIT_KEYS].copy()
    for i, name in enumerate(inputs.pillars):
        out[name] = pillars[:, i]
    out[COMPOSITE] = composite
    out["weight_coverage"] = coverage
    out["rank"] = out[COMPOSITE].rank(ascending=False, method="min")
    return out


def tidy_scores(wide: pd.DataFrame, pillars: list[str]) -> pd.DataFrame:
    """Long scores: one row per unit x component (each pillar and the composite)."""
    extra = [c for c in wide.columns if c not in UNIT_KEYS + pillars + [COMPOSITE]]
    long = wide.melt(
        id_vars=UNIT_KEYS + extra,
        value_vars=[*pillars, COMPOSITE],
        var_name="component",
        value_name="score",
    )
    rank_cols = [c for c in extra if c != "weight_coverage"]
    is_composite = long["component"] == COMPOSITE
    for col in rank_cols:
        if long[col].dtype == bool:
            long[col] = long[col].astype("boolean").where(is_composite, pd.NA)
        else:
            long[col] = long[col].astype(float).where(is_composite)
    order = UNIT_KEYS + ["component", "score", *extra]
    return (
        long[order]
        .sort_values(["component", "score"], ascending=[True, False])
        .reset_index(drop=True)
    )

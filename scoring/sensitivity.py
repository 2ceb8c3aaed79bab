"""Monte Carlo sensitivity analysis of the cluster-place ranking.

Each draw picks a normalisation (min-max, z-score or percentile rank), whether to winsorise,
whether to log-transform heavy-tailed metrics, and multiplies every metric and pillar weight
by an independent ``U(1 - j, 1 + j)`` factor. The composite is recomputed and the units
ranked (1 = highest potential). Per unit we report the median rank, the 5th and 95th
percentile ranks (a 90 % rank interval) and ``robust`` = the interval is narrower than
``robust_width_share`` of the number of units. Seeded: the same seed gives the same result.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from scoring.composite import Method, ScoreInputs, aggregate, normalise
from scoring.config import Sensitivity

logger = logging.getLogger(__name__)


def rank_draws(inputs: ScoreInputs, settings: Sensitivity) -> np.ndarray:
    """Ranks (draws x units) under random weights and normalisation choices."""
    rng = np.random.default_rng(settings.seed)
    cache: dict[Method, np.ndarray] = {}
    n = len(inputs.units)
    ranks = np.empty((settings.draws, n))
    j = settings.weight_jitter
    for d in range(settings.draws):
        method = Method(
            normalisation=str(rng.choice(settings.normalisations)),
            winsorise=bool(rng.choice(settings.winsorise)),
            log_transform=bool(rng.choice(settings.log_transform)),
        )
        if method not in cache:
            cache[method] = normalise(
                inputs.values, inputs.base, inputs.heavy, inputs.higher_is_better, method
            )
        mw = inputs.metric_weights * rng.uniform(1 - j, 1 + j, len(inputs.metric_weights))
        pw = inputs.pillar_weights * rng.uniform(1 - j, 1 + j, len(inputs.pillar_weights))
        _, composite, _ = aggregate(cache[method], inputs.pillar_of, mw, pw)
        ranks[d] = pd.Series(composite).rank(ascending=False, method="average").to_numpy()
    return ranks


def rank_intervals(inputs: ScoreInputs, settings: Sensitivity) -> pd.DataFrame:
    """Per unit: ``median_rank, rank_p05, rank_p95, rank_interval_width, robust``.

    Rows align with ``inputs.units``.
    """
    if len(inputs.units) == 0:
        return pd.DataFrame(
            columns=["median_rank", "rank_p05", "rank_p95", "rank_interval_width", "robust"]
        )
    ranks = rank_draws(inputs, settings)
    p05, med, p95 = np.nanpercentile(ranks, [5, 50, 95], axis=0)
    width = p95 - p05
    out = pd.DataFrame(
        {
            "median_rank": med,
            "rank_p05": p05,
            "rank_p95": p95,
            "rank_interval_width": width,
            "robust": width <= settings.robust_width_share * len(inputs.units),
        }
    )
    logger.info(
        "sensitivity: %d draws, %d units, %d not robust (90%% interval wider than %.0f ranks)",
        settings.draws,
        len(out),
        int((~out["robust"]).sum()),
        settings.robust_width_share * len(inputs.units),
    )
    return out

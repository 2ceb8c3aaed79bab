"""Rank discovered groups by emergence.

Three signals, each turned into a percentile rank among the groups (so units do not matter):

* **growth**: ``growth_ratio``, the group's share of recent incorporations over the base's;
* **specialisation**: the group's location quotient in the focus regions;
* **novelty**: distance of the group's mean embedding from the nearest existing cluster.

``emergence`` is their weighted mean (``weight_growth``, ``weight_specialisation``,
``weight_novelty``); a signal that is missing for a group (no incorporation dates, no
regions) is left out of that group's mean rather than counted as zero.

Example:
    >>> frame = pd.DataFrame({"growth_ratio": [2.0, 1.0], "specialisation": [1.0, 3.0],
    ...                       "novelty": [0.5, 0.1]})
    >>> rank_groups(frame, DiscoverySettings())[["emergence", "rank"]].round(2).values.tolist()
    [[0.83, 1.0], [0.67, 2.0]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusters.discovery.settings import DiscoverySettings

SIGNALS = {"growth_ratio": "weight_growth", "specialisation": "weight_specialisation",
           "novelty": "weight_novelty"}  # fmt: skip


def rank_groups(groups: pd.DataFrame, settings: DiscoverySettings) -> pd.DataFrame:
    """``groups`` with ``emergence`` (0-1), ``rank`` (1 = most emergent) and one
    ``<signal>_pct`` column per signal."""
    out = groups.copy()
    weights, percentiles = [], []
    for column, weight_name in SIGNALS.items():
        values = pd.to_numeric(out.get(column, pd.Series(np.nan, index=out.index)))
        pct = values.rank(pct=True, method="average")
        out[f"{column}_pct"] = pct
        percentiles.append(pct.to_numpy(dtype=float))
        weights.append(getattr(settings, weight_name))
    stacked = np.vstack(percentiles) if percentiles else np.zeros((0, len(out)))
    w = np.asarray(weights, dtype=float)[:, None] * np.isfinite(stacked)
    total = w.sum(axis=0)
    score = np.where(
        total > 0, (np.nan_to_num(stacked) * w).sum(axis=0) / np.where(total > 0, total, 1), np.nan
    )
    out["emergence"] = score
    out["rank"] = out["emergence"].rank(ascending=False, method="first")
    return out.sort_values("rank", na_position="last")

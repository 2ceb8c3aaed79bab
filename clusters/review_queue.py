"""The low-confidence queue: which assignments analysts should review first.

A company is queued when its prediction has ``needs_review`` set (confidence below the review
threshold, or a probability within the review margin of a cluster threshold). Priority puts the
most uncertain first (``1 - confidence``), then larger companies (employees, then turnover,
where known), so analyst time goes where a wrong assignment costs most.

The priority of a company depends on its own row only (uncertainty plus a size bonus below
:data:`SIZE_WEIGHT`), so queues built from parts of a large job can be merged, or cut to
their top rows, without changing the order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SIZE_WEIGHT = 0.01
"""Most that size can add to a priority: it only orders companies of similar uncertainty."""
SIZE_HALF = 5.0
"""The size score (``log1p(employees) + 0.1 * log1p(turnover)``) that earns half the bonus
(about 150 employees)."""

QUEUE_COLUMNS = [
    "priority",
    "company_id",
    "name",
    "region_name",
    "top_label",
    "labels",
    "confidence",
    "model_version",
    "text_hash",
]


def build_review_queue(predictions: pd.DataFrame, companies: pd.DataFrame | None) -> pd.DataFrame:
    """Queued companies, highest priority first (a pure function)."""
    queue = predictions[predictions["needs_review"]].copy()
    if companies is not None:
        extra = [c for c in ("name", "region_name", "employees", "turnover") if c in companies]
        queue = queue.merge(companies[["company_id", *extra]], on="company_id", how="left")
    for col in ("name", "region_name", "employees", "turnover"):
        if col not in queue:
            queue[col] = np.nan
    size = np.log1p(queue["employees"].astype(float).clip(lower=0).fillna(0)) + 0.1 * np.log1p(
        queue["turnover"].astype(float).clip(lower=0).fillna(0)
    )
    uncertainty = 1.0 - queue["confidence"].astype(float)
    # uncertainty dominates; size only orders companies of similar uncertainty
    queue["priority"] = (uncertainty + SIZE_WEIGHT * size / (size + SIZE_HALF)).round(6)
    queue = queue.sort_values(["priority", "company_id"], ascending=[False, True])
    probs = [c for c in predictions.columns if c.startswith("p_")]
    return queue[QUEUE_COLUMNS + probs].reset_index(drop=True)

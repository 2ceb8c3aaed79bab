"""Review statistics: agreement between analysts, throughput, and how often the model was right.

* **Agreement**: on items that two analysts reviewed (the double-review share), Cohen's kappa
  per cluster (``sklearn.metrics.cohen_kappa_score`` on "in this cluster or not"), with raw
  agreement; kappa is undefined (NaN) when both analysts gave one same answer throughout.
* **Throughput** per analyst: decisions by action, in the last 24 hours, and the median
  seconds from taking an item to deciding it.
* **Model**: over resolved items, the share the model got exactly right, the share of
  decisions that confirmed it, and per cluster the precision and recall of its assignments
  against the analysts' labels.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from clusters.contracts import split_labels
from clusters.review.consensus import current, resolve_items
from clusters.review.db import Database, utcnow
from clusters.review.decisions import decisions_frame


def rater_pairs(decisions: pd.DataFrame) -> pd.DataFrame:
    """Per item reviewed by two or more analysts, the first two analysts' labels
    (columns ``item_id``, ``first``, ``second``)."""
    rows = []
    for item_id, group in current(decisions).groupby("item_id", sort=True):
        group = group.sort_values(["created_at", "decision_id"]).drop_duplicates("user_id")
        if len(group) >= 2:
            rows.append(
                {
                    "item_id": item_id,
                    "first": group["labels_after"].iloc[0],
                    "second": group["labels_after"].iloc[1],
                }
            )
    return pd.DataFrame(rows, columns=["item_id", "first", "second"])


def _indicators(labels: pd.Series, cluster_ids: Sequence[str]) -> np.ndarray:
    sets = [set(split_labels(v)) for v in labels]
    return np.array([[c in s for c in cluster_ids] for s in sets], dtype=int).reshape(
        len(sets), len(cluster_ids)
    )


def _kappa(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) == 0 or len(set(a.tolist()) | set(b.tolist())) < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(cohen_kappa_score(a, b))


def agreement(pairs: pd.DataFrame, cluster_ids: Sequence[str]) -> pd.DataFrame:
    """Cohen's kappa and raw agreement per cluster, plus a pooled row ``(all clusters)``."""
    first = _indicators(pairs["first"], cluster_ids)
    second = _indicators(pairs["second"], cluster_ids)
    rows = []
    for j, cid in enumerate(cluster_ids):
        a, b = first[:, j], second[:, j]
        rows.append(
            {
                "cluster_id": cid,
                "items": len(a),
                "positives": int((a | b).sum()),
                "agreement": float((a == b).mean()) if len(a) else float("nan"),
                "kappa": _kappa(a, b),
            }
        )
    a, b = first.ravel(), second.ravel()
    rows.append(
        {
            "cluster_id": "(all clusters)",
            "items": len(pairs),
            "positives": int((a | b).sum()),
            "agreement": float((a == b).mean()) if len(a) else float("nan"),
            "kappa": _kappa(a, b),
        }
    )
    return pd.DataFrame(rows)


def throughput(decisions: pd.DataFrame, now: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per analyst: decisions by action, decisions in the last 24 h, median seconds per item."""
    columns = [
        "username",
        "decisions",
        "confirm",
        "reject",
        "relabel",
        "skip",
        "last_24h",
        "median_seconds",
    ]
    if decisions.empty:
        return pd.DataFrame(columns=columns)
    now = pd.Timestamp(now or utcnow())
    frame = decisions.assign(
        seconds=(
            pd.to_datetime(decisions["created_at"]) - pd.to_datetime(decisions["started_at"])
        ).dt.total_seconds()
    )
    rows = []
    for username, group in frame.groupby("username", sort=True):
        actions = group["action"].value_counts()
        rows.append(
            {
                "username": username,
                "decisions": len(group),
                **{a: int(actions.get(a, 0)) for a in ("confirm", "reject", "relabel", "skip")},
                "last_24h": int(
                    (pd.to_datetime(group["created_at"]) >= now - timedelta(hours=24)).sum()
                ),
                "median_seconds": float(group["seconds"].median()),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def model_accuracy(
    resolved: pd.DataFrame, decisions: pd.DataFrame, cluster_ids: Sequence[str]
) -> tuple[dict[str, float], pd.DataFrame]:
    """How often the model was right: overall shares and per-cluster precision/recall."""
    usable = resolved[resolved["status"] != "conflict"]
    votes = current(decisions)
    summary = {
        "items": float(len(usable)),
        "exact": float(
            np.mean(
                [
                    set(split_labels(a)) == set(split_labels(b))
                    for a, b in zip(usable["labels_before"], usable["labels"], strict=True)
                ]
            )
        )
        if len(usable)
        else float("nan"),
        "confirmed": float((votes["action"] == "confirm").mean()) if len(votes) else float("nan"),
    }
    predicted = _indicators(usable["labels_before"], cluster_ids)
    truth = _indicators(usable["labels"], cluster_ids)
    rows = []
    for j, cid in enumerate(cluster_ids):
        p, t = predicted[:, j], truth[:, j]
        tp = int((p & t).sum())
        rows.append(
            {
                "cluster_id": cid,
                "assigned_by_model": int(p.sum()),
                "in_reviewed_labels": int(t.sum()),
                "precision": tp / p.sum() if p.sum() else float("nan"),
                "recall": tp / t.sum() if t.sum() else float("nan"),
            }
        )
    per_cluster = pd.DataFrame(rows)
    per_cluster = per_cluster[
        (per_cluster["assigned_by_model"] > 0) | (per_cluster["in_reviewed_labels"] > 0)
    ]
    return summary, per_cluster.reset_index(drop=True)


@dataclass
class ReviewStats:
    """Everything the stats page and ``clusters review stats`` show."""

    decisions: int
    resolved: int
    conflicts: int
    analysts: pd.DataFrame
    agreement: pd.DataFrame
    model_summary: dict[str, float] = field(default_factory=dict)
    model_per_cluster: pd.DataFrame = field(default_factory=pd.DataFrame)


def compute_stats(
    db: Database, cluster_ids: Sequence[str], include_simulated: bool = True
) -> ReviewStats:
    """The statistics of a review store (see the module docstring)."""
    decisions = decisions_frame(db, include_simulated)
    resolved = resolve_items(decisions)
    pairs = rater_pairs(decisions)
    summary, per_cluster = model_accuracy(resolved, decisions, cluster_ids)
    kappa = agreement(pairs, cluster_ids)
    kappa = kappa[(kappa["positives"] > 0) | (kappa["cluster_id"] == "(all clusters)")]
    return ReviewStats(
        decisions=len(decisions),
        resolved=int((resolved["status"] != "conflict").sum()),
        conflicts=int((resolved["status"] == "conflict").sum()),
        analysts=throughput(decisions),
        agreement=kappa.reset_index(drop=True),
        model_summary=summary,
        model_per_cluster=per_cluster,
    )

"""Evaluation of multi-label cluster predictions.

:func:`evaluate` returns an :class:`Evaluation`: a flat ``dict[str, float]`` of headline
metrics (micro/macro F1, precision, recall, calibration error, coverage), a per-cluster
table, and the name of the primary metric used to compare models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score

from classifier.estimator import expected_calibration_error


@dataclass
class Evaluation:
    """Headline metrics, per-cluster report and the primary metric's name."""

    metrics: dict[str, float]
    per_cluster: pd.DataFrame
    primary_metric: str = "micro_f1"

    @property
    def primary(self) -> float:
        return self.metrics[self.primary_metric]


def evaluate(
    Y_true: np.ndarray,
    proba: np.ndarray | None,
    cluster_ids: Sequence[str],
    *,
    Y_pred: np.ndarray | None = None,
    thresholds: np.ndarray | None = None,
    primary_metric: str = "micro_f1",
) -> Evaluation:
    """Score predictions against true labels.

    Either ``Y_pred`` or ``proba`` with ``thresholds`` must be given; with ``proba``,
    PR-AUC and calibration error are reported too (NaN otherwise). Macro averages are over
    clusters with at least one true example.
    """
    Y_true = np.asarray(Y_true, dtype=int)
    if Y_pred is None:
        if proba is None or thresholds is None:
            raise ValueError("give Y_pred, or proba with thresholds")
        Y_pred = (proba >= thresholds).astype(int)
    Y_pred = np.asarray(Y_pred, dtype=int)
    support = Y_true.sum(axis=0)
    present = support > 0
    rows = []
    for j, cid in enumerate(cluster_ids):
        yt, yp = Y_true[:, j], Y_pred[:, j]
        rows.append(
            {
                "cluster_id": cid,
                "support": int(support[j]),
                "predicted": int(yp.sum()),
                "precision": precision_score(yt, yp, zero_division=0.0),
                "recall": recall_score(yt, yp, zero_division=0.0),
                "f1": f1_score(yt, yp, zero_division=0.0),
                "pr_auc": average_precision_score(yt, proba[:, j])
                if proba is not None and support[j] > 0
                else float("nan"),
                "threshold": float(thresholds[j]) if thresholds is not None else float("nan"),
            }
        )
    per_cluster = pd.DataFrame(rows)
    has_any = Y_true.shape[0] > 0 and present.any()
    metrics = {
        "micro_f1": f1_score(Y_true, Y_pred, average="micro", zero_division=0.0)
        if has_any
        else float("nan"),
        "micro_precision": precision_score(Y_true, Y_pred, average="micro", zero_division=0.0)
        if has_any
        else float("nan"),
        "micro_recall": recall_score(Y_true, Y_pred, average="micro", zero_division=0.0)
        if has_any
        else float("nan"),
        "macro_f1": float(per_cluster.loc[present, "f1"].mean()) if has_any else float("nan"),
        "macro_pr_auc": float(per_cluster.loc[present, "pr_auc"].mean())
        if has_any and proba is not None
        else float("nan"),
        "ece": expected_calibration_error(Y_true, proba) if proba is not None else float("nan"),
        "coverage": float((Y_pred.sum(axis=1) > 0).mean()) if len(Y_pred) else float("nan"),
        "n_eval": float(Y_true.shape[0]),
        "clusters_evaluated": float(present.sum()),
    }
    return Evaluation({k: float(v) for k, v in metrics.items()}, per_cluster, primary_metric)

"""Evaluation of multi-label cluster predictions.

:func:`evaluate` returns an :class:`Evaluation`: a flat ``dict[str, float]`` of headline
metrics (micro/macro F1, precision, recall, calibration error, coverage), a per-cluster
table, and the name of the primary metric used to compare models.
:func:`paired_difference` says how sure a gain over a baseline is: the difference in micro-
and macro-F1 on the same rows with a paired bootstrap interval over companies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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
    Y_true: np.ndarray | None = field(default=None, repr=False)
    Y_pred: np.ndarray | None = field(default=None, repr=False)
    """The rows scored (kept so two evaluations of the same rows can be compared)."""

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
    return Evaluation(
        {k: float(v) for k, v in metrics.items()}, per_cluster, primary_metric, Y_true, Y_pred
    )


def compare_table(evaluation: Evaluation, baselines: dict[str, Evaluation]) -> pd.DataFrame:
    """Model and baselines side by side on the headline metrics."""
    rows = [{"model": "classifier", **evaluation.metrics}]
    rows += [{"model": f"baseline: {name}", **ev.metrics} for name, ev in baselines.items()]
    columns = [
        "model",
        "micro_f1",
        "macro_f1",
        "micro_precision",
        "micro_recall",
        "ece",
        "coverage",
        "n_eval",
    ]
    return pd.DataFrame(rows)[columns]


F1_NAMES = {"micro_f1": "micro-F1", "macro_f1": "macro-F1"}


@dataclass(frozen=True)
class Difference:
    """``metric`` of model A minus model B on the same rows, with a bootstrap interval."""

    metric: str
    difference: float
    low: float
    high: float
    level: float

    def describe(self) -> str:
        """E.g. ``micro-F1 +0.036 (95% CI +0.032..+0.039)``."""
        name = F1_NAMES.get(self.metric, self.metric)
        return (
            f"{name} {self.difference:+.3f} ({self.level:.0%} CI {self.low:+.3f}..{self.high:+.3f})"
        )


def _f1_from_counts(
    W: np.ndarray, Y: np.ndarray, TP: np.ndarray, FP: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Micro- and macro-F1 under each row weighting in ``W`` (m, n).

    ``Y``, ``TP`` and ``FP`` are (n, k) 0/1 matrices: truth, true and false positives.
    Macro-F1 averages over the clusters with at least one true example under that
    weighting, as :func:`evaluate` does.
    """
    support, tp, fp = W @ Y, W @ TP, W @ FP
    fn = support - tp
    denom = 2 * tp + fp + fn
    total = denom.sum(axis=1)
    micro = np.divide(2 * tp.sum(axis=1), total, out=np.zeros(len(W)), where=total > 0)
    per = np.divide(2 * tp, denom, out=np.zeros_like(denom), where=denom > 0)
    present = support > 0
    count = present.sum(axis=1)
    macro = np.divide((per * present).sum(axis=1), count, out=np.zeros(len(W)), where=count > 0)
    return micro, macro


def paired_difference(
    Y_true: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> list[Difference]:
    """Micro- and macro-F1 of predictions A minus B on the same rows, with intervals.

    Paired bootstrap: rows (companies) are resampled with replacement ``n_boot`` times, both
    models are scored on each resample, and the interval is the central ``level`` share of
    the differences. It covers the sampling of the evaluation rows only, not the
    randomness of training. ``n_boot=0`` gives the differences with a zero-width interval.
    """
    Y = np.asarray(Y_true) > 0
    A, B = np.asarray(pred_a) > 0, np.asarray(pred_b) > 0
    if Y.ndim != 2 or A.shape != Y.shape or B.shape != Y.shape:
        raise ValueError(
            f"labels and both predictions must have one shape, not {Y.shape}, {A.shape}, {B.shape}"
        )
    if not len(Y):
        raise ValueError("no rows to compare")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    n, Yf = len(Y), Y.astype(np.float64)
    counts = [((P & Y).astype(np.float64), (P & ~Y).astype(np.float64)) for P in (A, B)]

    def scores(W: np.ndarray) -> np.ndarray:
        (ma, Ma), (mb, Mb) = (_f1_from_counts(W, Yf, tp, fp) for tp, fp in counts)
        return np.stack([ma - mb, Ma - Mb], axis=1)

    observed = scores(np.ones((1, n)))[0]
    rng = np.random.default_rng(seed)
    draws = []
    batch = max(1, min(n_boot, 20_000_000 // max(n, 1)))  # keep W below ~160 MB
    for start in range(0, n_boot, batch):
        m = min(batch, n_boot - start)
        draws.append(scores(rng.multinomial(n, np.full(n, 1.0 / n), size=m).astype(float)))
    tail = (1.0 - level) / 2 * 100
    low, high = (
        np.percentile(np.concatenate(draws), [tail, 100 - tail], axis=0)
        if draws
        else (observed, observed)
    )
    return [
        Difference(metric, float(observed[i]), float(low[i]), float(high[i]), level)
        for i, metric in enumerate(("micro_f1", "macro_f1"))
    ]


def compare_to_baselines(
    evaluation: Evaluation,
    baselines: dict[str, Evaluation],
    *,
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per baseline and metric: the model's gain over it, with a 95% interval."""
    rows = []
    for name, base in baselines.items():
        if evaluation.Y_pred is None or base.Y_pred is None or evaluation.Y_true is None:
            continue
        for d in paired_difference(
            evaluation.Y_true, evaluation.Y_pred, base.Y_pred, n_boot=n_boot, seed=seed
        ):
            rows.append(
                {
                    "baseline": name,
                    "metric": d.metric,
                    "gain": d.difference,
                    "ci_low": d.low,
                    "ci_high": d.high,
                    "summary": d.describe(),
                }
            )
    columns = ["baseline", "metric", "gain", "ci_low", "ci_high", "summary"]
    return pd.DataFrame(rows, columns=columns)


def describe_gains(gains: pd.DataFrame, model: str = "classifier") -> list[str]:
    """One line per baseline: ``classifier vs tfidf: micro-F1 +0.016 (95% CI ...), ...``."""
    return [
        f"{model} vs {name}: " + ", ".join(group["summary"])
        for name, group in gains.groupby("baseline", sort=False)
    ]


def gain_metrics(gains: pd.DataFrame) -> dict[str, float]:
    """Flat metric names for tracking: ``gain_over_<baseline>_<metric>[_ci_low|_ci_high]``."""
    out: dict[str, float] = {}
    for row in gains.itertuples():
        key = f"gain_over_{row.baseline}_{row.metric}"
        out.update({key: row.gain, f"{key}_ci_low": row.ci_low, f"{key}_ci_high": row.ci_high})
    return {k: float(v) for k, v in out.items() if np.isfinite(v)}

"""Closing the review loop in training: how many reviewed labels a run used, and how the new
model does on the reviewed items next to the model that put them in the review queue.

Reviewed label files come from ``clusters review export``; besides the LABELS columns they
carry ``model_version`` (``name/vN``, the model that queued each company). The comparison
uses the reviewed rows of the held-out evaluation split only (the new model never trained on
them, and the queue model never saw them), per cluster and micro-averaged, and is logged as
``evaluation/reviewed_comparison.csv`` with ``reviewed_*`` metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from clusters.contracts import normalise_company_id
from training.labels import LabelSet
from training.metrics import evaluate

logger = logging.getLogger(__name__)

Predictor = Callable[[list[str]], np.ndarray]
"""texts → (n, k) 0/1 assignments in the new model's cluster order."""


def queue_versions(paths: Sequence[Path]) -> dict[str, str]:
    """company id → the model version that queued it, from reviewed label files."""
    out: dict[str, str] = {}
    for path in paths:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "model_version" not in frame.columns:
            continue
        for cid, version in zip(frame["company_id"], frame["model_version"], strict=True):
            if version:
                out[normalise_company_id(cid) or cid] = version
    return out


def superseded_by_review(labels: LabelSet | None, reviewed: LabelSet | None) -> LabelSet | None:
    """``labels`` without the companies an analyst has reviewed since (their decision wins)."""
    if labels is None or reviewed is None:
        return labels
    done = set(reviewed.company_ids)
    keep = np.array([i for i, cid in enumerate(labels.company_ids) if cid not in done], dtype=int)
    if len(keep) < len(labels):
        logger.info("%d imported labels replaced by analysts' reviews", len(labels) - len(keep))
    return labels.subset(keep) if len(keep) else None


def compare_on_reviewed(
    eval_set: LabelSet,
    new_pred: np.ndarray,
    cluster_ids: Sequence[str],
    versions: dict[str, str],
    queue_model: Callable[[str], Predictor | None],
) -> pd.DataFrame | None:
    """Per cluster (and micro-averaged), precision/recall/F1 of the queue model and of the new
    model on the reviewed rows of ``eval_set`` whose queue model can be loaded; None when
    there are no such rows.

    Args:
        new_pred: the new model's 0/1 assignments for every row of ``eval_set``.
        queue_model: model version → predictor, or None when it cannot be loaded.
    """
    rows = [
        i
        for i, (cid, src) in enumerate(zip(eval_set.company_ids, eval_set.sources, strict=True))
        if src == "reviewed" and cid in versions
    ]
    old_pred = np.zeros((len(eval_set), len(cluster_ids)), dtype=int)
    kept = []
    for version in sorted({versions[eval_set.company_ids[i]] for i in rows}):
        group = [i for i in rows if versions[eval_set.company_ids[i]] == version]
        predict = queue_model(version)
        if predict is None:
            logger.warning(
                "queue model %s cannot be loaded: its reviewed rows are not compared", version
            )
            continue
        old_pred[group] = predict([eval_set.texts[i] for i in group])
        kept += group
    if not kept:
        return None
    kept = sorted(kept)
    Y = eval_set.Y[kept]
    old = evaluate(Y, None, cluster_ids, Y_pred=old_pred[kept])
    new = evaluate(Y, None, cluster_ids, Y_pred=np.asarray(new_pred)[kept])
    columns = ["cluster_id", "support", "predicted", "precision", "recall", "f1"]
    table = old.per_cluster[columns].merge(
        new.per_cluster[columns],
        on=["cluster_id", "support"],
        suffixes=("_queue_model", "_new_model"),
    )
    involved = table[["support", "predicted_queue_model", "predicted_new_model"]].sum(axis=1) > 0
    table = table[involved]
    micro = {
        "cluster_id": "(all, micro)",
        "support": int(Y.sum()),
        "predicted_queue_model": int(old_pred[kept].sum()),
        "predicted_new_model": int(np.asarray(new_pred)[kept].sum()),
    }
    for name, ev in (("queue_model", old), ("new_model", new)):
        for metric in ("precision", "recall", "f1"):
            micro[f"{metric}_{name}"] = ev.metrics[f"micro_{metric}"]
    table = pd.concat([table, pd.DataFrame([micro])], ignore_index=True)
    table["f1_change"] = table["f1_new_model"] - table["f1_queue_model"]
    table.insert(1, "items", len(kept))
    return table


def log_reviewed(
    reviewed_paths: Sequence[Path],
    trusted: LabelSet | None,
    trusted_eval: LabelSet | None,
    new_pred: np.ndarray | None,
    cluster_ids: Sequence[str],
    queue_model: Callable[[str], Predictor | None],
    folder: Path,
) -> pd.DataFrame | None:
    """Log the reviewed-label counts and, when possible, the comparison (in the active run)."""
    n_reviewed = sum(src == "reviewed" for src in trusted.sources) if trusted is not None else 0
    n_eval = (
        sum(src == "reviewed" for src in trusted_eval.sources) if trusted_eval is not None else 0
    )
    mlflow.log_param("reviewed_labels", n_reviewed)
    mlflow.log_metrics({"reviewed_labels": n_reviewed, "reviewed_labels_eval": n_eval})
    if not reviewed_paths or not n_eval or new_pred is None:
        return None
    table = compare_on_reviewed(
        trusted_eval, new_pred, cluster_ids, queue_versions(reviewed_paths), queue_model
    )
    if table is None:
        return None
    micro = table.iloc[-1]
    mlflow.log_metrics(
        {
            "reviewed_micro_f1_new_model": float(micro["f1_new_model"]),
            "reviewed_micro_f1_queue_model": float(micro["f1_queue_model"]),
        }
    )
    table.to_csv(folder / "reviewed_comparison.csv", index=False)
    mlflow.log_artifact(str(folder / "reviewed_comparison.csv"), artifact_path="evaluation")
    return table


def registry_uri(model_version: str) -> str | None:
    """The registry URI of a ``name/vN`` model version (``models:/name/N``)."""
    name, sep, version = model_version.rpartition("/v")
    return f"models:/{name}/{version}" if sep and name and version.isdigit() else None

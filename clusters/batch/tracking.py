"""Logging a finished batch job to MLflow as a run of its own.

The run lives in the configured experiment beside training and evaluation runs, named
``classify <model version>`` and tagged ``job=batch-classify``, ``model_name`` and
``model_version``; its metrics are also linked to the registered model version's logged
model (MLflow 3 ``model_id``), so the model's page lists the jobs that used it. The
manifest is attached as ``batch/manifest.json``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import mlflow
from mlflow.tracking import MlflowClient

from clusters.config import Settings

logger = logging.getLogger(__name__)

_METRIC_KEY_RE = re.compile(r"[^\w\-. /]")


def split_version(model_version: str) -> tuple[str | None, str | None]:
    """``"name/v3"`` → ``("name", "3")``; anything else → ``(None, None)``."""
    name, sep, version = model_version.rpartition("/v")
    return (name, version) if sep and version.isdigit() else (None, None)


def batch_metrics(manifest: dict[str, Any]) -> dict[str, float]:
    """The numbers of a manifest as MLflow metrics."""
    rows, cache, review = manifest["rows"], manifest["cache"], manifest["review"]
    metrics = {
        "rows_read": rows["read"],
        "rows_written": rows["written"],
        "rows_rejected": rows["rejected"],
        "rows_per_second": manifest["timing"]["rows_per_second"] or 0.0,
        "processing_seconds": manifest["timing"]["processing_seconds"],
        "cache_hit_rate": cache["hit_rate"],
        "cache_hits": cache["hits"],
        "cache_prediction_hits": cache.get("prediction_hits", 0),
        "cache_size": cache.get("size") or 0,
        "texts_embedded": cache["texts_embedded"],
        "needs_review": review["needs_review"],
        "share_needing_review": review["share"],
        "assigned_share": manifest["clusters"]["assigned_share"],
        "peak_rss_mb": manifest["memory"]["peak_rss_mb"],
    }
    for cluster, count in manifest["clusters"]["counts"].items():
        metrics[_METRIC_KEY_RE.sub("_", f"cluster_count__{cluster}")] = count
    for kind, count in rows["rejected_by_kind"].items():
        metrics[f"rejected__{kind}"] = count
    return {k: float(v) for k, v in metrics.items()}


def _logged_model_id(model_version: str) -> str | None:
    name, version = split_version(model_version)
    if name is None:
        return None
    try:
        return MlflowClient().get_model_version(name, version).model_id
    except Exception:  # linking is a nicety; the run is logged regardless
        return None


def log_batch_run(manifest: dict[str, Any], settings: Settings) -> str:
    """Log ``manifest`` as an MLflow run; returns the run id."""
    from training.tracking import use_experiment

    use_experiment(settings)
    model = manifest["model"]
    name, version = split_version(model["version"])
    nested = mlflow.active_run() is not None
    with mlflow.start_run(run_name=f"classify {model['version']}", nested=nested) as run:
        mlflow.set_tags(
            {
                "job": "batch-classify",
                "model_uri": model["uri"],
                "model_name": name or "",
                "model_version": version or model["version"],
                "embedder_id": model["embedder_id"],
            }
        )
        inputs = manifest["input"]
        mlflow.log_params(
            {
                "input": inputs["path"],
                "input_mode": inputs["mode"],
                "input_parts": inputs["parts"],
                "input_fingerprint": inputs["fingerprint"],
                "chunk_rows": manifest["chunking"]["chunk_rows"],
                "chunks": manifest["chunking"]["chunks"],
                "attempts": manifest["timing"]["attempts"],
                "taxonomy_hash": model["taxonomy_hash"],
                "output": manifest["job"],
            }
        )
        mlflow.log_metrics(batch_metrics(manifest), model_id=_logged_model_id(model["version"]))
        mlflow.log_dict(manifest, "batch/manifest.json")
    return run.info.run_id

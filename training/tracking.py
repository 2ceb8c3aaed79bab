"""Connecting to the configured MLflow store (one place for URI and experiment set-up)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import mlflow
import numpy as np
from mlflow.tracking import MlflowClient

from clusters.config import Settings

if TYPE_CHECKING:  # the batch job and discovery import this module without the estimator
    import pandas as pd

    from training.metrics import Evaluation


def use_experiment(settings: Settings, name: str | None = None) -> str:
    """Point MLflow at the configured store and experiment; returns the experiment id.

    A new experiment keeps its artifacts beside a SQLite store (``mlruns/`` next to
    ``mlflow.db``), not in whatever directory the process happens to run from.
    """
    name = name or settings.experiment
    mlflow.set_tracking_uri(settings.mlflow_uri)
    client = MlflowClient(settings.mlflow_uri)
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        experiment_id = client.create_experiment(
            name, artifact_location=settings.mlflow_artifact_location
        )
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def log_comparison(
    evaluation: Evaluation,
    baselines: dict[str, Evaluation],
    gains: pd.DataFrame,
    folder: Path,
    artifact_path: str | None = "evaluation",
) -> None:
    """Log the model's and the baselines' metrics, the gains over them with their
    intervals, and both tables (``comparison.csv``, ``gains.csv``) to the active run."""
    from training.metrics import compare_table, gain_metrics

    mlflow.log_metrics({k: v for k, v in evaluation.metrics.items() if np.isfinite(v)})
    for name, base in baselines.items():
        mlflow.log_metrics(
            {f"baseline_{name}_{k}": v for k, v in base.metrics.items() if np.isfinite(v)}
        )
    mlflow.log_metrics(gain_metrics(gains))
    compare_table(evaluation, baselines).to_csv(folder / "comparison.csv", index=False)
    gains.to_csv(folder / "gains.csv", index=False)
    for name in ("comparison.csv", "gains.csv"):
        mlflow.log_artifact(str(folder / name), artifact_path=artifact_path)

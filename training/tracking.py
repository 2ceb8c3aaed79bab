"""Connecting to the configured MLflow store (one place for URI and experiment set-up)."""

from __future__ import annotations

import mlflow
from mlflow.tracking import MlflowClient

from clusters.config import Settings


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

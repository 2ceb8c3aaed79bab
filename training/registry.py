"""The MLflow model registry: register, alias, and the promotion gate.

Every new model version gets the alias ``challenger``. It takes ``champion`` only if it beats
the current champion on the same evaluation data by the configured primary metric (strictly
higher); the first model of a name is promoted. Both scores and the decision are logged to
the training run and tagged on the model version.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

logger = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"


@dataclass
class GateDecision:
    """Outcome of the promotion gate."""

    version: str
    promoted: bool
    challenger_score: float
    champion_score: float | None
    champion_version: str | None
    reason: str


def current_champion(client: MlflowClient, model_name: str):
    """The champion model version, or ``None``."""
    try:
        return client.get_model_version_by_alias(model_name, CHAMPION)
    except MlflowException:
        return None


def register_and_gate(
    model_uri: str,
    model_name: str,
    challenger_score: float,
    score_champion: Callable[[str], float],
    primary_metric: str,
) -> GateDecision:
    """Register ``model_uri`` as a new version and decide whether it becomes champion.

    Args:
        score_champion: scores a model version (by version number) on the same evaluation
            data as the challenger.
    """
    client = MlflowClient()
    champion = current_champion(client, model_name)
    version = str(mlflow.register_model(model_uri, model_name).version)
    client.set_registered_model_alias(model_name, CHALLENGER, version)
    if champion is None:
        decision = GateDecision(version, True, challenger_score, None, None, "first model")
    else:
        champion_score = float(score_champion(str(champion.version)))
        better = not math.isnan(challenger_score) and (
            math.isnan(champion_score) or challenger_score > champion_score
        )
        reason = (
            f"{primary_metric} {challenger_score:.4f} vs champion v{champion.version} "
            f"{champion_score:.4f}"
        )
        decision = GateDecision(
            version, better, challenger_score, champion_score, str(champion.version), reason
        )
    if decision.promoted:
        client.set_registered_model_alias(model_name, CHAMPION, version)
    status = "promoted" if decision.promoted else "not promoted"
    client.set_model_version_tag(model_name, version, "promotion", f"{status}: {decision.reason}")
    mlflow.set_tags(
        {"promotion": status, "promotion_reason": decision.reason, "model_version": version}
    )
    mlflow.log_metric(f"gate_challenger_{primary_metric}", challenger_score)
    if decision.champion_score is not None:
        mlflow.log_metric(f"gate_champion_{primary_metric}", decision.champion_score)
    logger.info("model %s v%s %s (%s)", model_name, version, status, decision.reason)
    return decision

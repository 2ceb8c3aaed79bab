"""The MLflow model registry: register, alias, and the promotion gate.

Every new model version gets the alias ``challenger``. It takes ``champion`` only if it beats
the current champion on the same evaluation data by the configured primary metric (strictly
higher); the first model of a name is promoted. Both scores and the decision are logged to
the training run and tagged on the model version.

An operator can also look at every version (:func:`list_versions`) and hand ``champion`` to
an earlier or a passed-over one by hand, with a reason (:func:`promote_version`): the
rollback path when a promoted model turns out worse on real data than on the held-out set.
"""

from __future__ import annotations

import getpass
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

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


# What `clusters models list` shows of each version's training run.
SUMMARY_METRICS = ("micro_f1", "macro_f1", "ece", "coverage")
SUMMARY_PARAMS = ("taxonomy_version", "embedder", "features", "fine_tuned", "label_sources")


@dataclass(frozen=True)
class VersionSummary:
    """One registered model version and what its training run recorded."""

    version: str
    aliases: tuple[str, ...]
    created: datetime
    run_id: str | None
    promotion: str
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Promotion:
    """Outcome of a manual promotion."""

    version: str
    previous: str | None
    changed: bool


def _require_model(client: MlflowClient, model_name: str):
    """The registered model ``model_name`` (its ``aliases`` map alias -> version)."""
    try:
        return client.get_registered_model(model_name)
    except MlflowException as exc:
        names = sorted(m.name for m in client.search_registered_models())
        known = ", ".join(names) if names else "none yet; train one with `clusters train`"
        raise ValueError(f"no registered model {model_name!r}; registered: {known}") from exc


def list_versions(client: MlflowClient, model_name: str) -> list[VersionSummary]:
    """Every version of ``model_name``, newest first, with its aliases and run's scores.

    Raises:
        ValueError: no model of that name is registered.
    """
    registered = _require_model(client, model_name)
    aliases: dict[str, list[str]] = {}
    for alias, version in (registered.aliases or {}).items():
        aliases.setdefault(str(version), []).append(alias)
    quoted = model_name.replace("'", "\\'")
    summaries = []
    for mv in client.search_model_versions(f"name = '{quoted}'"):
        metrics: dict[str, float] = {}
        params: dict[str, str] = {}
        if mv.run_id:
            try:
                data = client.get_run(mv.run_id).data
            except MlflowException:  # the run was deleted; the version stays usable
                data = None
            if data is not None:
                metrics = {k: data.metrics[k] for k in SUMMARY_METRICS if k in data.metrics}
                params = {k: data.params[k] for k in SUMMARY_PARAMS if k in data.params}
        summaries.append(
            VersionSummary(
                version=str(mv.version),
                aliases=tuple(sorted(aliases.get(str(mv.version), ()))),
                created=datetime.fromtimestamp(mv.creation_timestamp / 1000, tz=UTC),
                run_id=mv.run_id or None,
                promotion=(mv.tags or {}).get("promotion", ""),
                metrics=metrics,
                params=params,
            )
        )
    return sorted(summaries, key=lambda s: int(s.version), reverse=True)


def promote_version(client: MlflowClient, model_name: str, version: str, reason: str) -> Promotion:
    """Make ``version`` the champion by hand (bypassing the gate), recording who, when, why.

    The version gets the tag ``promotion`` = ``promoted manually by USER at TIME: REASON
    (replaced vN)``, the replaced champion the tag ``demotion``. Serving processes pick the
    new champion up at their next reload.

    Raises:
        ValueError: unknown model or version, or an empty reason.
    """
    if not reason.strip():
        raise ValueError("give a --reason: it is recorded on the model version")
    _require_model(client, model_name)
    version = str(_model_version(client, model_name, version).version)
    champion = current_champion(client, model_name)
    previous = str(champion.version) if champion is not None else None
    if previous == version:
        return Promotion(version, previous, changed=False)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    who = getpass.getuser()
    replaced = f" (replaced v{previous})" if previous else ""
    client.set_registered_model_alias(model_name, CHAMPION, version)
    client.set_model_version_tag(
        model_name,
        version,
        "promotion",
        f"promoted manually by {who} at {when}: {reason}{replaced}",
    )
    if previous is not None:
        client.set_model_version_tag(
            model_name, previous, "demotion", f"replaced by v{version} by {who} at {when}: {reason}"
        )
    logger.info(
        "model %s v%s promoted to champion by hand%s: %s", model_name, version, replaced, reason
    )
    return Promotion(version, previous, changed=True)


@dataclass(frozen=True)
class VersionComparison:
    """Two versions' held-out scores side by side, overall and per cluster."""

    model_name: str
    a: str
    b: str
    overall: list[tuple[str, float | None, float | None]]
    """(metric, score of a, score of b) for the summary metrics."""
    clusters: list[tuple[str, float | None, float | None, float | None]]
    """(cluster id, F1 of a, F1 of b, support in b's held-out set), biggest drop first."""
    same_data: bool
    """Both were scored on the same held-out labels (same dataset hash)."""
    same_taxonomy: bool


def _model_version(client: MlflowClient, model_name: str, version: str):
    """The model version ``version`` (``3`` or ``v3``), or a ValueError listing the versions."""
    version = version.lstrip("vV")
    try:
        return client.get_model_version(model_name, version)
    except MlflowException as exc:
        versions = ", ".join(s.version for s in reversed(list_versions(client, model_name)))
        raise ValueError(
            f"model {model_name!r} has no version {version}; versions: {versions}"
        ) from exc


def _run_data(client: MlflowClient, model_name: str, version: str):
    mv = _model_version(client, model_name, version)
    version = str(mv.version)
    if not mv.run_id:
        raise ValueError(f"model {model_name!r} v{version} has no training run to read scores from")
    try:
        return version, client.get_run(mv.run_id).data
    except MlflowException as exc:
        raise ValueError(
            f"model {model_name!r} v{version}: its training run {mv.run_id} cannot be read "
            f"({exc.message})"
        ) from exc


def compare_versions(client: MlflowClient, model_name: str, a: str, b: str) -> VersionComparison:
    """Held-out scores of versions ``a`` and ``b`` from their training runs.

    Raises:
        ValueError: unknown model or version.
    """
    _require_model(client, model_name)
    a, data_a = _run_data(client, model_name, a)
    b, data_b = _run_data(client, model_name, b)
    overall = [(m, data_a.metrics.get(m), data_b.metrics.get(m)) for m in SUMMARY_METRICS]
    ids = sorted(
        {k.split("__", 1)[1] for d in (data_a, data_b) for k in d.metrics if k.startswith("f1__")}
    )
    rows = [
        (
            cid,
            data_a.metrics.get(f"f1__{cid}"),
            data_b.metrics.get(f"f1__{cid}"),
            data_b.metrics.get(f"support__{cid}", data_a.metrics.get(f"support__{cid}")),
        )
        for cid in ids
    ]

    def drop(row: tuple) -> float:
        _, fa, fb, _ = row
        return (fb - fa) if fa is not None and fb is not None else math.inf

    rows.sort(key=lambda r: (drop(r), r[0]))
    same = [
        data_a.params.get(k) is not None and data_a.params.get(k) == data_b.params.get(k)
        for k in ("dataset_hash", "taxonomy_hash")
    ]
    return VersionComparison(model_name, a, b, overall, rows, same[0], same[1])

"""``clusters evaluate``: a registered model against the baselines, on the same split.

The label files are split exactly as training splits them (same seed, same rule); the
TF-IDF baseline is fitted on the training part, the SIC rule needs no fitting (it uses the
company base's SIC codes when given); the model and both baselines are scored on the held-out
part. The table, and the model's gain over each baseline with a 95% bootstrap interval, are
printed and logged as an MLflow run of its own.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd

from classifier.cache import EmbeddingCache
from classifier.classify import resolve_model
from clusters.config import Settings, get_settings
from clusters.contracts import ContractError
from training.baselines import sic_baseline, tfidf_baseline
from training.labels import LabelSet, load_label_files
from training.metrics import Evaluation, compare_table, compare_to_baselines, evaluate
from training.tracking import log_comparison, use_experiment
from training.train import _aligned_proba, _aligned_thresholds, _sic_codes_for, split_trusted


@dataclass
class EvaluateResult:
    table: pd.DataFrame
    model: Evaluation
    baselines: dict[str, Evaluation]
    run_id: str
    gains: pd.DataFrame
    """The model's micro-/macro-F1 gain over each baseline with a 95% bootstrap interval."""


def evaluate_model(
    label_paths: Sequence[Path],
    model_uri: str | None = None,
    companies_path: Path | None = None,
    settings: Settings | None = None,
) -> EvaluateResult:
    """Score ``model_uri`` and the baselines on the held-out part of ``label_paths``."""
    settings = settings or get_settings()
    model = resolve_model(model_uri, settings)
    labels = load_label_files(list(label_paths), model.taxonomy, "imported")
    if labels is None:
        raise ContractError("evaluate needs at least one --labels file")
    train_rows, eval_rows = split_trusted(
        labels, settings.training.test_size, settings.training.random_state
    )
    if not len(eval_rows):
        raise ContractError(f"too few labelled rows to hold any out ({len(labels)})")
    train_set: LabelSet = labels.subset(train_rows)
    eval_set: LabelSet = labels.subset(eval_rows)
    ids = model.taxonomy.ids
    cache = EmbeddingCache(settings.paths.cache_dir / "embeddings.sqlite")
    try:
        proba = _aligned_proba(model, eval_set.texts, ids, cache)
    finally:
        cache.close()
    result = evaluate(
        eval_set.Y,
        proba,
        ids,
        thresholds=_aligned_thresholds(model, ids),
        primary_metric=settings.training.primary_metric,
    )
    baselines = {
        "tfidf": tfidf_baseline(
            train_set.texts,
            train_set.Y,
            eval_set.texts,
            eval_set.Y,
            ids,
            cv=settings.training.cv_folds,
            random_state=settings.training.random_state,
        )
    }
    sic_lists = _sic_codes_for(eval_set.company_ids, companies_path)
    if sic_lists is not None:
        baselines["sic"] = sic_baseline(sic_lists, eval_set.Y, model.taxonomy)
    table = compare_table(result, baselines)
    gains = compare_to_baselines(
        result,
        baselines,
        n_boot=settings.training.bootstrap_samples,
        seed=settings.training.random_state,
    )

    use_experiment(settings)
    with mlflow.start_run(run_name=f"evaluate {model.meta.model_version}") as run:
        mlflow.set_tags({"kind": "evaluation", "model_version": model.meta.model_version})
        mlflow.log_params({"labels": ",".join(map(str, label_paths)), "n_eval": len(eval_set)})
        with tempfile.TemporaryDirectory() as tmp:
            log_comparison(result, baselines, gains, Path(tmp), artifact_path=None)
            result.per_cluster.to_csv(Path(tmp) / "per_cluster.csv", index=False)
            mlflow.log_artifact(str(Path(tmp) / "per_cluster.csv"))
    return EvaluateResult(table, result, baselines, run.info.run_id, gains)

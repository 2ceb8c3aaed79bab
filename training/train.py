"""``clusters train``: fit, evaluate, log to MLflow, register and gate a cluster classifier.

One call is one MLflow run in the configured store. Label sources:

* trusted: label files (``imported``) and analyst decisions (``reviewed``); 20% of them
  (seeded) are held out for evaluation and never used to fit;
* rule-based cold start (:mod:`training.cold_start`): the taxonomy's own words, plus keyword
  and SIC+similarity weak labels over an optional unlabelled company base; these fade out per
  cluster as trusted labels arrive.

The run logs parameters, the taxonomy and dataset hashes, row counts per label source,
metrics (micro/macro F1, per-cluster precision/recall/F1/PR-AUC/support, calibration error,
coverage) next to the TF-IDF and SIC-rule baselines, diagnostic plots, and the model as a
pyfunc that bundles the embedding model. The new version is registered as ``challenger``
and promoted to ``champion`` only if it beats the current champion on the same data.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from classifier.cache import EmbeddingCache, embed_cached
from classifier.estimator import ClusterClassifier, EmbeddedTexts
from classifier.model import ClusterModel, ModelMeta
from classifier.pyfunc import log_pyfunc, unwrap
from clusters.config import Settings, get_settings
from clusters.contracts import join_labels
from clusters.taxonomy import Taxonomy, load_taxonomy
from training import cold_start
from training.baselines import sic_baseline, tfidf_baseline
from training.fine_tune import (
    FineTuneReport,
    fine_tune_embedder,
    preset_params,
    resolve_device,
    should_fine_tune,
)
from training.labels import LabelSet, load_label_files
from training.metrics import Evaluation, compare_to_baselines, evaluate, gain_metrics
from training.plots import pr_curves, reliability_diagram
from training.registry import GateDecision, register_and_gate
from training.reviewed import Predictor, log_reviewed, registry_uri, superseded_by_review
from training.tracking import log_comparison, use_experiment

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """What a training run produced."""

    run_id: str
    model_uri: str
    decision: GateDecision
    evaluation: Evaluation | None
    baselines: dict[str, Evaluation] = field(default_factory=dict)
    label_counts: dict[str, int] = field(default_factory=dict)
    taxonomy_hash: str = ""
    dataset_hash: str = ""
    reviewed_comparison: pd.DataFrame | None = None
    """Queue model vs new model per cluster on held-out reviewed items (see training.reviewed)."""
    gains: pd.DataFrame | None = None
    """The model's micro-/macro-F1 gain over each baseline with a 95% bootstrap interval."""
    champion_gain: pd.DataFrame | None = None
    """The same against the champion it was gated against (baseline ``champion``)."""


def split_trusted(labels: LabelSet, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/eval split of trusted rows, stratified by each row's rarest label."""
    n = len(labels)
    if n < 10:
        return np.arange(n), np.arange(0)
    freq = labels.Y.sum(axis=0)
    rarest = np.where(
        labels.Y.any(axis=1), np.argmin(np.where(labels.Y > 0, freq, np.inf), axis=1), -1
    )
    rng = np.random.default_rng(seed)
    eval_rows = []
    for key in np.unique(rarest):
        rows = rng.permutation(np.flatnonzero(rarest == key))
        take = int(round(len(rows) * test_size)) if len(rows) >= 3 else 0
        eval_rows.extend(rows[:take].tolist())
    eval_rows = np.array(sorted(eval_rows), dtype=int)
    train_rows = np.setdiff1d(np.arange(n), eval_rows)
    return train_rows, eval_rows


def dataset_hash(parts: Sequence[LabelSet]) -> str:
    """A hash of every example's id, text and labels (identifies the training data)."""
    digest = hashlib.sha256()
    for part in parts:
        for cid, text, row, src in zip(
            part.company_ids, part.texts, part.Y, part.sources, strict=True
        ):
            digest.update(f"{cid}\x1f{src}\x1f{text}\x1f{row.tobytes().hex()}\x1e".encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class TrustedLabels:
    """The trusted labels of a training run and their seeded train / held-out split."""

    all: LabelSet | None
    train: LabelSet | None
    eval: LabelSet | None
    imported: int
    """Rows read from label files."""
    reviewed: int
    """Rows of analysts' decisions."""
    superseded: int
    """Imported rows replaced by a review of the same company."""


def trusted_labels(
    taxonomy: Taxonomy,
    label_paths: Sequence[Path],
    reviewed_paths: Sequence[Path],
    test_size: float,
    seed: int,
) -> TrustedLabels:
    """Label files and reviews (a review wins over an imported label), split for training.

    Raises:
        ContractError: a file is unreadable, lacks a column or names unknown clusters.
    """
    reviewed = load_label_files(list(reviewed_paths), taxonomy, "reviewed")
    imported = load_label_files(list(label_paths), taxonomy, "imported")
    kept = superseded_by_review(imported, reviewed)
    parts = [part for part in (kept, reviewed) if part is not None]
    trusted = LabelSet.concat(parts) if parts else None
    train_set = eval_set = None
    if trusted is not None:
        train_rows, eval_rows = split_trusted(trusted, test_size, seed)
        train_set, eval_set = trusted.subset(train_rows), trusted.subset(eval_rows)
    n_imported = len(imported) if imported is not None else 0
    return TrustedLabels(
        trusted,
        train_set,
        eval_set,
        imported=n_imported,
        reviewed=len(reviewed) if reviewed is not None else 0,
        superseded=n_imported - (len(kept) if kept is not None else 0),
    )


def weak_label_pool(
    path: Path | None, exclude: set[str], max_rows: int, seed: int
) -> pd.DataFrame | None:
    """Up to ``max_rows`` companies of the base at ``path`` (not in ``exclude``), sampled with
    ``seed``: the pool weak labels are drawn from (``None`` without a base)."""
    if path is None:
        return None
    from clusters.company_base import load_company_base

    base = load_company_base(path)
    base = base[~base["company_id"].isin(exclude)]
    if len(base) > max_rows:
        base = base.sample(max_rows, random_state=seed)
    return base


def _with_text(pool: pd.DataFrame) -> pd.DataFrame:
    """``pool`` with each company's prepared ``text`` and ``text_hash``."""
    from classifier.text import prepare_texts
    from clusters.sic import default_reference

    prepared = prepare_texts(pool, default_reference().titles)
    return pool.assign(text=prepared["text"], text_hash=prepared["text_hash"])


def train(
    taxonomy_path: Path,
    label_paths: Sequence[Path] = (),
    reviewed_paths: Sequence[Path] = (),
    companies_path: Path | None = None,
    *,
    experiment: str | None = None,
    model_name: str | None = None,
    embedder_name: str | None = None,
    settings: Settings | None = None,
) -> TrainResult:
    """Train, evaluate, log and register a model; see the module docstring."""
    from classifier.embedders import get_embedder

    settings = settings or get_settings()
    cfg = settings.training
    experiment = experiment or settings.experiment
    model_name = model_name or settings.model_name
    embedder_name = embedder_name or settings.embedder
    taxonomy = load_taxonomy(taxonomy_path)
    started = time.time()

    # --- labels --------------------------------------------------------------------------
    labels = trusted_labels(taxonomy, label_paths, reviewed_paths, cfg.test_size, cfg.random_state)
    trusted, trusted_train, trusted_eval = labels.all, labels.train, labels.eval

    embedder = get_embedder(embedder_name)
    cache = EmbeddingCache(settings.paths.cache_dir / "embeddings.sqlite")

    def encode(texts: list[str]) -> np.ndarray:
        return embed_cached(embedder, texts, cache)[0]

    # --- rule-based sources (cold start) -------------------------------------------------
    rules = [cold_start.taxonomy_examples(taxonomy)]
    proto = cold_start.prototypes(taxonomy, encode)
    known_ids = set(trusted.company_ids) if trusted is not None else set()
    pool = weak_label_pool(companies_path, known_ids, cfg.weak_pool_max, cfg.random_state)
    if pool is not None and len(pool):
        pool = _with_text(pool)
        pool_emb = embed_cached(embedder, pool["text"].tolist(), cache, pool["text_hash"].tolist())[
            0
        ]
        rules.append(
            cold_start.weak_labels(
                pool["company_id"].tolist(),
                pool["text"].tolist(),
                pool["sic_codes"].tolist(),
                pool_emb,
                proto,
                taxonomy,
            )
        )
    trusted_pos = (
        trusted_train.Y.sum(axis=0) if trusted_train is not None else np.zeros(len(taxonomy.ids))
    )
    faded = [
        cold_start.fade(r, trusted_pos, cfg.weak_label_weight, cfg.weak_label_fade_at)
        for r in rules
    ]
    train_set = LabelSet.concat([*([trusted_train] if trusted_train is not None else []), *faded])

    # --- fit -----------------------------------------------------------------------------
    estimator = ClusterClassifier(
        embedder=None,
        multilabel=True,
        features=cfg.features,
        C=cfg.C,
        stack=cfg.stack,
        blend_weight="auto" if cfg.blend_weight is None else cfg.blend_weight,
        cv=cfg.cv_folds,
        target_precision=[c.target_precision for c in taxonomy.clusters],
        min_positives=settings.thresholds.min_positives_to_tune,
        default_threshold=settings.thresholds.default_threshold,
        random_state=cfg.random_state,
        n_jobs=cfg.n_jobs,
    )
    tuned = _maybe_fine_tune(embedder_name, trusted_train, settings, cache)
    if tuned is not None:
        embedder = get_embedder(embedder_name, model_dir=tuned.model_dir)
    train_emb = encode(train_set.texts)
    estimator.fit(
        EmbeddedTexts(train_set.texts, train_emb),
        train_set.Y,
        sample_weight=train_set.weights,
        trusted=train_set.trusted,
        example_ids=train_set.company_ids,
    )
    meta = ModelMeta(
        embedder_name=embedder_name,
        embedder_id=embedder.id,
        taxonomy_name=taxonomy.name,
        taxonomy_version=taxonomy.version,
        taxonomy_hash=taxonomy.content_hash,
        review_confidence=settings.thresholds.review_confidence,
        review_margin=settings.thresholds.review_margin,
    )
    model = ClusterModel(estimator, embedder, taxonomy, meta)

    # --- evaluate ------------------------------------------------------------------------
    evaluation: Evaluation | None = None
    baselines: dict[str, Evaluation] = {}
    gains = None
    eval_proba = None
    if trusted_eval is not None and len(trusted_eval):
        eval_proba = model.predict_proba(trusted_eval.texts, cache=cache)
        evaluation = evaluate(
            trusted_eval.Y,
            eval_proba,
            taxonomy.ids,
            thresholds=estimator.thresholds_,
            primary_metric=cfg.primary_metric,
        )
        baselines["tfidf"] = tfidf_baseline(
            train_set.texts,
            train_set.Y,
            trusted_eval.texts,
            trusted_eval.Y,
            taxonomy.ids,
            sample_weight=train_set.weights,
            cv=cfg.cv_folds,
            random_state=cfg.random_state,
        )
        sic_lists = _sic_codes_for(trusted_eval.company_ids, companies_path)
        if sic_lists is not None:
            baselines["sic"] = sic_baseline(sic_lists, trusted_eval.Y, taxonomy)
        gains = compare_to_baselines(
            evaluation, baselines, n_boot=cfg.bootstrap_samples, seed=cfg.random_state
        )

    counts = train_set.counts_by_source()
    if trusted_eval is not None:
        counts["eval (held out)"] = len(trusted_eval)
    data_hash = dataset_hash([train_set] + ([trusted_eval] if trusted_eval is not None else []))

    # --- MLflow --------------------------------------------------------------------------
    use_experiment(settings, experiment)
    with mlflow.start_run(run_name=f"train {taxonomy.name} {taxonomy.version}") as run:
        mlflow.log_params(
            {
                "embedder": embedder_name,
                "embedder_id": embedder.id,
                "features": cfg.features,
                "C": cfg.C,
                "stack": cfg.stack,
                "cv_folds": cfg.cv_folds,
                "primary_metric": cfg.primary_metric,
                "weak_label_weight": cfg.weak_label_weight,
                "weak_label_fade_at": cfg.weak_label_fade_at,
                "taxonomy_name": taxonomy.name,
                "taxonomy_version": taxonomy.version,
                "taxonomy_hash": taxonomy.content_hash,
                "dataset_hash": data_hash,
                "n_clusters": len(taxonomy.ids),
                "label_sources": ",".join(sorted(counts)),
                "label_files": ",".join(str(p) for p in [*label_paths, *reviewed_paths]) or "none",
            }
        )
        mlflow.set_tags({"taxonomy_hash": taxonomy.content_hash, "dataset_hash": data_hash})
        mlflow.log_metrics({f"rows_{_slug(k)}": float(v) for k, v in counts.items()})
        mlflow.log_metric("oof_ece", float(estimator.oof_ece_))
        if getattr(estimator, "blend_weight_", None) is not None:
            mlflow.log_metric("blend_weight", float(estimator.blend_weight_))
        mlflow.log_param("fine_tuned", "yes" if tuned else "no")
        if tuned is not None:
            mlflow.log_params(
                {
                    "fine_tune_layers": tuned.params.layers,
                    "fine_tune_epochs": tuned.params.epochs,
                    "fine_tune_max_tokens": tuned.params.max_tokens,
                    "fine_tune_device": tuned.params.device,
                }
            )
            mlflow.log_metrics(
                {
                    "fine_tune_texts": tuned.texts,
                    "fine_tune_steps": tuned.steps,
                    "fine_tune_seconds": tuned.seconds,
                    "fine_tune_first_loss": tuned.first_loss,
                    "fine_tune_last_loss": tuned.last_loss,
                }
            )
        mlflow.log_metric("train_seconds", time.time() - started)
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            (tmp_path / "label_sources.json").write_text(json.dumps(counts, indent=2))
            mlflow.log_artifact(str(tmp_path / "label_sources.json"))
            mlflow.log_artifact(str(taxonomy_path), artifact_path="taxonomy")
            if evaluation is not None:
                _log_evaluation(
                    evaluation, baselines, gains, trusted_eval, eval_proba, taxonomy, tmp_path
                )
            reviewed_table = log_reviewed(
                reviewed_paths,
                trusted,
                trusted_eval,
                None if eval_proba is None else (eval_proba >= estimator.thresholds_).astype(int),
                taxonomy.ids,
                lambda version: _queue_model(version, taxonomy.ids, cache),
                tmp_path,
            )
            bundle = model.save(tmp_path / "bundle")
            example = pd.DataFrame(
                {"company_id": train_set.company_ids[:3], "text": train_set.texts[:3]}
            )
            info = log_pyfunc(model, bundle, example)
        score = evaluation.primary if evaluation is not None else float("nan")

        champion_evaluations: dict[str, Evaluation] = {}

        def score_champion(version: str) -> float:
            if trusted_eval is None or not len(trusted_eval):
                return float("nan")
            champ = unwrap(mlflow.pyfunc.load_model(f"models:/{model_name}/{version}"))
            proba = _aligned_proba(champ, trusted_eval.texts, taxonomy.ids, cache)
            thresholds = _aligned_thresholds(champ, taxonomy.ids)
            champion_evaluations[version] = evaluate(
                trusted_eval.Y,
                proba,
                taxonomy.ids,
                thresholds=thresholds,
                primary_metric=cfg.primary_metric,
            )
            return champion_evaluations[version].primary

        decision = register_and_gate(
            info.model_uri, model_name, score, score_champion, cfg.primary_metric
        )
        champion_gain = None
        if evaluation is not None and decision.champion_version in champion_evaluations:
            champion_gain = compare_to_baselines(
                evaluation,
                {"champion": champion_evaluations[decision.champion_version]},
                n_boot=cfg.bootstrap_samples,
                seed=cfg.random_state,
            )
            mlflow.log_metrics(gain_metrics(champion_gain))
    cache.close()
    return TrainResult(
        run.info.run_id,
        info.model_uri,
        decision,
        evaluation,
        baselines,
        counts,
        taxonomy.content_hash,
        data_hash,
        reviewed_table,
        gains,
        champion_gain,
    )


def _maybe_fine_tune(
    embedder_name: str, trusted_train: LabelSet | None, settings: Settings, cache: EmbeddingCache
) -> FineTuneReport | None:
    """Fine-tune the embedder on the trusted training labels when the settings say so.

    The tuned model is kept under ``cache_dir/fine-tuned/<hash>`` (hash of the labelled data,
    the base model and the fine-tune settings), so retraining on the same labels reuses it.
    """
    from classifier.embedders import get_embedder

    cfg = settings.training
    n = len(trusted_train) if trusted_train is not None else 0
    reason = should_fine_tune(cfg.fine_tune, embedder_name, n, cfg.fine_tune_min_labels)
    if reason:
        logger.info("no fine-tune: %s", reason)
        return None
    base = get_embedder(embedder_name)
    params = preset_params(
        resolve_device(cfg.fine_tune_device),
        cfg.fine_tune_layers,
        cfg.fine_tune_epochs,
        cfg.fine_tune_max_tokens,
        seed=cfg.random_state,
    )
    key = hashlib.sha256(
        f"{dataset_hash([trusted_train])}|{base.id}|{params}".encode()
    ).hexdigest()[:16]
    out = settings.paths.cache_dir / "fine-tuned" / key
    if (out / "modules.json").is_file():
        logger.info("fine-tune: reusing %s", out)
        return FineTuneReport(out, n, 0, 0.0, float("nan"), float("nan"), params)
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    report = fine_tune_embedder(base.model_dir, trusted_train.texts, trusted_train.Y, tmp, params)
    tmp.rename(out)
    return replace(report, model_dir=out)


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text).strip("_")


def _sic_codes_for(company_ids: list[str], companies_path: Path | None) -> list[list[str]] | None:
    if companies_path is None:
        return None
    from clusters.company_base import load_company_base

    base = load_company_base(companies_path).set_index("company_id")["sic_codes"]
    if not set(company_ids) <= set(base.index):
        return None
    return [list(base[c]) for c in company_ids]


def _aligned_proba(
    model: ClusterModel, texts: list[str], cluster_ids: list[str], cache
) -> np.ndarray:
    """A (possibly older) model's probabilities in ``cluster_ids`` order; unknown clusters 0."""
    proba = model.predict_proba(texts, cache=cache)
    index = {c: j for j, c in enumerate(model.cluster_ids)}
    out = np.zeros((len(texts), len(cluster_ids)))
    for j, cid in enumerate(cluster_ids):
        if cid in index:
            out[:, j] = proba[:, index[cid]]
    return out


def _queue_model(version: str, cluster_ids: list[str], cache) -> Predictor | None:
    """The registered model that produced a review queue, as a predictor in our cluster order."""
    uri = registry_uri(version)
    if uri is None:
        return None
    try:
        old = unwrap(mlflow.pyfunc.load_model(uri))
    except mlflow.exceptions.MlflowException:
        return None
    thresholds = _aligned_thresholds(old, cluster_ids)
    return lambda texts: (_aligned_proba(old, texts, cluster_ids, cache) >= thresholds).astype(int)


def _aligned_thresholds(model: ClusterModel, cluster_ids: list[str]) -> np.ndarray:
    index = {c: j for j, c in enumerate(model.cluster_ids)}
    return np.array(
        [model.estimator.thresholds_[index[c]] if c in index else 1.1 for c in cluster_ids]
    )


def _log_evaluation(
    evaluation: Evaluation,
    baselines: dict[str, Evaluation],
    gains: pd.DataFrame,
    eval_set: LabelSet,
    proba: np.ndarray,
    taxonomy: Taxonomy,
    folder: Path,
) -> None:
    log_comparison(evaluation, baselines, gains, folder)
    per_cluster = evaluation.per_cluster
    for row in per_cluster.itertuples():
        for metric in ("precision", "recall", "f1", "pr_auc", "support"):
            value = float(getattr(row, metric))
            if np.isfinite(value):
                mlflow.log_metric(f"{metric}__{row.cluster_id}", value)
    per_cluster.to_csv(folder / "per_cluster.csv", index=False)
    reliability_diagram(eval_set.Y, proba, folder / "reliability.png")
    pr_curves(eval_set.Y, proba, taxonomy.ids, folder / "pr_curves.png")
    for name in ("per_cluster.csv", "reliability.png", "pr_curves.png"):
        mlflow.log_artifact(str(folder / name), artifact_path="evaluation")
    examples = pd.DataFrame(
        {
            "company_id": eval_set.company_ids,
            "true": [join_labels(np.array(taxonomy.ids)[r > 0]) for r in eval_set.Y],
        }
    )
    examples.to_csv(folder / "eval_rows.csv", index=False)
    mlflow.log_artifact(str(folder / "eval_rows.csv"), artifact_path="evaluation")

"""The main job, ``clusters run``: every stage that exists, end to end on the bundled data.

ingest (demo company list → company base) → train (taxonomy + demo labels + cold-start weak
labels, tracked in MLflow) → classify (with the champion) → review queue. Scoring and the
report join when their stages land.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from clusters.config import Settings, get_settings

logger = logging.getLogger(__name__)


@dataclass
class PipelineResult:
    """Where the main job wrote its outputs, and what it could not do yet."""

    outputs: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def run_pipeline(
    output_dir: Path | None = None, settings: Settings | None = None
) -> PipelineResult:
    """Run every available stage on the bundled demo data."""
    from classifier.classify import classify_file
    from clusters.batch.engine import BatchOptions
    from clusters.ingest.stage import InputFormat, ingest_companies
    from training.train import compare_table, train

    settings = settings or get_settings()
    out = Path(output_dir) if output_dir else settings.paths.output_dir
    out.mkdir(parents=True, exist_ok=True)
    result = PipelineResult()

    logger.info("1/5 ingest: %s", settings.paths.demo_companies)
    base_path = out / "companies.parquet"
    report = ingest_companies(
        [settings.paths.demo_companies],
        base_path,
        fmt=InputFormat.LIST,
        quarantine=out / "companies.quarantine.csv",
    )
    for line in report.summary():
        logger.info("ingest: %s", line)
    result.outputs["company base"] = base_path

    logger.info(
        "2/5 train: taxonomy %s, labels %s", settings.paths.taxonomy, settings.paths.demo_labels
    )
    trained = train(
        settings.paths.taxonomy, [settings.paths.demo_labels], [], base_path, settings=settings
    )
    if trained.evaluation is not None:
        table = compare_table(trained.evaluation, trained.baselines).round(3)
        logger.info("evaluation on held-out demo labels:\n%s", table.to_string(index=False))
        table.to_csv(out / "evaluation.csv", index=False)
        result.outputs["evaluation"] = out / "evaluation.csv"
    result.outputs["MLflow store"] = Path(settings.mlflow_uri.removeprefix("sqlite:///"))

    logger.info("3/5 classify with the champion model (batch engine)")
    predictions_path = out / "predictions.parquet"
    classified = classify_file(
        base_path, predictions_path, settings=settings, options=BatchOptions(restart_changed=True)
    )
    logger.info(
        "classified %d companies (%d assigned, %d need review) with %s",
        classified.rows,
        classified.assigned,
        classified.needs_review,
        classified.model_version,
    )
    result.outputs["predictions"] = predictions_path
    result.outputs["classify job"] = classified.job_dir

    logger.info("4/5 review queue (written by the batch job)")
    queue_path = out / "review_queue.csv"
    shutil.copyfile(classified.job_dir / "review_queue.csv", queue_path)
    result.outputs["review queue"] = queue_path
    logger.info("5/5 score clusters by place")
    from scoring.run import run_scoring

    scored = run_scoring(
        companies=base_path,
        predictions=predictions_path,
        output_dir=out / "scores",
        evidence_dir=settings.paths.data_dir / "demo" / "evidence",
    )
    for line in scored.summary():
        logger.info("score: %s", line)
    result.outputs["scores"] = out / "scores"
    result.notes.append("build the HTML report with: clusters report (see clusters report --help)")
    return result

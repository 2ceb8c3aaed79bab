"""The main job, ``clusters run``: every stage, end to end on the bundled data.

ingest (demo company list → company base) → train (taxonomy + demo labels + cold-start weak
labels, tracked in MLflow) → classify (with the champion, batch engine) → review queue and a
SIMULATED review round exported as labels → score clusters by place → HTML and PDF report.
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
    from training.metrics import compare_table, describe_gains
    from training.train import train

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
        for line in describe_gains(trained.gains):
            logger.info("%s", line)
        table.to_csv(out / "evaluation.csv", index=False)
        result.outputs["evaluation"] = out / "evaluation.csv"
    result.outputs["MLflow store"] = settings.mlflow_sqlite_path or Path(settings.mlflow_uri)

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
    _simulated_review(queue_path, base_path, out, settings, result)
    logger.info("5/5 score clusters by place, then the report")
    from scoring.run import score_and_report

    demo = settings.paths.data_dir / "demo"
    scored, report = score_and_report(
        companies=base_path,
        predictions=predictions_path,
        output_dir=out / "scores",
        report_dir=out / "report",
        evidence_dir=demo / "evidence",
        designations=demo / "designations.csv",
        taxonomy=settings.paths.taxonomy,
    )
    for line in scored.summary():
        logger.info("score: %s", line)
    result.outputs["scores"] = out / "scores"
    result.outputs["report"] = report.html
    if report.pdf is not None:
        result.outputs["report PDF"] = report.pdf
    result.notes.append(_inspect_hint(predictions_path, classified.job_dir))
    return result


def _inspect_hint(predictions_path: Path, job_dir: Path) -> str:
    """The commands that look inside what the run made, with a real company to try."""
    from clusters.batch.layout import read_predictions

    frame = read_predictions(predictions_path, columns=["company_id", "labels"])
    assigned = frame.loc[frame["labels"].fillna("") != "", "company_id"]
    example = assigned.iloc[0] if len(assigned) else frame["company_id"].iloc[0]
    return (
        f"look inside with: clusters explain --company-id {example} (why it got its "
        f"clusters); clusters models list; clusters status {job_dir}; clusters doctor"
    )


def _simulated_review(
    queue_path: Path, base_path: Path, out: Path, settings: Settings, result: PipelineResult
) -> None:
    """Step 4 continued: a SIMULATED review round (decisions drawn from the demo truth for
    held-out companies) in a demo review store, exported as reviewed labels."""
    from clusters.review.simulate import run_demo_review

    truth = settings.paths.data_dir / "demo" / "truth.csv"
    if not truth.exists() or settings.review.simulated_items == 0:
        return
    demo = run_demo_review(queue_path, base_path, truth, settings.paths.demo_labels, out, settings)
    logger.info("review: %s (the demo store %s)", demo.round.summary(), demo.database)
    logger.info("review: %s", demo.export_summary)
    result.outputs["review store (demo)"] = demo.database
    result.outputs["reviewed labels"] = demo.labels
    result.notes.append(
        f"the loop continues with: clusters train --labels {settings.paths.demo_labels} "
        f"--reviewed {demo.labels} (the demo's reviewed labels are SIMULATED); analysts "
        f"review for real with: clusters review import --queue {queue_path} --companies "
        f"{base_path}, then clusters review serve"
    )

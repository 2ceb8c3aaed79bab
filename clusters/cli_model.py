"""CLI commands of the model stages: ``train``, ``classify`` and the main job ``run``.

Registered on the ``clusters`` app by :mod:`clusters.cli`.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from clusters.cli_errors import fail
from clusters.config import ConfigError, get_settings
from clusters.contracts import ContractError
from clusters.taxonomy import TaxonomyError

KNOWN_ERRORS = (ConfigError, ContractError, TaxonomyError, FileNotFoundError, ValueError)


ModelOption = Annotated[
    str | None, typer.Option(help="Model URI \\[default: models:/<model_name>@champion].")
]
"""The ``--model`` option of the commands that load a registered model."""


class Features(StrEnum):
    """Feature modes of the classifier (``training.features``)."""

    blend = "blend"
    hybrid = "hybrid"
    embedding = "embedding"
    tfidf = "tfidf"


def train_command(
    taxonomy: Annotated[
        Path | None, typer.Option(help="Taxonomy YAML \\[default: the configured taxonomy].")
    ] = None,
    labels: Annotated[
        list[Path] | None,
        typer.Option(
            "--labels", help="Label file (CSV/Parquet: company_id,text,labels); repeatable."
        ),
    ] = None,
    reviewed: Annotated[
        list[Path] | None,
        typer.Option(help="Analyst decisions exported by `clusters review export`; repeatable."),
    ] = None,
    companies: Annotated[
        Path | None,
        typer.Option(help="Unlabelled company base for cold-start weak labels (keywords, SIC)."),
    ] = None,
    experiment: Annotated[str | None, typer.Option(help="MLflow experiment name.")] = None,
    model_name: Annotated[str | None, typer.Option(help="Registered model name.")] = None,
    embedder: Annotated[
        str | None, typer.Option(help="Embedder: minilm, minilm-onnx or static.")
    ] = None,
    features: Annotated[
        Features | None,
        typer.Option(help="Classifier features \\[default: training.features, blend]."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Only report what it would train on: labels per source and cluster, the "
            "held-out split, weak-label pool, fine-tune or not. Embeds and writes nothing.",
        ),
    ] = False,
) -> None:
    """Train a classifier, log it to MLflow, register it and promote it if it is better."""
    from training.metrics import compare_table, describe_gains
    from training.train import train

    settings = get_settings()
    if features is not None:
        training = settings.training.model_copy(update={"features": features.value})
        settings = settings.model_copy(update={"training": training})
    sources = (taxonomy or settings.paths.taxonomy, labels or [], reviewed or [], companies)
    if dry_run:
        from training.plan import plan_training

        try:
            plan = plan_training(*sources, embedder_name=embedder, settings=settings)
        except KNOWN_ERRORS as exc:
            raise fail(str(exc)) from exc
        for line in plan.lines():
            typer.echo(line)
        return
    try:
        result = train(
            *sources,
            experiment=experiment,
            model_name=model_name,
            embedder_name=embedder,
            settings=settings,
        )
    except KNOWN_ERRORS as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"run {result.run_id}: label rows {result.label_counts}")
    if result.evaluation is not None:
        typer.echo(
            compare_table(result.evaluation, result.baselines).round(3).to_string(index=False)
        )
        for line in describe_gains(result.gains):
            typer.echo(line)
    else:
        typer.echo(
            "no held-out labels: the model was trained from the taxonomy and weak labels only"
        )
    if result.reviewed_comparison is not None:
        typer.echo("held-out reviewed items: the model that queued them vs the new model")
        shown = ["cluster_id", "support", "f1_queue_model", "f1_new_model", "f1_change"]
        typer.echo(result.reviewed_comparison[shown].round(3).to_string(index=False))
    d = result.decision
    typer.echo(
        f"model {model_name or settings.model_name} v{d.version}: "
        f"{'promoted to champion' if d.promoted else 'kept as challenger'} ({d.reason})"
    )
    if result.champion_gain is not None:
        for line in describe_gains(result.champion_gain, f"v{d.version}"):
            typer.echo(line)


def explain_command(
    text: Annotated[str | None, typer.Option(help="A description to explain.")] = None,
    company_id: Annotated[
        str | None, typer.Option("--company-id", help="A company of the base to explain.")
    ] = None,
    companies: Annotated[
        Path | None,
        typer.Option(help="Company base \\[default: companies.parquet of `clusters run`]."),
    ] = None,
    model: ModelOption = None,
    top: Annotated[int, typer.Option(min=1, help="Clusters to show.")] = 3,
    examples: Annotated[int, typer.Option(min=0, help="Nearest labelled examples each.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="The explanation as JSON.")] = False,
) -> None:
    """Why a company (or a text) gets its clusters: the text the model saw, its top
    clusters with probability and threshold, the taxonomy keywords found and the nearest
    labelled examples."""
    import json
    from dataclasses import asdict

    from classifier.classify import resolve_model
    from classifier.explain_company import explain_company, explain_text

    if (text is None) == (company_id is None):
        raise fail("give either --text or --company-id")
    settings = get_settings()
    try:
        loaded = resolve_model(model, settings)
        if text is not None:
            result = explain_text(loaded, text, top, examples)
        else:
            base = companies or settings.paths.output_dir / "companies.parquet"
            result = explain_company(loaded, company_id, base, top, examples)
    except KNOWN_ERRORS as exc:
        raise fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(asdict(result), indent=2))
        return
    for line in result.lines():
        typer.echo(line)


class Engine(StrEnum):
    """Batch engines of ``clusters classify``."""

    local = "local"
    spark = "spark"


def classify_command(
    input: Annotated[
        Path,
        typer.Option(
            "--input",
            "-i",
            help="company_id+text table or company base: a Parquet/CSV file or a directory "
            "of Parquet/CSV parts.",
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Job directory (Parquet dataset in predictions/, manifest.json, rejects.csv, "
            "review_queue.csv); a name ending in .parquet, .csv or .csv.gz also writes that one file.",
        ),
    ],
    model: ModelOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Redo a finished job / discard an earlier one.")
    ] = False,
    chunk_rows: Annotated[
        int | None,
        typer.Option(
            "--chunk-rows",
            min=1,
            help="Rows per chunk and part file \\[default: settings batch.chunk_rows, 10000].",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            help="Processes classifying chunks side by side (0 = auto: one per core for the "
            "static tier, 1 otherwise) \\[default: settings batch.workers].",
            show_default=False,
        ),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Where to write rejected rows (default: OUTPUT/rejects.csv)."),
    ] = None,
    review_limit: Annotated[
        int,
        typer.Option("--review-limit", min=0, help="Most companies in review_queue.csv (0 = all)."),
    ] = 100_000,
    cache: Annotated[
        bool,
        typer.Option(
            "--cache/--no-cache",
            help="Reuse and fill the embedding cache as settings batch.cache says (auto: "
            "for every embedder but the static tier); --no-cache: not at all.",
        ),
    ] = True,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Progress bar (default: on a terminal; log lines otherwise).",
            show_default=False,
        ),
    ] = None,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            case_sensitive=False,
            help="local: in-process, chunked, resumable; spark: Apache Spark, Parquet in and "
            "out, same results (needs pip install '.\\[spark]' and Java 17).",
        ),
    ] = Engine.local,
    spark_master: Annotated[
        str | None,
        typer.Option(
            "--spark-master",
            help="Spark master for --engine spark: local[N,F] (N cores, F tries per task), "
            "yarn, k8s://... \\[default: local[2,3]; a running session is joined].",
            show_default=False,
        ),
    ] = None,
    spark_remote: Annotated[
        str | None,
        typer.Option(
            "--spark-remote",
            help="Spark Connect server for --engine spark (sc://host:port); overrides "
            "--spark-master.",
        ),
    ] = None,
    spark_predictions: Annotated[
        str | None,
        typer.Option(
            "--spark-predictions",
            help="Where Spark writes the predictions dataset (hdfs://, s3a://, abfss://, "
            "dbfs:/ ...) instead of OUTPUT/predictions.",
        ),
    ] = None,
) -> None:
    """Assign companies to clusters with a registered model: chunked, cached, resumable.

    A killed job started again with the same arguments resumes where it stopped; a finished
    one is not redone unless --force. With --engine spark the job runs on Apache Spark
    (locally, on a cluster, or over Spark Connect) with the same results.
    """
    from classifier.classify import classify_file
    from clusters.batch.engine import BatchOptions
    from clusters.batch.spark_session import SparkUnavailableError
    from clusters.batch.stopping import JobStopped, stop_on_signals

    options = BatchOptions(
        chunk_rows=chunk_rows or get_settings().batch.chunk_rows,
        force=force,
        rejects=rejects,
        progress=progress,
        review_limit=review_limit or None,
        use_cache=cache,
        workers=workers,
    )
    try:
        with stop_on_signals():
            report = classify_file(
                input,
                output,
                model,
                options=options,
                engine=engine.value,
                spark_master=spark_master,
                spark_remote=spark_remote,
                predictions_uri=spark_predictions,
            )
    except (*KNOWN_ERRORS, SparkUnavailableError) as exc:
        raise fail(str(exc)) from exc
    except (JobStopped, KeyboardInterrupt) as exc:
        name, code = (
            (exc.args[0], exc.exit_code) if isinstance(exc, JobStopped) else ("Ctrl-C", 130)
        )
        raise fail(f"stopped by {name}: {_where_stopped(output)}", code) from None
    if report.skipped:
        typer.echo(
            f"already done: {report.rows} companies classified by {report.model_version} "
            f"-> {report.output} (see {report.job_dir}/manifest.json; --force redoes it)"
        )
        return
    typer.echo(
        f"{report.rows} companies classified by {report.model_version} in {report.seconds:.1f}s: "
        f"{report.assigned} assigned, {report.needs_review} need review, "
        f"{report.rejected} rejected -> {report.output}"
    )
    typer.echo(
        f"cache hit rate {report.cache_hit_rate:.0%}; manifest, rejects and review queue in "
        f"{report.job_dir}" + (" (resumed)" if report.resumed else "")
    )


def _where_stopped(output: Path) -> str:
    """How far a stopped job got, and how to go on."""
    from clusters.batch.status import job_status

    try:
        status = job_status(output)
    except (FileNotFoundError, ValueError):
        return "before its first chunk; run the same command to start again"
    of = f" of {status.chunks_total}" if status.chunks_total is not None else ""
    return (
        f"{status.chunks_done}{of} chunks ({status.rows_read:,} rows) are committed; run "
        "the same command to resume from there"
    )


def run_command(
    output_dir: Annotated[
        Path | None, typer.Option(help="Where to write outputs \\[default: outputs/].")
    ] = None,
) -> None:
    """The main job on the bundled demo data: ingest, train, classify, review queue, score."""
    from clusters.pipeline import run_pipeline

    try:
        result = run_pipeline(output_dir)
    except KNOWN_ERRORS as exc:
        raise fail(str(exc)) from exc
    typer.echo("\nOutputs:")
    width = max(map(len, result.outputs), default=0)
    for name, path in result.outputs.items():
        typer.echo(f"  {name:{width}s}  {path}")
    for note in result.notes:
        typer.echo(f"note: {note}")


def evaluate_command(
    labels: Annotated[
        list[Path],
        typer.Option("--labels", help="Label file(s) to split and score on; repeatable."),
    ],
    model: ModelOption = None,
    companies: Annotated[
        Path | None, typer.Option(help="Company base with SIC codes, for the SIC-rule baseline.")
    ] = None,
) -> None:
    """Compare a model with the TF-IDF and SIC-crosswalk baselines on the same split."""
    from training.evaluate import evaluate_model

    try:
        result = evaluate_model(labels, model, companies)
    except KNOWN_ERRORS as exc:
        raise fail(str(exc)) from exc
    from training.metrics import describe_gains

    typer.echo(result.table.round(3).to_string(index=False))
    for line in describe_gains(result.gains):
        typer.echo(line)
    typer.echo(f"logged as MLflow run {result.run_id}")

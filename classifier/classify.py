"""``clusters classify``: load a registered model and write predictions for a company table.

Input: CSV or Parquet with ``company_id`` and ``text``, or a company base (text is then
prepared from name, filing description, website text and SIC titles); a file or a directory
of parts. Output: a batch job directory (Parquet dataset of the PREDICTIONS contract, one
part per chunk, plus manifest, rejects and review queue), or, when the output path ends in
``.parquet``/``.csv``, also that one file, one row per accepted input company, in input
order. Every classification runs through a batch engine: the in-process one
(:mod:`clusters.batch.engine`: chunked, cached, resumable) or Apache Spark
(:mod:`clusters.batch.spark_engine`: Parquet in and out, same results).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
from mlflow.tracking import MlflowClient

from classifier.model import ClusterModel
from classifier.pyfunc import unwrap
from clusters.batch.engine import BatchOptions
from clusters.config import Settings, get_settings, redact
from clusters.contracts import ContractError

logger = logging.getLogger(__name__)


@dataclass
class ClassifyReport:
    """Counts and locations of one classification run."""

    rows: int
    assigned: int
    needs_review: int
    model_version: str
    output: Path
    seconds: float
    rejected: int = 0
    job_dir: Path | None = None
    """The batch job directory (manifest, rejects, review queue, part files)."""
    skipped: bool = False
    """The same job had already finished: nothing was redone."""
    resumed: bool = False
    cache_hit_rate: float = 0.0
    manifest: dict[str, Any] = field(default_factory=dict)


def resolve_model(model_uri: str | None, settings: Settings | None = None) -> ClusterModel:
    """Load ``model_uri`` (default ``models:/<model_name>@champion``) as a ClusterModel whose
    ``meta.model_version`` names the registered version (``name/vN``)."""
    settings = settings or get_settings()
    mlflow.set_tracking_uri(settings.mlflow_uri)
    model_uri = model_uri or f"models:/{settings.model_name}@champion"
    try:
        model = unwrap(mlflow.pyfunc.load_model(model_uri))
    except mlflow.exceptions.MlflowException as exc:
        raise ContractError(
            f"cannot load model {model_uri} from {redact(settings.mlflow_uri)}: {exc.message}. "
            "Train one first with `clusters train`."
        ) from exc
    if model_uri.startswith("models:/"):
        model.meta.model_version = _registered_version(model_uri)
    return model


def registered_version(model_uri: str | None, settings: Settings | None = None) -> str:
    """The version (``name/vN``) a ``models:/`` URI resolves to now, without loading the
    model; ``"unregistered"`` for other URIs.

    Raises:
        ContractError: the registered model or alias does not exist.
    """
    settings = settings or get_settings()
    model_uri = model_uri or f"models:/{settings.model_name}@champion"
    if not model_uri.startswith("models:/"):
        return "unregistered"
    mlflow.set_tracking_uri(settings.mlflow_uri)
    try:
        return _registered_version(model_uri)
    except mlflow.exceptions.MlflowException as exc:
        raise ContractError(
            f"cannot load model {model_uri} from {redact(settings.mlflow_uri)}: {exc.message}. "
            "Train one first with `clusters train`."
        ) from exc


def _registered_version(model_uri: str) -> str:
    ref = model_uri[len("models:/") :]
    client = MlflowClient()
    if "@" in ref:
        name, alias = ref.split("@", 1)
        return f"{name}/v{client.get_model_version_by_alias(name, alias).version}"
    return ref.replace("/", "/v", 1) if "/" in ref else ref


ENGINES = ("local", "spark")


def classify_file(
    input_path: Path,
    output_path: Path,
    model_uri: str | None = None,
    settings: Settings | None = None,
    options: BatchOptions | None = None,
    *,
    engine: str = "local",
    spark_master: str | None = None,
    spark_remote: str | None = None,
    predictions_uri: str | None = None,
) -> ClassifyReport:
    """Classify every company of ``input_path`` into ``output_path`` with a batch engine.

    ``output_path`` is a job directory, or a ``.parquet``/``.csv`` file (the job then runs in
    ``<file>.batch/``). Rerunning a finished job is a no-op unless ``options.force``; a
    killed job resumes where it stopped (``engine="local"``; Spark retries failed tasks and
    redoes an unfinished job); one that holds an older job (other input, model or engine)
    is refused unless ``force`` or ``restart_changed``. See
    :func:`clusters.batch.engine.run_batch`, :class:`~clusters.batch.engine.BatchOptions`
    and, for ``engine="spark"`` (``spark_master``, ``spark_remote``, ``predictions_uri``),
    :func:`clusters.batch.spark_engine.run_batch_spark`.

    Raises:
        ValueError: an unknown engine, or Spark options without ``engine="spark"``.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "spark":
        from clusters.batch.spark_engine import run_batch_spark

        result = run_batch_spark(
            input_path,
            output_path,
            model_uri,
            master=spark_master,
            remote=spark_remote,
            options=options,
            settings=settings,
            predictions_uri=predictions_uri,
        )
    else:
        spark_options = {
            "spark_master": spark_master,
            "spark_remote": spark_remote,
            "predictions_uri": predictions_uri,
        }
        given = [name for name, value in spark_options.items() if value is not None]
        if given:
            raise ValueError(f"{', '.join(given)} need(s) engine 'spark'")
        from clusters.batch.engine import run_batch

        result = run_batch(input_path, output_path, model_uri, options=options, settings=settings)
    manifest = result.manifest
    return ClassifyReport(
        rows=manifest["rows"]["written"],
        assigned=manifest["clusters"]["assigned"],
        needs_review=manifest["review"]["needs_review"],
        model_version=manifest["model"]["version"],
        output=result.output,
        seconds=result.seconds,
        rejected=manifest["rows"]["rejected"],
        job_dir=result.layout.root,
        skipped=result.skipped,
        resumed=result.resumed,
        cache_hit_rate=manifest["cache"]["hit_rate"],
        manifest=manifest,
    )

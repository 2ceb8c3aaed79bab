"""The Apache Spark engine behind ``clusters classify --engine spark``.

The same job as :mod:`clusters.batch.engine` (same input rules, same predictions, rejects,
review queue, manifest and MLflow run, in the same job directory layout), run as one Spark
job instead of a loop of chunks:

1. resolve the input (:mod:`.spark_input`; Parquet, local or any Spark-readable URI) and
   download the model; ship its bundle to the executors as a Spark file, loaded once per
   Python worker (:mod:`.spark_model`: executors need the wheel, not MLflow);
2. **ids**: normalise every ``company_id`` in Python (:class:`~.spark_stages.IdStage`),
   then mark, in Spark, every row whose id an earlier row (in reading order) already has;
3. **classify**: ``mapInArrow`` over the rows (:class:`~.spark_stages.ClassifyStage`):
   decode and screen each row as the in-process engine does, prepare texts, embed, predict,
   compute review priorities; rejected rows come back with reason and record;
4. **outputs**: the predictions Parquet dataset (PREDICTIONS contract, input order, zstd)
   written by Spark to ``OUTPUT/predictions`` (or ``predictions_uri``); counts, rejects and
   the review queue's top rows collected to the driver, which writes ``rejects.csv``,
   ``review_queue.csv``, the MLflow run (tagged ``engine=spark``) and ``manifest.json``.

Spark retries failed tasks (``local[2,3]``: 3 tries) instead of the in-process engine's
resume; a job that did not finish is redone whole. A finished job is not redone (``force``
does), and a job directory written by the other engine is refused, as the in-process
engine refuses other arguments (the identity records ``chunk_rows`` 0 for Spark).

**Why mapInArrow, not spark_udf.** Measured with ``scripts/bench_spark.py`` (static
embedder, ``company_id,text`` rows from the demo base, ``local[2]`` on 2 cores shared with
other work (load 5-6), warm workers, medians of interleaved runs)::

    rows     mapInArrow: whole engine   mapInArrow: classify only   spark_udf: predict only
    4,000      6.6 s (  600 rows/s)       4.3 s (  940 rows/s)        4.2 s (  960 rows/s)
    16,000    12.8 s (1,250 rows/s)      12.5 s (1,280 rows/s)       11.7 s (1,370 rows/s)

The prediction itself costs about the same either way (``spark_udf`` 2-7% faster, within
the noise of a shared machine; the estimator and embedder dominate), and the duplicate
check is a fixed ~2 s that vanishes in larger jobs. ``mapInArrow`` is kept because its one pass also decodes and
screens the rows (it sees raw Arrow bytes, so an unreadable text rejects its row instead of
failing the task), prepares texts from a company base, computes review priorities, uses
the embedding cache where it can and keeps each row's input position; with ``spark_udf``
(``company_id,text`` in, the PREDICTIONS struct out) each of those would be a stage of its
own around it.

**The embedding cache.** Executors on other machines cannot share the driver's SQLite file,
so the persistent cache is used only in local mode (``local[...]`` master, not over Spark
Connect), where every Python worker opens the same file (SQLite in WAL mode serialises the
writers). Elsewhere each Arrow batch embeds its distinct texts once, and the manifest's cache
section says ``path: null``.

Example:
    >>> run_batch_spark("companies.parquet", "out/", "models:/company-clusters@champion")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from classifier.cache import EmbeddingCache
from classifier.model import ClusterModel
from clusters.batch.commit import atomic_write_json, job_lock
from clusters.batch.engine import (
    BatchOptions,
    BatchResult,
    check_output,
    clear_job,
    compatible_state,
    describe_cache,
    model_facts,
    settle_job,
)
from clusters.batch.layout import JobLayout, is_single_file, layout_for, prediction_files
from clusters.batch.manifest import build_manifest
from clusters.batch.outputs import write_csv, write_parts_as_file
from clusters.batch.progress import format_rate
from clusters.batch.spark_input import SparkInput, describe_input, local_path, read_input
from clusters.batch.spark_model import ShippedModel, download_model, ship_model
from clusters.batch.spark_session import (
    SparkSettings,
    is_connect,
    local_cores,
    master_of,
    require_connect,
    require_pyspark,
    spark_session,
    sql_functions,
    window,
)
from clusters.batch.spark_stages import (
    DUPLICATE,
    FILE,
    KIND,
    NORMALISED,
    PRIORITY,
    REJECT_PREFIX,
    ROW_INDEX,
    STATS,
    ClassifyStage,
    IdStage,
    id_schema,
    scored_schema,
)
from clusters.batch.state import ChunkRecord, JobIdentity, JobState, now, save_state
from clusters.config import Settings, get_settings
from clusters.contracts import PREDICTIONS, PROBABILITY_PREFIX, REJECT_COLUMNS
from clusters.review_queue import QUEUE_COLUMNS

logger = logging.getLogger(__name__)

SPARK_CHUNK_ROWS = 0
"""``chunk_rows`` in a Spark job's identity: not chunked."""
PREDICT_METHOD = "mapInArrow"


def spark_settings_for(
    settings: Settings,
    master: str | None = None,
    remote: str | None = None,
    base: SparkSettings | None = None,
) -> SparkSettings:
    """``base`` (default: ``settings.spark`` where configured, else the defaults) with
    ``master`` and ``remote`` overriding when given."""
    base = base or getattr(settings, "spark", None) or SparkSettings()
    changes = {k: v for k, v in (("master", master), ("remote", remote)) if v is not None}
    return SparkSettings.model_validate(base.model_dump() | changes) if changes else base


def run_batch_spark(
    input_path: Path | str,
    output: Path | str,
    model_uri: str | None = None,
    *,
    master: str | None = None,
    remote: str | None = None,
    options: BatchOptions | None = None,
    settings: Settings | None = None,
    spark_settings: SparkSettings | None = None,
    spark: Any = None,
    predictions_uri: str | None = None,
) -> BatchResult:
    """Classify every company of ``input_path`` into the job at ``output`` with Spark.

    Args:
        input_path: a Parquet file or a directory of Parquet parts: a local path, or any
            URI Spark reads (``hdfs://``, ``s3a://``, ``abfss://``, ``dbfs:/``).
        output: the job directory (or a ``.parquet``/``.csv`` file, as for
            :func:`~clusters.batch.engine.run_batch`) on a filesystem this driver writes;
            Spark writes the predictions dataset into it, so on a cluster it must be a
            shared mount (NFS, ``/dbfs/...``) unless ``predictions_uri`` is given.
        model_uri: MLflow model URI [default ``models:/<model_name>@champion``].
        master: Spark master of a session started here [default ``local[2,3]``].
        remote: Spark Connect URL (``sc://host:port``); overrides ``master``.
        options: ``force``, ``restart_changed``, ``rejects``, ``review_limit``,
            ``use_cache``, ``embed_batch_size``, ``log_to_mlflow`` (``chunk_rows`` and
            ``progress`` are the in-process engine's).
        settings: product settings (default: the process-wide ones).
        spark_settings: Spark settings [default ``settings.spark``, else the defaults].
        spark: a running session to use (a notebook's ``spark``); not stopped afterwards.
        predictions_uri: where Spark writes the predictions dataset instead of
            ``OUTPUT/predictions`` (e.g. ``s3a://bucket/predictions/2026-07``).

    Raises:
        SparkUnavailableError: pyspark, its Connect client, or Java is missing.
        FileNotFoundError, ContractError, BatchStateError: as :func:`run_batch`.
    """
    options = options or BatchOptions()
    settings = settings or get_settings()
    config = spark_settings_for(settings, master, remote, spark_settings)
    require_pyspark()
    if config.remote and spark is None:
        require_connect()
    wall = time.monotonic()
    output = Path(output)
    single = output if is_single_file(output) else None
    layout = layout_for(output)
    if single is not None and predictions_uri and local_path(predictions_uri) is None:
        raise ValueError("a single output file needs the predictions on this machine")
    model_uri = model_uri or f"models:/{settings.model_name}@champion"
    check_output(layout, single)
    layout.root.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        stack.enter_context(job_lock(layout.lock))
        sessions: list[Any] = []

        def session() -> Any:
            if not sessions:
                sessions.append(stack.enter_context(spark_session(config, spark)))
            return sessions[0]

        local = local_path(input_path) is not None
        source = describe_input(input_path, None if local else session())
        from classifier.classify import registered_version

        identity = JobIdentity(
            input_fingerprint=source.facts["fingerprint"],
            chunk_rows=SPARK_CHUNK_ROWS,
            mode=source.mode,
            model_version=registered_version(model_uri, settings),
            model_uri=model_uri,
        )
        state, done = settle_job(layout, identity, options, single, output, wall)
        if done is not None:
            return done
        spark = session()
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="clusters-model-")))
        model, bundle = download_model(model_uri, settings, folder)
        identity = replace(
            identity, embedder_id=model.embedder.id, taxonomy_hash=model.meta.taxonomy_hash
        )
        state = compatible_state(layout, state, identity, options)
        resumed = state is not None
        clear_job(layout)  # a Spark job that did not finish is redone whole
        state = JobState(
            identity=identity,
            input=source.facts,
            attempts=(state.attempts if state else 0) + 1,
            **({"started_at": state.started_at} if state else {}),
        )
        save_state(layout, state)
        shipped = ship_model(spark, bundle, model.meta.model_version)
        job = _SparkJob(
            spark, source, model, shipped, layout, single, state, options, settings, config
        )
        result = job.run(model_uri, predictions_uri, wall)
        result.resumed = resumed
        return result


@dataclass
class _Counts:
    """What the classification stage produced, gathered on the driver."""

    written: int
    rejected: int
    needs_review: int
    assigned: int
    clusters: dict[str, int]
    cache: dict[str, int]
    rejects: pd.DataFrame
    kinds: dict[str, int]
    queue: pd.DataFrame
    seconds: float


def _spark_schema(schema: Any) -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


@dataclass
class _SparkJob:
    """One attempt at a Spark job whose identity is checked and whose lock is held."""

    spark: Any
    source: SparkInput
    model: ClusterModel
    shipped: ShippedModel
    layout: JobLayout
    single: Path | None
    state: JobState
    options: BatchOptions
    settings: Settings
    config: SparkSettings

    @property
    def cluster_ids(self) -> list[str]:
        return self.model.cluster_ids

    @property
    def partitions(self) -> int | None:
        """Partitions of the classification (see :attr:`SparkSettings.partitions`)."""
        if self.config.partitions is not None:
            return self.config.partitions
        cores = None if is_connect(self.spark) else local_cores(master_of(self.spark))
        return 2 * cores if cores else None

    @property
    def cache_path(self) -> Path | None:
        """The embedding cache, where the executors share this machine's disk."""
        shared = not is_connect(self.spark) and local_cores(master_of(self.spark)) is not None
        if not (self.options.use_cache and shared):
            return None
        return self.settings.paths.cache_dir / "embeddings.sqlite"

    def scored(self) -> Any:
        """The classification stage's output (one row per input row), not yet computed."""
        F, Window = sql_functions(self.spark), window(self.spark)
        raw = read_input(self.spark, self.source)
        ids = raw.select("company_id", FILE, ROW_INDEX).mapInArrow(
            IdStage(self.source.parts), _spark_schema(id_schema())
        )
        earlier = Window.partitionBy(NORMALISED).orderBy("__part", ROW_INDEX)
        duplicates = (
            ids.withColumn("__n", F.row_number().over(earlier))
            .where(F.col("__n") > 1)
            .select(FILE, ROW_INDEX, F.lit(True).alias(DUPLICATE))
        )
        rows = raw.join(F.broadcast(duplicates), [FILE, ROW_INDEX], "left")
        return self.classified(rows)

    def classified(self, rows: Any) -> Any:
        """``rows`` (input columns, ``__file``, ``__row_index``, ``__dup``) spread over
        :attr:`partitions` and classified by :class:`ClassifyStage`."""
        from clusters.batch.inputs import BASE_MODE

        if self.partitions:
            rows = rows.repartition(self.partitions)
        titles = None
        if self.source.mode == BASE_MODE:
            from clusters.sic import default_reference

            titles = dict(default_reference().titles)
        cache = self.cache_path
        stage = ClassifyStage(
            model=self.shipped,
            columns=self.source.columns,
            parts=self.source.parts,
            part_names=self.source.part_names,
            cluster_ids=self.cluster_ids,
            sic_titles=titles,
            cache_path=str(cache) if cache is not None else None,
            batch_size=self.options.embed_batch_size,
        )
        return rows.mapInArrow(stage, _spark_schema(scored_schema(self.cluster_ids)))

    def classify(self, predictions_uri: str) -> _Counts:
        """Run the job: write the predictions dataset, gather counts, rejects, queue top."""
        from pyspark import StorageLevel

        F = sql_functions(self.spark)
        started = time.monotonic()
        scored = self.scored().persist(StorageLevel.MEMORY_AND_DISK)
        try:
            rejected = F.col(KIND).isNotNull()
            labels = F.split(F.coalesce(F.col("labels"), F.lit("")), ";")
            flag = lambda condition: F.sum(F.when(condition, 1).otherwise(0))  # noqa: E731
            totals = scored.agg(
                flag(~rejected).alias("written"),
                flag(rejected).alias("rejected"),
                flag(F.col("needs_review")).alias("needs_review"),
                flag(F.coalesce(F.col("labels"), F.lit("")) != "").alias("assigned"),
                *[F.sum(F.col(name)).alias(name) for name in STATS],
                *[
                    flag(F.array_contains(labels, c)).alias(f"cluster {i}")
                    for i, c in enumerate(self.cluster_ids)
                ],
            ).collect()[0]
            logger.info("classified in %.1fs", time.monotonic() - started)
            in_order = ["__part", "__row"]
            rejects = (
                scored.where(rejected)
                .orderBy(*in_order)
                .select(
                    *[F.col(f"`{REJECT_PREFIX}{c}`") for c in REJECT_COLUMNS if c != "row"],
                    "__row",
                    KIND,
                )
                .toPandas()
            )
            rejects = rejects.rename(
                columns={f"{REJECT_PREFIX}{c}": c for c in REJECT_COLUMNS} | {"__row": "row"}
            )
            probabilities = [PROBABILITY_PREFIX + c for c in self.cluster_ids]
            queue = scored.where(F.col("needs_review") & ~rejected).orderBy(
                F.desc(PRIORITY), F.asc("company_id")
            )
            if self.options.review_limit is not None:
                queue = queue.limit(self.options.review_limit)
            queue_top = queue.select(*[F.col(f"`{c}`") for c in QUEUE_COLUMNS + probabilities])
            contract = [F.col(f"`{c}`") for c in PREDICTIONS.names + probabilities]
            (
                scored.where(~rejected)
                .orderBy(*in_order)
                .select(*contract)
                .write.mode("overwrite")
                .option("compression", "zstd")
                .parquet(predictions_uri)
            )
            top = queue_top.toPandas()
            logger.info("outputs written after %.1fs", time.monotonic() - started)
        finally:
            scored.unpersist()
        written = int(totals["written"] or 0)
        unique, hits, computed = (int(totals[name] or 0) for name in STATS)
        kinds: dict[str, int] = {}
        for kind in rejects[KIND]:
            kinds[kind] = kinds.get(kind, 0) + 1
        return _Counts(
            written=written,
            rejected=int(totals["rejected"] or 0),
            needs_review=int(totals["needs_review"] or 0),
            assigned=int(totals["assigned"] or 0),
            clusters={
                c: int(totals[f"cluster {i}"] or 0)
                for i, c in enumerate(self.cluster_ids)
                if totals[f"cluster {i}"]
            },
            cache={"requested": written, "unique": unique, "hits": hits, "computed": computed},
            rejects=rejects[REJECT_COLUMNS],
            kinds=kinds,
            queue=top.reset_index(drop=True),
            seconds=time.monotonic() - started,
        )

    def run(self, model_uri: str, predictions_uri: str | None, wall: float) -> BatchResult:
        """Classify, then write the job's files and the MLflow run; mark it finished."""
        layout, options, state = self.layout, self.options, self.state
        target = predictions_uri or layout.predictions_dir.absolute().as_uri()
        counts = self.classify(target)
        read = counts.written + counts.rejected
        state.chunks = {
            0: ChunkRecord(
                index=0,
                rows_read=read,
                rows_written=counts.written,
                rows_rejected=counts.rejected,
                needs_review=counts.needs_review,
                assigned=counts.assigned,
                clusters=counts.clusters,
                cache=counts.cache,
                reject_reasons=counts.kinds,
                seconds=round(counts.seconds, 4),
                ids_digest="",
            )
        }
        state.n_chunks = 1
        if state.input.get("rows") is None:
            state.input["rows"] = read
        save_state(layout, state)

        rejects_path = Path(options.rejects) if options.rejects else layout.rejects
        write_csv(rejects_path, counts.rejects)
        write_csv(layout.review_queue, counts.queue)
        outputs = {
            "predictions": target,
            "rejects": str(rejects_path),
            "review_queue": str(layout.review_queue),
            "manifest": str(layout.manifest),
        }
        local_predictions = local_path(target)
        files = prediction_files(local_predictions) if local_predictions else []
        if self.single is not None:
            write_parts_as_file(files, self.single)
            outputs["file"] = str(self.single)
        cache = self.cache_path
        handle = EmbeddingCache(cache) if cache is not None else None
        try:
            cache_facts = describe_cache(handle, cache or Path(), self.model)
        finally:
            if handle is not None:
                handle.close()

        def manifest() -> dict[str, Any]:
            data = build_manifest(
                state,
                layout,
                model=model_facts(self.model, model_uri),
                cluster_ids=self.cluster_ids,
                cache=cache_facts,
                outputs=outputs,
                attempt_seconds=time.monotonic() - wall,
            )
            data["chunking"] = {"chunk_rows": None, "chunks": len(files) or None}
            data["review"].update(queue_rows=len(counts.queue), queue_limit=options.review_limit)
            data["engine"] = self.engine_facts()
            return data

        if options.log_to_mlflow and state.mlflow_run_id is None:
            state.mlflow_run_id = _log_run(manifest(), self.settings)
        data = manifest()
        atomic_write_json(layout.manifest, data)
        state.finished, state.finished_at = True, now()
        save_state(layout, state)
        logger.info(
            "%s: %d rows read, %d written, %d rejected with Spark (%s); %s rows/s",
            layout.root,
            read,
            counts.written,
            counts.rejected,
            data["engine"]["master"],
            format_rate(data["timing"]["rows_per_second"]),
        )
        return BatchResult(
            layout,
            self.single or layout.root,
            data,
            chunks_processed=1,
            seconds=time.monotonic() - wall,
        )

    def engine_facts(self) -> dict[str, Any]:
        """The manifest's ``engine`` section."""
        return {
            "name": "spark",
            "spark_version": self.spark.version,
            "master": master_of(self.spark),
            "remote": self.config.remote if is_connect(self.spark) else None,
            "predict": PREDICT_METHOD,
            "partitions": self.partitions,
            "arrow_batch_rows": self.config.arrow_batch_rows,
            "model_archive": self.shipped.archive,
        }


def _log_run(manifest: dict[str, Any], settings: Settings) -> str | None:
    """Log the job as an MLflow run tagged ``engine=spark``; ``None`` if that fails (the
    predictions are written: report, do not fail)."""
    try:
        from mlflow.tracking import MlflowClient

        from clusters.batch.tracking import log_batch_run

        run_id = log_batch_run(manifest, settings)
        MlflowClient(settings.mlflow_uri).set_tag(run_id, "engine", "spark")
        return run_id
    except Exception as exc:
        logger.warning("could not log the batch run to MLflow: %s", exc)
        return None


__all__ = ["SPARK_CHUNK_ROWS", "run_batch_spark", "spark_settings_for"]

"""Batch classification of a whole company base: chunked, cached, resumable, diffable.

=====================  ==========================================================
module                 its one job
=====================  ==========================================================
``engine``             the job: identity checks, the chunk loop, finalisation
``inputs``             discover, fingerprint and stream the input in fixed chunks
``screen``             reject rows (missing / invalid / duplicate id, bad text)
``chunks``             classify one chunk through the embedding cache, commit it
``commit``             atomic, durable file writes and the job lock
``state``              the job identity and the progress journal
``layout``             the job directory's files; reading predictions back
``outputs``            rejects.csv, review_queue.csv, the single output file
``manifest``           manifest.json
``status``             where a job stands, read from its directory (``clusters status``)
``stopping``           SIGTERM / Ctrl-C stop a job cleanly, saying where it stopped
``progress``           progress bar or log lines
``tracking``           the MLflow run of a job
``diff``               churn between two prediction datasets
``spark_engine``       the same job on Apache Spark (``--engine spark``)
``spark_session``      the Spark session: local mode, cluster master, Spark Connect
``spark_input``        the Parquet input for Spark, with row positions
``spark_model``        the model bundle shipped to executors, loaded once per worker
``spark_stages``       what runs on the executors: id normalising, classify stage
``spark_worker``       PySpark worker daemon with the classification code preloaded
=====================  ==========================================================
"""

from __future__ import annotations

from clusters.batch.commit import BatchStateError
from clusters.batch.engine import DEFAULT_CHUNK_ROWS, BatchOptions, BatchResult, run_batch
from clusters.batch.layout import JobLayout, layout_for, read_predictions

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "BatchOptions",
    "BatchResult",
    "BatchStateError",
    "JobLayout",
    "layout_for",
    "read_predictions",
    "run_batch",
]

"""Benchmark the Spark engine's prediction stage: ``mapInArrow`` vs ``mlflow.pyfunc.spark_udf``.

Both classify the same ``company_id,text`` rows (texts prepared from the synthetic demo base,
repeated with a suffix so every text is new) with the same registered model, in one local
Spark session, each timed as a Spark job that computes every prediction
(``write.format("noop")``) after one warm-up run (Python workers started, model loaded):

* ``mapInArrow``: the engine's :class:`~clusters.batch.spark_stages.ClassifyStage` (decode,
  screening, prediction, review priority) on the raw rows;
* ``spark_udf``: MLflow's pandas UDF over the logged pyfunc, ``company_id,text`` in, the
  PREDICTIONS struct out (prediction only).

Usage::

    MLFLOW_TRACKING_URI=sqlite:///mlflow.db python scripts/bench_spark.py \\
        --model models:/company-clusters@champion --rows 4000 --master 'local[2]'
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa


def texts(rows: int) -> pd.DataFrame:
    """``rows`` companies with distinct prepared texts from the demo base."""
    from classifier.text import prepare_texts
    from clusters.company_base import load_company_base
    from clusters.config import get_settings
    from clusters.sic import default_reference

    base = load_company_base(get_settings().paths.demo_companies)
    prepared = prepare_texts(base, default_reference().titles)["text"].tolist()
    return pd.DataFrame(
        {
            "company_id": [f"{i + 1:08d}" for i in range(rows)],
            "text": [f"{prepared[i % len(prepared)]} Site {i}." for i in range(rows)],
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="model URI [champion]")
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import mlflow
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    from clusters.batch.engine import BatchOptions
    from clusters.batch.spark_engine import _SparkJob
    from clusters.batch.spark_input import describe_input, read_input
    from clusters.batch.spark_model import download_model, ship_model
    from clusters.batch.spark_session import SparkSettings, spark_session
    from clusters.batch.spark_stages import DUPLICATE
    from clusters.batch.state import JobIdentity, JobState
    from clusters.config import get_settings
    from clusters.contracts import PREDICTIONS, PROBABILITY_PREFIX

    settings = get_settings()
    model_uri = args.model or f"models:/{settings.model_name}@champion"
    config = SparkSettings(master=args.master)
    with tempfile.TemporaryDirectory() as tmp, spark_session(config) as spark:
        source_path = Path(tmp) / "in.parquet"
        texts(args.rows).to_parquet(source_path)
        source = describe_input(source_path)
        model, bundle = download_model(model_uri, settings, Path(tmp) / "model")
        shipped = ship_model(spark, bundle, model.meta.model_version)
        state = JobState(JobIdentity("", 0, source.mode, "", model_uri), {})
        job = _SparkJob(
            spark,
            source,
            model,
            shipped,
            None,
            None,
            state,
            BatchOptions(use_cache=False),
            settings,
            config,
        )
        whole = job.scored()
        raw = read_input(spark, source).withColumn(DUPLICATE, F.lit(None).cast("boolean"))
        mapped = job.classified(raw)

        probabilities = [PROBABILITY_PREFIX + c for c in model.cluster_ids]
        contract = PREDICTIONS.arrow_schema(probabilities)
        struct = from_arrow_schema(pa.schema([f.with_nullable(True) for f in contract]))
        mlflow.set_tracking_uri(settings.mlflow_uri)
        udf = mlflow.pyfunc.spark_udf(spark, model_uri, result_type=struct, env_manager="local")
        rows = spark.read.parquet(str(source_path))
        if job.partitions:
            rows = rows.repartition(job.partitions)
        udfed = rows.select(udf(F.struct("company_id", "text")).alias("p")).select("p.*")

        variants = {
            "mapInArrow, ids + duplicates + classify (the engine)": whole,
            "mapInArrow, classify only": mapped,
            "spark_udf, predict only": udfed,
        }
        seconds: dict[str, list[float]] = {name: [] for name in variants}
        for repeat in range(args.repeats + 1):  # the first round warms up
            for name, frame in variants.items():
                started = time.perf_counter()
                frame.write.format("noop").mode("overwrite").save()
                if repeat:
                    seconds[name].append(time.perf_counter() - started)
        print(f"{args.rows} rows, master {args.master}, median of {args.repeats} interleaved:")
        for name, times in seconds.items():
            median = statistics.median(times)
            print(f"  {name:55s} {median:6.2f} s  {args.rows / median:6.0f} rows/s")


if __name__ == "__main__":
    main()

"""The Spark engine (``clusters classify --engine spark``) against the in-process engine.

Real Spark in local mode, one session for the whole module (``local[2]``; its JVM start is
most of the time), a tiny model on the static embedder, and Spark Connect through a
Connect server started inside that same session. Skipped, saying why, without pyspark or
Java 17; the error-path tests need neither.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from mlflow.tracking import MlflowClient
from test_batch_engine import POOL, assert_same_predictions
from test_training import FOOD, MEDTECH, OTHER, SPACE, TOY_TAXONOMY, point_at_store
from typer.testing import CliRunner

from clusters import config
from clusters.batch import BatchOptions, BatchStateError, read_predictions, run_batch
from clusters.batch.spark_session import (
    SparkSettings,
    SparkUnavailableError,
    java_problem,
    require_pyspark,
    session_conf,
)
from clusters.cli import app
from clusters.contracts import PREDICTIONS, REJECT_COLUMNS, ContractError

pytestmark = pytest.mark.spark

MODEL_URI = "models:/toy-static@champion"
QUEUE_EXACT = ["company_id", "name", "region_name", "top_label", "labels", "model_version"]
UNSURE = [
    "General engineering workshop.",
    "Consultancy for hospitals and farms.",
    "Mechanical parts supplier.",
    "Packaging for food and medical products.",
]
"""Texts the toy model is unsure about (they go to review)."""


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def connect_port() -> int:
    """Where a Spark Connect server started in the module's session listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def spark(connect_port: int):
    """The one local Spark session of this module (Spark Connect can be started in it)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install '.[spark]'")
    problem = java_problem()
    if problem is not None:
        pytest.skip(problem)
    from clusters.batch.spark_session import spark_session

    conf = {"spark.connect.grpc.binding.port": str(connect_port)}
    with spark_session(SparkSettings(master="local[2]", conf=conf)) as session:
        yield session


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow store with a 3-cluster toy model on the static embedder, ``toy-static``
    (fitted directly: no cross-validated training run, a few seconds); its review
    thresholds send the :data:`UNSURE` texts to review."""
    import mlflow

    from classifier.embedders import EmbedderNotAvailableError, get_embedder
    from classifier.estimator import ClusterClassifier, EmbeddedTexts
    from classifier.model import ClusterModel, ModelMeta
    from classifier.pyfunc import log_pyfunc
    from clusters.taxonomy import load_taxonomy
    from training.tracking import use_experiment

    try:
        embedder = get_embedder("static")
    except EmbedderNotAvailableError as exc:
        pytest.skip(str(exc))
    root = tmp_path_factory.mktemp("spark_store")
    (root / "toy.yaml").write_text(TOY_TAXONOMY)
    taxonomy = load_taxonomy(root / "toy.yaml")
    texts = SPACE + MEDTECH + FOOD + OTHER
    y = np.zeros((len(texts), 3), dtype=int)
    for j, group in enumerate((SPACE, MEDTECH, FOOD)):
        y[[texts.index(t) for t in group], j] = 1
    estimator = ClusterClassifier(multilabel=True, cv=2, random_state=0)
    estimator.fit(EmbeddedTexts(texts, embedder.encode(texts)), y)
    meta = ModelMeta(
        "static",
        embedder.id,
        taxonomy.name,
        taxonomy.version,
        taxonomy.content_hash,
        review_confidence=0.9,
        review_margin=0.5,
    )
    model = ClusterModel(estimator, embedder, taxonomy, meta)
    example = pd.DataFrame({"company_id": ["00000001"], "text": [texts[0]]})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        config.set_settings(None)
        use_experiment(config.get_settings())
        with mlflow.start_run():
            info = log_pyfunc(model, model.save(root / "bundle"), example)
        version = mlflow.register_model(info.model_uri, "toy-static").version
        MlflowClient().set_registered_model_alias("toy-static", "champion", version)
    config.set_settings(None)
    return root


@pytest.fixture
def in_store(store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point this test at the toy store (cache and outputs stay per test)."""
    return point_at_store(store, monkeypatch)


def text_input(folder: Path) -> Path:
    """Two Parquet parts of ``company_id,text,name,employees`` rows (every sixth text an
    unsure one), with one row of each reject kind, a duplicate across parts, and a later good row whose id an earlier row
    with unreadable text already had (still a duplicate)."""
    n = 48
    ids = [f"{i + 1:08d}" for i in range(n)]
    pool = [UNSURE[i % len(UNSURE)] if i % 6 == 1 else POOL[i % len(POOL)] for i in range(n)]
    texts = [f"{text} Site {i}.".encode() for i, text in enumerate(pool)]
    ids[3], ids[8], ids[15] = None, "not a number", "2"  # missing, invalid, duplicate
    texts[20] = b"caf\xff unreadable"  # id 00000021: bad text, then seen again in part b
    frame = pa.table(
        {
            "company_id": pa.array([*ids, "00000021", "00000005"]),
            "text": pa.array([*texts, b"A bakery.", b"Satellites."], pa.binary()),
            "name": pa.array([f"Company {i}" for i in range(n + 2)]),
            "employees": pa.array([float(i % 7 * 10) for i in range(n + 2)]),
        }
    )
    folder.mkdir(parents=True)
    pq.write_table(frame.slice(0, 30), folder / "part-a.parquet")
    pq.write_table(frame.slice(30), folder / "part-b.parquet")
    return folder


def base_input(path: Path, rows: int = 120) -> Path:
    """The first ``rows`` companies of the synthetic demo base as Parquet, plus a missing
    and a repeated id."""
    from clusters.company_base import load_company_base

    base = load_company_base(config.get_settings().paths.demo_companies).head(rows).copy()
    columns = [
        "company_id",
        "name",
        "region_name",
        "sic_codes",
        "website_text",
        "filing_text",
        "employees",
        "turnover",
    ]
    base = base[columns]
    base.loc[5, "company_id"] = None
    base = pd.concat([base, base.iloc[[10]]], ignore_index=True)
    base.to_parquet(path)
    return path


def run_both(source: Path, out: Path, spark, model, **spark_options):
    """The in-process and the Spark result for ``source`` (chunks of 16 rows locally)."""
    from clusters.batch.spark_engine import run_batch_spark

    local = run_batch(
        source,
        out / "local",
        MODEL_URI,
        options=BatchOptions(chunk_rows=16, progress=False),
        model=model,
    )
    on_spark = run_batch_spark(source, out / "spark", MODEL_URI, spark=spark, **spark_options)
    return local, on_spark


def assert_same_job(local_dir: Path, spark_dir: Path) -> None:
    """Same predictions (rows, order, labels, review flags; probabilities to 1e-5), same
    rejects, same review queue."""
    assert_same_predictions(read_predictions(local_dir), read_predictions(spark_dir))
    local_rejects = pd.read_csv(local_dir / "rejects.csv", dtype=str, keep_default_na=False)
    spark_rejects = pd.read_csv(spark_dir / "rejects.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(local_rejects[REJECT_COLUMNS], spark_rejects)
    local_queue = pd.read_csv(local_dir / "review_queue.csv", dtype={"company_id": str})
    spark_queue = pd.read_csv(spark_dir / "review_queue.csv", dtype={"company_id": str})
    assert list(local_queue.columns) == list(spark_queue.columns)
    pd.testing.assert_frame_equal(
        local_queue[QUEUE_EXACT].astype(str), spark_queue[QUEUE_EXACT].astype(str)
    )
    numbers = [c for c in local_queue if c not in QUEUE_EXACT + ["text_hash"]]
    assert len(local_queue) == len(spark_queue)
    np.testing.assert_allclose(
        local_queue[numbers].to_numpy(float), spark_queue[numbers].to_numpy(float), atol=1e-5
    )


@pytest.fixture(scope="module")
def text_jobs(spark, store: Path, tmp_path_factory: pytest.TempPathFactory):
    """The text input classified by both engines (once for the module)."""
    from classifier.classify import resolve_model

    root = tmp_path_factory.mktemp("text_jobs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
        patch.setenv("CLUSTERS_PATHS__CACHE_DIR", str(root / "cache"))
        config.set_settings(None)
        source = text_input(root / "input")
        model = resolve_model(MODEL_URI)
        local, on_spark = run_both(source, root, spark, model)
    config.set_settings(None)
    return source, local, on_spark


# --- the Spark engine equals the in-process engine -------------------------------------------


def test_text_input_gives_the_local_engines_results(text_jobs):
    _, local, on_spark = text_jobs
    assert_same_job(local.layout.root, on_spark.layout.root)
    rejects = pd.read_csv(on_spark.layout.rejects, dtype=str, keep_default_na=False)
    assert rejects[["source", "row", "company_id"]].values.tolist() == [
        ["part-a.parquet", "4", ""],
        ["part-a.parquet", "9", "not a number"],
        ["part-a.parquet", "16", "00000002"],
        ["part-a.parquet", "21", "00000021"],
        ["part-b.parquet", "19", "00000021"],
        ["part-b.parquet", "20", "00000005"],
    ]
    assert [r.split(" ")[0] for r in rejects["reason"]] == [
        "company_id",
        "company_id",
        "duplicate",
        "text",
        "duplicate",
        "duplicate",
    ]
    assert json.loads(rejects["record"].iloc[1])["name"] == "Company 8"
    files = sorted(p.name for p in on_spark.layout.predictions_dir.iterdir())
    assert all(f.startswith(("part-", "_", ".")) for f in files) and "_SUCCESS" in files


def test_company_base_gives_the_local_engines_results(spark, in_store, tmp_path):
    from classifier.classify import resolve_model

    source = base_input(tmp_path / "base.parquet")
    local, on_spark = run_both(source, tmp_path, spark, resolve_model(MODEL_URI))
    assert on_spark.manifest["input"]["mode"] == "base"
    assert on_spark.manifest["rows"] == local.manifest["rows"]
    assert on_spark.manifest["rows"]["rejected_by_kind"] == {"missing_id": 1, "duplicate_id": 1}
    assert_same_job(local.layout.root, on_spark.layout.root)
    queue = pd.read_csv(on_spark.layout.review_queue)
    assert len(queue) and queue["name"].notna().all()  # who the company is, from the base


def test_manifest_mlflow_run_and_reruns(text_jobs, spark, in_store):
    from clusters.batch.spark_engine import run_batch_spark

    source, local, on_spark = text_jobs
    manifest = json.loads(on_spark.layout.manifest.read_text())
    assert manifest == on_spark.manifest and manifest["status"] == "finished"
    same = ("input", "rows", "review", "clusters")
    assert {k: manifest[k] for k in same} == {k: local.manifest[k] for k in same}
    assert manifest["input"]["fingerprint"] == local.manifest["input"]["fingerprint"]
    model = manifest["model"]
    assert model["uri"] == MODEL_URI and model["version"] == "toy-static/v1"
    assert model["taxonomy_hash"] == local.manifest["model"]["taxonomy_hash"]
    assert manifest["rows"]["read"] == 50 and manifest["rows"]["rejected"] == 6
    assert manifest["review"]["needs_review"] > 0
    engine = manifest["engine"]
    assert engine["name"] == "spark" and engine["master"] == "local[2]"
    assert engine["predict"] == "mapInArrow" and engine["partitions"] == 4
    assert manifest["timing"]["rows_per_second"] > 0
    assert manifest["timing"]["started_at"] <= manifest["timing"]["finished_at"]
    assert manifest["cache"]["path"].endswith("embeddings.sqlite")  # local mode: shared disk
    assert manifest["outputs"]["predictions"].startswith("file:")

    run = MlflowClient(config.get_settings().mlflow_uri).get_run(manifest["mlflow_run_id"])
    assert run.data.tags["job"] == "batch-classify" and run.data.tags["engine"] == "spark"
    assert run.data.metrics["rows_written"] == manifest["rows"]["written"]

    again = run_batch_spark(source, on_spark.layout.root, MODEL_URI, spark=spark)
    assert again.skipped and again.manifest == manifest
    with pytest.raises(BatchStateError, match="chunk_rows 0 -> 16"):
        run_batch(source, on_spark.layout.root, MODEL_URI, options=BatchOptions(chunk_rows=16))
    with pytest.raises(BatchStateError, match="chunk_rows 16 -> 0.*--force"):
        run_batch_spark(source, local.layout.root, MODEL_URI, spark=spark)


def test_an_input_listed_by_spark_matches_the_local_description(text_jobs, spark):
    from clusters.batch.spark_input import describe_input, describe_listed, read_input

    source = text_jobs[0]
    local = describe_input(source)
    listed = describe_listed(source.as_uri(), spark)
    assert listed.part_names == local.part_names == ["part-a.parquet", "part-b.parquet"]
    assert listed.parts == local.parts
    assert (listed.mode, listed.columns) == (local.mode, local.columns)
    assert listed.facts["fingerprint_method"] == "metadata" and listed.facts["parts"] == 2
    assert read_input(spark, listed).count() == 50
    with pytest.raises(FileNotFoundError, match="cannot list"):
        describe_listed((source / "nothing").as_uri(), spark)


def test_spark_connect_gives_the_same_results(text_jobs, spark, connect_port, in_store, tmp_path):
    pytest.importorskip("grpc", reason="Spark Connect client: pip install 'pyspark[connect]'")
    from clusters.batch.spark_engine import run_batch_spark

    jvm = spark.sparkContext._jvm
    connect = jvm.org.apache.spark.sql.connect.service.SparkConnectService
    connect.start(spark.sparkContext._jsc.sc())
    try:
        source, local, _ = text_jobs
        url = f"sc://127.0.0.1:{connect_port}"
        result = run_batch_spark(source, tmp_path / "job", MODEL_URI, remote=url)
    finally:
        connect.stop(getattr(connect, "stop$default$1")(), getattr(connect, "stop$default$2")())
    engine = result.manifest["engine"]
    assert engine["remote"] == url and engine["master"] == "local[2]"
    assert result.manifest["cache"]["path"] is None  # the server's disk is not ours
    assert_same_job(local.layout.root, result.layout.root)


def test_cli_engine_spark_writes_one_file(text_jobs, spark, in_store, tmp_path):
    source, local, _ = text_jobs
    out = tmp_path / "predictions.parquet"
    command = [
        "classify",
        "--input",
        str(source),
        "--output",
        str(out),
        "--model",
        MODEL_URI,
        "--engine",
        "spark",
        "--spark-master",
        "local[2]",
        "--no-cache",
    ]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    assert "44 companies classified by toy-static/v1" in result.output
    assert "6 rejected" in result.output
    assert_same_predictions(read_predictions(local.layout.root), pd.read_parquet(out))
    _, broken = PREDICTIONS.validate(pd.read_parquet(out))
    assert broken.empty
    manifest = json.loads((tmp_path / "predictions.parquet.batch" / "manifest.json").read_text())
    assert manifest["cache"]["path"] is None and manifest["outputs"]["file"] == str(out)


# --- error paths (no Spark needed) -----------------------------------------------------------


def test_missing_pyspark_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # what an absent package looks like
    with pytest.raises(SparkUnavailableError, match=r"pip install '\.\[spark\]'"):
        require_pyspark()
    source = tmp_path / "in.parquet"
    pd.DataFrame({"company_id": ["00000001"], "text": ["Satellites."]}).to_parquet(source)
    result = CliRunner().invoke(
        app, ["classify", "-i", str(source), "-o", str(tmp_path / "out"), "--engine", "spark"]
    )
    assert result.exit_code == 2
    assert "needs pyspark" in result.output and "pip install '.[spark]'" in result.output


def test_missing_or_old_java_is_named(tmp_path):
    assert "no Java found (PATH)" in java_problem({"PATH": str(tmp_path)})
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    java.chmod(0o755)
    assert "is Java 11; the Spark engine needs Java 17" in java_problem({"JAVA_HOME": str(home)})
    java.write_text("#!/bin/sh\necho 'openjdk version \"17.0.15\" 2025-04-15' >&2\n")
    assert java_problem({"JAVA_HOME": str(home)}) is None


def test_options_and_inputs_refused_with_reasons(tmp_path):
    from classifier.classify import classify_file
    from clusters.batch.spark_input import describe_input

    csv = tmp_path / "in.csv"
    pd.DataFrame({"company_id": ["00000001"], "text": ["Satellites."]}).to_csv(csv, index=False)
    with pytest.raises(ContractError, match="reads Parquet.*--engine local"):
        describe_input(csv)
    with pytest.raises(ValueError, match="spark_master need"):
        classify_file(csv, tmp_path / "out", engine="local", spark_master="local[2]")
    with pytest.raises(ValueError, match="starts with sc://"):
        SparkSettings(remote="localhost:15002")
    result = CliRunner().invoke(
        app, ["classify", "-i", str(csv), "-o", str(tmp_path / "o"), "--spark-remote", "sc://h:1"]
    )
    assert result.exit_code == 2 and "need(s) engine 'spark'" in result.output


def test_local_mode_settings():
    conf = session_conf(SparkSettings())
    assert conf["spark.sql.shuffle.partitions"] == "4"  # local[2,3]: 2 cores
    assert conf["spark.ui.enabled"] == "false" and conf["spark.ui.showConsoleProgress"] == "false"
    assert conf["spark.sql.execution.arrow.pyspark.enabled"] == "true"
    assert conf["spark.python.daemon.module"] == "clusters.batch.spark_worker"
    cluster = session_conf(SparkSettings(master="yarn", conf={"spark.executor.memory": "8g"}))
    assert "spark.ui.enabled" not in cluster and cluster["spark.executor.memory"] == "8g"

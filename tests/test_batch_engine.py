"""The batch engine end to end with a real (tiny) model: resume after SIGKILL, idempotence,
the embedding cache and the probabilities kept beside it, rejects, manifest, MLflow run,
single-file outputs and churn."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from test_training import FOOD, MEDTECH, OTHER, SPACE, point_at_store, train_toy_store
from typer.testing import CliRunner

from clusters import config
from clusters.batch import BatchOptions, BatchStateError, read_predictions, run_batch
from clusters.batch.commit import lock_holder
from clusters.batch.diff import diff_datasets
from clusters.batch.status import job_status
from clusters.cli import app
from clusters.contracts import PREDICTIONS

pytestmark = pytest.mark.slow

MODEL_URI = "models:/toy@champion"
POOL = SPACE + MEDTECH + FOOD + OTHER
EXACT_COLUMNS = ["company_id", "labels", "top_label", "needs_review", "model_version", "text_hash"]


@pytest.fixture(scope="session")
def toy_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow store holding a trained 3-cluster toy model ``toy`` (trained once)."""
    return train_toy_store(tmp_path_factory.mktemp("toy_store"), "toy")


@pytest.fixture(scope="session")
def toy_model(toy_store: Path):
    """The toy model loaded once (``model_version`` = ``toy/v1``)."""
    from classifier.classify import resolve_model

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{toy_store / 'mlflow.db'}")
        config.set_settings(None)
        model = resolve_model(MODEL_URI)
    config.set_settings(None)
    return model


@pytest.fixture
def store(toy_store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point this test at the toy store (its cache and outputs stay per test)."""
    return point_at_store(toy_store, monkeypatch)


def companies(n: int, edit: tuple[int, ...] = ()) -> pd.DataFrame:
    """``n`` synthetic companies with texts from the toy pools (rows in ``edit`` changed)."""
    texts = [f"{POOL[i % len(POOL)]} Site {i // len(POOL)}." for i in range(n)]
    for i in edit:
        texts[i] = f"{texts[i]} Now also making bread."
    return pd.DataFrame({"company_id": [f"{i + 1:08d}" for i in range(n)], "text": texts})


def run(source: Path, output: Path, model, **options) -> object:
    options.setdefault("chunk_rows", 10)
    options.setdefault("progress", False)
    return run_batch(source, output, MODEL_URI, options=BatchOptions(**options), model=model)


def assert_same_predictions(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert len(a) == len(b) and a["company_id"].is_unique
    pd.testing.assert_frame_equal(
        a[EXACT_COLUMNS].reset_index(drop=True).astype(str),
        b[EXACT_COLUMNS].reset_index(drop=True).astype(str),
    )
    probs = [c for c in a if c.startswith("p_")] + ["confidence"]
    np.testing.assert_allclose(a[probs].to_numpy(float), b[probs].to_numpy(float), atol=1e-5)


def _processes_running(marker: str) -> list[int]:
    """Pids of live processes whose command line contains ``marker``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
                state = (entry / "stat").read_text().split(") ")[-1][:1]
            except OSError:
                continue
            if marker in cmdline and state != "Z":
                pids.append(int(entry.name))
    return pids


def classify_then_signal(
    source: Path, out: Path, sig: int
) -> tuple[subprocess.Popen, str, list[str], object]:
    """Run ``clusters classify`` (chunks of 10) in a subprocess and send it ``sig`` once two
    chunks are committed; returns the (ended) process, its output, the command and the job's
    status as read from another process while it ran."""
    command = [
        sys.executable,
        "-m",
        "clusters.cli",
        "classify",
        "--input",
        str(source),
        "--output",
        str(out),
        "--model",
        MODEL_URI,
        "--chunk-rows",
        "10",
        "--no-progress",
    ]
    process = subprocess.Popen(
        command, cwd=out.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    journal = out / "_state" / "progress.json"
    deadline = time.monotonic() + 300
    seen_running = None
    while process.poll() is None and time.monotonic() < deadline:
        try:
            committed = len(json.loads(journal.read_text())["chunks"])
        except (FileNotFoundError, ValueError, KeyError):
            committed = 0
        if committed >= 1 and seen_running is None:
            seen_running = job_status(out)  # read while the job runs, from another process
        if committed >= 2:
            os.kill(process.pid, sig)
            break
        time.sleep(0.005)
    output = process.communicate(timeout=60)[0].decode(errors="replace")
    deadline = time.monotonic() + 10
    while _processes_running(str(out)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _processes_running(str(out)), "worker processes die with the job"
    return process, output, command, seen_running


@pytest.mark.parametrize("workers", [1, 2])
def test_killed_job_resumes_to_the_result_of_a_clean_run(
    store, toy_model, tmp_path, monkeypatch, workers
):
    monkeypatch.setenv("CLUSTERS_BATCH__WORKERS", str(workers))
    source = tmp_path / "in.csv"
    companies(120).to_csv(source, index=False)
    out = tmp_path / "job"
    journal = out / "_state" / "progress.json"
    process, output, command, seen_running = classify_then_signal(source, out, signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL, output[-3000:]
    state = json.loads(journal.read_text())
    assert not state["finished"] and 2 <= len(state["chunks"]) < 12
    assert seen_running.state == "running" and seen_running.pid == process.pid
    assert seen_running.rows_total == 120 and seen_running.chunks_total == 12
    assert seen_running.rows_per_second > 0 and seen_running.eta_seconds is not None

    stopped = CliRunner().invoke(app, ["status", str(out)])
    done = len(state["chunks"])
    assert stopped.exit_code == 0, stopped.output
    assert "stopped before the end (stopped, killed or failed)" in stopped.output
    assert "run the same `clusters classify` command again to resume" in stopped.output
    assert f"chunks    {done} of 12 committed" in stopped.output
    assert f"rows      {done * 10} of 120 read ({done * 10 / 120:.0%})" in stopped.output
    assert "left" not in stopped.output  # no time left is promised for a stopped job

    # started again with the same arguments (in this process, to save a model load)
    resumed = CliRunner().invoke(app, command[3:])
    assert resumed.exit_code == 0, resumed.output
    assert "(resumed)" in resumed.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["timing"]["attempts"] == 2
    finished = json.loads(CliRunner().invoke(app, ["status", str(out), "--json"]).output)
    assert (finished["state"], finished["chunks_done"], finished["rows_written"]) == (
        "finished",
        12,
        120,
    )
    assert finished["attempts"] == 2 and finished["pid"] is None
    assert manifest["rows"] == {"read": 120, "written": 120, "rejected": 0, "rejected_by_kind": {}}
    assert sorted(p.name for p in (out / "predictions").iterdir()) == [
        f"part-{k:05d}.parquet" for k in range(12)
    ]

    # a clean, uninterrupted run from a cold cache gives the same rows and values
    monkeypatch.setenv("CLUSTERS_PATHS__CACHE_DIR", str(tmp_path / "cold-cache"))
    config.set_settings(None)
    clean = run(source, tmp_path / "clean", toy_model)
    assert clean.manifest["cache"]["hits"] == 0
    assert_same_predictions(read_predictions(out), read_predictions(tmp_path / "clean"))
    assert diff_datasets(out, tmp_path / "clean").churn_rate == 0.0


@pytest.mark.parametrize(
    ("sig", "workers", "name", "code"),
    [
        (signal.SIGTERM, 1, "SIGTERM", 143),
        (signal.SIGTERM, 2, "SIGTERM", 143),
        (signal.SIGINT, 1, "Ctrl-C", 130),
    ],
)
def test_sigterm_or_ctrl_c_stops_the_job_cleanly_says_where_and_it_resumes(
    store, toy_model, tmp_path, monkeypatch, sig, workers, name, code
):
    """A scheduler's SIGTERM or Ctrl-C: the job unwinds, says how far it got and exits."""
    monkeypatch.setenv("CLUSTERS_BATCH__WORKERS", str(workers))
    source = tmp_path / "in.csv"
    companies(120).to_csv(source, index=False)
    out = tmp_path / "job"
    process, output, command, _ = classify_then_signal(source, out, sig)
    assert process.returncode == code, output[-3000:]
    done = len(json.loads((out / "_state" / "progress.json").read_text())["chunks"])
    assert 2 <= done < 12
    assert (
        f"error: stopped by {name}: {done} of 12 chunks ({done * 10} rows) are committed; "
        "run the same command to resume from there"
    ) in output
    assert "Traceback" not in output
    assert lock_holder(out / "_state" / "lock") is None  # released
    resumed = CliRunner().invoke(app, command[3:])
    assert resumed.exit_code == 0 and "(resumed)" in resumed.output
    predictions = read_predictions(out)
    assert len(predictions) == 120 and predictions["company_id"].is_unique


def test_worker_processes_give_the_same_result_as_one(store, toy_model, tmp_path, monkeypatch):
    source = tmp_path / "in.parquet"
    companies(95).to_parquet(source, index=False)
    one = run(source, tmp_path / "one", toy_model)
    monkeypatch.setenv("CLUSTERS_BATCH__WORKERS", "3")
    config.set_settings(None)
    three = run(source, tmp_path / "three", toy_model)
    assert three.chunks_processed == 10
    assert three.manifest["rows"] == one.manifest["rows"]
    assert three.manifest["clusters"] == one.manifest["clusters"]
    assert three.manifest["cache"]["hits"] == 95, "workers read the cache the first run filled"
    assert three.manifest["cache"]["prediction_hits"] == 95, "and its probabilities"
    assert three.manifest["timing"]["processing_seconds"] > 0
    assert three.manifest["memory"]["workers"] == 3 and one.manifest["memory"]["workers"] == 1
    assert three.manifest["memory"]["worker_peak_rss_mb"] > 0
    assert_same_predictions(read_predictions(tmp_path / "one"), read_predictions(three.output))
    queue = [pd.read_csv(r.layout.review_queue, dtype=str) for r in (one, three)]
    pd.testing.assert_frame_equal(queue[0], queue[1])
    # a fresh cache is filled by the workers (each with its own connection)
    monkeypatch.setenv("CLUSTERS_PATHS__CACHE_DIR", str(tmp_path / "fresh-cache"))
    config.set_settings(None)
    filled = run(source, tmp_path / "filled", toy_model)
    assert filled.manifest["cache"]["hits"] == 0 and filled.manifest["cache"]["size"] == 95
    assert filled.manifest["cache"]["predictions_size"] == 95
    # the option wins over the setting
    single = run(source, tmp_path / "single", toy_model, workers=1)
    assert single.manifest["memory"]["workers"] == 1


def test_auto_workers_follow_the_embedder():
    from clusters.batch.workers import workers_for

    class Static:
        single_threaded = True

    assert workers_for(0, object()) == 1, "MiniLM and ONNX use every core already"
    assert workers_for(0, Static()) >= 1 and workers_for(4, Static()) == 4


def test_crash_between_part_commit_and_journal_is_redone(store, toy_model, tmp_path, monkeypatch):
    import clusters.batch.engine as engine

    source = tmp_path / "in.csv"
    companies(40).to_csv(source, index=False)
    real_save, calls = engine.save_state, []

    def crash_on_third_chunk(layout, state):
        calls.append(len(state.chunks))
        if len(state.chunks) == 3:
            raise KeyboardInterrupt  # the part file of chunk 2 is committed, the journal not
        real_save(layout, state)

    monkeypatch.setattr(engine, "save_state", crash_on_third_chunk)
    with pytest.raises(KeyboardInterrupt):
        run(source, tmp_path / "job", toy_model)
    assert (tmp_path / "job" / "predictions" / "part-00002.parquet").is_file()
    (tmp_path / "job" / "predictions" / ".part-00003.parquet.999.tmp").write_bytes(b"torn")
    monkeypatch.setattr(engine, "save_state", real_save)
    result = run(source, tmp_path / "job", toy_model)
    assert result.resumed and result.chunks_processed == 2  # chunks 2 and 3
    assert not list((tmp_path / "job").rglob("*.tmp"))
    clean = run(source, tmp_path / "clean", toy_model)
    assert_same_predictions(read_predictions(tmp_path / "job"), read_predictions(clean.output))


def test_rerun_is_a_noop_force_redoes_and_other_arguments_are_refused(store, toy_model, tmp_path):
    source = tmp_path / "in.parquet"
    companies(30).to_parquet(source)
    out = tmp_path / "job"
    first = run(source, out, toy_model)
    assert not first.skipped and first.chunks_processed == 3
    parts = {p: p.stat().st_mtime_ns for p in (out / "predictions").iterdir()}

    again = run(source, out, toy_model)
    assert again.skipped and again.chunks_processed == 0
    assert {p: p.stat().st_mtime_ns for p in (out / "predictions").iterdir()} == parts
    assert again.manifest == first.manifest

    with pytest.raises(BatchStateError, match=r"chunk_rows 10 -> 20.*--force"):
        run(source, out, toy_model, chunk_rows=20)
    companies(31).to_parquet(source)
    with pytest.raises(BatchStateError, match="input_fingerprint"):
        run(source, out, toy_model)

    forced = run(source, out, toy_model, force=True, chunk_rows=20)
    assert not forced.skipped and forced.chunks_processed == 2
    assert forced.manifest["cache"]["hit_rate"] > 0.9  # 30 of 31 texts were cached
    assert len(read_predictions(out)) == 31
    assert sorted(p.name for p in (out / "predictions").iterdir()) == [
        "part-00000.parquet",
        "part-00001.parquet",
    ]
    with pytest.raises(BatchStateError, match="not a batch job directory"):
        run(source, tmp_path, toy_model)  # a non-empty folder that is not a job


def test_cache_hits_on_rerun_and_only_changed_texts_are_embedded(store, toy_model, tmp_path):
    source = tmp_path / "in.csv"
    frame = companies(60)
    frame.loc[50:, "text"] = frame["text"].iloc[0]  # ten repeats of one text
    frame.to_csv(source, index=False)
    cold = run(source, tmp_path / "cold", toy_model).manifest["cache"]
    assert cold["texts_embedded"] == 50 and cold["size"] >= 50

    warm = run(source, tmp_path / "warm", toy_model).manifest["cache"]
    assert warm["hit_rate"] == 1.0 and warm["texts_embedded"] == 0

    edited = companies(60, edit=(3, 17, 41))
    edited.loc[50:, "text"] = edited["text"].iloc[0]
    edited.to_csv(source, index=False)
    changed = run(source, tmp_path / "edited", toy_model).manifest["cache"]
    assert changed["texts_embedded"] == 3
    assert changed["size"] == cold["size"] + 3

    # same model, same data: no churn; three edited texts: churn only with cause
    assert diff_datasets(tmp_path / "cold", tmp_path / "warm").churn_rate == 0.0
    edits = diff_datasets(tmp_path / "cold", tmp_path / "edited")
    assert set(edits.changes["reason"]) <= {"text changed"}


def test_chunk_size_and_cache_come_from_the_settings(store, toy_model, tmp_path, monkeypatch):
    source = tmp_path / "in.csv"
    companies(20).to_csv(source, index=False)
    monkeypatch.setenv("CLUSTERS_BATCH__CHUNK_ROWS", "7")
    monkeypatch.setenv("CLUSTERS_BATCH__CACHE", "never")
    config.set_settings(None)
    options = BatchOptions(progress=False, log_to_mlflow=False)
    result = run_batch(source, tmp_path / "job", MODEL_URI, options=options, model=toy_model)
    manifest = result.manifest
    assert manifest["chunking"]["chunk_rows"] == 7 and manifest["chunking"]["chunks"] == 3
    assert manifest["cache"]["path"] is None and manifest["cache"]["hits"] == 0
    assert not (tmp_path / "cache").exists()


def test_cache_policy_skips_embedders_not_worth_caching():
    from types import SimpleNamespace

    from clusters.batch.engine import cache_enabled
    from clusters.config import load_settings

    cheap, dear, plain = (
        SimpleNamespace(cache_worthwhile=False),
        SimpleNamespace(cache_worthwhile=True),
        SimpleNamespace(),
    )
    for policy, expected in [("auto", [False, True, True]), ("always", [True] * 3)]:
        settings = load_settings(env={"CLUSTERS_BATCH__CACHE": policy})
        got = [cache_enabled(BatchOptions(), settings, e) for e in (cheap, dear, plain)]
        assert got == expected
        assert not cache_enabled(BatchOptions(use_cache=False), settings, dear)
    never = load_settings(env={"CLUSTERS_BATCH__CACHE": "never"})
    assert not cache_enabled(BatchOptions(), never, dear)


def test_rejects_manifest_review_queue_and_mlflow_run(store, toy_model, tmp_path):
    source = tmp_path / "in.csv"
    good = companies(25)
    lines = [f'{cid},"{text}"' for cid, text in good.itertuples(index=False)]
    lines[4] = ",no id here"
    lines[12] = "00000002,a duplicate of row 2 in another chunk"
    lines[20] = "00000021,caf\udcff unreadable"
    payload = ("company_id,text\n" + "\n".join(lines) + "\n").encode("utf-8", "surrogateescape")
    source.write_bytes(payload)
    result = run(source, tmp_path / "job", toy_model, chunk_rows=8)
    job = tmp_path / "job"

    rejects = pd.read_csv(job / "rejects.csv", dtype=str)
    assert rejects["row"].tolist() == ["5", "13", "21"]
    assert rejects["company_id"].fillna("").tolist() == ["", "00000002", "00000021"]
    assert [r.split(" ")[0] for r in rejects["reason"]] == ["company_id", "duplicate", "text"]

    predictions = read_predictions(job)
    _, broken = PREDICTIONS.validate(predictions)
    assert broken.empty and len(predictions) == 22 and predictions["company_id"].is_unique

    manifest = json.loads((job / "manifest.json").read_text())
    assert manifest == result.manifest
    assert manifest["status"] == "finished"
    assert manifest["input"]["mode"] == "text" and manifest["input"]["rows"] == 25
    assert manifest["input"]["fingerprint_method"] == "content"
    model = manifest["model"]
    assert model["uri"] == MODEL_URI and model["version"] == "toy/v1"
    assert model["embedder_id"] == toy_model.embedder.id
    assert model["taxonomy_hash"] == toy_model.meta.taxonomy_hash
    assert manifest["chunking"] == {"chunk_rows": 8, "chunks": 4, "chunks_done": [0, 1, 2, 3]}
    assert manifest["rows"] == {
        "read": 25,
        "written": 22,
        "rejected": 3,
        "rejected_by_kind": {"missing_id": 1, "duplicate_id": 1, "bad_text": 1},
    }
    assert manifest["timing"]["rows_per_second"] > 0 and manifest["timing"]["attempts"] == 1
    assert manifest["cache"]["lookups"] == 22 and manifest["cache"]["size"] >= 22
    needs_review = int(predictions["needs_review"].sum())
    assert manifest["review"] == {
        "needs_review": needs_review,
        "share": round(needs_review / 22, 4),
        "queue_rows": needs_review,
        "queue_limit": 100_000,
    }
    exploded = predictions["labels"].str.split(";").explode()
    counts = exploded[exploded != ""].value_counts().to_dict()
    assert manifest["clusters"]["counts"] == {
        c: counts.get(c, 0) for c in ["space", "medtech", "food"]
    }
    assert manifest["memory"]["peak_rss_mb"] > 0

    queue = pd.read_csv(job / "review_queue.csv", dtype={"company_id": str})
    assert set(queue["company_id"]) == set(
        predictions.loc[predictions["needs_review"], "company_id"]
    )
    assert queue["priority"].is_monotonic_decreasing

    client = MlflowClient(config.get_settings().mlflow_uri)
    run_ = client.get_run(manifest["mlflow_run_id"])
    assert run_.data.tags["job"] == "batch-classify"
    assert (run_.data.tags["model_name"], run_.data.tags["model_version"]) == ("toy", "1")
    assert run_.data.metrics["rows_written"] == 22 and run_.data.metrics["rows_rejected"] == 3
    assert run_.data.metrics["share_needing_review"] == manifest["review"]["share"]
    assert "cluster_count__space" in run_.data.metrics and "cache_hit_rate" in run_.data.metrics


def test_single_file_outputs_and_a_directory_of_parts(store, toy_model, tmp_path):
    frame = companies(24)
    parts = tmp_path / "parts"
    parts.mkdir()
    frame.iloc[:10].to_parquet(parts / "part-0.parquet")
    frame.iloc[10:].to_csv(parts / "part-1.csv", index=False)
    (parts / "_SUCCESS").write_text("")
    as_dir = run(parts, tmp_path / "job", toy_model, chunk_rows=7)
    as_parquet = run(parts, tmp_path / "p.parquet", toy_model, chunk_rows=7)
    as_csv = run(parts, tmp_path / "p.csv", toy_model, chunk_rows=7)
    assert as_parquet.output == tmp_path / "p.parquet"
    assert (tmp_path / "p.parquet.batch" / "manifest.json").is_file()
    by_dir = read_predictions(as_dir.output)
    assert by_dir["company_id"].tolist() == frame["company_id"].tolist()
    assert_same_predictions(by_dir, pd.read_parquet(tmp_path / "p.parquet"))
    csv = pd.read_csv(tmp_path / "p.csv", dtype={"company_id": str}, keep_default_na=False)
    assert_same_predictions(by_dir, csv)
    assert as_csv.manifest["input"]["parts"] == 2

    by_file = job_status(tmp_path / "p.parquet")  # the job behind a single-file output
    assert by_file.job == str(tmp_path / "p.parquet.batch") and by_file.state == "finished"
    assert (by_file.chunks_done, by_file.chunks_total, by_file.rows_read) == (4, 4, 24)

    as_gz = run(parts, tmp_path / "p.CSV.gz", toy_model, chunk_rows=7)
    gz = tmp_path / "p.CSV.gz"
    assert as_gz.output == gz and gz.read_bytes()[:2] == b"\x1f\x8b"  # gzip, not plain text
    assert gzip.decompress(gz.read_bytes()) == (tmp_path / "p.csv").read_bytes()
    assert_same_predictions(by_dir, read_predictions(gz))
    first = gz.read_bytes()
    run(parts, gz, toy_model, chunk_rows=7, force=True)
    assert gz.read_bytes() == first  # no timestamp in the gzip header: same predictions, same bytes


# --- reuse of prepared texts and probabilities (clusters/batch/reuse.py) ------------------------


def company_base(n: int, edit: tuple[int, ...] = ()) -> pd.DataFrame:
    """``n`` companies as a company base (text is prepared from name, website, SIC codes)."""
    texts = companies(n, edit)["text"]
    return pd.DataFrame(
        {
            "company_id": [f"{i + 1:08d}" for i in range(n)],
            "name": [f"Company {i} Limited" for i in range(n)],
            "website_text": texts,
            "filing_text": [None if i % 3 else "Principal activity: trading." for i in range(n)],
            "sic_codes": [["62012"] if i % 2 else [] for i in range(n)],
        }
    )


def assert_identical(a: Path, b: Path) -> None:
    """The same predictions to the bit (every column, probabilities included)."""
    pd.testing.assert_frame_equal(read_predictions(a), read_predictions(b), check_exact=True)


def run_without_reuse(source: Path, output: Path, model, monkeypatch) -> object:
    """A job with the vector cache but without stored probabilities (vectors from the same
    cache, so the same to the bit: without any cache, a transformer's vector can move by
    ~1e-7 with the texts that share its forward batch)."""
    with monkeypatch.context() as patch:
        patch.setenv("CLUSTERS_BATCH__CACHE_PREDICTIONS", "false")
        config.set_settings(None)
        result = run(source, output, model)
    config.set_settings(None)
    assert result.manifest["cache"]["prediction_hits"] == 0
    return result


def test_scoring_a_text_does_not_depend_on_the_texts_beside_it(toy_model):
    """What reusing stored probabilities relies on: a row's probabilities are the same bits
    whether it is scored alone, in a subset or with every other text."""
    from classifier.estimator import EmbeddedTexts

    texts = companies(40)["text"].tolist()
    vectors = toy_model.embedder.encode(texts)
    every = toy_model.estimator.predict_proba(EmbeddedTexts(texts, vectors))
    rows = np.array([3, 17, 18, 39])
    some = toy_model.estimator.predict_proba(EmbeddedTexts([texts[i] for i in rows], vectors[rows]))
    alone = toy_model.estimator.predict_proba(EmbeddedTexts(texts[5:6], vectors[5:6]))
    assert np.array_equal(every[rows], some) and np.array_equal(every[5:6], alone)


def test_probabilities_are_kept_only_for_models_scoring_rows_alone(toy_model):
    import copy

    from classifier.model import scores_rows_alone

    assert scores_rows_alone(toy_model.estimator) and toy_model.prediction_key() is not None
    for change in ({"base_models_": [object()]}, {"features": "embedding"}):
        dense = copy.copy(toy_model)
        dense.estimator = copy.copy(toy_model.estimator)
        vars(dense.estimator).update(change)  # scored with dense products: last bits vary
        assert not scores_rows_alone(dense.estimator) and dense.prediction_key() is None


@pytest.mark.parametrize("kind", ["base", "text"])
def test_rerun_reuses_probabilities_and_gives_the_same_bits(
    store, toy_model, tmp_path, monkeypatch, kind
):
    make = company_base if kind == "base" else companies
    source = tmp_path / "in.parquet"
    make(60).to_parquet(source)
    cold = run(source, tmp_path / "cold", toy_model).manifest["cache"]
    assert cold["prediction_hits"] == 0 and cold["predictions_size"] == 60
    assert cold["prediction_key"] == toy_model.prediction_key()
    assert cold["prediction_key"].startswith("toy/v1|bundle:")
    same = run(source, tmp_path / "same", toy_model).manifest["cache"]
    assert same["prediction_hits"] == 60 and same["texts_embedded"] == 0
    run(source, tmp_path / "uncached", toy_model, use_cache=False)
    assert_identical(tmp_path / "same", tmp_path / "cold")
    assert_identical(tmp_path / "same", tmp_path / "uncached")

    make(60, edit=(3, 17, 41)).to_parquet(source)
    warm = run(source, tmp_path / "warm", toy_model).manifest["cache"]
    assert warm["texts_embedded"] == 3, "only the changed texts are embedded and scored"
    assert warm["prediction_hits"] == 57 and warm["hits"] == 57
    assert warm["rows_recalled"] == (57 if kind == "base" else 0)
    assert warm["predictions_size"] == 63

    run_without_reuse(source, tmp_path / "scored", toy_model, monkeypatch)
    assert_identical(tmp_path / "warm", tmp_path / "scored")
    fresh = run(source, tmp_path / "fresh", toy_model, use_cache=False).manifest["cache"]
    assert fresh["path"] is None and fresh["prediction_hits"] == 0
    assert_same_predictions(
        read_predictions(tmp_path / "warm"), read_predictions(tmp_path / "fresh")
    )
    edits = diff_datasets(tmp_path / "cold", tmp_path / "warm")
    assert set(edits.changes["reason"]) <= {"text changed"}


def test_another_model_never_reuses_stored_probabilities(store, toy_model, tmp_path, monkeypatch):
    import copy

    from classifier.model import ClusterModel

    source = tmp_path / "in.parquet"
    company_base(30).to_parquet(source)
    run(source, tmp_path / "v1", toy_model)

    # a new version of the same bundle: another key
    renamed = copy.copy(toy_model)
    renamed.meta = copy.copy(toy_model.meta)
    renamed.meta.model_version = "toy/v2"
    v2 = run(source, tmp_path / "v2", renamed).manifest["cache"]
    assert v2["prediction_hits"] == 0 and v2["rows_recalled"] == 0
    assert v2["hits"] == 30, "the vectors are the embedder's: still reused"

    # another model under the same name and version (another store): its bundle differs
    changed = copy.deepcopy(toy_model.estimator)
    learned = next(m for m in changed.models_ if m.lr is not None)
    learned.lr.intercept_ = learned.lr.intercept_ + 2.0
    bundle = ClusterModel(changed, toy_model.embedder, toy_model.taxonomy, toy_model.meta).save(
        tmp_path / "bundle"
    )
    other = ClusterModel.load(bundle)
    other.meta.model_version = toy_model.meta.model_version
    assert other.bundle_digest != toy_model.bundle_digest
    assert other.prediction_key() != toy_model.prediction_key()
    reused = run(source, tmp_path / "other", other).manifest["cache"]
    assert reused["prediction_hits"] == 0 and reused["rows_recalled"] == 0
    run_without_reuse(source, tmp_path / "other-scored", other, monkeypatch)
    assert_identical(tmp_path / "other", tmp_path / "other-scored")
    before, after = (read_predictions(tmp_path / name) for name in ("v1", "other"))
    probs = [c for c in before if c.startswith("p_")]
    assert not np.array_equal(before[probs].to_numpy(), after[probs].to_numpy())

    # a model built in memory has no known identity: nothing is kept for it
    unknown = ClusterModel(changed, toy_model.embedder, toy_model.taxonomy, toy_model.meta)
    assert unknown.prediction_key() is None
    built = run(source, tmp_path / "unknown", unknown).manifest["cache"]
    assert built["prediction_key"] is None and built["predictions_size"] is None
    assert built["prediction_hits"] == 0 and built["hits"] == 30


def test_probabilities_follow_the_cache_settings(store, toy_model, tmp_path, monkeypatch):
    from classifier.cache import EmbeddingCache

    source = tmp_path / "in.parquet"
    company_base(20).to_parquet(source)
    cache_file = config.get_settings().paths.cache_dir / "embeddings.sqlite"
    monkeypatch.setenv("CLUSTERS_BATCH__CACHE_PREDICTIONS", "false")
    config.set_settings(None)
    for name in ("a", "b"):
        manifest = run(source, tmp_path / name, toy_model).manifest["cache"]
        assert manifest["prediction_key"] is None and manifest["prediction_hits"] == 0
    assert manifest["hits"] == 20, "vectors are still cached"
    cache = EmbeddingCache(cache_file)
    assert cache.probabilities_size() == 0 and cache.size() == 20
    cache.close()

    monkeypatch.setenv("CLUSTERS_BATCH__CACHE_PREDICTIONS", "true")
    monkeypatch.setenv("CLUSTERS_BATCH__CACHE", "never")
    monkeypatch.setenv("CLUSTERS_PATHS__CACHE_DIR", str(tmp_path / "no-cache"))
    config.set_settings(None)
    off = run(source, tmp_path / "off", toy_model).manifest["cache"]
    assert off["path"] is None and off["prediction_hits"] == 0 and off["predictions_size"] is None
    assert not (tmp_path / "no-cache").exists()
    assert_same_predictions(read_predictions(tmp_path / "a"), read_predictions(tmp_path / "off"))

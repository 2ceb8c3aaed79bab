"""The API against the other ways of classifying: equal to `clusters classify`, equal to
`mlflow models serve`, and a model reload in the middle of live traffic on a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from serve_model import MODEL_NAME
from test_training import FOOD, MEDTECH, OTHER, SPACE
from typer.testing import CliRunner

from clusters.cli import app as cli_app

pytestmark = pytest.mark.slow

TEXTS = (
    SPACE[:3]
    + MEDTECH[:3]
    + FOOD[:3]
    + OTHER[:3]
    + [
        "Bakery that also builds satellite components.",
        "A company.",
    ]
)


def _inputs() -> pd.DataFrame:
    return pd.DataFrame({"company_id": [f"{i + 1:08d}" for i in range(len(TEXTS))], "text": TEXTS})


def _api_frame(results: list[dict]) -> pd.DataFrame:
    rows = []
    for r in results:
        row = {
            "company_id": r["company_id"],
            "labels": "|".join(sorted(c["cluster_id"] for c in r["clusters"])),
            "top_label": r["top_cluster"],
            "confidence": r["confidence"],
            "needs_review": r["needs_review"],
            "model_version": r["model_version"],
            "text_hash": r["text_hash"],
        }
        row.update({f"p_{k}": v for k, v in r["probabilities"].items()})
        rows.append(row)
    return pd.DataFrame(rows)


def _assert_same(api: pd.DataFrame, other: pd.DataFrame, exact: list[str]) -> None:
    other = other.reset_index(drop=True)
    api = api.reset_index(drop=True)
    labels = other["labels"].fillna("").map(lambda s: "|".join(sorted(filter(None, s.split("|")))))
    assert api["labels"].tolist() == labels.tolist()
    for column in exact:
        assert api[column].astype(str).tolist() == other[column].astype(str).tolist(), column
    probs = [c for c in api if c.startswith("p_")] + ["confidence"]
    np.testing.assert_allclose(api[probs].to_numpy(float), other[probs].to_numpy(float), atol=1e-5)


def _classify_via_api(client, headers) -> pd.DataFrame:
    companies = [{"company_id": c, "text": t} for c, t in _inputs().itertuples(index=False)]
    r = client.post(
        "/v1/classify",
        json={"companies": companies, "probabilities": True, "explain": False},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    return _api_frame(r.json()["results"])


def test_api_predictions_equal_clusters_classify(make_client, client_headers, tmp_path):
    client = make_client(max_batch_items=64)
    api = _classify_via_api(client, client_headers)
    source = tmp_path / "in.csv"
    _inputs().to_csv(source, index=False)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        cli_app,
        [
            "classify",
            "-i",
            str(source),
            "-o",
            str(out),
            "--model",
            f"models:/{MODEL_NAME}@champion",
            "--no-progress",
            "--no-cache",
        ],
    )
    assert result.exit_code == 0, result.output
    batch = pd.read_csv(out, dtype={"company_id": str}, keep_default_na=False)
    _assert_same(
        api, batch, ["company_id", "top_label", "needs_review", "model_version", "text_hash"]
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, seconds: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not up after {seconds}s")


def test_mlflow_models_serve_answers_the_same_predictions(make_client, client_headers, store):
    api = _classify_via_api(make_client(max_batch_items=64), client_headers)
    port = _free_port()
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{store / 'mlflow.db'}",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "HF_HUB_OFFLINE": "1",
    }
    mlflow_cli = Path(sys.executable).parent / "mlflow"
    command = [
        str(mlflow_cli),
        "models",
        "serve",
        "-m",
        f"models:/{MODEL_NAME}@champion",
        "--env-manager",
        "local",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for(f"http://127.0.0.1:{port}/ping", 120, process)
        frame = _inputs()
        payload = {"dataframe_split": frame.to_dict(orient="split", index=False)}
        r = httpx.post(f"http://127.0.0.1:{port}/invocations", json=payload, timeout=60)
        assert r.status_code == 200, r.text
        served = pd.DataFrame(r.json()["predictions"])
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    # the pyfunc cannot know its registry version: it reports "unregistered"
    assert set(served["model_version"]) == {"unregistered"}
    _assert_same(api, served, ["company_id", "top_label", "needs_review", "text_hash"])


def test_reload_during_traffic_drops_no_request(store, keys, make_settings):
    """A real uvicorn server, 3 clients sending continuously; the alias moves to a new
    version and an admin reloads: no request fails, and answers switch to the new version."""
    import uvicorn

    from clusters.serve.app import create_app

    client = MlflowClient()
    source = client.get_model_version(MODEL_NAME, "1").source
    client.set_registered_model_alias(MODEL_NAME, "serving", "1")
    settings = make_settings(reload_poll_seconds=0, batch_window_ms=2)
    app = create_app(settings, model_uri=f"models:/{MODEL_NAME}@serving", keys=keys[0])
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    seen: list[list[tuple[float, int, str]]] = [[] for _ in range(3)]
    stop = threading.Event()

    def traffic(k: int) -> None:
        headers = {"Authorization": f"Bearer {keys[1]}"}
        with httpx.Client(base_url=base, timeout=30) as http:
            i = 0
            while not stop.is_set():
                text = TEXTS[(i + k) % len(TEXTS)]
                r = http.post("/v1/classify", json={"company": {"text": text}}, headers=headers)
                version = r.json().get("model_version", "") if r.status_code == 200 else r.text
                seen[k].append((time.monotonic(), r.status_code, version))
                i += 1

    try:
        _wait_for(f"{base}/v1/ready", 60)
        workers = [threading.Thread(target=traffic, args=(k,)) for k in range(3)]
        for w in workers:
            w.start()
        time.sleep(1.0)
        new = mlflow.register_model(source, MODEL_NAME).version
        client.set_registered_model_alias(MODEL_NAME, "serving", new)
        r = httpx.post(
            f"{base}/v1/admin/reload", headers={"Authorization": f"Bearer {keys[2]}"}, timeout=60
        )
        reloaded_at = time.monotonic()
        assert r.status_code == 200, r.text
        assert r.json()["old_version"] == f"{MODEL_NAME}/v1"
        assert r.json()["new_version"] == f"{MODEL_NAME}/v{new}" and r.json()["reloaded"]
        time.sleep(1.0)
        stop.set()
        for w in workers:
            w.join(timeout=60)
    finally:
        stop.set()
        server.should_exit = True
        thread.join(timeout=30)
        client.delete_registered_model_alias(MODEL_NAME, "serving")

    for records in seen:
        assert records and all(status == 200 for _, status, _ in records), records[-5:]
        versions = [v for _, _, v in records]
        assert versions[0] == f"{MODEL_NAME}/v1"
        switched = versions.index(f"{MODEL_NAME}/v{new}")  # raises if never switched
        assert set(versions[switched:]) == {f"{MODEL_NAME}/v{new}"}  # never back
        assert all(v == f"{MODEL_NAME}/v{new}" for t, _, v in records if t > reloaded_at + 0.5)
    assert sum(len(r) for r in seen) > 20

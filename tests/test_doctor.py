"""``clusters doctor``: what works on this machine, what is missing, and what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_training import train_toy_store
from typer.testing import CliRunner

from clusters.cli import app


def doctor(monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[int, dict[str, dict]]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["doctor", "--json"])
    return result.exit_code, {c["name"]: c for c in json.loads(result.output)}


@pytest.mark.slow
def test_a_working_install_passes_and_only_warns_about_what_is_to_come(monkeypatch):
    code, checks = doctor(monkeypatch)
    assert code == 0
    assert checks["embedder minilm"]["status"] == "ok"
    assert "384-d, loaded offline" in checks["embedder minilm"]["detail"]
    assert checks["taxonomy"]["detail"].startswith("Midlands emerging clusters v")
    assert checks["bundled data"]["status"] == "ok"
    # the test's store does not exist yet: a warning that says what creates it, no file made
    store = checks["model store"]
    assert (
        store["status"] == "warn"
        and "`clusters run` or `clusters train` creates it" in (store["detail"])
    )
    assert not any(c["status"] == "fail" for c in checks.values())
    import os

    assert not Path(os.environ["MLFLOW_TRACKING_URI"].removeprefix("sqlite:///")).exists()


def test_broken_parts_fail_with_what_to_do(monkeypatch, tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("clusters: [\n")
    code, checks = doctor(
        monkeypatch,
        CLUSTERS_PATHS__TAXONOMY=str(bad),
        CLUSTERS_EMBEDDER="static",
        CLUSTERS_PATHS__MODELS_DIR=str(tmp_path / "models"),
        CLUSTERS_PATHS__SIC_DIR=str(tmp_path / "no-sic"),
    )
    assert code == 1
    assert (
        checks["taxonomy"]["status"] == "fail" and "not valid YAML" in checks["taxonomy"]["detail"]
    )
    assert "\n" not in checks["taxonomy"]["detail"]  # one line per check
    embedder = checks["embedder static"]
    assert (
        embedder["status"] == "fail"
        and "scripts/build_models.py --only static" in embedder["detail"]
    )
    data = checks["bundled data"]
    assert data["status"] == "fail" and f"SIC reference ({tmp_path / 'no-sic'})" in data["detail"]
    assert checks["other embedders"]["status"] == "warn"
    assert "`make models`" in checks["other embedders"]["detail"]
    text = CliRunner().invoke(app, ["doctor"])
    assert text.exit_code == 1
    assert any(line.startswith("fail  taxonomy") for line in text.output.splitlines())


@pytest.mark.slow
def test_a_champion_trained_on_another_taxonomy_is_flagged(monkeypatch, tmp_path: Path):
    (tmp_path / "store").mkdir()
    root = train_toy_store(tmp_path / "store", "toy")
    store = {"MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}", "CLUSTERS_MODEL_NAME": "toy"}
    _, checks = doctor(monkeypatch, **store)  # configured: the Midlands taxonomy
    detail = checks["model store"]["detail"]
    assert checks["model store"]["status"] == "warn"
    assert "toy v1 is the champion, trained on taxonomy hash" in detail
    assert "retrain before classifying" in detail and "clusters taxonomy diff" in detail
    _, checks = doctor(monkeypatch, CLUSTERS_PATHS__TAXONOMY=str(root / "toy.yaml"), **store)
    assert checks["model store"]["status"] == "ok"
    assert checks["model store"]["detail"].endswith("trained on the configured taxonomy")

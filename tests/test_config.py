"""Settings: defaults, YAML file and environment layers."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusters.config import ConfigError, load_settings


def test_defaults_resolve_against_home():
    s = load_settings(env={})
    assert s.paths.taxonomy == s.paths.home / "data/taxonomy/midlands.yaml"
    assert s.mlflow_uri == f"sqlite:///{s.paths.home / 'mlflow.db'}"
    assert s.embedder == "minilm"


def test_yaml_then_environment_override(tmp_path: Path):
    cfg = tmp_path / "settings.yaml"
    cfg.write_text("model_name: from-yaml\nthresholds: {review_confidence: 0.7}\n")
    s = load_settings(cfg, env={"CLUSTERS_THRESHOLDS__REVIEW_MARGIN": "0.05"})
    assert s.model_name == "from-yaml"
    assert s.thresholds.review_confidence == 0.7
    assert s.thresholds.review_margin == 0.05
    s = load_settings(cfg, env={"CLUSTERS_MODEL_NAME": "from-env"})
    assert s.model_name == "from-env"


def test_mlflow_tracking_uri_is_honoured():
    s = load_settings(env={"MLFLOW_TRACKING_URI": "sqlite:////tmp/other.db"})
    assert s.mlflow_uri == "sqlite:////tmp/other.db"


def test_home_moves_relative_paths(tmp_path: Path):
    s = load_settings(env={"CLUSTERS_HOME": str(tmp_path)})
    assert s.paths.output_dir == tmp_path / "outputs"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("thresholds: {review_confidence: 2}", "review_confidence"),
        ("unknown_key: 1", "unknown_key"),
        ("- a list", "mapping"),
        ("model_name: [unclosed", "not valid YAML"),
    ],
)
def test_bad_settings_are_clear_errors(tmp_path: Path, content: str, message: str):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(cfg, env={})


def test_missing_config_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "nope.yaml", env={})


def test_settings_command_shows_effective_values_and_their_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import json

    import yaml
    from typer.testing import CliRunner

    from clusters.cli import app

    cfg = tmp_path / "settings.yaml"
    cfg.write_text(
        "model_name: from-yaml\n"
        "batch: {workers: 2, chunk_rows: 500}\n"
        "review: {database_url: 'postgresql://rev:s3cret@db:5432/review'}\n"
    )
    monkeypatch.setenv("CLUSTERS_BATCH__CHUNK_ROWS", "750")  # the environment wins
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:////srv/store/mlflow.db")
    monkeypatch.setenv("CLUSTERS_HOME", str(tmp_path))
    runner = CliRunner()

    changed = runner.invoke(app, ["--config", str(cfg), "settings", "--changed"])
    assert changed.exit_code == 0, changed.output
    lines = changed.output.splitlines()
    assert f"model_name = from-yaml    # file {cfg}" in lines
    assert f"batch.workers = 2    # file {cfg}" in lines
    assert "batch.chunk_rows = 750    # env CLUSTERS_BATCH__CHUNK_ROWS" in lines
    assert f"paths.home = {tmp_path}    # env CLUSTERS_HOME" in lines
    assert "tracking_uri = sqlite:////srv/store/mlflow.db    # env MLFLOW_TRACKING_URI" in lines
    assert "s3cret" not in changed.output
    assert "review.database_url = postgresql://rev:***@db:5432/review" in changed.output

    full = runner.invoke(app, ["--config", str(cfg), "settings"])
    tree = yaml.safe_load(full.output)  # the whole listing is valid YAML (sources as comments)
    assert tree["batch"]["chunk_rows"] == 750 and tree["embedder"] == "minilm"
    assert tree["paths"]["taxonomy"] == str(tmp_path / "data/taxonomy/midlands.yaml")
    assert tree["effective_mlflow_uri"] == "sqlite:////srv/store/mlflow.db"
    assert "s3cret" not in full.output

    as_json = json.loads(runner.invoke(app, ["--config", str(cfg), "settings", "--json"]).output)
    assert as_json["sources"]["batch.chunk_rows"] == "env CLUSTERS_BATCH__CHUNK_ROWS"
    assert as_json["settings"]["model_name"] == "from-yaml"

    import os

    for name in [n for n in os.environ if n.startswith("CLUSTERS_")] + ["MLFLOW_TRACKING_URI"]:
        monkeypatch.delenv(name)  # the test fixtures' own CLUSTERS_PATHS__* included
    default = runner.invoke(app, ["settings", "--changed"])
    assert default.output.strip() == "every setting is at its default"

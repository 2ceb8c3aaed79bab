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

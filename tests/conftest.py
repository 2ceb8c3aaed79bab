"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    """The folder of test input files."""
    return FIXTURES


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Every test gets fresh settings whose outputs and MLflow store live in ``tmp_path``."""
    from clusters import config

    monkeypatch.setenv("CLUSTERS_PATHS__OUTPUT_DIR", str(tmp_path / "outputs"))
    monkeypatch.setenv("CLUSTERS_PATHS__CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    config.set_settings(None)
    yield
    config.set_settings(None)

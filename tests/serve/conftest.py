"""Fixtures of the classification-API tests: a toy model trained once per session in a
temporary MLflow store, a holder with it loaded, API keys, and the app behind TestClient."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from serve_model import CHAMPION_URI, MODEL_NAME
from test_training import point_at_store, train_toy_store

from clusters import config
from clusters.config import Settings, load_settings


@pytest.fixture(scope="session")
def serve_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow store holding the 3-cluster toy model ``toy-serve`` (MiniLM, trained once)."""
    return train_toy_store(tmp_path_factory.mktemp("serve_store"), MODEL_NAME)


def _store_env(root: Path) -> dict[str, str]:
    return {
        "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
        "CLUSTERS_PATHS__CACHE_DIR": str(root / "cache"),
        "CLUSTERS_PATHS__OUTPUT_DIR": str(root / "outputs"),
    }


@pytest.fixture(scope="session")
def loaded_holder(serve_store: Path):
    """A holder with the champion loaded (shared: tests must not reload it)."""
    from clusters.serve.holder import ModelHolder

    settings = load_settings(env={**os.environ, **_store_env(serve_store)})
    holder = ModelHolder(CHAMPION_URI, settings)
    holder.reload()
    return holder


@pytest.fixture
def store(serve_store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point this test's settings at the toy store (cache and outputs stay per test)."""
    return point_at_store(serve_store, monkeypatch)


@pytest.fixture
def make_settings(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Settings]:
    """Settings of this test with ``serve`` overrides, e.g. ``make_settings(rate_limit_per_minute=3)``."""

    def make(**serve: object) -> Settings:
        for key, value in serve.items():
            monkeypatch.setenv(f"CLUSTERS_SERVE__{key.upper()}", str(value))
        config.set_settings(None)
        return config.get_settings()

    return make


@pytest.fixture
def keys(tmp_path: Path):
    """A key store with a client key and an admin key: ``(store, client_key, admin_key)``."""
    from clusters.serve.keys import KeyStore

    store = KeyStore(tmp_path / "keys.sqlite")
    return store, store.add("crm"), store.add("ops", role="admin")


@pytest.fixture
def make_client(store, loaded_holder, keys, make_settings) -> Iterator[Callable[..., object]]:
    """Build a TestClient over the app with the loaded toy model: ``make_client(**serve)``."""
    from fastapi.testclient import TestClient

    from clusters.serve.app import create_app

    opened = []

    def make(auth: bool = True, holder=None, **serve: object):
        settings = make_settings(reload_poll_seconds=0, **serve)
        app = create_app(settings, holder=holder or loaded_holder, keys=keys[0], auth=auth)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def client_headers(keys) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys[1]}"}


@pytest.fixture
def admin_headers(keys) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys[2]}"}

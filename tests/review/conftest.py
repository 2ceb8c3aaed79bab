"""Fixtures of the review-app tests: stores (SQLite always, PostgreSQL when a server is
given), queued items, and the app served by uvicorn on a free loopback port."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from clusters.review.db import Database

POSTGRES_ENV = "REVIEW_TEST_POSTGRES_URL"
MODEL = "company-clusters/v1"
CLUSTERS = ["medtech", "space-tech", "ai-data", "food-drink", "rail"]


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2id at its cheapest settings in these tests (the defaults cost ~0.4 s a hash on
    two shared cores); the product's defaults are restored afterwards."""
    from clusters.review import auth
    from clusters.review.settings import ReviewSettings

    cheap = {"PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_KIB": 8192, "PASSWORD_PARALLELISM": 1}
    for key, value in cheap.items():
        monkeypatch.setenv(f"CLUSTERS_REVIEW__{key}", str(value))
    auth.configure_hashing(*cheap.values())
    yield
    defaults = ReviewSettings()
    auth.configure_hashing(
        defaults.password_time_cost, defaults.password_memory_kib, defaults.password_parallelism
    )


def _postgres_store() -> Iterator[Database]:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(
            f"PostgreSQL storage tests need a server: set {POSTGRES_ENV}="
            "postgresql+psycopg://user:password@host/dbname (each test uses its own schema)"
        )
    pytest.importorskip("psycopg", reason="PostgreSQL tests need the postgres extra (psycopg)")
    from sqlalchemy import create_engine, text

    schema = f"review_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    db = Database.connect(f"{url}{separator}options=-csearch_path%3D{schema}")
    try:
        yield db
    finally:
        db.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty, migrated review store: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "postgres":
        yield from _postgres_store()
        return
    db = Database.connect(f"sqlite:///{tmp_path / 'review.db'}")
    yield db
    db.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Database]:
    db = Database.connect(f"sqlite:///{tmp_path / 'review.db'}")
    yield db
    db.close()


def item(i: int, **overrides: Any) -> dict[str, Any]:
    """A queued item for company ``9100000<i>``: priorities fall with ``i``."""
    top = CLUSTERS[i % len(CLUSTERS)]
    row = {
        "company_id": f"{91000000 + i}",
        "model_version": MODEL,
        "priority": round(1.0 - i / 1000, 6),
        "name": f"COMPANY {i} LIMITED",
        "region_name": "West Midlands" if i % 2 else "East Midlands",
        "top_label": top,
        "labels": top if i % 3 else "",
        "confidence": 0.5,
        "text_hash": f"hash{i}",
        "text": f"Company {i} makes things; a medical device maker and satellite operator.",
        "sic_titles": ["32500 Manufacture of medical and dental instruments and supplies"],
        "website": f"https://company{i}.example",
        "probabilities": {top: 0.55, "ai-data": 0.2},
        "thresholds": {top: 0.5, "ai-data": 0.45},
        "explanations": None,
        "required_reviews": 1,
        "source": "test",
        "simulated": False,
    }
    row.update(overrides)
    return row


@pytest.fixture
def make_item() -> Callable[..., dict[str, Any]]:
    return item


class LiveServer:
    """A uvicorn server for an ASGI app, in a thread, on a free 127.0.0.1 port."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_keep_alive=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the review app did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def serve() -> Callable[[Any], LiveServer]:
    """Start an app on loopback for the test; stopped at teardown."""
    servers: list[LiveServer] = []

    def start(app: Any) -> LiveServer:
        server = LiveServer(app).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)

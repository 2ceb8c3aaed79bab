"""The API's parts without a model: key store and its CLI, rate limiter, micro-batcher,
model holder, settings."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest
from typer.testing import CliRunner

from clusters.cli import app as cli_app
from clusters.config import load_settings
from clusters.ratelimit import RateLimiter
from clusters.serve.batcher import MicroBatcher
from clusters.serve.holder import ModelHolder, pinned_uri
from clusters.serve.keys import KeyStore, KeyStoreError

# --- keys ----------------------------------------------------------------------------------


def test_keys_are_stored_hashed_and_verified(tmp_path):
    path = tmp_path / "keys.sqlite"
    store = KeyStore(path)
    key = store.add("crm")
    assert key.startswith("ck_") and len(key) > 40
    stored = sqlite3.connect(path).execute("SELECT * FROM api_keys").fetchall()
    assert key not in repr(stored) and key.split("_", 2)[2] not in repr(stored)
    found = store.verify(key)
    assert found.name == "crm" and found.role == "client" and not found.is_admin
    for wrong in (None, "", key + "x", key[:-1] + ("a" if key[-1] != "a" else "b"), "Bearer x"):
        assert store.verify(wrong) is None
    with pytest.raises(KeyStoreError, match="live key named 'crm'"):
        store.add("crm")
    with pytest.raises(KeyStoreError, match="role"):
        store.add("x", role="root")
    with pytest.raises(KeyStoreError, match="key name"):
        store.add("bad name!")
    store.revoke("crm")
    assert store.verify(key) is None
    with pytest.raises(KeyStoreError, match="no live key"):
        store.revoke("crm")
    again = store.add("crm", role="admin")  # a revoked name can be reused
    assert store.verify(again).is_admin and again != key


def test_keys_cli_add_list_revoke(tmp_path):
    db = str(tmp_path / "k.sqlite")
    runner = CliRunner()
    added = runner.invoke(
        cli_app, ["serve", "keys", "add", "ops", "--role", "admin", "--keys-db", db]
    )
    assert added.exit_code == 0, added.output
    key = added.stdout.strip().splitlines()[0]
    assert KeyStore(db).verify(key).is_admin
    listed = runner.invoke(cli_app, ["serve", "keys", "list", "--keys-db", db])
    assert "ops" in listed.stdout and "admin" in listed.stdout and key not in listed.stdout
    assert (
        runner.invoke(cli_app, ["serve", "keys", "revoke", "ops", "--keys-db", db]).exit_code == 0
    )
    assert KeyStore(db).verify(key) is None
    unknown = runner.invoke(cli_app, ["serve", "keys", "revoke", "ops", "--keys-db", db])
    assert unknown.exit_code == 2 and "no live key" in unknown.output


def test_serve_refuses_no_auth_off_loopback():
    result = CliRunner().invoke(cli_app, ["serve", "--no-auth", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "refusing to serve without API keys" in result.output


def test_serve_fails_clearly_without_a_model():
    result = CliRunner().invoke(cli_app, ["serve", "--model", "models:/nothing-here@champion"])
    assert (
        result.exit_code == 2 and "cannot load model models:/nothing-here@champion" in result.output
    )


# --- rate limit ----------------------------------------------------------------------------


def test_token_bucket_refills_per_key():
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.acquire("a") == 0.0 and limiter.acquire("a") == 0.0
    assert limiter.acquire("a") == pytest.approx(30.0)
    assert limiter.acquire("b") == 0.0
    now[0] = 30.0
    assert limiter.acquire("a") == 0.0
    assert RateLimiter(0).acquire("a") == 0.0


# --- micro-batching ------------------------------------------------------------------------


def test_concurrent_requests_share_model_calls():
    calls: list[list[int]] = []

    def run(items):
        calls.append(list(items))
        time.sleep(0.02)
        return [x * 10 for x in items]

    async def main():
        batcher = MicroBatcher(run, window_ms=20, max_items=5)
        await batcher.start()
        try:
            return await asyncio.gather(*(batcher.submit([i, i + 100]) for i in range(6)))
        finally:
            await batcher.stop()

    results = asyncio.run(main())
    assert results == [[i * 10, (i + 100) * 10] for i in range(6)]
    assert sum(len(c) for c in calls) == 12
    assert len(calls) < 6 and max(len(c) for c in calls) <= 5  # gathered, within the cap


def test_one_bad_request_does_not_fail_its_batch_neighbours():
    def run(items):
        if "boom" in items:
            raise ValueError("bad item")
        return [s.upper() for s in items]

    async def main():
        batcher = MicroBatcher(run, window_ms=20)
        await batcher.start()
        try:
            return await asyncio.gather(
                batcher.submit(["a"]),
                batcher.submit(["boom"]),
                batcher.submit(["b"]),
                return_exceptions=True,
            )
        finally:
            await batcher.stop()

    ok_a, failed, ok_b = asyncio.run(main())
    assert ok_a == ["A"] and ok_b == ["B"] and isinstance(failed, ValueError)


# --- holder --------------------------------------------------------------------------------


class _FakeModel:
    def __init__(self, version):
        self.meta = type("Meta", (), {"model_version": version})()


def test_holder_reloads_only_when_the_alias_moved_and_swaps_atomically():
    registry = {"version": "m/v1"}
    loads = []

    def loader(uri, settings):
        loads.append(uri)
        time.sleep(0.05)
        return _FakeModel(f"m/v{uri.rsplit('/', 1)[1]}")

    holder = ModelHolder(
        "models:/m@champion", load_settings(env={}), loader, lambda u, s: registry["version"]
    )
    assert not holder.ready
    first = holder.reload()
    assert first.reloaded and first.old_version is None and holder.current.version == "m/v1"
    assert holder.current.uri == "models:/m/1"
    assert not holder.reload().reloaded and loads == ["models:/m/1"]

    registry["version"] = "m/v2"
    old = holder.current
    seen = []
    reloading = threading.Thread(target=holder.reload)
    reloading.start()
    while reloading.is_alive():
        seen.append(holder.current)
    reloading.join()
    assert all(m is old for m in seen[:-1]) and holder.current.version == "m/v2"
    assert holder.reload(force=True).reloaded and loads[-1] == "models:/m/2"


def test_a_failed_reload_keeps_the_served_model():
    holder = ModelHolder(
        "models:/m@champion",
        load_settings(env={}),
        lambda u, s: _FakeModel("m/v1"),
        lambda u, s: "m/v1",
    )
    holder.reload()

    def broken(uri, settings):
        raise OSError("artifact store down")

    holder._loader = broken
    with pytest.raises(OSError):
        holder.reload(force=True)
    assert holder.current.version == "m/v1" and "artifact store down" in holder.last_error


def test_pinned_uri():
    assert pinned_uri("models:/a@champion", "a/v7") == "models:/a/7"
    assert pinned_uri("models:/a/3", "a/v3") == "models:/a/3"
    assert pinned_uri("runs:/abc/model", "unregistered") == "runs:/abc/model"


def test_serve_settings_from_environment():
    settings = load_settings(
        env={"CLUSTERS_SERVE__MAX_BATCH_ITEMS": "8", "CLUSTERS_SERVE__AUTH": "false"}
    )
    assert settings.serve.max_batch_items == 8 and settings.serve.auth is False
    assert settings.serve.resolved_keys_db(settings.paths.output_dir).name == "serve_keys.sqlite"

"""API keys of the classification API: high-entropy random tokens, stored only as hashes.

A key looks like ``ck_<id>_<secret>``: ``id`` (8 hex digits) finds the row, and the
SHA-256 of the whole key is compared in constant time with the stored one. The key itself
is shown once, by ``clusters serve keys add``, and never stored. Keys have a unique name
and a role (``client``: classify and read; ``admin``: also reload the model); revoking
one (by name) takes effect on the next request, in running servers too.

Example:
    >>> import tempfile, pathlib
    >>> store = KeyStore(pathlib.Path(tempfile.mkdtemp()) / "keys.sqlite")
    >>> key = store.add("crm")
    >>> store.verify(key).name, store.verify("ck_00000000_nope")
    ('crm', None)
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROLES = ("client", "admin")
PREFIX = "ck_"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_KEY_PATTERN = re.compile(r"^ck_([0-9a-f]{8})_[A-Za-z0-9_-]{20,100}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
"""


class KeyStoreError(ValueError):
    """A key cannot be added or revoked (bad name or role, duplicate, unknown)."""


@dataclass(frozen=True)
class ApiKey:
    """A stored key (without its secret)."""

    name: str
    role: str
    key_id: str
    created_at: str
    revoked_at: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class KeyStore:
    """The SQLite file of API keys (created on first use)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=10.0
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, name: str, role: str = "client") -> str:
        """Create a key named ``name``; returns the key (the only time it is seen)."""
        if not NAME_PATTERN.match(name):
            raise KeyStoreError(
                f"key name {name!r}: use 1-64 letters, digits, '.', '_' or '-' (not first)"
            )
        if role not in ROLES:
            raise KeyStoreError(f"role {role!r}: choose one of {', '.join(ROLES)}")
        with self._lock:
            row = self._db.execute("SELECT revoked_at FROM api_keys WHERE name = ?", (name,))
            existing = row.fetchone()
            if existing is not None and existing[0] is None:
                raise KeyStoreError(f"a live key named {name!r} exists: revoke it first")
            if existing is not None:  # a revoked key's name may be reused
                self._db.execute("DELETE FROM api_keys WHERE name = ?", (name,))
            while True:
                key_id = secrets.token_hex(4)
                key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
                try:
                    self._db.execute(
                        "INSERT INTO api_keys (key_id, name, role, key_hash, created_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (key_id, name, role, _digest(key), _now()),
                    )
                    return key
                except sqlite3.IntegrityError:  # key_id collision: draw again
                    continue

    def revoke(self, name: str) -> None:
        """Revoke the live key named ``name``."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (_now(), name),
            )
        if cursor.rowcount == 0:
            raise KeyStoreError(f"no live key named {name!r}")

    def list(self) -> list[ApiKey]:
        """All keys, revoked ones included, by name."""
        with self._lock:
            rows = self._db.execute(
                "SELECT name, role, key_id, created_at, revoked_at FROM api_keys ORDER BY name"
            ).fetchall()
        return [ApiKey(*row) for row in rows]

    def verify(self, key: str | None) -> ApiKey | None:
        """The live key matching ``key``, or ``None``."""
        match = _KEY_PATTERN.match(key or "")
        if match is None:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT name, role, key_id, created_at, revoked_at, key_hash FROM api_keys "
                "WHERE key_id = ? AND revoked_at IS NULL",
                (match.group(1),),
            ).fetchone()
        if row is None or not hmac.compare_digest(row[5], _digest(key)):
            return None
        return ApiKey(*row[:5])

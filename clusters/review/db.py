"""The review store: tables and the database handle.

SQLite (a file, the default) or PostgreSQL (by URL). The schema is owned by Alembic
(:mod:`clusters.review.migrations`); :meth:`Database.upgrade` brings any database to the
latest revision, so ``clusters review init`` and ``serve`` never need a manual step.

Tables:

* ``users``: analysts and admins; argon2 password hashes; disabled, never deleted.
* ``sessions``: server-side login sessions (only a hash of the cookie's token is stored) and
  each session's CSRF token.
* ``items``: what is to be reviewed: one queued company per model version, with the text and
  evidence the analyst sees, its priority, how many analysts must review it, and the lease
  (who holds it until when).
* ``decisions``: every decision ever taken, **append-only** (database triggers refuse UPDATE
  and DELETE): who, when, model version, labels before and after, comment. A correction is a
  new row whose ``supersedes_id`` names the row it replaces (at most once: a unique key).

SQLite runs in WAL mode with a busy timeout, and every transaction starts with
``BEGIN IMMEDIATE``: write transactions are serialised by the database itself, so the
conditional updates that take leases cannot interleave. On PostgreSQL the same conditional
updates are atomic per row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

ROLES = ("analyst", "admin")
ACTIONS = ("confirm", "reject", "relabel", "skip")


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (the form every timestamp is stored in)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base of the review tables."""


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="analyst")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    """A stand-in analyst of a simulated round (cannot log in)."""
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class LoginSession(Base):
    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("company_id", "model_version", name="uq_item_company_model"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[str] = mapped_column(String(16), index=True)
    model_version: Mapped[str] = mapped_column(String(128), index=True)
    priority: Mapped[float] = mapped_column(Float, index=True)
    name: Mapped[str] = mapped_column(Text, default="")
    region_name: Mapped[str] = mapped_column(String(128), default="", index=True)
    top_label: Mapped[str] = mapped_column(String(64), default="", index=True)
    labels: Mapped[str] = mapped_column(Text, default="")
    """The model's assignment (``;``-separated cluster ids; empty = no cluster)."""
    confidence: Mapped[float] = mapped_column(Float)
    text_hash: Mapped[str] = mapped_column(String(64), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    """The text the model saw."""
    sic_titles: Mapped[list] = mapped_column(JSON, default=list)
    website: Mapped[str | None] = mapped_column(Text, nullable=True)
    probabilities: Mapped[dict] = mapped_column(JSON, default=dict)
    thresholds: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    explanations: Mapped[list | None] = mapped_column(JSON, nullable=True)
    """Per top cluster: nearest labelled examples (see :mod:`clusters.review.explain`)."""
    required_reviews: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    source: Mapped[str] = mapped_column(Text, default="")
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    lease_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    lease_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    company_id: Mapped[str] = mapped_column(String(16), index=True)
    model_version: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    labels_before: Mapped[str] = mapped_column(Text, default="")
    labels_after: Mapped[str | None] = mapped_column(Text, nullable=True)
    """The analyst's labels (``;``-separated; empty = no cluster); ``None`` for a skip."""
    comment: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    """When the analyst took the item (for time per item)."""
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("decisions.id"), unique=True, nullable=True
    )
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE``."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


@dataclass
class Database:
    """A review store: an engine, its sessions, and schema upgrades."""

    engine: Engine

    @classmethod
    def connect(cls, url: str, upgrade: bool = True) -> Database:
        """Open the store at ``url`` (and bring its schema up to date unless told not to)."""
        db = cls(make_engine(url))
        if upgrade:
            db.upgrade()
        return db

    @property
    def sessions(self) -> sessionmaker[Session]:
        return sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self.sessions.begin() as session:
            yield session

    def upgrade(self, revision: str = "head") -> None:
        """Apply the Alembic migrations up to ``revision``."""
        from alembic import command

        with self.engine.begin() as connection:
            config = alembic_config(connection)
            command.upgrade(config, revision)

    def close(self) -> None:
        self.engine.dispose()


def alembic_config(connection: Any = None) -> Any:
    """The Alembic configuration of the review store (no ``alembic.ini`` needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config

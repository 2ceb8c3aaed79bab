"""Settings of the analyst review app (``clusters review``).

Wired into :class:`clusters.config.Settings` as the ``review`` section, so it is set like any
other section: ``review: {lease_minutes: 5}`` in the YAML file, or
``CLUSTERS_REVIEW__DATABASE_URL=postgresql+psycopg://user@host/db`` in the environment.

Example:
    >>> ReviewSettings().lease_minutes
    10.0
    >>> ReviewSettings().resolved_database_url(Path("/srv/app"))
    'sqlite:////srv/app/review.db'
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class ReviewSettings(BaseModel):
    """Storage, serving, leasing and routing of the review app."""

    model_config = ConfigDict(extra="forbid")

    database_url: str | None = None
    """SQLAlchemy URL; ``None`` = a SQLite file ``review.db`` in the project home. PostgreSQL:
    ``postgresql+psycopg://user:password@host/dbname`` (install the ``postgres`` extra)."""
    host: str = "127.0.0.1"
    """Interface ``clusters review serve`` listens on (loopback by default)."""
    port: int = Field(8000, ge=1, le=65535)
    lease_minutes: float = Field(10.0, gt=0.0, le=24 * 60)
    """An analyst holds an item this long; an abandoned item then returns to the queue."""
    double_review_share: float = Field(0.1, ge=0.0, le=1.0)
    """Share of imported items routed to a second analyst, for the agreement statistics."""
    session_hours: float = Field(12.0, gt=0.0)
    """A login lasts this long."""
    secure_cookies: bool | None = None
    """Mark cookies ``Secure``: ``None`` = when the request came over HTTPS (``True`` behind a
    TLS-terminating proxy that forwards plain HTTP)."""
    login_max_failures: int = Field(5, ge=0)
    """Failed logins allowed per user name per ``login_lockout_minutes`` (a token bucket:
    one more allowed every ``login_lockout_minutes / login_max_failures``); further attempts,
    right or wrong, get 429 until then. 0 = no limit."""
    login_max_failures_per_address: int = Field(20, ge=0)
    """The same per client address (many analysts may share one office address). 0 = none."""
    login_lockout_minutes: float = Field(15.0, gt=0.0)
    password_time_cost: int = Field(3, ge=1, le=20)
    """argon2id iterations (with the two below: the RFC 9106 low-memory profile, about 0.1 s
    per login on a server core; raise them on faster hardware)."""
    password_memory_kib: int = Field(65536, ge=8192)
    password_parallelism: int = Field(4, ge=1, le=64)
    page_size: int = Field(50, ge=1, le=1000)
    """Items listed on the queue page."""
    top_clusters: int = Field(3, ge=1, le=10)
    """Clusters shown (with their nearest labelled examples) on an item page."""
    examples_per_cluster: int = Field(3, ge=0, le=10)
    simulated_items: int = Field(30, ge=0)
    """Items decided by the simulated analyst in the main job's demo round."""

    def resolved_database_url(self, home: Path) -> str:
        """The effective database URL (the default SQLite file lives in ``home``)."""
        return self.database_url or f"sqlite:///{Path(home) / 'review.db'}"

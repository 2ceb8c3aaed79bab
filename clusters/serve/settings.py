"""Settings of the online classification API (``clusters serve``).

Wired into :class:`clusters.config.Settings` as the ``serve`` section: ``serve: {port: 8080}``
in the YAML file, or ``CLUSTERS_SERVE__MAX_BATCH_ITEMS=16`` in the environment.

Example:
    >>> ServeSettings().max_batch_items
    32
    >>> ServeSettings().resolved_keys_db(Path("/srv/out"))
    PosixPath('/srv/out/serve_keys.sqlite')
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class ServeSettings(BaseModel):
    """Serving, limits, micro-batching, reload and auth of the classification API."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    """Interface ``clusters serve`` listens on (loopback by default)."""
    port: int = Field(8100, ge=1, le=65535)
    model_uri: str | None = None
    """Model served; ``None`` = ``models:/<model_name>@champion``."""
    auth: bool = True
    """Require an API key (``clusters serve keys add``); ``false`` only for local use."""
    keys_db: Path | None = None
    """SQLite file of the API keys (hashes only); ``None`` = ``<output_dir>/serve_keys.sqlite``."""
    crawl_store: Path | None = None
    """Crawl store read for items given by ``url``; ``None`` = ``<cache_dir>/crawl.sqlite``."""
    max_batch_items: int = Field(32, ge=1, le=10_000)
    """Most companies in one request."""
    max_text_chars: int = Field(20_000, ge=100)
    """Longest text field (name, text, website_text, filing_text) in characters."""
    max_body_bytes: int = Field(4_000_000, ge=1_000)
    """Larger request bodies are refused with 413 before they are read in full."""
    rate_limit_per_minute: int = Field(600, ge=0)
    """Requests per API key per minute (a token bucket; bursts up to this many); 0 = none."""
    batch_window_ms: float = Field(5.0, ge=0.0, le=1_000.0)
    """Micro-batching: how long the first waiting company waits for others to join it."""
    batch_max_items: int = Field(64, ge=1, le=10_000)
    """Micro-batching: most companies in one model call."""
    reload_poll_seconds: float = Field(60.0, ge=0.0)
    """How often the ``champion`` alias is checked (a cheap registry call); the model is
    reloaded only when it moved. 0 = never (reload with ``POST /v1/admin/reload``)."""
    explain_top: int = Field(3, ge=1, le=50)
    """Clusters explained per company."""
    explain_examples: int = Field(3, ge=0, le=20)
    """Nearest labelled examples shown per explained cluster."""

    def resolved_keys_db(self, output_dir: Path) -> Path:
        """The API-key store file."""
        return Path(self.keys_db) if self.keys_db else Path(output_dir) / "serve_keys.sqlite"

    def resolved_crawl_store(self, cache_dir: Path) -> Path:
        """The crawl store read for ``url`` items."""
        return Path(self.crawl_store) if self.crawl_store else Path(cache_dir) / "crawl.sqlite"

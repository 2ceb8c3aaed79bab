"""Settings of the acquisition stages (website crawl and accounts reading).

Both models follow the sections of :class:`clusters.config.Settings` and are meant to be wired
into it as ``crawl`` and ``accounts``; :func:`crawl_settings` and :func:`accounts_settings`
read them from the process-wide settings when present and fall back to the defaults here.

Example:
    >>> CrawlSettings().max_pages
    5
    >>> CrawlSettings(contact="mailto:data@example.org").user_agent_string().endswith("(+mailto:data@example.org)")
    True
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from clusters import __version__

PRODUCT = "company-clusters"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CrawlSettings(_Section):
    """The website crawler: politeness, limits, freshness."""

    contact: str = ""
    """How a site owner reaches the operator (URL or ``mailto:``); sent in the User-Agent.
    Set it for real crawls: a warning is logged while it is empty."""
    user_agent: str | None = None
    """The full User-Agent; ``None`` = ``company-clusters/<version> (+<contact>)``."""
    robots_agent: str = PRODUCT
    """The product token matched against ``User-agent:`` lines in robots.txt."""
    robots_unreachable: Literal["disallow", "allow"] = "disallow"
    """What to do when robots.txt cannot be fetched (5xx, 429, timeout, connection error):
    ``disallow`` the whole site for this run (RFC 9309 section 2.3.1.4; retried next run) or
    ``allow`` it. A 4xx robots.txt (not found, forbidden) always allows (RFC 9309 2.3.1.3)."""
    robots_max_age_hours: float = Field(24.0, ge=0.0)
    """A stored robots.txt is reused for this long (RFC 9309 recommends at most 24 hours)."""
    max_pages: int = Field(5, ge=1, le=50)
    """Pages per company, home page included."""
    max_age_days: float = Field(30.0, ge=0.0)
    """A stored page younger than this is not fetched again; older pages are revalidated
    with a conditional request (ETag / Last-Modified)."""
    concurrency: int = Field(8, ge=1, le=256)
    """Sites crawled at the same time (threads); the global limit on open requests."""
    host_delay_s: float = Field(1.0, ge=0.0)
    """Minimum seconds between two requests to the same host."""
    max_crawl_delay_s: float = Field(10.0, ge=0.0)
    """A robots.txt ``Crawl-delay`` is honoured up to this many seconds."""
    connect_timeout_s: float = Field(5.0, gt=0.0)
    read_timeout_s: float = Field(10.0, gt=0.0)
    """Longest wait for the next bytes of a response."""
    total_timeout_s: float = Field(30.0, gt=0.0)
    """Longest time to read one whole response (stops slow-drip servers)."""
    max_bytes: int = Field(2_000_000, ge=1_000)
    """A page is cut at this many (decoded) bytes; the text of the first part is kept."""
    max_redirects: int = Field(5, ge=0, le=20)
    retries: int = Field(2, ge=0, le=10)
    """Extra attempts after a 429, a 5xx or a dropped connection."""
    backoff_s: float = Field(1.0, ge=0.0)
    """First back-off delay; doubled at each retry."""
    max_retry_after_s: float = Field(60.0, ge=0.0)
    """A ``Retry-After`` up to this long is waited for; a longer one ends the attempts (the
    page is retried on the next run) rather than coming back sooner than asked."""
    max_text_chars: int = Field(20_000, ge=100)
    """Website text kept per company."""

    def user_agent_string(self) -> str:
        """The User-Agent sent with every request."""
        if self.user_agent:
            return self.user_agent
        contact = f" (+{self.contact})" if self.contact else ""
        return f"{PRODUCT}/{__version__}{contact}"


class AccountsSettings(_Section):
    """The Companies House accounts reader."""

    max_member_bytes: int = Field(50_000_000, ge=1_000)
    """A zip member larger than this (uncompressed) is reported and skipped."""
    max_text_chars: int = Field(5_000, ge=100)
    """Principal-activities text kept per filing."""
    chunk_rows: int = Field(20_000, ge=100)
    """Period rows buffered before they are written to the history file."""


def crawl_settings() -> CrawlSettings:
    """The crawl section of the process-wide settings, or the defaults."""
    from clusters.config import get_settings

    section = getattr(get_settings(), "crawl", None)
    return section if isinstance(section, CrawlSettings) else CrawlSettings()


def accounts_settings() -> AccountsSettings:
    """The accounts section of the process-wide settings, or the defaults."""
    from clusters.config import get_settings

    section = getattr(get_settings(), "accounts", None)
    return section if isinstance(section, AccountsSettings) else AccountsSettings()

"""robots.txt: fetched once per origin, parsed with ``protego``, cached in memory and in the
crawl store.

Policy (RFC 9309):

- **2xx**: the file's rules apply to the product token ``robots_agent``; a ``Crawl-delay``
  (or ``Request-rate``) lengthens the host's politeness delay, capped at
  ``max_crawl_delay_s``.
- **4xx** (404, 401, 403, 410...) or more than 5 redirects: no robots.txt, everything
  allowed (RFC 9309 2.3.1.3).
- **Unreachable** - 429, 5xx, timeout, connection error: with ``robots_unreachable =
  "disallow"`` (the default, RFC 9309 2.3.1.4) no page of the origin is fetched in this run
  and its pages are recorded as ``robots_unreachable`` - or as ``connection_error`` /
  ``timeout`` when the host gave no HTTP answer at all (a dead domain is reported as such);
  all are retried next run. With ``"allow"`` the origin is crawled as if it had no
  robots.txt.
- A fetched robots.txt is reused from the store for ``robots_max_age_hours`` (24 h by
  default); an unreachable one is never reused across runs.
- The file is read up to 500 KiB (the minimum RFC 9309 asks parsers to handle).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urljoin

from protego import Protego

from clusters.acquire.crawl_store import CrawlStore, RobotsRecord
from clusters.acquire.fetch import Fetcher, Outcome, origin, utc_now
from clusters.acquire.settings import CrawlSettings

logger = logging.getLogger(__name__)

MAX_ROBOTS_BYTES = 512_000
MAX_ROBOTS_REDIRECTS = 5


@dataclass(frozen=True)
class RobotsRules:
    """The parsed robots.txt of one origin."""

    origin: str
    state: str
    """``ok`` (rules from a file), ``missing`` (allow all) or ``unreachable``."""
    parser: Protego | None = None
    http_status: int | None = None
    error: str | None = None
    failure: Outcome | None = None
    """For an unreachable robots.txt that got no HTTP answer: the network failure
    (``connection_error``, ``timeout``), reported for the site's pages instead of
    ``robots_unreachable``."""

    def crawl_delay(self, agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(agent)
        rate = self.parser.request_rate(agent)
        if rate is not None and rate.requests:
            delay = max(delay or 0.0, rate.seconds / rate.requests)
        return float(delay) if delay else None


def _parse(body: str) -> Protego | None:
    try:
        return Protego.parse(body)
    except Exception as exc:  # protego is lenient; never let a strange file stop a crawl
        logger.debug("robots.txt not parseable: %s", exc)
        return None


class RobotsCache:
    """Answers "may this URL be fetched?" for the fetcher (see :class:`~.fetch.RobotsPolicy`)."""

    def __init__(
        self,
        fetcher: Fetcher,
        settings: CrawlSettings,
        store: CrawlStore | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.settings = settings
        self.store = store
        self._rules: dict[str, RobotsRules] = {}
        self._lock = threading.Lock()
        self._origin_locks: dict[str, threading.Lock] = {}
        self.fetched = 0

    def check(self, url: str) -> Outcome | None:
        """None when ``url`` may be fetched, else why not."""
        rules = self.rules(origin(url))
        if rules.state == "unreachable":
            if self.settings.robots_unreachable == "disallow":
                return rules.failure or Outcome.ROBOTS_UNREACHABLE
            return None
        if rules.parser is None:
            return None
        if not rules.parser.can_fetch(url, self.settings.robots_agent):
            return Outcome.ROBOTS_DISALLOWED
        return None

    def rules(self, site_origin: str) -> RobotsRules:
        """The rules of an origin, fetching robots.txt at most once per run."""
        with self._lock:
            cached = self._rules.get(site_origin)
            if cached is not None:
                return cached
            lock = self._origin_locks.setdefault(site_origin, threading.Lock())
        with lock:
            with self._lock:
                cached = self._rules.get(site_origin)
            if cached is not None:
                return cached
            rules = self._load(site_origin)
            delay = rules.crawl_delay(self.settings.robots_agent)
            if delay:
                host = site_origin.split("://", 1)[1]
                self.fetcher.gate.set_delay(host, min(delay, self.settings.max_crawl_delay_s))
            with self._lock:
                self._rules[site_origin] = rules
            return rules

    def _load(self, site_origin: str) -> RobotsRules:
        if self.store is not None:
            record = self.store.get_robots(site_origin)
            max_age = timedelta(hours=self.settings.robots_max_age_hours)
            if (
                record is not None
                and record.state != "unreachable"
                and utc_now() - record.fetched_at <= max_age
            ):
                return self._rules_from(record)
        record, failure = self._fetch(site_origin)
        if self.store is not None:
            self.store.put_robots(record)
        return self._rules_from(record, failure)

    def _rules_from(self, record: RobotsRecord, failure: Outcome | None = None) -> RobotsRules:
        parser = _parse(record.body) if record.state == "ok" and record.body else None
        return RobotsRules(
            origin=record.origin,
            state=record.state,
            parser=parser,
            http_status=record.http_status,
            error=record.error,
            failure=failure,
        )

    def _fetch(self, site_origin: str) -> tuple[RobotsRecord, Outcome | None]:
        self.fetched += 1
        url = f"{site_origin}/robots.txt"
        for _ in range(MAX_ROBOTS_REDIRECTS + 1):
            exchange = self.fetcher.exchange(
                url,
                max_bytes=MAX_ROBOTS_BYTES,
                want_body=lambda r: 200 <= r.status_code < 300,
            )
            status = exchange.status
            record = RobotsRecord(
                origin=site_origin, state="missing", fetched_at=utc_now(), http_status=status
            )
            if exchange.failure is not None:
                record.state, record.error = "unreachable", exchange.error
                no_answer = status is None or exchange.failure == Outcome.TIMEOUT
                return record, exchange.failure if no_answer else None
            assert status is not None
            if status in (301, 302, 303, 307, 308) and exchange.headers.get("Location"):
                url = urljoin(url, exchange.headers["Location"])
                continue
            if 200 <= status < 300:
                record.state = "ok"
                record.body = exchange.content.decode("utf-8", errors="replace")
            elif status == 429 or status >= 500:
                record.state, record.error = "unreachable", f"HTTP {status}"
            return record, None
        record.error = "more than 5 redirects"
        return record, None

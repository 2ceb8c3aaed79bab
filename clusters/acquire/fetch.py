"""A polite HTTP client for company websites, built on a pooled ``requests`` session.

Every request:

- names the product and the operator's contact in its ``User-Agent``;
- waits for its host's turn (:class:`HostGate`: at least ``host_delay_s`` between two
  requests to one host, longer when robots.txt asks with ``Crawl-delay`` or a server with
  ``Retry-After``), while the crawler's thread pool bounds the requests in flight overall;
- has connect and read timeouts and a total time limit for the whole body (so a server that
  drips one byte a second cannot hold a worker);
- streams the body and stops at ``max_bytes`` (the first part is kept: ``truncated``);
- is retried with exponential back-off after a 429, a 5xx or a dropped connection, waiting
  the server's ``Retry-After`` (seconds or HTTP date) when it gives one, up to
  ``max_retry_after_s`` - a longer one ends the attempts for this run instead of coming
  back earlier than asked;
- follows redirects itself, at most ``max_redirects``, only within the company's own site
  (same registrable domain, from the public-suffix list bundled with ``tldextract``, no
  network), and stops on a loop (a URL seen twice before: one repeat is allowed for the
  cookie-setting self-redirects some sites use); robots.txt is checked for every hop;
- reads the body only when it is HTML (``text/html`` or ``application/xhtml+xml``, or no
  content type and an HTML-looking start).

:meth:`Fetcher.fetch_page` returns a :class:`FetchResult` whose ``outcome`` is one of
:class:`Outcome`; nothing raises for a network or server problem.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Protocol
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import tldextract
import urllib3
from requests.adapters import HTTPAdapter

from clusters.acquire.settings import CrawlSettings

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = ("text/html", "application/xhtml+xml")
CHUNK = 65_536


class Outcome(StrEnum):
    """What became of one page."""

    OK = "ok"
    TRUNCATED = "truncated"
    """Fetched, cut at ``max_bytes``; the text of the first part is kept."""
    NOT_MODIFIED = "not_modified"
    """A conditional request answered 304; the stored text is kept."""
    ROBOTS_DISALLOWED = "robots_disallowed"
    ROBOTS_UNREACHABLE = "robots_unreachable"
    OFFSITE_REDIRECT = "offsite_redirect"
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    HTTP_ERROR = "http_error"
    NOT_HTML = "not_html"
    INVALID_URL = "invalid_url"

    @property
    def has_text(self) -> bool:
        """The page's text is available (fetched now or kept from before)."""
        return self in (Outcome.OK, Outcome.TRUNCATED, Outcome.NOT_MODIFIED)


def is_transient(outcome: str, http_status: int | None = None) -> bool:
    """A failure worth retrying on the next run even when its record is fresh: a timeout, a
    dropped connection, an unreachable robots.txt, or a 429/5xx that outlived the retries."""
    if outcome in (Outcome.TIMEOUT, Outcome.CONNECTION_ERROR, Outcome.ROBOTS_UNREACHABLE):
        return True
    return outcome == Outcome.HTTP_ERROR and http_status in RETRY_STATUSES


@dataclass
class FetchResult:
    """One page fetch, after redirects and retries."""

    url: str
    outcome: Outcome
    final_url: str | None = None
    http_status: int | None = None
    content: bytes = field(default=b"", repr=False)
    content_type: str | None = None
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    attempts: int = 0
    elapsed_s: float = 0.0
    redirects: list[str] = field(default_factory=list)

    @property
    def nbytes(self) -> int:
        return len(self.content)


class RobotsPolicy(Protocol):
    """What the fetcher asks before each request (see :mod:`clusters.acquire.robots`)."""

    def check(self, url: str) -> Outcome | None:
        """None when ``url`` may be fetched, else the outcome to record."""
        ...


# --- sites and URLs --------------------------------------------------------------------------

_EXTRACT_LOCK = threading.Lock()
_EXTRACT: tldextract.TLDExtract | None = None


def _extractor() -> tldextract.TLDExtract:
    global _EXTRACT
    with _EXTRACT_LOCK:
        if _EXTRACT is None:
            # The bundled public-suffix snapshot only: no network fetch, no cache directory.
            _EXTRACT = tldextract.TLDExtract(
                suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
            )
        return _EXTRACT


@lru_cache(maxsize=65_536)
def registrable_domain(host_or_url: str) -> str:
    """The registrable domain ("site") of a host or URL: ``www.acme.co.uk`` → ``acme.co.uk``.

    Hosts without a public suffix (IP addresses, ``localhost``) are their own site.

    >>> registrable_domain("https://shop.acme.co.uk/x"), registrable_domain("127.0.0.1:8080")
    ('acme.co.uk', '127.0.0.1')
    """
    host = urlsplit(host_or_url).hostname if "//" in host_or_url else host_or_url
    host = (host or "").split(":")[0].strip(".").lower() if "[" not in (host or "") else host
    if not host:
        return ""
    parts = _extractor()(host)
    return parts.top_domain_under_public_suffix or host


def normalise_url(value: object) -> str | None:
    """A website value from the company base as an absolute http(s) URL, or None.

    >>> normalise_url(" WWW.Acme.co.uk "), normalise_url("https://acme.example/about#team")
    ('http://www.acme.co.uk/', 'https://acme.example/about')
    >>> normalise_url("not a url") is None
    True
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or any(c.isspace() for c in text) or len(text) > 2000:
        return None
    if "://" not in text:
        text = "http://" + text.lstrip("/")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if "." not in host and host != "localhost":
        return None
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL (the unit robots.txt applies to)."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date).

    >>> parse_retry_after("120"), parse_retry_after("soon")
    (120.0, None)
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0)
    10.0
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


# --- politeness ------------------------------------------------------------------------------


class HostGate:
    """Spaces requests to each host: one slot per ``delay`` seconds, reserved in order.

    Thread-safe; a waiting thread sleeps outside the lock.
    """

    def __init__(
        self,
        delay: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.delay = delay
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}
        self._delays: dict[str, float] = {}

    def set_delay(self, host: str, delay: float) -> None:
        """Use ``delay`` (when longer than the default) between requests to ``host``."""
        with self._lock:
            self._delays[host] = max(self.delay, delay)

    def defer(self, host: str, seconds: float) -> None:
        """No request to ``host`` for the next ``seconds`` (a ``Retry-After``)."""
        with self._lock:
            until = self._clock() + seconds
            self._next[host] = max(self._next.get(host, 0.0), until)

    def wait(self, host: str) -> float:
        """Block until ``host`` may be contacted; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(host, 0.0))
            self._next[host] = slot + self._delays.get(host, self.delay)
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return max(wait, 0.0)


# --- the client ------------------------------------------------------------------------------


@dataclass
class _Exchange:
    """One request/response after retries (no redirect handling)."""

    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes = b""
    truncated: bool = False
    failure: Outcome | None = None
    error: str | None = None
    attempts: int = 0


def _is_html(content_type: str | None, head: bytes) -> bool:
    if content_type:
        return content_type.split(";")[0].strip().lower() in HTML_TYPES
    start = head.lstrip()[:200].lower()
    return start.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in start


def _wants_html_body(response: requests.Response) -> bool:
    """Read the body of a 200 whose content type is HTML (or missing: sniffed later)."""
    if response.status_code != 200:
        return False
    content_type = response.headers.get("Content-Type")
    return _is_html(content_type, b"") if content_type else True


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(",")[0].split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


class Fetcher:
    """Fetches pages politely; one instance is shared by all crawler threads.

    Args:
        settings: limits, delays and identity.
        gate: the per-host politeness gate (a new one from ``settings`` by default).
        session: a ``requests.Session`` (a pooled one by default).
    """

    def __init__(
        self,
        settings: CrawlSettings,
        gate: HostGate | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self.gate = gate or HostGate(settings.host_delay_s)
        if session is None:
            session = requests.Session()
            pool = max(10, settings.concurrency)
            adapter = HTTPAdapter(pool_connections=pool, pool_maxsize=pool, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        session.headers.update(
            {
                "User-Agent": settings.user_agent_string(),
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
                "Accept-Language": "en-GB,en;q=0.9",
            }
        )
        session.max_redirects = settings.max_redirects
        self.session = session

    def close(self) -> None:
        self.session.close()

    # -- one exchange, with retries --

    def _read_body(self, response: requests.Response, max_bytes: int) -> tuple[bytes, bool]:
        deadline = time.monotonic() + self.settings.total_timeout_s
        buffer = bytearray()
        raw = response.raw
        while True:
            chunk = raw.read1(CHUNK, decode_content=True)
            if not chunk:
                return bytes(buffer), False
            buffer += chunk
            if len(buffer) >= max_bytes:
                return bytes(buffer[:max_bytes]), True
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"body not complete after {self.settings.total_timeout_s:g}s "
                    f"({len(buffer):,} bytes read)"
                )

    def exchange(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        *,
        max_bytes: int | None = None,
        want_body: Callable[[requests.Response], bool] = lambda _r: True,
    ) -> _Exchange:
        """GET ``url`` once (no redirects followed), retrying 429/5xx and dropped connections."""
        settings = self.settings
        host = urlsplit(url).netloc.lower()
        max_bytes = max_bytes or settings.max_bytes
        result = _Exchange()
        while True:
            result.attempts += 1
            retry_left = result.attempts <= settings.retries
            backoff = settings.backoff_s * 2 ** (result.attempts - 1)
            self.gate.wait(host)
            try:
                response = self.session.get(
                    url,
                    headers=dict(headers or {}),
                    timeout=(settings.connect_timeout_s, settings.read_timeout_s),
                    allow_redirects=False,
                    stream=True,
                )
            except requests.exceptions.Timeout as exc:
                result.failure, result.error = Outcome.TIMEOUT, _short(exc)
                return result
            except (
                requests.exceptions.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                permanent = _unreachable(exc) or isinstance(exc, requests.exceptions.SSLError)
                if retry_left and not permanent:
                    self.gate.defer(host, backoff)
                    continue
                result.failure, result.error = Outcome.CONNECTION_ERROR, _short(exc)
                return result
            except (requests.exceptions.RequestException, ValueError) as exc:
                result.failure, result.error = Outcome.INVALID_URL, _short(exc)
                return result
            with response:
                result.status = response.status_code
                result.headers = response.headers
                if response.status_code in RETRY_STATUSES:
                    wait = parse_retry_after(response.headers.get("Retry-After"))
                    if wait is not None and wait > settings.max_retry_after_s:
                        result.failure = Outcome.HTTP_ERROR
                        result.error = (
                            f"HTTP {response.status_code}, Retry-After {wait:.0f}s is longer "
                            f"than max_retry_after_s"
                        )
                        return result
                    if retry_left:
                        self.gate.defer(host, wait if wait is not None else backoff)
                        continue
                if not want_body(response):
                    return result
                try:
                    result.content, result.truncated = self._read_body(response, max_bytes)
                except TimeoutError as exc:
                    result.failure, result.error = Outcome.TIMEOUT, str(exc)
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    timed_out = isinstance(exc, urllib3.exceptions.ReadTimeoutError | TimeoutError)
                    result.failure = Outcome.TIMEOUT if timed_out else Outcome.CONNECTION_ERROR
                    result.error = _short(exc)
                return result

    # -- a page, with redirects and robots --

    def fetch_page(
        self,
        url: str,
        *,
        site: str,
        robots: RobotsPolicy | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult:
        """Fetch an HTML page of the site ``site`` (a registrable domain).

        ``etag`` / ``last_modified`` make the first request conditional (``If-None-Match`` /
        ``If-Modified-Since``); a 304 gives :attr:`Outcome.NOT_MODIFIED`.
        """
        start = time.monotonic()
        result = FetchResult(url=url, outcome=Outcome.OK)
        chain = [url]
        current = url
        try:
            while True:
                if robots is not None:
                    refusal = robots.check(current)
                    if refusal is not None:
                        result.outcome, result.final_url = refusal, current
                        return result
                headers: dict[str, str] = {}
                if len(chain) == 1 and etag:
                    headers["If-None-Match"] = etag
                if len(chain) == 1 and last_modified:
                    headers["If-Modified-Since"] = last_modified
                exchange = self.exchange(current, headers, want_body=_wants_html_body)
                result.attempts += exchange.attempts
                result.http_status = exchange.status
                result.final_url = current
                if exchange.failure is not None:
                    result.outcome, result.error = exchange.failure, exchange.error
                    return result
                status = exchange.status or 0
                location = exchange.headers.get("Location")
                if status in REDIRECT_STATUSES and location:
                    target = _resolve(current, location)
                    if target is None:
                        result.outcome = Outcome.INVALID_URL
                        result.error = f"redirect to unusable location {location[:200]!r}"
                        return result
                    if registrable_domain(target) != site:
                        result.outcome, result.final_url = Outcome.OFFSITE_REDIRECT, target
                        result.error = f"redirect to another site: {target[:200]}"
                        return result
                    if chain.count(target) >= 2:  # once more is allowed: cookie checks
                        result.outcome, result.final_url = Outcome.REDIRECT_LOOP, target
                        result.error = f"redirect loop after {len(chain) - 1} redirect(s)"
                        return result
                    if len(chain) > self.settings.max_redirects:
                        result.outcome = Outcome.TOO_MANY_REDIRECTS
                        result.error = f"more than {self.settings.max_redirects} redirects"
                        return result
                    chain.append(target)
                    result.redirects.append(target)
                    current = target
                    continue
                return self._finish(result, exchange)
        finally:
            result.elapsed_s = time.monotonic() - start

    def _finish(self, result: FetchResult, exchange: _Exchange) -> FetchResult:
        status = exchange.status or 0
        headers = exchange.headers
        result.etag = headers.get("ETag")
        result.last_modified = headers.get("Last-Modified")
        if status == 304:
            result.outcome = Outcome.NOT_MODIFIED
            return result
        if status != 200:
            result.outcome = Outcome.HTTP_ERROR
            result.error = f"HTTP {status}"
            return result
        content_type = headers.get("Content-Type")
        result.content_type = content_type
        result.charset = _charset(content_type)
        if not _is_html(content_type, exchange.content[:512]):
            result.outcome = Outcome.NOT_HTML
            result.error = f"content type {content_type or 'missing'}"
            result.content = b""
            return result
        result.content = exchange.content
        result.outcome = Outcome.TRUNCATED if exchange.truncated else Outcome.OK
        return result


def _resolve(base: str, location: str) -> str | None:
    try:
        target = urljoin(base, location.strip())
        parts = urlsplit(target)
        _ = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def _unreachable(exc: BaseException) -> bool:
    """The host does not resolve or refuses connections: retrying now will not help."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if id(item) in seen or item is None:
            continue
        seen.add(id(item))
        if isinstance(item, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
            return True
        if isinstance(item, BaseException):
            stack += [item.__cause__, item.__context__, *item.args]
        stack.append(getattr(item, "reason", None))
    return False


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 300 else text[:297] + "..."


def utc_now() -> datetime:
    """The current time, UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)

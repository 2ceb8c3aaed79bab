"""The crawl store: one SQLite file that makes crawls resumable and incremental.

Tables:

- ``pages``: one row per URL - ``outcome`` (:class:`~.fetch.Outcome`), ``http_status``,
  ``final_url``, ``fetched_at`` (UTC, when last fetched or revalidated), ``content_hash``
  (sha256 of the body), ``bytes``, ``error``, ``etag``, ``last_modified``, ``content_type``,
  ``encoding``, ``lang``, the extracted ``title``, ``description`` and ``text`` (blocks,
  one per line), the page's ``links`` (JSON) for link discovery without a re-fetch,
  ``attempts``, ``elapsed_s`` and the ``extractor_version`` that produced the text.
- ``robots``: one row per origin - ``state`` (ok / missing / unreachable), ``http_status``,
  ``body``, ``fetched_at``, ``error``.
- ``companies``: one row per company - the ``website`` as given, the ``home_url`` crawled,
  ``status``, ``fetched_at``, the combined ``text``, ``lang``, the ``pages`` used (JSON)
  and an ``error``.

Every write is its own transaction in WAL mode, so a killed crawl loses at most the page
in flight; the next run reads what is there and continues. One connection is shared by the
crawler's threads behind a lock (writes are small; the network is the bottleneck).

Example:
    >>> import tempfile, pathlib
    >>> store = CrawlStore(pathlib.Path(tempfile.mkdtemp()) / "crawl.sqlite")
    >>> store.put_page(PageRecord(url="https://acme.example/", site="acme.example", outcome="ok"))
    >>> store.get_page("https://acme.example/").outcome
    'ok'
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

from clusters.acquire.extract import Link

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    outcome TEXT NOT NULL,
    http_status INTEGER,
    final_url TEXT,
    fetched_at TEXT NOT NULL,
    content_hash TEXT,
    bytes INTEGER,
    error TEXT,
    etag TEXT,
    last_modified TEXT,
    content_type TEXT,
    encoding TEXT,
    lang TEXT,
    title TEXT,
    description TEXT,
    text TEXT,
    links TEXT,
    attempts INTEGER,
    elapsed_s REAL,
    extractor_version TEXT
);
CREATE INDEX IF NOT EXISTS pages_site ON pages (site);
CREATE TABLE IF NOT EXISTS robots (
    origin TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    http_status INTEGER,
    body TEXT,
    fetched_at TEXT NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS companies (
    company_id TEXT PRIMARY KEY,
    website TEXT,
    home_url TEXT,
    status TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    text TEXT,
    lang TEXT,
    pages TEXT,
    error TEXT
);
"""


def _to_iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="seconds")


def _from_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class PageRecord:
    """A row of ``pages``."""

    url: str
    site: str
    outcome: str
    http_status: int | None = None
    final_url: str | None = None
    fetched_at: datetime = field(default_factory=_now)
    content_hash: str | None = None
    bytes: int | None = None
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    encoding: str | None = None
    lang: str | None = None
    title: str | None = None
    description: str | None = None
    text: str | None = None
    links: list[Link] = field(default_factory=list)
    attempts: int | None = None
    elapsed_s: float | None = None
    extractor_version: str | None = None


@dataclass
class RobotsRecord:
    """A row of ``robots``."""

    origin: str
    state: str
    fetched_at: datetime = field(default_factory=_now)
    http_status: int | None = None
    body: str | None = None
    error: str | None = None


@dataclass
class CompanyRecord:
    """A row of ``companies``."""

    company_id: str
    status: str
    fetched_at: datetime = field(default_factory=_now)
    website: str | None = None
    home_url: str | None = None
    text: str | None = None
    lang: str | None = None
    pages: list[str] = field(default_factory=list)
    error: str | None = None


_PAGE_COLUMNS = [f.name for f in fields(PageRecord)]
_ROBOTS_COLUMNS = [f.name for f in fields(RobotsRecord)]
_COMPANY_COLUMNS = [f.name for f in fields(CompanyRecord)]


class CrawlStore:
    """The SQLite crawl store (created on first use)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=30.0
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
            (SCHEMA_VERSION,),
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> CrawlStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- generic --

    def _put(self, table: str, columns: list[str], values: list[object]) -> None:
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        with self._lock:
            self._db.execute(sql, values)

    def _get(self, table: str, columns: list[str], key: str, value: str) -> tuple | None:
        sql = f"SELECT {', '.join(columns)} FROM {table} WHERE {key} = ?"
        with self._lock:
            return self._db.execute(sql, (value,)).fetchone()

    # -- pages --

    def put_page(self, record: PageRecord) -> None:
        values = [getattr(record, name) for name in _PAGE_COLUMNS]
        values[_PAGE_COLUMNS.index("fetched_at")] = _to_iso(record.fetched_at)
        values[_PAGE_COLUMNS.index("links")] = json.dumps(
            [[link.url, link.text] for link in record.links], ensure_ascii=False
        )
        self._put("pages", _PAGE_COLUMNS, values)

    def get_page(self, url: str) -> PageRecord | None:
        row = self._get("pages", _PAGE_COLUMNS, "url", url)
        return None if row is None else self._page(row)

    @staticmethod
    def _page(row: tuple) -> PageRecord:
        data = dict(zip(_PAGE_COLUMNS, row, strict=True))
        data["fetched_at"] = _from_iso(data["fetched_at"])
        data["links"] = [Link(u, t) for u, t in json.loads(data["links"] or "[]")]
        return PageRecord(**data)

    def pages(self, site: str | None = None) -> list[PageRecord]:
        """All stored pages (of one site)."""
        sql = f"SELECT {', '.join(_PAGE_COLUMNS)} FROM pages"
        args: tuple = ()
        if site is not None:
            sql, args = sql + " WHERE site = ?", (site,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY url", args).fetchall()
        return [self._page(row) for row in rows]

    # -- robots --

    def put_robots(self, record: RobotsRecord) -> None:
        values = [getattr(record, name) for name in _ROBOTS_COLUMNS]
        values[_ROBOTS_COLUMNS.index("fetched_at")] = _to_iso(record.fetched_at)
        self._put("robots", _ROBOTS_COLUMNS, values)

    def get_robots(self, site_origin: str) -> RobotsRecord | None:
        row = self._get("robots", _ROBOTS_COLUMNS, "origin", site_origin)
        if row is None:
            return None
        data = dict(zip(_ROBOTS_COLUMNS, row, strict=True))
        data["fetched_at"] = _from_iso(data["fetched_at"])
        return RobotsRecord(**data)

    # -- companies --

    def put_company(self, record: CompanyRecord) -> None:
        values = [getattr(record, name) for name in _COMPANY_COLUMNS]
        values[_COMPANY_COLUMNS.index("fetched_at")] = _to_iso(record.fetched_at)
        values[_COMPANY_COLUMNS.index("pages")] = json.dumps(record.pages)
        self._put("companies", _COMPANY_COLUMNS, values)

    def put_companies(self, records: Iterable[CompanyRecord]) -> None:
        for record in records:
            self.put_company(record)

    def get_company(self, company_id: str) -> CompanyRecord | None:
        found = self.companies([company_id])
        return found.get(company_id)

    def companies(self, company_ids: Iterable[str]) -> dict[str, CompanyRecord]:
        """Stored company rows for the given ids (queried in batches)."""
        ids = list(dict.fromkeys(company_ids))
        out: dict[str, CompanyRecord] = {}
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            marks = ", ".join("?" for _ in batch)
            sql = (
                f"SELECT {', '.join(_COMPANY_COLUMNS)} FROM companies WHERE company_id IN ({marks})"
            )
            with self._lock:
                rows = self._db.execute(sql, batch).fetchall()
            for row in rows:
                data = dict(zip(_COMPANY_COLUMNS, row, strict=True))
                data["fetched_at"] = _from_iso(data["fetched_at"])
                data["pages"] = json.loads(data["pages"] or "[]")
                out[data["company_id"]] = CompanyRecord(**data)
        return out

    def iter_companies(self) -> Iterator[CompanyRecord]:
        with self._lock:
            ids = [row[0] for row in self._db.execute("SELECT company_id FROM companies")]
        yield from self.companies(ids).values()

    def count(self, table: str) -> int:
        if table not in ("pages", "robots", "companies"):
            raise ValueError(table)
        with self._lock:
            return int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

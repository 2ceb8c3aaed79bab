"""Website text of an already-crawled URL, read from the crawl store (never fetched).

A request item may give ``url`` instead of text: the service looks the URL up in the crawl
store written by ``clusters ingest websites`` (:mod:`clusters.acquire.crawl_store`), first
as a company's website (the combined text of its pages, what the batch job joins on as
``website_text``), then as a single page. The store is opened read-only: the API never
writes to it, and never makes an outgoing request.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

logger = logging.getLogger(__name__)


class CrawlLookupError(LookupError):
    """The URL has no crawled text (or there is no crawl store)."""


def _candidates(url: str) -> list[str]:
    url = url.strip()
    bare = url.rstrip("/")
    out = [url, bare, bare + "/"]
    if "://" not in url:
        out += [f"{scheme}://{bare}{end}" for scheme in ("https", "http") for end in ("/", "")]
    return list(dict.fromkeys(out))


class CrawledText:
    """Read-only URL → text lookups in a crawl store file (opened on first use)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            if not self.path.is_file():
                raise CrawlLookupError(
                    f"no crawl store at {self.path}: crawl the websites first "
                    "(`clusters ingest websites`) or send the text itself"
                )
            self._db = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
        return self._db

    def text_of(self, url: str) -> str:
        """The crawled text of ``url`` (a company website, else a single page).

        Raises:
            CrawlLookupError: not crawled, crawled without text, or no store.
        """
        candidates = _candidates(url)
        marks = ", ".join("?" for _ in candidates)
        with self._lock:
            db = self._connect()
            row = db.execute(
                f"SELECT text FROM companies WHERE (home_url IN ({marks}) OR website IN ({marks}))"
                " AND text IS NOT NULL AND text != '' ORDER BY fetched_at DESC LIMIT 1",
                candidates + candidates,
            ).fetchone()
            if row is None:
                row = db.execute(
                    f"SELECT text FROM pages WHERE url IN ({marks})"
                    " AND text IS NOT NULL AND text != '' ORDER BY fetched_at DESC LIMIT 1",
                    candidates,
                ).fetchone()
        if row is None:
            raise CrawlLookupError(f"no crawled text for {url!r} in the crawl store")
        return row[0]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

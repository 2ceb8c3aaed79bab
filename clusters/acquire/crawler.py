"""The website crawl: companies' home pages and the few pages that say what they do.

For each distinct home URL (companies sharing a website are crawled once):

1. the home page is fetched (or read from the store while fresh, see below);
2. its links are ranked (:func:`rank_links`): same site only, no files, no fragments, no
   log-in/basket/legal/careers/news pages; points for words in the anchor text and the URL
   path that name what a company does (about, who we are, what we do, services, products,
   solutions, sectors, industries, capabilities, technology...), fewer for deep paths;
   the best ``max_pages - 1`` are fetched;
3. the pages' texts are combined by :func:`~clusters.acquire.extract.site_text` and stored
   for every company of that website, with a status (``ok``, ``no_text``, or the home
   page's failure: ``robots_disallowed``, ``timeout``, ``offsite_redirect``...).

**Resumable and incremental.** A page or company stored less than ``max_age_days`` ago is
*fresh* and not fetched again (a failure that may be temporary - timeout, dropped
connection, unreachable robots.txt, 429/5xx - is never fresh). A killed crawl therefore
continues where it stopped; pages it had finished are not requested again. An older page
is revalidated with a conditional request (``If-None-Match`` / ``If-Modified-Since``) and a
304 keeps its stored text.

**Concurrency.** ``concurrency`` worker threads each crawl one site at a time; together with
the per-host gate of :class:`~clusters.acquire.fetch.Fetcher` this bounds both the requests
in flight overall and the rate at any one host.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

from tqdm import tqdm

from clusters.acquire.crawl_store import CompanyRecord, CrawlStore, PageRecord
from clusters.acquire.extract import (
    EXTRACTOR_VERSION,
    Link,
    PageText,
    extract_page,
    site_text,
)
from clusters.acquire.fetch import (
    Fetcher,
    Outcome,
    is_transient,
    normalise_url,
    registrable_domain,
    utc_now,
)
from clusters.acquire.robots import RobotsCache
from clusters.acquire.settings import CrawlSettings

logger = logging.getLogger(__name__)

# --- link discovery --------------------------------------------------------------------------

_GOOD_WORDS: dict[str, float] = {
    "about": 5,
    "about-us": 6,
    "aboutus": 6,
    "who-we-are": 6,
    "what-we-do": 6,
    "our-story": 4,
    "our-company": 4,
    "company": 2,
    "overview": 2,
    "services": 5,
    "service": 4,
    "our-services": 5,
    "products": 5,
    "product": 4,
    "our-products": 5,
    "solutions": 5,
    "solution": 4,
    "sectors": 4,
    "industries": 4,
    "markets": 3,
    "capabilities": 4,
    "expertise": 3,
    "technology": 3,
    "technologies": 3,
    "applications": 2,
    "specialisms": 3,
    "what-we-offer": 5,
    "how-we-help": 3,
    "our-work": 2,
    "innovation": 1,
    "research": 1,
}
_BAD_WORDS = {
    "contact",
    "contact-us",
    "login",
    "log-in",
    "signin",
    "sign-in",
    "register",
    "account",
    "my-account",
    "cart",
    "basket",
    "checkout",
    "privacy",
    "privacy-policy",
    "cookie",
    "cookies",
    "cookie-policy",
    "terms",
    "legal",
    "disclaimer",
    "careers",
    "jobs",
    "vacancies",
    "news",
    "blog",
    "press",
    "events",
    "faq",
    "faqs",
    "sitemap",
    "search",
    "tag",
    "category",
    "author",
    "feed",
    "wp-login",
    "wp-admin",
    "shop",
    "store",
}
_FILE_RE = re.compile(
    r"\.(?:pdf|jpe?g|png|gif|webp|svg|ico|zip|gz|rar|7z|docx?|xlsx?|pptx?|csv|mp[34]|mov|avi|"
    r"wav|css|js|json|xml|rss|txt|exe|dmg|apk)$",
    re.I,
)
_TOKEN_RE = re.compile(r"[a-z0-9]+")


def _phrases(text: str) -> set[str]:
    """Words and hyphen-joined 2-3 word phrases of a text or URL path, lower case."""
    words = _TOKEN_RE.findall(text.lower())
    out = set(words)
    for n in (2, 3):
        out.update("-".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return out


def score_link(link: Link) -> float:
    """How likely a link leads to a page that says what the company does (<= 0: never).

    >>> score_link(Link("https://acme.example/about-us/", "About Us"))
    22.0
    >>> score_link(Link("https://acme.example/contact/", "Contact"))
    0.0
    """
    parts = urlsplit(link.url)
    path = unquote(parts.path)
    if _FILE_RE.search(path):
        return 0.0
    segments = [s for s in path.split("/") if s]
    path_words = set().union(*(_phrases(s) for s in segments)) if segments else set()
    anchor_words = _phrases(link.text[:100])
    if (path_words | anchor_words) & _BAD_WORDS:
        return 0.0
    score = sum(w for k, w in _GOOD_WORDS.items() if k in path_words)
    score += sum(w for k, w in _GOOD_WORDS.items() if k in anchor_words)
    if score <= 0:
        return 0.0
    score -= max(0, len(segments) - 1) * 1.5
    if parts.query:
        score -= 2
    return max(score, 0.0)


def _same_page(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def rank_links(links: Sequence[Link], site: str, home_url: str, limit: int) -> list[str]:
    """The ``limit`` best links to follow from a home page (same site, best first)."""
    best: dict[str, float] = {}
    first_url: dict[str, str] = {}
    for link in links:
        if _same_page(link.url, home_url) or registrable_domain(link.url) != site:
            continue
        score = score_link(link)
        if score <= 0:
            continue
        key = link.url.rstrip("/")
        first_url.setdefault(key, link.url)
        best[key] = max(best.get(key, 0.0), score)
    ordered = sorted(best.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))
    return [first_url[key] for key, _ in ordered[:limit]]


# --- the report ------------------------------------------------------------------------------


@dataclass
class CrawlReport:
    """What a crawl did (printed by the CLI)."""

    companies: int = 0
    sites: int = 0
    sites_crawled: int = 0
    sites_fresh: int = 0
    """Sites whose every company was crawled within ``max_age_days``: not contacted."""
    invalid_urls: int = 0
    pages_fetched: int = 0
    pages_reused: int = 0
    """Fresh pages read from the store instead of the network."""
    not_modified: int = 0
    bytes: int = 0
    robots_fetched: int = 0
    page_outcomes: Counter[str] = field(default_factory=Counter)
    """Outcomes of the pages requested in this run."""
    company_status: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        return sum(n for o, n in self.page_outcomes.items() if not Outcome(o).has_text)

    def summary(self) -> list[str]:
        rate = self.pages_fetched / self.seconds if self.seconds else 0.0
        lines = [
            f"{self.companies:,} companies with a website, {self.sites:,} distinct sites: "
            f"{self.sites_crawled:,} crawled, {self.sites_fresh:,} fresh in the store "
            f"(skipped), {self.invalid_urls:,} unusable website values",
            f"requested {self.pages_fetched:,} pages ({self.bytes / 1e6:,.1f} MB) in "
            f"{self.seconds:,.1f}s ({rate:,.1f} pages/s); reused {self.pages_reused:,} fresh "
            f"pages; {self.not_modified:,} not modified (304); {self.robots_fetched:,} "
            f"robots.txt fetched",
        ]
        robots = self.page_outcomes.get(Outcome.ROBOTS_DISALLOWED, 0)
        unreachable = self.page_outcomes.get(Outcome.ROBOTS_UNREACHABLE, 0)
        lines.append(
            f"skipped by robots.txt: {robots:,} pages; robots.txt unreachable: "
            f"{unreachable:,} pages"
        )
        failures = {
            o: n
            for o, n in self.page_outcomes.items()
            if not Outcome(o).has_text
            and o not in (Outcome.ROBOTS_DISALLOWED, Outcome.ROBOTS_UNREACHABLE)
        }
        if failures:
            lines.append("failed pages by reason:")
            lines += [f"  {n:>9,}  {o}" for o, n in sorted(failures.items(), key=lambda kv: -kv[1])]
        if self.company_status:
            lines.append("companies by website status:")
            lines += [f"  {n:>9,}  {s}" for s, n in self.company_status.most_common()]
        return lines


# --- the crawler -----------------------------------------------------------------------------


@dataclass
class SiteResult:
    """The outcome of one website, shared by the companies that have it."""

    status: str
    fetched_at: datetime
    text: str | None = None
    lang: str | None = None
    pages: list[str] = field(default_factory=list)
    error: str | None = None


class Crawler:
    """Crawls company websites into a :class:`CrawlStore`.

    Args:
        settings: crawl settings.
        store: the crawl store (pages, robots files, company texts).
        fetcher: the HTTP client (a new :class:`Fetcher` by default).
        clock: the current UTC time (tests may move it).
    """

    def __init__(
        self,
        settings: CrawlSettings,
        store: CrawlStore,
        fetcher: Fetcher | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.store = store
        self.fetcher = fetcher or Fetcher(settings)
        self.robots = RobotsCache(self.fetcher, settings, store)
        self.clock = clock
        self.report = CrawlReport()
        self._lock = threading.Lock()

    # -- freshness --

    @property
    def _max_age(self) -> timedelta:
        return timedelta(days=self.settings.max_age_days)

    def _fresh_page(self, record: PageRecord) -> bool:
        if is_transient(record.outcome, record.http_status):
            return False
        if Outcome(record.outcome).has_text and record.extractor_version != EXTRACTOR_VERSION:
            return False
        return self.clock() - record.fetched_at < self._max_age

    def _fresh_company(self, record: CompanyRecord | None, home_url: str) -> bool:
        return (
            record is not None
            and record.home_url == home_url
            and not is_transient(record.status)
            and record.status != "error"
            and self.clock() - record.fetched_at < self._max_age
        )

    # -- pages --

    def _count(self, **increments: int) -> None:
        with self._lock:
            for name, value in increments.items():
                setattr(self.report, name, getattr(self.report, name) + value)

    def page(self, url: str, site: str) -> PageRecord:
        """A page of ``site``: the stored record while fresh, else fetched (conditionally
        when a stored text can be kept on 304)."""
        stored = self.store.get_page(url)
        if stored is not None and self._fresh_page(stored):
            self._count(pages_reused=1)
            return stored
        revalidate = (
            stored is not None
            and Outcome(stored.outcome).has_text
            and stored.extractor_version == EXTRACTOR_VERSION
        )
        result = self.fetcher.fetch_page(
            url,
            site=site,
            robots=self.robots,
            etag=stored.etag if revalidate and stored else None,
            last_modified=stored.last_modified if revalidate and stored else None,
        )
        now = self.clock()
        with self._lock:
            self.report.pages_fetched += 1
            self.report.bytes += result.nbytes
            self.report.page_outcomes[result.outcome] += 1
            if result.outcome == Outcome.NOT_MODIFIED:
                self.report.not_modified += 1
        if result.outcome == Outcome.NOT_MODIFIED and stored is not None:
            stored.outcome = Outcome.NOT_MODIFIED
            stored.http_status = result.http_status
            stored.fetched_at = now
            stored.etag = result.etag or stored.etag
            stored.last_modified = result.last_modified or stored.last_modified
            stored.attempts, stored.elapsed_s = result.attempts, result.elapsed_s
            stored.error = None
            self.store.put_page(stored)
            return stored
        record = PageRecord(
            url=url,
            site=site,
            outcome=result.outcome,
            http_status=result.http_status,
            final_url=result.final_url,
            fetched_at=now,
            bytes=result.nbytes,
            error=result.error,
            etag=result.etag,
            last_modified=result.last_modified,
            content_type=result.content_type,
            attempts=result.attempts,
            elapsed_s=round(result.elapsed_s, 3),
        )
        if result.outcome.has_text:
            page = extract_page(result.content, result.final_url or url, result.charset)
            record.content_hash = hashlib.sha256(result.content).hexdigest()
            record.encoding = page.encoding
            record.lang = page.lang
            record.title = page.title
            record.description = page.description
            record.text = page.text
            record.links = list(page.links)
            record.extractor_version = EXTRACTOR_VERSION
        self.store.put_page(record)
        return record

    # -- sites --

    def crawl_site(self, home_url: str) -> SiteResult:
        """Crawl one website (home page and the best internal pages)."""
        site = registrable_domain(home_url)
        home = self.page(home_url, site)
        if not Outcome(home.outcome).has_text:
            return SiteResult(
                status=str(home.outcome), fetched_at=home.fetched_at, error=home.error
            )
        records = [home]
        base = home.final_url or home_url
        for url in rank_links(home.links, site, base, self.settings.max_pages - 1):
            record = self.page(url, site)
            if Outcome(record.outcome).has_text and not _same_page(record.final_url or url, base):
                records.append(record)
        pages = [
            PageText(
                title=r.title or "",
                description=r.description or "",
                blocks=tuple((r.text or "").split("\n")) if r.text else (),
                lang=r.lang,
            )
            for r in records
        ]
        text = site_text(pages, self.settings.max_text_chars)
        return SiteResult(
            status="ok" if text.strip() else "no_text",
            fetched_at=home.fetched_at,
            text=text or None,
            lang=home.lang,
            pages=[r.url for r in records],
        )

    def _finish_site(
        self, home_url: str, members: list[tuple[str, str]], result: SiteResult
    ) -> None:
        records = [
            CompanyRecord(
                company_id=company_id,
                website=website,
                home_url=home_url,
                status=result.status,
                fetched_at=result.fetched_at,
                text=result.text,
                lang=result.lang,
                pages=result.pages,
                error=result.error,
            )
            for company_id, website in members
        ]
        self.store.put_companies(records)
        with self._lock:
            self.report.company_status[result.status] += len(members)

    def crawl(
        self, companies: Iterable[tuple[str, str]], progress: bool | None = False
    ) -> CrawlReport:
        """Crawl the websites of ``(company_id, website)`` pairs; returns the report.

        ``progress``: draw a bar; ``None`` draws one only when stderr is a terminal.

        Companies whose website value is not a usable URL get status ``invalid_url``.
        """
        started = time.monotonic()
        if not self.settings.contact and not self.settings.user_agent:
            logger.warning(
                "crawl.contact is not set: site owners cannot see how to reach you "
                "(set it in the settings file)"
            )
        sites: dict[str, list[tuple[str, str]]] = defaultdict(list)
        invalid: list[CompanyRecord] = []
        for company_id, website in companies:
            self.report.companies += 1
            home = normalise_url(website)
            if home is None:
                invalid.append(
                    CompanyRecord(
                        company_id=company_id,
                        website=website,
                        status=Outcome.INVALID_URL,
                        fetched_at=self.clock(),
                        error=f"not a usable URL: {str(website)[:100]!r}",
                    )
                )
            else:
                sites[home].append((company_id, website))
        self.report.invalid_urls = len(invalid)
        self.store.put_companies(invalid)
        if invalid:
            self.report.company_status[Outcome.INVALID_URL] += len(invalid)
        self.report.sites = len(sites)

        todo: list[tuple[str, list[tuple[str, str]]]] = []
        for home, members in sites.items():
            stored = self.store.companies([cid for cid, _ in members])
            if all(self._fresh_company(stored.get(cid), home) for cid, _ in members):
                self.report.sites_fresh += 1
                for cid, _ in members:
                    self.report.company_status[stored[cid].status] += 1
            else:
                todo.append((home, members))
        self.report.sites_crawled = len(todo)

        bar = tqdm(
            total=len(todo),
            unit="site",
            desc="websites",
            disable=None if progress is None else not progress,  # None: on a terminal only
            smoothing=0.1,
        )
        try:
            with ThreadPoolExecutor(
                max_workers=self.settings.concurrency, thread_name_prefix="crawl"
            ) as pool:
                pending: dict[Future[SiteResult], tuple[str, list[tuple[str, str]]]] = {}
                queue = iter(todo)
                limit = self.settings.concurrency * 2
                while True:
                    while len(pending) < limit:
                        item = next(queue, None)
                        if item is None:
                            break
                        pending[pool.submit(self.crawl_site, item[0])] = item
                    if not pending:
                        break
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        home, members = pending.pop(future)
                        try:
                            result = future.result()
                        except Exception as exc:  # a bug must not lose the whole crawl
                            logger.exception("crawling %s failed", home)
                            result = SiteResult(
                                status="error", fetched_at=self.clock(), error=repr(exc)[:300]
                            )
                        self._finish_site(home, members, result)
                        bar.update(1)
                        elapsed = time.monotonic() - started
                        bar.set_postfix(
                            pages_s=f"{self.report.pages_fetched / max(elapsed, 1e-9):.1f}",
                            errors=self.report.errors,
                            refresh=False,
                        )
        finally:
            bar.close()
            self.report.robots_fetched = self.robots.fetched
            self.report.seconds = time.monotonic() - started
        return self.report

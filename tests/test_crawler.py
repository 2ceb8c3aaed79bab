"""The website crawler against real HTTP servers on 127.0.0.1, one per test site.

Each server routes paths to small handlers; the sites cover robots.txt, redirects (off-site,
loop, too many), 503 then 200 with Retry-After, slow and dripping responses, a 50 MB page,
Latin-1 pages, a JavaScript-only page, hostile HTML, conditional requests, politeness and
the resume of a killed crawl. Each case asserts what the crawl store recorded.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clusters.acquire.crawl_store import CrawlStore
from clusters.acquire.crawler import Crawler
from clusters.acquire.fetch import Outcome, utc_now
from clusters.acquire.settings import CrawlSettings
from clusters.cli import app

SITES = Path(__file__).parent / "fixtures" / "websites"
ROOT = Path(__file__).resolve().parent.parent

Route = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    server: SiteServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.record(self)
        route = self.server.routes.get(self.path.split("?")[0]) or self.server.fallback
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            self.server.leave()

    def send(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        named = {name.replace("_", "-"): value for name, value in headers.items()}
        named.setdefault("Content-Type", "text/html; charset=utf-8")
        for name, value in named.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:  # keep test output quiet
        pass


class SiteServer(ThreadingHTTPServer):
    """One test site: path → handler, with a log of the requests it received."""

    daemon_threads = True

    def __init__(self, routes: dict[str, Route]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes = routes
        self.fallback: Route = lambda h: h.send(404, b"not found")
        self.hits: list[tuple[float, str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.shared: SiteServer | None = None  # counts concurrency across servers

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def record(self, handler: Handler) -> None:
        counter = self.shared or self
        with self.lock:
            self.hits.append((time.monotonic(), handler.path, dict(handler.headers)))
        with counter.lock:
            counter.in_flight += 1
            counter.max_in_flight = max(counter.max_in_flight, counter.in_flight)

    def leave(self) -> None:
        counter = self.shared or self
        with counter.lock:
            counter.in_flight -= 1

    def paths(self) -> list[str]:
        with self.lock:
            return [path for _, path, _ in self.hits]


@pytest.fixture
def serve() -> Iterator[Callable[[dict[str, Route]], SiteServer]]:
    servers: list[SiteServer] = []

    def start(routes: dict[str, Route]) -> SiteServer:
        server = SiteServer(routes)
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def static_site(folder: Path, robots: str | None = None) -> dict[str, Route]:
    routes: dict[str, Route] = {}
    for file in folder.rglob("index.html"):
        path = "/" + str(file.parent.relative_to(folder)).replace(".", "").strip("/")
        path = path.rstrip("/") + "/" if path != "/" else "/"
        body = file.read_bytes()
        routes[path] = lambda h, body=body: h.send(200, body)
    if robots is not None:
        routes["/robots.txt"] = lambda h: h.send(200, robots.encode(), Content_Type="text/plain")
    return routes


def html(body: str, title: str = "Test") -> bytes:
    return f"<!DOCTYPE html><html lang='en'><head><title>{title}</title></head><body>{body}</body></html>".encode()


def settings(**overrides: object) -> CrawlSettings:
    values: dict[str, object] = {
        "contact": "mailto:crawler-tests@example.org",
        "host_delay_s": 0.0,
        "connect_timeout_s": 1.0,
        "read_timeout_s": 0.5,
        "total_timeout_s": 1.5,
        "max_bytes": 1_000_000,
        "retries": 2,
        "backoff_s": 0.05,
        "max_retry_after_s": 2.0,
        "concurrency": 4,
    }
    values.update(overrides)
    return CrawlSettings(**values)


def crawl(
    tmp_path: Path, companies: list[tuple[str, str]], **overrides: object
) -> tuple[CrawlStore, Crawler]:
    store = CrawlStore(tmp_path / "crawl.sqlite")
    crawler = Crawler(settings(**overrides), store)
    crawler.crawl(companies)
    crawler.fetcher.close()
    return store, crawler


# --- a real small site: link discovery, robots, text -----------------------------------------


def test_site_follows_about_and_services_links_and_respects_robots(tmp_path, serve) -> None:
    robots = "User-agent: *\nDisallow: /private/\n\nUser-agent: company-clusters\nDisallow: /what-we-do/\n"
    site = serve(static_site(SITES / "acme-sensors", robots))
    store, crawler = crawl(tmp_path, [("01234567", site.url())])

    pages = {p.url: p for p in store.pages()}
    assert pages[site.url("/")].outcome == Outcome.OK
    assert pages[site.url("/about-us/")].outcome == Outcome.OK
    assert pages[site.url("/what-we-do/")].outcome == Outcome.ROBOTS_DISALLOWED
    assert site.url("/contact/") not in pages  # not a page that says what the company does
    assert "/what-we-do/" not in site.paths()  # disallowed: never requested
    assert site.paths().count("/robots.txt") == 1

    company = store.get_company("01234567")
    assert company.status == "ok" and company.lang == "en-gb"
    assert "miniature pressure transducers" in company.text
    assert "founded in 1987" in company.text
    assert "We use cookies" not in company.text and "Tyseley" not in company.text
    assert "thermocouple" not in company.text  # the disallowed page
    assert crawler.report.page_outcomes[Outcome.ROBOTS_DISALLOWED] == 1

    home = pages[site.url("/")]
    assert home.http_status == 200 and home.bytes > 0 and len(home.content_hash) == 64
    assert home.fetched_at is not None and home.error is None


def test_user_agent_names_product_and_contact(tmp_path, serve) -> None:
    site = serve({"/": lambda h: h.send(200, html("<p>We make things.</p>"))})
    crawl(tmp_path, [("01234567", site.url())])
    agents = {headers.get("User-Agent") for _, _, headers in site.hits}
    assert len(agents) == 1
    agent = agents.pop()
    assert agent.startswith("company-clusters/") and "mailto:crawler-tests@example.org" in agent


def test_robots_unreachable_is_disallow_by_default_and_allow_on_request(tmp_path, serve) -> None:
    routes = {
        "/robots.txt": lambda h: h.send(503, b"down"),
        "/": lambda h: h.send(200, html("<p>We make gears.</p>")),
    }
    site = serve(routes)
    store, _ = crawl(tmp_path, [("01234567", site.url())], retries=0)
    assert store.get_page(site.url()).outcome == Outcome.ROBOTS_UNREACHABLE
    assert store.get_company("01234567").status == Outcome.ROBOTS_UNREACHABLE
    assert site.paths() == ["/robots.txt"]

    store.close()
    store, _ = crawl(tmp_path, [("01234567", site.url())], retries=0, robots_unreachable="allow")
    assert store.get_page(site.url()).outcome == Outcome.OK  # unreachable: retried next run
    assert "We make gears." in store.get_company("01234567").text


def test_missing_robots_allows_everything(tmp_path, serve) -> None:
    site = serve({"/": lambda h: h.send(200, html("<p>We make gears.</p>"))})
    store, _ = crawl(tmp_path, [("01234567", site.url())])
    assert store.get_page(site.url()).outcome == Outcome.OK
    assert store.get_robots(site.url("").rstrip("/")).state == "missing"


# --- redirects -------------------------------------------------------------------------------


def test_redirects(tmp_path, serve) -> None:
    other = serve({"/": lambda h: h.send(200, html("<p>Other company.</p>"))})
    routes: dict[str, Route] = {
        "/offsite": lambda h: h.send(302, Location=other.url("/", host="localhost")),
        "/loop-a": lambda h: h.send(301, Location="/loop-b"),
        "/loop-b": lambda h: h.send(301, Location="/loop-a"),
        "/same-site": lambda h: h.send(301, Location="/final"),
        "/final": lambda h: h.send(200, html("<p>Arrived after a redirect.</p>")),
        "/cookie-check": lambda h: (
            h.send(200, html("<p>Cookie accepted.</p>"))
            if "seen=1" in h.headers.get("Cookie", "")
            else h.send(302, Location="/cookie-check", Set_Cookie="seen=1; Path=/")
        ),
    }
    for i in range(8):
        routes[f"/chain{i}"] = lambda h, i=i: h.send(302, Location=f"/chain{i + 1}")
    site = serve(routes)
    companies = [
        ("00000001", site.url("/offsite")),
        ("00000002", site.url("/loop-a")),
        ("00000003", site.url("/chain0")),
        ("00000004", site.url("/same-site")),
        ("00000005", site.url("/cookie-check")),
    ]
    store, _ = crawl(tmp_path, companies, max_redirects=5)

    offsite = store.get_page(site.url("/offsite"))
    assert offsite.outcome == Outcome.OFFSITE_REDIRECT
    assert offsite.final_url == other.url("/", host="localhost") and offsite.http_status == 302
    assert other.hits == []  # the other site was never contacted
    assert store.get_page(site.url("/loop-a")).outcome == Outcome.REDIRECT_LOOP
    assert store.get_page(site.url("/chain0")).outcome == Outcome.TOO_MANY_REDIRECTS
    assert site.paths().count("/chain6") == 0  # stopped after max_redirects
    same = store.get_page(site.url("/same-site"))
    assert same.outcome == Outcome.OK and same.final_url == site.url("/final")
    assert "Arrived after a redirect." in store.get_company("00000004").text
    assert store.get_company("00000001").status == Outcome.OFFSITE_REDIRECT
    assert "Cookie accepted." in store.get_company("00000005").text  # a self-redirect once is fine


# --- retries, timeouts, size -----------------------------------------------------------------


def test_503_then_200_honours_retry_after(tmp_path, serve) -> None:
    calls = {"n": 0}

    def flaky(h: Handler) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            h.send(503, b"busy", Retry_After="1")
        else:
            h.send(200, html("<p>Back in service.</p>"))

    site = serve({"/": flaky})
    store, _ = crawl(tmp_path, [("01234567", site.url())])
    page = store.get_page(site.url())
    assert page.outcome == Outcome.OK and page.http_status == 200 and page.attempts == 2
    times = [t for t, path, _ in site.hits if path == "/"]
    assert times[1] - times[0] >= 0.95  # waited the Retry-After second
    assert "Back in service." in store.get_company("01234567").text


def test_retries_give_up_and_long_retry_after_is_not_cut_short(tmp_path, serve) -> None:
    site = serve(
        {
            "/down": lambda h: h.send(503, b"down"),
            "/later": lambda h: h.send(429, b"slow down", Retry_After="3600"),
        }
    )
    store, crawler = crawl(
        tmp_path, [("00000001", site.url("/down")), ("00000002", site.url("/later"))]
    )
    down = store.get_page(site.url("/down"))
    assert (down.outcome, down.http_status, down.attempts) == (Outcome.HTTP_ERROR, 503, 3)
    later = store.get_page(site.url("/later"))
    assert (later.outcome, later.http_status, later.attempts) == (Outcome.HTTP_ERROR, 429, 1)
    assert "Retry-After 3600s" in later.error
    assert crawler.report.page_outcomes[Outcome.HTTP_ERROR] == 2


def test_slow_and_dripping_responses_time_out(tmp_path, serve) -> None:
    def slow(h: Handler) -> None:
        time.sleep(2.0)
        h.send(200, html("<p>Too late.</p>"))

    def drip(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.end_headers()
        for _ in range(40):
            h.wfile.write(b"<p>drip</p>")
            h.wfile.flush()
            time.sleep(0.1)

    site = serve({"/slow": slow, "/drip": drip})
    started = time.monotonic()
    store, _ = crawl(tmp_path, [("00000001", site.url("/slow")), ("00000002", site.url("/drip"))])
    assert time.monotonic() - started < 3.5
    slow_page = store.get_page(site.url("/slow"))
    assert slow_page.outcome == Outcome.TIMEOUT and slow_page.attempts == 1
    drip_page = store.get_page(site.url("/drip"))
    assert drip_page.outcome == Outcome.TIMEOUT and "body not complete" in drip_page.error
    assert store.get_company("00000001").status == Outcome.TIMEOUT


def test_50_mb_page_is_cut_at_the_size_limit(tmp_path, serve) -> None:
    sent = {"bytes": 0}

    def huge(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(50 * 1024 * 1024))
        h.end_headers()
        h.wfile.write(b"<html><body><p>We make very large pages.</p>")
        sent["bytes"] += 45
        filler = b"<p>filler filler filler filler filler filler filler filler</p>" * 1000
        while sent["bytes"] < 50 * 1024 * 1024:
            h.wfile.write(filler)
            sent["bytes"] += len(filler)

    site = serve({"/": huge})
    store, _ = crawl(tmp_path, [("01234567", site.url())], max_bytes=1_000_000)
    page = store.get_page(site.url())
    assert page.outcome == Outcome.TRUNCATED and page.bytes == 1_000_000
    assert sent["bytes"] < 20 * 1024 * 1024  # the client hung up long before 50 MB
    company = store.get_company("01234567")
    assert company.status == "ok" and company.text.startswith("Test") is False
    assert "We make very large pages." in company.text


def test_non_html_is_not_read(tmp_path, serve) -> None:
    site = serve({"/": lambda h: h.send(200, b"%PDF-1.4 ...", Content_Type="application/pdf")})
    store, _ = crawl(tmp_path, [("01234567", site.url())])
    page = store.get_page(site.url())
    assert page.outcome == Outcome.NOT_HTML and page.bytes == 0
    assert "application/pdf" in page.error


def test_http_error_and_unreachable_host(tmp_path, serve) -> None:
    site = serve({})
    dead = serve({})
    dead_url = dead.url()
    dead.shutdown()
    dead.server_close()
    store, _ = crawl(tmp_path, [("00000001", site.url("/missing")), ("00000002", dead_url)])
    missing = store.get_page(site.url("/missing"))
    assert (missing.outcome, missing.http_status) == (Outcome.HTTP_ERROR, 404)
    dead_company = store.get_company("00000002")
    assert dead_company.status == Outcome.CONNECTION_ERROR  # not "robots_unreachable"
    assert store.get_robots(dead_url.rstrip("/")).state == "unreachable"


# --- encodings and awkward HTML --------------------------------------------------------------


def test_latin1_pages_are_decoded(tmp_path, serve) -> None:
    text = "<p>Café équipement for the ovens of Bürgerhaus, £250 each.</p>"
    body = html(text).decode().encode("latin-1")
    meta = "<html><head><meta charset='windows-1252'></head><body>" + text + "</body></html>"
    plain = "<html><head><title>Boulangerie</title></head><body>" + text * 5 + "</body></html>"
    site = serve(
        {
            "/header": lambda h: h.send(200, body, Content_Type="text/html; charset=ISO-8859-1"),
            "/meta": lambda h: h.send(200, meta.encode("cp1252"), Content_Type="text/html"),
            "/guess": lambda h: h.send(200, plain.encode("cp1252"), Content_Type="text/html"),
        }
    )
    companies = [
        (f"0000000{i}", site.url(p)) for i, p in enumerate(["/header", "/meta", "/guess"], 1)
    ]
    store, _ = crawl(tmp_path, companies)
    for company_id, _url in companies:
        company = store.get_company(company_id)
        assert "Café équipement" in company.text and "£250" in company.text, company_id
    assert store.get_page(site.url("/header")).encoding == "cp1252"
    assert store.get_page(site.url("/meta")).encoding == "cp1252"


def test_javascript_only_page_has_no_text(tmp_path, serve) -> None:
    page = (
        "<html><head><title></title><script src='/app.js'></script></head><body>"
        "<div id='root'></div><noscript>You need to enable JavaScript to run this app.</noscript>"
        "<script>document.getElementById('root').innerHTML = '<p>We build rockets.</p>';</script>"
        "</body></html>"
    )
    site = serve({"/": lambda h: h.send(200, page.encode())})
    store, _ = crawl(tmp_path, [("01234567", site.url())])
    assert store.get_page(site.url()).outcome == Outcome.OK
    company = store.get_company("01234567")
    assert company.status == "no_text" and company.text is None


def test_hostile_html(tmp_path, serve) -> None:
    page = (
        "<html><head><title>Hostile</title>"
        f"<meta name='description' content='{'x' * 100}'>"
        "<body><div><p>We weld steel frames<script>var s = '</p><p>evil script text';</script>"
        " for agricultural buildings.<p>Unclosed paragraph about cranes"
        f"<div data-x='{'A' * 1_000_000}'>Huge attribute survived.</div>"
        "<p>The &lt;script&gt; tag is only text here.</p>"
        + "<div>" * 3000
        + "Deep nesting text."
        + "</div>" * 10
        + "<style>p{color:red}</style><p>Null\x00byte and tail.</p>"
    )
    site = serve({"/": lambda h: h.send(200, page.encode())})
    store, _ = crawl(tmp_path, [("01234567", site.url())], max_bytes=2_000_000)
    assert store.get_page(site.url()).outcome == Outcome.OK
    text = store.get_company("01234567").text
    assert "We weld steel frames" in text and "for agricultural buildings." in text
    assert "Unclosed paragraph about cranes" in text
    assert "Huge attribute survived." in text
    assert "The <script> tag is only text here." in text
    assert "evil script text" not in text and "color:red" not in text
    assert "AAAA" not in text


# --- politeness and concurrency --------------------------------------------------------------


def test_host_delay_spaces_requests(tmp_path, serve) -> None:
    site = serve(static_site(SITES / "acme-sensors"))
    crawl(tmp_path, [("01234567", site.url())], host_delay_s=0.2)
    times = sorted(t for t, _, _ in site.hits)
    assert len(times) == 4  # robots.txt, home, about-us, what-we-do
    assert all(b - a >= 0.17 for a, b in zip(times, times[1:], strict=False))


def test_global_concurrency_limit(tmp_path, serve) -> None:
    # Count requests inside the slow section only: a worker's next request may reach the
    # server a moment before the previous handler thread has returned after sending.
    lock = threading.Lock()
    state = {"now": 0, "most": 0}

    def slowish(h: Handler) -> None:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.15)
        with lock:
            state["now"] -= 1
        h.send(200, html("<p>Slow but fine.</p>"))

    sites = [serve({"/": slowish, "/robots.txt": lambda h: h.send(404)}) for _ in range(6)]
    companies = [(f"0000000{i}", s.url()) for i, s in enumerate(sites, 1)]
    store, _ = crawl(tmp_path, companies, concurrency=2)
    assert state["most"] == 2  # two sites at once, never more
    assert all(store.get_company(cid).status == "ok" for cid, _ in companies)


# --- incremental: freshness and conditional requests -----------------------------------------


def test_fresh_pages_are_skipped_and_stale_ones_revalidated_with_304(tmp_path, serve) -> None:
    etag = '"v1"'
    modified = "Wed, 01 May 2024 10:00:00 GMT"

    def page(h: Handler) -> None:
        if h.headers.get("If-None-Match") == etag:
            h.send(304, ETag=etag)
        else:
            h.send(200, html("<p>We mill flour.</p>"), ETag=etag, Last_Modified=modified)

    site = serve({"/": page})
    companies = [("01234567", site.url())]
    store = CrawlStore(tmp_path / "crawl.sqlite")
    first = Crawler(settings(), store)
    first.crawl(companies)
    stored = store.get_page(site.url())
    assert (stored.outcome, stored.etag, stored.last_modified) == (Outcome.OK, etag, modified)

    again = Crawler(settings(), store)
    again.crawl(companies)  # within max age: nothing requested
    assert again.report.sites_fresh == 1 and again.report.pages_fetched == 0
    assert site.paths().count("/") == 1

    later = Crawler(settings(), store, clock=lambda: utc_now() + timedelta(days=31))
    later.crawl(companies)
    conditional = [headers for _, path, headers in site.hits if path == "/"][-1]
    assert conditional.get("If-None-Match") == etag
    assert conditional.get("If-Modified-Since") == modified
    revalidated = store.get_page(site.url())
    assert revalidated.outcome == Outcome.NOT_MODIFIED and revalidated.http_status == 304
    assert revalidated.text == stored.text and revalidated.fetched_at > stored.fetched_at
    assert later.report.not_modified == 1
    company = store.get_company("01234567")
    assert company.status == "ok" and "We mill flour." in company.text
    store.close()


# --- resume after a killed crawl -------------------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import sys
    from clusters.acquire.crawl_store import CrawlStore
    from clusters.acquire.crawler import Crawler
    from clusters.acquire.settings import CrawlSettings
    port, db = int(sys.argv[1]), sys.argv[2]
    companies = [(f"{i:08d}", f"http://127.0.0.1:{port}/s{i}/") for i in range(1, 9)]
    settings = CrawlSettings(host_delay_s=0.0, concurrency=1, read_timeout_s=5)
    Crawler(settings, CrawlStore(db)).crawl(companies)
    """
)


def test_killed_crawl_resumes_without_refetching_done_pages(tmp_path, serve) -> None:
    def slow_page(body: bytes) -> Route:
        def route(h: Handler) -> None:
            time.sleep(0.15)
            h.send(200, body)

        return route

    routes: dict[str, Route] = {"/robots.txt": lambda h: h.send(200, b"User-agent: *\nAllow: /\n")}
    for i in range(1, 9):
        routes[f"/s{i}/"] = slow_page(
            html(f"<p>Site {i} home.</p><a href='/s{i}/about/'>About us</a>")
        )
        routes[f"/s{i}/about/"] = slow_page(html(f"<p>Site {i} is a foundry.</p>"))
    site = serve(routes)
    db = tmp_path / "crawl.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(site.port), str(db)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    done_before: set[str] = set()
    try:
        while time.monotonic() < deadline and len(done_before) < 5:
            time.sleep(0.05)
            if db.exists():
                try:
                    with sqlite3.connect(db, timeout=1) as con:
                        done_before = {r[0] for r in con.execute("SELECT url FROM pages")}
                except sqlite3.OperationalError:
                    continue
        assert child.poll() is None, "the crawl finished before it could be killed"
        child.kill()
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    killed_at = time.monotonic()
    with sqlite3.connect(db) as con:
        done_before = {r[0] for r in con.execute("SELECT url FROM pages")}
    assert 5 <= len(done_before) < 16

    store = CrawlStore(db)
    crawler = Crawler(settings(concurrency=2), store)
    crawler.crawl([(f"{i:08d}", site.url(f"/s{i}/")) for i in range(1, 9)])
    after = [path for t, path, _ in site.hits if t >= killed_at]
    assert not {site.url(p) for p in after} & done_before  # finished pages not requested again
    assert "/robots.txt" not in after  # the stored robots.txt is reused
    assert len(store.pages()) == 16
    assert crawler.report.pages_fetched == 16 - len(done_before)  # each remaining page once
    assert crawler.report.sites_fresh >= 1  # companies finished before the kill: skipped
    for i in range(1, 9):
        company = store.get_company(f"{i:08d}")
        assert company.status == "ok" and f"Site {i} is a foundry." in company.text
    store.close()


# --- the command ----------------------------------------------------------------------------


def test_ingest_websites_command(tmp_path, serve) -> None:
    servers = {
        name: serve(static_site(SITES / name))
        for name in ("greenfield-agri", "orbital-space", "medtech-devices")
    }
    base = pd.DataFrame(
        {
            "company_id": ["11111111", "22222222", "33333333", "44444444", "55555555", "66666666"],
            "name": [
                "GREENFIELD AGRITECH LTD",
                "ORBITAL DYNAMICS LTD",
                "MERIDIAN MEDICAL LTD",
                "NO SITE LTD",
                "BAD URL LTD",
                "GONE LTD",
            ],
            "website": [
                servers["greenfield-agri"].url(),
                servers["orbital-space"].url(),
                servers["medtech-devices"].url(),
                None,
                "not a url",
                servers["orbital-space"].url("/gone/"),
            ],
            "website_text": [None, None, None, "Text from elsewhere.", None, "Old text."],
        }
    )
    base_path = tmp_path / "base.parquet"
    base.to_parquet(base_path)
    output = tmp_path / "base_with_text.parquet"
    result = CliRunner().invoke(
        app,
        [
            "ingest",
            "websites",
            "--input",
            str(base_path),
            "--output",
            str(output),
            "--store",
            str(tmp_path / "crawl.sqlite"),
            "--host-delay",
            "0",
            "--no-progress",
            "--contact",
            "mailto:tests@example.org",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "5 companies with a website, 4 distinct sites: 4 crawled" in result.stdout
    assert "skipped by robots.txt: 0 pages" in result.stdout
    assert "1  http_error" in result.stdout
    assert "wrote 6 rows to" in result.stdout
    out = pd.read_parquet(output).set_index("company_id")
    assert list(out.columns) == [
        "name",
        "website",
        "website_text",
        "website_fetched_at",
        "website_status",
    ]
    assert out.loc["11111111", "website_status"] == "ok"
    text = out.loc["11111111", "website_text"]
    assert "wireless soil moisture sensors" in text and "Innovate UK grant" in text
    assert "SoilSense Probe" in text
    assert "Growing smarter since 2015" not in text  # repeated on every page: boilerplate
    assert "Sarah Okafor" in text and "Cereals 2023" not in text  # news page not followed
    assert "SaxaVord" in out.loc["22222222", "website_text"]
    medtech = out.loc["33333333", "website_text"]
    assert "veterinary distributors" in medtech and "Allow cookies" not in medtech
    assert "Special offer" not in medtech  # display:none
    assert pd.isna(out.loc["44444444", "website_status"])
    assert out.loc["44444444", "website_text"] == "Text from elsewhere."  # not crawled: kept
    assert out.loc["66666666", "website_status"] == "http_error"
    assert out.loc["66666666", "website_text"] == "Old text."  # a failed crawl keeps the text
    assert out.loc["55555555", "website_status"] == "invalid_url"
    assert str(out["website_fetched_at"].dtype) == "datetime64[us, UTC]"


def test_ingest_websites_accepts_a_url_list_and_reports_missing_columns(tmp_path, serve) -> None:
    site = serve({"/": lambda h: h.send(200, html("<p>We repair boats.</p>"))})
    urls = tmp_path / "urls.csv"
    urls.write_text(f"company_id,url\n1234567,{site.url()}\n")
    output = tmp_path / "out.parquet"
    args = [
        "ingest",
        "websites",
        "-i",
        str(urls),
        "-o",
        str(output),
        "--store",
        str(tmp_path / "c.sqlite"),
        "--host-delay",
        "0",
        "--no-progress",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = pd.read_parquet(output)
    assert out.loc[0, "website_text"].endswith("We repair boats.")

    bad = tmp_path / "bad.csv"
    bad.write_text("company_id,name\n01234567,ACME\n")
    result = CliRunner().invoke(app, [*args[:2], "-i", str(bad), *args[4:]])
    assert result.exit_code == 2
    assert "no website column" in result.output


def test_robots_crawl_delay_is_honoured_and_capped(tmp_path, serve) -> None:
    robots = "User-agent: *\nCrawl-delay: 0.3\n"
    site = serve(static_site(SITES / "orbital-space", robots))
    crawl(tmp_path, [("01234567", site.url())], max_crawl_delay_s=0.25)
    times = sorted(t for t, path, _ in site.hits if path != "/robots.txt")
    assert len(times) == 2  # home, solutions
    assert 0.22 <= times[1] - times[0] < 0.6  # the delay, capped at max_crawl_delay_s

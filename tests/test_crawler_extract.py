"""Page extraction, decoding, link ranking and the crawler's small helpers (no network)."""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path

import pytest

from clusters.acquire.crawler import rank_links, score_link
from clusters.acquire.extract import Link, PageText, decode_html, extract_page, site_text
from clusters.acquire.fetch import (
    HostGate,
    is_transient,
    normalise_url,
    parse_retry_after,
    registrable_domain,
)
from clusters.acquire.settings import CrawlSettings

SITES = Path(__file__).parent / "fixtures" / "websites"
TRUTH = {k: v for k, v in json.loads((SITES / "truth.json").read_text()).items() if k[0] != "_"}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


@pytest.mark.parametrize("key", sorted(TRUTH))
def test_every_annotated_content_sentence_is_kept(key: str) -> None:
    page = extract_page((SITES / key).read_bytes(), f"https://{key.split('/')[0]}.example/")
    text = _norm("\n".join([page.title, page.description, *page.blocks]))
    missing = [s for s in TRUTH[key]["content"] if _norm(s) not in text]
    assert missing == []


@pytest.mark.parametrize("site", sorted({k.split("/")[0] for k in TRUTH}))
def test_site_text_has_no_annotated_boilerplate(site: str) -> None:
    keys = sorted(k for k in TRUTH if k.startswith(site + "/"))
    keys.sort(key=lambda k: k != f"{site}/index.html")  # home page first
    pages = [extract_page((SITES / k).read_bytes(), f"https://{site}.example/") for k in keys]
    text = _norm(site_text(pages))
    leaked = [b for k in keys for b in TRUTH[k]["boilerplate"] if _norm(b) in text]
    assert leaked == []
    assert all(_norm(s) in text for k in keys for s in TRUTH[k]["content"])


def test_title_description_language_and_links() -> None:
    page = extract_page(
        (SITES / "acme-sensors" / "index.html").read_bytes(), "https://acme.example/"
    )
    assert page.title == "Acme Sensors | Precision pressure sensors for harsh environments"
    assert page.description.startswith("Acme Sensors designs and manufactures")
    assert page.lang == "en-gb"
    urls = {link.url: link.text for link in page.links}
    assert urls["https://acme.example/about-us/"] == "About Us"  # links come from the menu
    assert "https://www.linkedin.com/company/acme-sensors" in urls


def test_links_resolve_base_href_and_skip_non_pages() -> None:
    page = extract_page(
        b"<html><head><base href='https://acme.example/en/'></head><body>"
        b"<a href='about#team'>About</a><a href='mailto:a@b.c'>Mail</a><a href='tel:1'>Call</a>"
        b"<a href='javascript:void(0)'>JS</a><a href='#top'>Top</a><a href='/x' title='X page'></a>"
        b"</body></html>",
        "https://acme.example/",
    )
    assert [(link.url, link.text) for link in page.links] == [
        ("https://acme.example/en/about", "About"),
        ("https://acme.example/x", "X page"),
    ]


def test_article_header_is_content_but_page_header_is_not() -> None:
    page = extract_page(
        b"<body><header><p>Site banner</p></header><main><article><header><h1>Our mission</h1>"
        b"</header><p>We recycle batteries.</p></article></main>"
        b"<div class='entry-header'><h2>Entry title</h2></div></body>",
        "https://x.example/",
    )
    assert page.blocks == ("Our mission", "We recycle batteries.", "Entry title")


def test_class_rules_never_empty_the_page() -> None:
    page = extract_page(
        b"<body><div class='site menu-open'><p>We design drones for crop spraying.</p>"
        b"<div class='menu'><a href='/'>Home</a></div></div></body>",
        "https://x.example/",
    )
    assert page.blocks == ("We design drones for crop spraying.",)


def test_hidden_and_consent_elements_are_dropped() -> None:
    page = extract_page(
        b"<body><p>Visible.</p><p hidden>Hidden attr.</p><p aria-hidden='true'>Aria.</p>"
        b"<p style='display: none'>No display.</p><div id='CybotCookiebotDialog'>Consent</div>"
        b"<div role='navigation'>Nav role</div><ul class='breadcrumbs'><li>Home</li></ul></body>",
        "https://x.example/",
    )
    assert page.blocks == ("Visible.",)


@pytest.mark.parametrize(
    ("html", "lang"),
    [
        (b"<html lang='cy'><body>x</body></html>", "cy"),
        (b"<html xml:lang='en_GB'><body>x</body></html>", "en-gb"),
        (b"<html><head><meta http-equiv='Content-Language' content='fr, en'></head></html>", "fr"),
        (b"<html><head><meta property='og:locale' content='de_DE'></head></html>", "de-de"),
        (b"<html lang='not a language'><body>x</body></html>", None),
    ],
)
def test_language(html: bytes, lang: str | None) -> None:
    assert extract_page(html, "https://x.example/").lang == lang


@pytest.mark.parametrize(
    ("content", "declared", "text", "codec"),
    [
        ("Café £5".encode("latin-1"), "iso-8859-1", "Café £5", "cp1252"),
        ("Café €5".encode("cp1252"), "windows-1252", "Café €5", "cp1252"),
        ("Café".encode(), "ISO-8859-1", "Café", "utf-8"),  # mislabelled UTF-8
        (codecs.BOM_UTF8 + "Café".encode(), "iso-8859-1", "Café", "utf-8-sig"),
        (b'<meta charset="iso-8859-15">Caf\xe9 \xa4', None, "Café €", "iso8859-15"),
        ("Café".encode() + "é".encode()[:1], None, "Café", "utf-8"),  # cut mid-character
        ("café".encode("latin-1"), "ISO-8859-1", "café", "cp1252"),  # not a cut sequence
        ("café".encode("latin-1"), None, "café", "cp1252"),
        ("Zażółć gęślą jaźń, świętość. ".encode("cp1250") * 3, None, "Zażółć", "cp1250"),
        ("Привет, мир! Это тестовая страница. ".encode("cp1251") * 3, None, "Привет", "cp1251"),
        ("Zażółć gęślą jaźń".encode(), "no-such-charset", "Zażółć gęślą jaźń", "utf-8"),
    ],
)
def test_decode_html(content: bytes, declared: str | None, text: str, codec: str) -> None:
    decoded, used = decode_html(content, declared)
    assert text in decoded and used == codec


def test_site_text_drops_repeated_short_blocks_but_keeps_long_prose_once() -> None:
    long = " ".join(["We manufacture precision gears for wind turbines"] * 4)
    home = PageText(
        title="Gears", description="Gear maker", blocks=("Intro.", "Unit 5, Leeds", long)
    )
    about = PageText(description="Gear maker", blocks=("Founded 1950.", "Unit 5, Leeds", long))
    text = site_text([home, about])
    assert text.split("\n") == ["Gears", "Intro.", long, "Founded 1950."]
    assert site_text([home, about], max_chars=20) == "Gears\nIntro."
    assert site_text([]) == ""


def test_single_page_site_keeps_everything() -> None:
    page = PageText(title="T", blocks=("Unit 5, Leeds",))
    assert site_text([page]) == "T\nUnit 5, Leeds"


def test_score_and_rank_links() -> None:
    links = [
        Link("https://www.acme.co.uk/", "Home"),
        Link("https://www.acme.co.uk/about-us/", "About us"),
        Link("https://acme.co.uk/services", "Our services"),
        Link("https://www.acme.co.uk/about-us/team/jane-smith/", "Jane"),
        Link("https://www.acme.co.uk/products/brochure.pdf", "Products brochure"),
        Link("https://www.acme.co.uk/contact", "Contact us"),
        Link("https://www.acme.co.uk/blog/about-our-new-products", "News"),
        Link("https://other.co.uk/about", "About"),
        Link("https://www.acme.co.uk/sectors/?page=2", "Sectors"),
        Link("https://www.acme.co.uk/who-we-are", "Who we are"),
    ]
    ranked = rank_links(links, "acme.co.uk", "https://www.acme.co.uk/", 3)
    assert ranked == [
        "https://www.acme.co.uk/about-us/",
        "https://acme.co.uk/services",
        "https://www.acme.co.uk/who-we-are",
    ]
    assert score_link(Link("https://acme.co.uk/products/brochure.pdf", "Products")) == 0.0
    assert score_link(Link("https://acme.co.uk/privacy", "About our privacy")) == 0.0
    assert score_link(Link("https://acme.co.uk/random", "Click")) == 0.0


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("www.acme.co.uk", "http://www.acme.co.uk/"),
        ("HTTPS://Acme.Example/About", "https://acme.example/About"),
        ("acme.example:8080/x?y=1#z", "http://acme.example:8080/x?y=1"),
        ("", None),
        ("n/a", None),
        ("ftp://acme.example", None),
        ("acme .example", None),
        (None, None),
        ("http://[::1", None),
    ],
)
def test_normalise_url(value: object, url: str | None) -> None:
    assert normalise_url(value) == url


def test_registrable_domain_uses_bundled_suffix_list() -> None:
    assert registrable_domain("https://www.acme.co.uk/") == "acme.co.uk"
    assert registrable_domain("shop.acme.co.uk") == "acme.co.uk"
    assert registrable_domain("http://foo.github.io/") == "foo.github.io"  # private suffix
    assert registrable_domain("http://localhost:8000/") == "localhost"
    assert registrable_domain("http://127.0.0.1:8000/") == "127.0.0.1"


def test_parse_retry_after() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("later") is None


def test_host_gate_spaces_and_defers() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    gate = HostGate(1.0, clock=lambda: now[0], sleep=sleep)
    gate.wait("a")
    gate.wait("a")
    gate.wait("b")  # another host does not wait
    assert slept == [1.0]
    gate.set_delay("a", 5.0)
    gate.wait("a")
    assert slept == [1.0, 1.0] and now[0] == 2.0
    gate.wait("a")
    assert slept[-1] == 5.0
    gate.defer("b", 30.0)
    gate.wait("b")
    assert slept[-1] == pytest.approx(30.0)


def test_transient_outcomes() -> None:
    assert is_transient("timeout") and is_transient("http_error", 503)
    assert not is_transient("http_error", 404) and not is_transient("robots_disallowed")


def test_settings_user_agent() -> None:
    assert CrawlSettings().user_agent_string().startswith("company-clusters/")
    assert "(+mailto:x@y.z)" in CrawlSettings(contact="mailto:x@y.z").user_agent_string()
    assert CrawlSettings(user_agent="Custom/1").user_agent_string() == "Custom/1"

"""HTML → the visible text of a company web page, and of a company's site.

One page (:func:`extract_page`):

1. **Decoding** (:func:`decode_html`): a byte-order mark, else the charset declared in the
   HTTP header, else a ``<meta charset>`` / ``http-equiv`` declaration in the first 4 KB,
   else UTF-8 when the bytes are valid UTF-8, else ``charset-normalizer``'s guess (cp1252
   when it is about as plausible, see :data:`CP1252_MARGIN`), else cp1252. Latin-1 and ASCII declarations are read as cp1252 (as browsers do), and a page
   declared Latin-1 whose bytes are valid multi-byte UTF-8 is read as UTF-8 (a common
   server misconfiguration).
2. **Parsing** with beautifulsoup4 on lxml, which repairs unclosed tags and survives huge
   attributes and odd nesting.
3. **Kept first**: the title, the meta (or Open Graph) description, the language (``<html
   lang>``, ``xml:lang``, ``Content-Language`` meta or ``og:locale``) and the links with
   their anchor text (for link discovery: menus are where "About us" links live).
4. **Dropped**: ``script``, ``style``, ``noscript``, ``template``, ``svg``, embedded media,
   forms and their controls, ``nav``, ``aside``, ``dialog``; page-level ``header`` and
   ``footer`` (those not inside ``main``/``article``); elements whose ARIA role is
   navigation, banner, contentinfo, dialog, search, complementary or menu; hidden elements
   (``hidden``, ``aria-hidden="true"``, ``display:none``); and elements whose class or id
   words name boilerplate (cookie/consent/GDPR banners, newsletter and pop-up boxes,
   breadcrumbs, menus, nav bars, sidebars, headers, footers, share and skip links). A
   class/id rule never removes ``body``, an ancestor of ``main``/``article`` or an element
   holding most of the page's text (a theme that puts ``menu-open`` on its page wrapper
   must not empty the page).
5. **Blocks**: what remains of ``body`` is cut into lines at block-level elements and
   ``<br>``; whitespace is collapsed; lines without a letter are dropped, and a line
   repeated on the page is kept once.

A site (:func:`site_text`): the home page's title and description, then each page's
description and blocks in crawl order, where a block found on two or more of the site's
pages is boilerplate that escaped the tag rules (an address line, a strapline, a footer
built of ``div``\\ s) and is dropped - unless it is long prose (25 words or more), which is
kept once.

Why hand-written rather than ``trafilatura``: on the annotated test pages
(``tests/fixtures/websites/truth.json``, measured by ``scripts/bench_extract.py``) these
rules keep 100% of the content sentences with no boilerplate left at site level;
trafilatura (tuned for news articles) keeps 91% (95% with ``favor_recall``), dropping hero
sections, headings and product-card titles - the lines that say most about what a company
does - and it keeps hidden pop-ups. See that script for the numbers.

Example:
    >>> page = extract_page(
    ...     b"<html lang='en-GB'><head><title>Acme</title></head><body><nav>Home | About</nav>"
    ...     b"<p>We make sensors.</p><footer>(c) Acme</footer></body></html>",
    ...     "https://acme.example/",
    ... )
    >>> page.title, page.blocks, page.lang
    ('Acme', ('We make sensors.',), 'en-gb')
"""

from __future__ import annotations

import codecs
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin

import charset_normalizer
from bs4 import BeautifulSoup, NavigableString, PageElement, Tag
from bs4.element import PreformattedString

logger = logging.getLogger(__name__)

EXTRACTOR_VERSION = "1"
"""Bumped when the rules change the extracted text; stored pages of an older version are
fetched again in full (not conditionally) so their text can be re-extracted."""

MAX_LINKS = 500
CP1252_MARGIN = 0.1
"""An undeclared, non-UTF-8 page is read as cp1252 when charset-normalizer finds cp1252
within this much "chaos" of its best guess (on short pages it often prefers Mac or Central
European code pages that turn "é" into "ť")."""
LONG_BLOCK_WORDS = 25

_DROP_TAGS = [
    "head",
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "canvas",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "video",
    "audio",
    "map",
    "img",
    "picture",
    "source",
    "track",
    "form",
    "button",
    "select",
    "option",
    "optgroup",
    "input",
    "textarea",
    "label",
    "nav",
    "aside",
    "dialog",
    "menu",
]
_PAGE_LEVEL_TAGS = ("header", "footer")
_DROP_ROLES = {
    "navigation",
    "banner",
    "contentinfo",
    "dialog",
    "alertdialog",
    "search",
    "complementary",
    "menu",
    "menubar",
}
_BOILERPLATE_WORDS = {
    "cookie",
    "cookies",
    "cookiebanner",
    "cookieconsent",
    "consent",
    "gdpr",
    "cc",
    "cmp",
    "newsletter",
    "subscribe",
    "popup",
    "modal",
    "breadcrumb",
    "breadcrumbs",
    "navbar",
    "nav",
    "navigation",
    "menu",
    "sidebar",
    "footer",
    "header",
    "masthead",
    "share",
    "sharing",
    "social",
    "skip",
    "offcanvas",
}
_BOILERPLATE_PARTS = ("cookie", "consent", "gdpr")
"""Class/id words that contain these are boilerplate too (``CybotCookiebotDialog``)."""
# An element whose class/id has "header" but also one of these words is a content heading.
_CONTENT_WORDS = {"entry", "post", "article", "page", "section", "hero", "content", "main"}
_BLOCK_TAGS = [
    "address",
    "article",
    "blockquote",
    "body",
    "dd",
    "details",
    "dl",
    "dt",
    "div",
    "fieldset",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "caption",
    "center",
    "header",
    "footer",
]

_BLOCK_SET = frozenset(_BLOCK_TAGS)
_DROP_SET = frozenset(_DROP_TAGS)

_WORD_SPLIT_RE = re.compile(r"[\s_\-]+")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_SPACES_RE = re.compile(r"\s+")
_LETTER_RE = re.compile(r"[^\W\d_]")
_LANG_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")
_META_CHARSET_RE = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I
)
_WESTERN_SINGLE_BYTE = {"cp1252", "latin_1", "iso8859_1", "ascii"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Link:
    """A link found on a page: absolute URL (no fragment) and its anchor text."""

    url: str
    text: str


@dataclass(frozen=True)
class PageText:
    """What :func:`extract_page` keeps of one page."""

    title: str = ""
    description: str = ""
    blocks: tuple[str, ...] = ()
    """Lines of main text in page order, whitespace-normalised, each once."""
    lang: str | None = None
    links: tuple[Link, ...] = field(default=(), repr=False)
    encoding: str | None = None

    @property
    def text(self) -> str:
        """The blocks as one newline-separated text."""
        return "\n".join(self.blocks)


# --- decoding --------------------------------------------------------------------------------


def _codec_name(label: str | None) -> str | None:
    """The Python codec for a charset label, or None when unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "cp1252" if name.replace("-", "_") in _WESTERN_SINGLE_BYTE else name


def _strict_utf8(content: bytes) -> str | None:
    """``content`` as UTF-8 when it is valid UTF-8.

    A multi-byte sequence cut at the very end (a page cut at the size limit) is allowed when
    the rest holds multi-byte characters too; otherwise a final byte such as Latin-1 "é"
    would pass for the start of a cut sequence.
    """
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(content) - 3 and exc.reason == "unexpected end of data":
            text = content[: exc.start].decode("utf-8")
            if not text.isascii():
                return text
        return None


def decode_html(content: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode an HTML document; returns ``(text, codec used)``.

    >>> decode_html("café".encode("latin-1"), "ISO-8859-1")
    ('café', 'cp1252')
    >>> decode_html('<meta charset="windows-1252">£'.encode("cp1252"))[0][-1]
    '£'
    """
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return content.decode(codec, errors="replace"), codec
    meta = _META_CHARSET_RE.search(content[:4096])
    for label in (declared, meta.group(1).decode("ascii", "replace") if meta else None):
        codec = _codec_name(label)
        if codec is None:
            continue
        if codec == "cp1252" and not content[:65536].isascii():
            as_utf8 = _strict_utf8(content)
            if as_utf8 is not None and not as_utf8.isascii():
                return as_utf8, "utf-8"
        if codec.startswith("utf_16") or codec.startswith("utf_32"):
            continue  # a declared UTF-16 without a BOM is almost always a wrong label
        return content.decode(codec, errors="replace"), codec
    as_utf8 = _strict_utf8(content)
    if as_utf8 is not None:
        return as_utf8, "utf-8"
    sample = content[:200_000]
    best = charset_normalizer.from_bytes(sample).best()
    if (
        best is not None
        and best.encoding.startswith(("utf_16", "utf_32"))
        and b"\x00" not in sample
    ):
        best = None  # ASCII markup without NUL bytes is never UTF-16/32
    western = charset_normalizer.from_bytes(sample, cp_isolation=["cp1252"]).best()
    if western is not None and (best is None or western.chaos <= best.chaos + CP1252_MARGIN):
        return content.decode("cp1252", errors="replace"), "cp1252"  # commonest on UK sites
    if best is not None:
        codec = _codec_name(best.encoding) or "cp1252"
        return content.decode(codec, errors="replace"), codec
    return content.decode("cp1252", errors="replace"), "cp1252"


# --- one page --------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return _SPACES_RE.sub(" ", text).strip()


def _words(value: object) -> set[str]:
    """Lower-case words of a class or id value (split on spaces, -, _ and camelCase)."""
    if isinstance(value, list | tuple):
        value = " ".join(str(v) for v in value)
    if not isinstance(value, str) or not value or len(value) > 500:
        return set()
    value = _CAMEL_RE.sub(" ", value)
    return {w for w in _WORD_SPLIT_RE.split(value.lower()) if w}


def _meta_content(soup: BeautifulSoup, *names: str) -> str:
    for name in names:
        for attr in ("name", "property"):
            tag = soup.find("meta", attrs={attr: name})
            if isinstance(tag, Tag) and isinstance(tag.get("content"), str):
                text = _clean(tag["content"])
                if text:
                    return text[:1000]
    return ""


def _language(soup: BeautifulSoup) -> str | None:
    html = soup.find("html")
    candidates: list[object] = []
    if isinstance(html, Tag):
        candidates += [html.get("lang"), html.get("xml:lang")]
    meta = soup.find("meta", attrs={"http-equiv": re.compile("^content-language$", re.I)})
    if isinstance(meta, Tag):
        candidates.append(meta.get("content"))
    candidates.append(_meta_content(soup, "og:locale"))
    for value in candidates:
        if isinstance(value, str) and value.strip():
            lang = value.strip().split(",")[0].strip().lower().replace("_", "-")
            if _LANG_RE.match(lang):
                return lang
    return None


def _links(soup: BeautifulSoup, base_url: str) -> tuple[Link, ...]:
    base = soup.find("base", href=True)
    if isinstance(base, Tag) and isinstance(base["href"], str):
        base_url = urljoin(base_url, base["href"].strip())
    links: list[Link] = []
    seen: set[str] = set()
    for a in soup.find_all("a", href=True):
        href = a.get("href")
        if not isinstance(href, str) or len(href) > 2000:
            continue
        href = href.strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        try:
            url = urldefrag(urljoin(base_url, href)).url
        except ValueError:
            continue
        if not url.startswith(("http://", "https://")) or url in seen:
            continue
        seen.add(url)
        text = _clean(a.get_text(" "))
        for attr in ("title", "aria-label"):
            extra = a.get(attr)
            if isinstance(extra, str):
                text = f"{text} {_clean(extra)}".strip()
        links.append(Link(url, text[:200]))
        if len(links) >= MAX_LINKS:
            break
    return tuple(links)


def _is_boilerplate_by_name(tag: Tag) -> bool:
    words = _words(tag.get("class")) | _words(tag.get("id"))
    if not words:
        return False
    hits = words & _BOILERPLATE_WORDS
    if not hits and any(part in w for w in words for part in _BOILERPLATE_PARTS):
        return True
    if hits == {"header"} and words & _CONTENT_WORDS:
        return False
    return bool(hits)


def _is_hidden(tag: Tag) -> bool:
    if tag.has_attr("hidden") or str(tag.get("aria-hidden", "")).lower() == "true":
        return True
    style = tag.get("style")
    return isinstance(style, str) and len(style) < 2000 and bool(_HIDDEN_STYLE_RE.search(style))


def _remove_boilerplate(body: Tag) -> None:
    """Decompose the boilerplate elements of ``body`` (one iterative pass, then removal)."""
    total = len(body.get_text())
    doomed: list[Tag] = []
    stack: list[tuple[Tag, bool]] = [
        (child, False) for child in reversed(body.contents) if isinstance(child, Tag)
    ]
    while stack:
        tag, in_content = stack.pop()
        name = tag.name
        if name in _DROP_SET or (name in _PAGE_LEVEL_TAGS and not in_content):
            doomed.append(tag)
            continue
        role = str(tag.get("role", "")).lower()
        if role in _DROP_ROLES or _is_hidden(tag):
            doomed.append(tag)
            continue
        if (
            _is_boilerplate_by_name(tag)
            and tag.find(("main", "article")) is None
            and not (total and len(tag.get_text()) > 0.6 * total)
        ):
            doomed.append(tag)
            continue
        inside = in_content or name in ("main", "article")
        stack.extend((child, inside) for child in reversed(tag.contents) if isinstance(child, Tag))
    for tag in doomed:
        tag.decompose()


def _blocks(body: Tag) -> tuple[str, ...]:
    """Lines of text, cut at block-level elements and ``<br>`` (one iterative pass)."""
    lines: list[str] = []
    seen: set[str] = set()
    current: list[str] = []

    def flush() -> None:
        line = _clean("".join(current))
        current.clear()
        if line and _LETTER_RE.search(line) and line not in seen:
            seen.add(line)
            lines.append(line)

    stack: list[tuple[PageElement, bool]] = [(body, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            flush()
        elif isinstance(node, Tag):
            if node.name == "br":
                flush()
                continue
            if node.name in _BLOCK_SET:
                flush()
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            current.append(str(node))
    flush()
    return tuple(lines)


def extract_page(content: bytes | str, url: str, declared_charset: str | None = None) -> PageText:
    """The title, description, main-text blocks, language and links of one HTML page.

    Args:
        content: the page (bytes as received, or already decoded text).
        url: the page's final URL (resolves relative links).
        declared_charset: the charset from the HTTP ``Content-Type`` header, if any.
    """
    if isinstance(content, bytes):
        html, encoding = decode_html(content, declared_charset)
    else:
        html, encoding = content, None
    soup = BeautifulSoup(html, "lxml")
    title_tag = soup.find("title")
    title = _clean(title_tag.get_text()) if isinstance(title_tag, Tag) else ""
    title = title or _meta_content(soup, "og:title")
    description = _meta_content(soup, "description", "og:description", "twitter:description")
    lang = _language(soup)
    links = _links(soup, url)
    body = soup.find("body")
    if not isinstance(body, Tag):
        body = soup
    _remove_boilerplate(body)  # type: ignore[arg-type]
    return PageText(
        title=title[:500],
        description=description,
        blocks=_blocks(body),  # type: ignore[arg-type]
        lang=lang,
        links=links,
        encoding=encoding,
    )


# --- one site --------------------------------------------------------------------------------


def site_text(pages: Sequence[PageText], max_chars: int = 20_000) -> str:
    """One text for a company from its pages (home page first), without repeated boilerplate.

    >>> home = PageText(title="Acme", blocks=("We make sensors.", "Acme Ltd, Leeds"))
    >>> about = PageText(blocks=("Founded in 1987.", "Acme Ltd, Leeds"))
    >>> site_text([home, about])
    'Acme\\nWe make sensors.\\nFounded in 1987.'
    """
    if not pages:
        return ""
    counts: Counter[str] = Counter()
    if len(pages) > 1:
        for page in pages:
            counts.update(set(page.blocks) | ({page.description} if page.description else set()))
    lines: list[str] = []
    seen: set[str] = set()

    def add(line: str) -> None:
        if not line or line in seen:
            return
        if counts[line] > 1 and len(line.split()) < LONG_BLOCK_WORDS:
            return
        seen.add(line)
        lines.append(line)

    home = pages[0]
    if home.title:
        seen.add(home.title)
        lines.append(home.title)
    for page in pages:
        add(page.description)
        for block in page.blocks:
            add(block)
    text = "\n".join(lines)
    if len(text) > max_chars:
        text = text[:max_chars].rsplit("\n", 1)[0] if "\n" in text[:max_chars] else text[:max_chars]
    return text

"""Text preparation: one company record → the one text that is embedded.

Recipe (version :data:`TEXT_RECIPE_VERSION`):

1. **Order** - the embedders keep only the first 256 wordpieces of a text, so the most
   informative text goes first: the company **name**, then the **filing description**
   (principal activities: short and precise), then the **website text**, then the **SIC
   titles** of the company's codes, last because they are coarse and always available.
2. **Cleaning** of the filing and website texts: HTML remnants (the contents of
   ``<script>``, ``<style>``, ``<nav>``, ``<form>``, ``<button>`` and similar blocks,
   comments, tags, entities such as ``&amp;`` and ``&nbsp;``), URLs, web domains and e-mail
   addresses, control and zero-width characters; boilerplate (cookie banners, "accept all
   cookies", "© 2024 ...", "Copyright 2024 ...", "all rights reserved", "privacy policy",
   "terms and conditions", newsletter sign-ups, "skip to content", company-registration
   footers); whitespace collapsed. A boilerplate *sentence* is dropped whole when short (up
   to 40 words), otherwise only its boilerplate phrase goes (it is probably several
   unpunctuated sentences run together); a copyright mark drops the rest of its sentence.
   Unicode is NFKC-normalised and otherwise kept (accents and non-Latin scripts survive);
   there is no stemming, stop-word removal or lower-casing. The name gets only the HTML,
   Unicode and whitespace cleaning, and loses a trailing UK legal form (``LIMITED``,
   ``LTD``, ``PLC``, ``LLP``, ``CIC``, Welsh ``CYF``): every company has one.
3. **De-duplication**: each source is split into sentences (and lines); a sentence whose
   letters and digits (case-folded) repeat an earlier sentence, in the same or an earlier
   source, is dropped. A SIC title already present in the kept text is dropped too.
4. **Budgets**, in words (a whitespace-separated chunk; each CJK ideograph counts as one,
   as the tokenizer splits them): ``TOTAL_WORDS`` = 160. On real company descriptions
   that is 180-250 MiniLM wordpieces (median ~210; 99% within the 256-token window), so
   all of it is normally seen by the model; a rare overflow cuts the end of the SIC titles. The name gets up to 16 words and the SIC titles
   up to 32, reserved even though they come last; the filing text is guaranteed up to 48
   and the website text the rest (at least 64); whatever one of them does not use, the
   other may take. So a long website never pushes the SIC titles out of the window.
5. **Joining**: sentences without final punctuation get a full stop; sources are joined
   with spaces, SIC titles with ``"; "``.

Huge inputs are cut early: a source is cut to 200,000 characters before any regular
expression runs and to 20,000 after HTML stripping (far more than the budget), so a 10 MB
field costs milliseconds. The website text, last of the texts, is cleaned sentence by
sentence only until it holds ``TOTAL_WORDS`` (what follows cannot change the result), and
ASCII text takes fast paths that skip the regular expressions that cannot match it (same
results): ~70 us per company on 2 shared cores.

**Fallback**: :attr:`PreparedText.fallback` is True when neither the filing nor the website
text contributed anything, so the text is only the name and SIC titles.

**No usable text at all** (no name, no text, no known SIC code): the text is the empty
string ``""`` with ``fallback=True`` and ``sources=()``. It does not crash; the embedders
map ``""`` to a fixed vector, and callers can route such companies to review.

:func:`text_hash` is the plain sha256 of the UTF-8 text: any recipe change that alters a
text alters its hash; a change that leaves the text identical keeps it (the embedding
depends only on the text and :attr:`Embedder.id`). :data:`TEXT_RECIPE_VERSION` is there to
be logged with models for provenance.

Example:
    >>> titles = {"32500": "Manufacture of medical and dental instruments and supplies"}
    >>> record = {"name": "ACME MEDICAL LIMITED", "filing_text": "Manufacture of catheters",
    ...           "website_text": "<p>We make catheters &amp; stents.</p><p>We use cookies.</p>",
    ...           "sic_codes": ["32500"]}
    >>> prepared = prepare_text(record, titles)
    >>> prepared.text
    'ACME MEDICAL. Manufacture of catheters. We make catheters & stents. Manufacture of medical and dental instruments and supplies.'
    >>> prepared.fallback, prepared.sources
    (False, ('name', 'filing_text', 'website_text', 'sic_codes'))
"""

from __future__ import annotations

import hashlib
import html
import logging
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

TEXT_RECIPE_VERSION = "1"
"""Bumped whenever the recipe below changes the texts it produces."""

SOURCES = ("name", "filing_text", "website_text", "sic_codes")
"""The record fields used, in the order their text appears."""

TOTAL_WORDS = 160
NAME_WORDS = 16
SIC_WORDS = 32
FILING_MIN_WORDS = 48

RAW_CHAR_CAP = 200_000
CLEAN_CHAR_CAP = 20_000
LONG_SENTENCE_WORDS = 40
"""A boilerplate sentence longer than this only loses the boilerplate phrase itself (it is
probably several unpunctuated sentences run together)."""


@dataclass(frozen=True)
class PreparedText:
    """The text to embed for one company."""

    text: str
    fallback: bool
    """True when there was no usable filing or website text (name + SIC titles only)."""
    sources: tuple[str, ...]
    """The fields that contributed to ``text``, a subset of :data:`SOURCES` in order."""


# --- cleaning --------------------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_UNIT_RE = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")

_HIDDEN_BLOCK_RE = re.compile(
    r"<(script|style|noscript|template|svg|nav|button|form|select|iframe|object)\b[^>]*>"
    r".*?(?:</\1\s*>|\Z)",
    re.I | re.S,
)
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_BLOCK_TAG_RE = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|thead|tbody|section|article|header|"
    r"footer|nav|aside|main|blockquote|pre|hr|form|option|select|button|dd|dt|dl|title|"
    r"figcaption|address)\b[^<>]{0,2000}>",
    re.I,
)
_TAG_RE = re.compile(r"</?[a-zA-Z][^<>]{0,2000}>|<![^<>]{0,2000}>")

_NEWLINES_RE = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_INVISIBLE_RE = re.compile("[\u00ad\u200b\u200e\u200f\u2060\ufeff\ud800-\udfff]")
_CONTROL_RE = re.compile(r"[\x00-\x09\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")

_URL_RE = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)\S+", re.I)
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)++")
_DOMAIN_RE = re.compile(
    r"(?<![\w.-])(?:[\w-]++\.)++(?:com|org|net|uk|io|eu|info|biz)\b(?:/\S*)?",
    re.I,
)

_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
_SPACES_RE = re.compile(r"\s+")
_SEPARATOR_RUN_RE = re.compile(r"(?:\s*[|•·»/]\s*){2,}")
_EDGE_JUNK = " \t|•·»/-–—_*,;:"
_KEY_RE = re.compile(r"[\W_]+")
_TERMINAL = tuple(".!?。！？;:…")

# Whole sentences that are boilerplate (dropped when short, see LONG_SENTENCE_WORDS).
_BOILERPLATE_SENTENCE_RE = re.compile(
    r"\b(?:we|this\s+(?:web)?site|our\s+(?:web)?site)\s+(?:use|uses|are\s+using)\s+cookies\b"
    r"|\bcookies?\s+(?:policy|settings|preferences|consent|notice|banner)\b"
    r"|\baccept\s+(?:all\s+)?cookies\b"
    r"|\bby\s+(?:continuing|using)\b.{0,60}?\b(?:agree|consent|accept)"
    r"|\b(?:sign\s+up|subscribe)\s+(?:for|to)\s+(?:our|the)\s+(?:e-?mail\s+)?newsletter"
    r"|\byour\s+browser\b.{0,40}?\b(?:not\s+supported|out\s+of\s+date|outdated)"
    r"|\b(?:enable|requires?)\s+javascript\b|\bjavascript\s+(?:is\s+)?(?:disabled|required)"
    r"|\bregistered\s+in\s+england\b.{0,40}?\b(?:company|registration|reg\.?)\s*(?:no|number)"
    r"|\bvat\s+(?:reg(?:istration|istered|\.)?\s+)?(?:no|number)\b",
    re.I,
)
# Phrases removed wherever they appear.
_BOILERPLATE_PHRASE_RE = re.compile(
    r"\ball\s+rights\s+reserved\b\.?"
    r"|\b(?:privacy|cookie|cookies)\s+(?:policy|notice|statement|settings)\b"
    r"|\bterms\s+(?:and|&)\s+conditions\b|\bterms\s+of\s+(?:use|service|business)\b"
    r"|\bskip\s+to\s+(?:main\s+)?content\b|\bback\s+to\s+top\b|\bsitemap\b"
    r"|\b(?:read|learn)\s+more\b|\bclick\s+here\b"
    r"|\b(?:accept|reject|allow)\s+all\b|\bmanage\s+(?:cookies|preferences|consent)\b",
    re.I,
)
# From a copyright mark to the end of the sentence.
_COPYRIGHT_RE = re.compile(
    r"(?:©|\(c\)\s*(?=(?:19|20)\d\d)|\bcopyright\s*(?:©|\(c\))?\s*(?=©|(?:19|20)\d\d)).*",
    re.I,
)
_LEGAL_SUFFIX_RE = re.compile(
    r"[\s,.]+(?:limited|ltd|plc|llp|l\.l\.p|cic|c\.i\.c|cyf|cyfyngedig|ccc|c\.c\.c)\.?\s*$",
    re.I,
)
_SIC_CODE_RE = re.compile(r"\s*(\d{5})\b")
_SIC_SPLIT_RE = re.compile(r"[;,\s]+")

# Fast paths for ASCII text (nearly every company text). Each regular expression above only
# runs when the lower-cased text holds a word that any of its matches must contain, so most
# texts skip most of them; the results are the same (tests/test_text.py checks the fast
# paths against the general ones). They are ASCII-only because case-insensitive matching
# relates a few non-ASCII letters to ASCII ones (the Kelvin sign and "k", for example).
_ASCII_CONTROLS = str.maketrans(
    {c: "\n" for c in "\x0b\x0c\x1c\x1d\x1e"}
    | {chr(i): " " for i in [*range(0x00, 0x0A), *range(0x0E, 0x1C), 0x1F, 0x7F]}
)
""":data:`_NEWLINES_RE` then :data:`_CONTROL_RE` for ASCII text without ``\\r``."""
_ASCII_NOT_ALNUM = str.maketrans({chr(i): None for i in range(128) if not chr(i).isalnum()})
"""Deletes what :data:`_KEY_RE` removes from lower-cased ASCII text."""
_STOP_SPACE_RE = re.compile(r"([.!?])\s+")
""":data:`_SENTENCE_SPLIT_RE` for a line without CJK full stops (keeps the stop)."""


def _may_hold_link(lower: str) -> bool:
    """Whether :data:`_URL_RE` may match (``lower``: the lower-cased ASCII text)."""
    return "://" in lower or "www." in lower


def _may_hold_domain(lower: str) -> bool:
    """Whether :data:`_DOMAIN_RE` may match."""
    return "." in lower and (
        ".com" in lower
        or ".org" in lower
        or ".net" in lower
        or ".uk" in lower
        or ".io" in lower
        or ".eu" in lower
        or ".info" in lower
        or ".biz" in lower
    )


def _may_hold_copyright(lower: str) -> bool:
    """Whether :data:`_COPYRIGHT_RE` may match."""
    return "(c)" in lower or "copyright" in lower


def _may_be_boilerplate(lower: str) -> bool:
    """Whether :data:`_BOILERPLATE_SENTENCE_RE` may match."""
    return (
        "cookie" in lower
        or "using" in lower
        or "continuing" in lower
        or "newsletter" in lower
        or "browser" in lower
        or "javascript" in lower
        or "england" in lower
        or "vat" in lower
    )


def _may_hold_phrase(lower: str) -> bool:
    """Whether :data:`_BOILERPLATE_PHRASE_RE` may match."""
    return (
        "reserved" in lower
        or "privacy" in lower
        or "cookie" in lower
        or "terms" in lower
        or "skip" in lower
        or "back" in lower
        or "sitemap" in lower
        or "more" in lower
        or "click" in lower
        or "accept" in lower
        or "reject" in lower
        or "allow" in lower
        or "manage" in lower
    )


def _as_text(value: object) -> str:
    """A field as a string: None, NaN and pandas NA become ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, float) and math.isnan(value):
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):  # list-likes
        pass
    return str(value)


def _strip_html(text: str) -> str:
    text = _HIDDEN_BLOCK_RE.sub(" ", text)
    text = _COMMENT_RE.sub(" ", text)
    text = _BLOCK_TAG_RE.sub("\n", text)
    return _TAG_RE.sub(" ", text)


def normalise_text(value: object, remove_links: bool = True) -> str:
    """A field cleaned to plain text, lines kept (see the module docs for what is removed).

    Args:
        value: the field (None and NaN give "").
        remove_links: also remove URLs, e-mail addresses and web domains.
    """
    text = _as_text(value)
    if not text:
        return ""
    text = text[:RAW_CHAR_CAP]
    if "<" in text:
        text = _strip_html(text)
    if "&" in text:
        text = html.unescape(text)
        if "<" in text:  # escaped markup such as "&lt;p&gt;"
            text = _strip_html(text)
    text = text[:CLEAN_CHAR_CAP]
    text = unicodedata.normalize("NFKC", text)
    ascii_text = text.isascii()
    if ascii_text and "\r" not in text:
        if not text.isprintable():
            text = text.translate(_ASCII_CONTROLS)
    else:
        text = _NEWLINES_RE.sub("\n", text)
        text = _INVISIBLE_RE.sub("", text)
        text = _CONTROL_RE.sub(" ", text)
    if not remove_links:
        return text
    if not ascii_text:
        return _remove_links(text)
    lower = text.lower()
    if _may_hold_link(lower):
        text = _URL_RE.sub(" ", text)
        lower = text.lower()
    if "@" in text:
        text = _EMAIL_RE.sub(" ", text)
        lower = text.lower()
    if _may_hold_domain(lower):
        text = _DOMAIN_RE.sub(" ", text)
    return text


def _remove_links(text: str) -> str:
    text = _URL_RE.sub(" ", text)
    text = _EMAIL_RE.sub(" ", text)
    return _DOMAIN_RE.sub(" ", text)


def _count_units(text: str) -> int:
    if text.isascii():
        return len(text.split())
    return len(_UNIT_RE.findall(text))


def _clean_sentence(sentence: str) -> str:
    if not sentence.isascii():
        return _clean_sentence_general(sentence)
    lower = sentence.lower()
    if _may_hold_copyright(lower):
        sentence = _COPYRIGHT_RE.sub(" ", sentence)
        lower = sentence.lower()
    if _may_be_boilerplate(lower) and _BOILERPLATE_SENTENCE_RE.search(sentence):
        if _count_units(sentence) <= LONG_SENTENCE_WORDS:
            return ""
        sentence = _BOILERPLATE_SENTENCE_RE.sub(" ", sentence)
        lower = sentence.lower()
    if _may_hold_phrase(lower):
        sentence = _BOILERPLATE_PHRASE_RE.sub(" ", sentence)
    if "|" in sentence or "/" in sentence:
        sentence = _SEPARATOR_RUN_RE.sub(" | ", sentence)
    # str.split() splits on what \s matches; the edge strip removes the space that
    # _SPACES_RE leaves for leading or trailing whitespace
    return " ".join(sentence.split()).strip(_EDGE_JUNK)


def _clean_sentence_general(sentence: str) -> str:
    """:func:`_clean_sentence` for any text (the ASCII fast path must give the same)."""
    sentence = _COPYRIGHT_RE.sub(" ", sentence)
    if _BOILERPLATE_SENTENCE_RE.search(sentence):
        if _count_units(sentence) <= LONG_SENTENCE_WORDS:
            return ""
        sentence = _BOILERPLATE_SENTENCE_RE.sub(" ", sentence)
    sentence = _BOILERPLATE_PHRASE_RE.sub(" ", sentence)
    sentence = _SEPARATOR_RUN_RE.sub(" | ", sentence)
    return _SPACES_RE.sub(" ", sentence).strip(_EDGE_JUNK)


def _split_sentences(line: str) -> list[str]:
    """``_SENTENCE_SPLIT_RE.split(line)``, faster where the line has no CJK full stop."""
    if "。" in line or "！" in line or "？" in line:
        return _SENTENCE_SPLIT_RE.split(line)
    pieces = _STOP_SPACE_RE.split(line)  # [text, stop, text, stop, ..., text]
    if len(pieces) == 1:
        return pieces
    out = [pieces[i] + pieces[i + 1] for i in range(0, len(pieces) - 1, 2)]
    out.append(pieces[-1])
    return out


def _keyed_sentences(value: object) -> Iterator[tuple[str, str]]:
    """:func:`clean_sentences` with each sentence's :func:`_key`, one at a time."""
    text = normalise_text(value)
    if not text:
        return
    for line in text.split("\n"):
        if not line or line.isspace():
            continue
        for sentence in _split_sentences(line):
            cleaned = _clean_sentence(sentence)
            if cleaned:
                key = _key(cleaned)
                if key:
                    yield cleaned, key


def clean_sentences(value: object) -> list[str]:
    """A field cleaned and split into sentences (boilerplate and empty pieces removed).

    Example:
        >>> clean_sentences("<p>We make gears.</p><p>Accept all cookies</p>&copy; 2024 Acme")
        ['We make gears.']
    """
    return [sentence for sentence, _ in _keyed_sentences(value)]


def clean_name(value: object) -> str:
    """The company name cleaned, without a trailing UK legal form.

    Example:
        >>> clean_name("ACME PRECISION ENGINEERING LIMITED")
        'ACME PRECISION ENGINEERING'
    """
    name = " ".join(normalise_text(_as_text(value)[:1000], remove_links=False).split())
    name = name.strip(_EDGE_JUNK)
    stripped = _LEGAL_SUFFIX_RE.sub("", name).strip(_EDGE_JUNK)
    return stripped or name


def _key(sentence: str) -> str:
    if sentence.isascii():
        return sentence.lower().translate(_ASCII_NOT_ALNUM)
    return _KEY_RE.sub("", sentence.casefold())


def _sic_titles(codes: object, sic_titles: Mapping[str, str]) -> list[str]:
    """Titles of the known codes among ``codes`` (a list, array or delimited string)."""
    if codes is None:
        return []
    if isinstance(codes, str):
        items: Iterable[object] = _SIC_SPLIT_RE.split(codes)
    elif isinstance(codes, Iterable):
        items = codes
    else:  # NaN or a scalar
        items = [] if _as_text(codes) == "" else [codes]
    titles = []
    for code in items:
        match = _SIC_CODE_RE.match(_as_text(code))
        title = sic_titles.get(match.group(1)) if match else None
        if title:
            titles.append(_SPACES_RE.sub(" ", title).strip())
    return titles


# --- budgets ---------------------------------------------------------------------------------

_Piece = tuple[str, str, int]
"""A kept piece of text: (text, its :func:`_key`, its :func:`_count_units`)."""


def _truncate(pieces: list[str], budget: int) -> list[str]:
    """The first ``budget`` words of ``pieces`` (cutting the last piece if needed)."""
    counted = [(p, "", _count_units(p)) for p in pieces]
    return [text for text, _ in _truncate_pieces(counted, budget)]


def _truncate_pieces(pieces: list[_Piece], budget: int) -> list[tuple[str, str]]:
    """:func:`_truncate` for counted pieces; returns (text, key) pairs (a cut piece's key is
    computed again, or ``""`` when ``pieces`` carry no keys)."""
    out: list[tuple[str, str]] = []
    left = budget
    for text, key, units in pieces:
        if left <= 0:
            break
        if units <= left:
            out.append((text, key))
            left -= units
        else:
            end = list(_UNIT_RE.finditer(text))[left - 1].end()
            cut = text[:end].rstrip(_EDGE_JUNK)
            out.append((cut, _key(cut) if key else ""))
            left = 0
    return [(text, key) for text, key in out if text]


def _allocate(name: int, filing: int, website: int, sic: int) -> tuple[int, int, int, int]:
    """Word budgets for (name, filing, website, sic) given their lengths; see module docs."""
    name_b = min(name, NAME_WORDS)
    sic_b = min(sic, SIC_WORDS)
    rest = max(TOTAL_WORDS - name_b - sic_b, 0)
    filing_b = min(filing, max(FILING_MIN_WORDS, rest - website))
    website_b = min(website, rest - filing_b)
    filing_b = min(filing, rest - website_b)
    return name_b, filing_b, website_b, sic_b


def _with_stop(piece: str) -> str:
    return piece if piece.endswith(_TERMINAL) else piece + "."


def prepare_text(record: Mapping[str, object], sic_titles: Mapping[str, str]) -> PreparedText:
    """The text to embed for one company record.

    Args:
        record: a mapping with any of ``name``, ``filing_text``, ``website_text`` (strings,
            None or NaN) and ``sic_codes`` (a list of 5-digit codes); other keys are ignored.
        sic_titles: SIC code → title, e.g. :attr:`clusters.sic.SicReference.titles`.

    Returns:
        :class:`PreparedText`; see the module docs for the recipe.
    """
    name = clean_name(record.get("name"))
    seen: set[str] = set()

    def fresh(pieces: Iterable[tuple[str, str]], enough: float = math.inf) -> list[_Piece]:
        out = []
        words = 0
        for piece, key in pieces:
            if key and key not in seen:
                seen.add(key)
                units = _count_units(piece)
                out.append((piece, key, units))
                words += units
                if words >= enough:
                    break
        return out

    name_pieces = fresh([(name, _key(name))] if name else [])
    filing = fresh(_keyed_sentences(record.get("filing_text")))
    # The website text comes last: once it holds TOTAL_WORDS it fills whatever budget it
    # gets, and what follows changes nothing (a long crawled page is not cleaned whole).
    website = fresh(_keyed_sentences(record.get("website_text")), enough=TOTAL_WORDS)
    # one title per key: the last title with that key, in the place of the first
    by_key = {_key(t): t for t in _sic_titles(record.get("sic_codes"), sic_titles)}
    titles = [(t, key, _count_units(t)) for key, t in by_key.items()]

    budgets = _allocate(
        *(sum(p[2] for p in pieces) for pieces in (name_pieces, filing, website, titles))
    )
    kept_name, kept_filing, kept_website, kept_titles = (
        _truncate_pieces(p, b)
        for p, b in zip((name_pieces, filing, website, titles), budgets, strict=True)
    )
    kept_keys = {key for _, key in (*kept_name, *kept_filing, *kept_website)}
    title_texts = [t for t, key in kept_titles if key not in kept_keys]

    parts = {
        "name": " ".join(_with_stop(p) for p, _ in kept_name),
        "filing_text": " ".join(_with_stop(p) for p, _ in kept_filing),
        "website_text": " ".join(_with_stop(p) for p, _ in kept_website),
        "sic_codes": (
            _with_stop("; ".join(t.rstrip(".") for t in title_texts)) if title_texts else ""
        ),
    }
    sources = tuple(s for s in SOURCES if parts[s])
    text = " ".join(parts[s] for s in sources)
    fallback = not (parts["filing_text"] or parts["website_text"])
    return PreparedText(text=text, fallback=fallback, sources=sources)


def text_hash(text: str) -> str:
    """The sha256 hex digest of ``text`` encoded as UTF-8.

    Example:
        >>> text_hash("")
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def prepare_texts(frame: pd.DataFrame, sic_titles: Mapping[str, str]) -> pd.DataFrame:
    """:func:`prepare_text` for every row of a company-base frame.

    Args:
        frame: rows with any of the columns in :data:`SOURCES` (missing ones count as empty).
        sic_titles: SIC code → title.

    Returns:
        A frame with the same index and columns ``text`` (str), ``text_hash`` (str, see
        :func:`text_hash`) and ``fallback`` (bool).
    """
    columns = {c: frame[c].tolist() if c in frame.columns else [None] * len(frame) for c in SOURCES}
    texts, hashes, fallbacks = [], [], []
    for values in zip(*columns.values(), strict=True):
        prepared = prepare_text(dict(zip(SOURCES, values, strict=True)), sic_titles)
        texts.append(prepared.text)
        hashes.append(text_hash(prepared.text))
        fallbacks.append(prepared.fallback)
    return pd.DataFrame(
        {
            "text": pd.Series(texts, index=frame.index, dtype=object),
            "text_hash": pd.Series(hashes, index=frame.index, dtype=object),
            "fallback": pd.Series(np.array(fallbacks, dtype=bool), index=frame.index),
        }
    )

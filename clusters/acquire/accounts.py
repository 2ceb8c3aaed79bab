"""Companies House accounts (inline XBRL and XBRL) → one row per company and period.

The free "Accounts Data" bulk product is a zip of files named
``Prod<n>_<run>_<company number>_<balance-sheet date>.html`` (inline XBRL) or ``.xml``
(older XBRL); community-interest companies come as a nested zip of two inline-XBRL files.

**Reading.** :func:`iter_documents` streams members from zips one at a time (a zip inside a
zip too; macOS ``__MACOSX`` forks and directories skipped; a member larger than
``max_member_bytes`` refused): memory is bounded by the largest member, not the archive. A
zip whose central directory is missing (a truncated download) is read sequentially with
``stream-unzip`` up to the damage, and the damage reported.

**Parsing.** :func:`parse_filing` walks the document once with lxml (``recover=True``:
malformed markup is repaired where possible, never fatal to the run) and collects the
contexts and the ``ix:nonFraction`` / ``ix:nonNumeric`` facts (``ix:exclude`` removed,
``continuedAt`` chains followed), or the facts of an XBRL instance. Numeric values are
parsed by **ixbrlparse**'s transformation-format classes - ``scale``, ``sign="-"``, and the
``ixt``/``ixt2``/``ixt4`` formats (``numdotdecimal``, ``numcommadecimal``, ``zerodash``,
``fixed-zero``, ``numwordsen``...) - so value semantics come from the maintained library.
The whole-document ``ixbrlparse.IXBRL`` parser gives the same facts (checked in
``tests/test_accounts.py`` on every real sample) but is ~25× slower (74 ms against 3 ms a
file on the real samples, shared 2-core machine): on a monthly bulk file of ~300,000
filings that is 6 hours against 15 minutes, hence the lxml walk. ``stream-read-xbrl`` was
checked too: it does not extract ``DescriptionPrincipalActivities``, mixes the employee
counts of the current and prior period into one value, and does not import without the
boto3 type stubs (``mypy_boto3_s3``).

**Meaning.** Concepts are matched by local name under any prefix (``uk-core``, ``core``,
``frs-core``, ``bus``, ``uk-bus``, ``frs-bus``, ``pt``, ...); only facts of contexts without
dimensions count (a department's head-count is not the company's). The *balance-sheet date*
is the ``BalanceSheetDate`` fact, else ``EndDateForPeriodCoveredByReport``, else the date in
the file name. The *current period* is the contexts that end (durations) or stand (instants)
at that date; the *prior period* is the latest earlier one (the comparative figures), kept
as its own row when it has any value. Duplicated facts (the same fact in the hidden header
and the visible page) are merged; conflicting duplicates keep the first in document order
and add a warning. An employee count tagged with a negative ``scale`` is read at its
displayed value (a known filer error: ``scale="-2"`` on "3" employees) with a warning.
Placeholders such as "No description of principal activity" are not descriptions.

Example:
    >>> from pathlib import Path
    >>> docs = iter_documents([Path("tests/fixtures/accounts/Accounts_Bulk_Data-2023-03-02.zip")])
    >>> filing = parse_filing(next(d for d in docs if d.data).data, "Prod223_3384_09355500_20221231.html")
    >>> filing.company_id, filing.current.net_assets, filing.current.employees
    ('09355500', 375004.0, 3.0)
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path, PurePosixPath

import lxml.etree as etree
from ixbrlparse import ixbrlFormat
from ixbrlparse.components.transform import get_format

from clusters.contracts import normalise_company_id

logger = logging.getLogger(__name__)

IX_NAMESPACES = frozenset(
    {"http://www.xbrl.org/2008/inlineXBRL", "http://www.xbrl.org/2013/inlineXBRL"}
)
XBRLI_NAMESPACE = "http://www.xbrl.org/2003/instance"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
DOCUMENT_SUFFIXES = (".html", ".htm", ".xhtml", ".xml")
MAX_ZIP_DEPTH = 2
FILENAME_RE = re.compile(r"Prod\d+_\d+_([A-Za-z0-9]{8})_(\d{8})")

NUMERIC_FIELDS: dict[str, tuple[str, ...]] = {
    "turnover": ("TurnoverRevenue", "TurnoverGrossOperatingRevenue", "Revenue"),
    "employees": ("AverageNumberEmployeesDuringPeriod", "EmployeesTotal"),
    "net_assets": (
        "NetAssetsLiabilities",
        "NetAssetsLiabilitiesIncludingPensionAssetLiability",
    ),
    "total_assets_less_current_liabilities": ("TotalAssetsLessCurrentLiabilities",),
}
"""Fields and the concept local names that give them, best first."""
_NUMERIC_CONCEPTS = frozenset(c for names in NUMERIC_FIELDS.values() for c in names)
FLOW_FIELDS = frozenset({"turnover", "employees"})
"""Fields measured over a period (duration contexts); the others are balance-sheet instants."""

_TEXT_CONCEPTS = {
    "principal_activities": ("DescriptionPrincipalActivities",),
    "company_name": ("EntityCurrentLegalOrRegisteredName", "EntityCurrentLegalName"),
    "company_number": ("UKCompaniesHouseRegisteredNumber", "CompaniesHouseRegisteredNumber"),
    "balance_sheet_date": ("BalanceSheetDate",),
    "period_start": ("StartDateForPeriodCoveredByReport",),
    "period_end": ("EndDateForPeriodCoveredByReport",),
    "dormant": ("EntityDormantTruefalse", "EntityDormant"),
}
_WALK_TAGS = tuple(
    [
        f"{{{ns}}}{local}"
        for ns in sorted(IX_NAMESPACES)
        for local in ("nonFraction", "nonNumeric", "continuation")
    ]
    + [f"{{{XBRLI_NAMESPACE}}}context", "context"]
)
_CONCEPTS_OF_INTEREST = frozenset(
    {c for names in NUMERIC_FIELDS.values() for c in names}
    | {c for names in _TEXT_CONCEPTS.values() for c in names}
)
_PLACEHOLDER_RE = re.compile(
    r"^\W*(?:no|none|n/?a|nil|not applicable|dormant(?: company)?)\W*$"
    r"|^\W*no\s+(?:description\s+of\s+(?:the\s+)?)?princip(?:al|le)\s+activit(?:y|ies)\b.{0,30}$",
    re.I,
)
_DASHES = {"-", "\u2013", "\u2014", "\u2012", "\u2212", ""}
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " "})
_BLOCK_LOCALS = frozenset(
    {"p", "div", "br", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}
)


class FilingError(ValueError):
    """A document that cannot be read as accounts (reported, the run goes on)."""


@dataclass
class Document:
    """One accounts document from the inputs, or a problem found while reading them."""

    source: str
    """Where it came from: ``archive.zip!member`` (``!`` for each nesting level)."""
    data: bytes | None = None
    error: str | None = None


@dataclass
class PeriodRecord:
    """The facts of one company for one period of one filing."""

    company_id: str
    period_end: date | None
    role: str
    """``current`` (the period the filing is for) or ``prior`` (its comparatives)."""
    period_start: date | None = None
    balance_sheet_date: date | None = None
    company_name: str | None = None
    principal_activities: str | None = None
    turnover: float | None = None
    employees: float | None = None
    net_assets: float | None = None
    total_assets_less_current_liabilities: float | None = None
    dormant: bool | None = None
    source: str | None = None
    warnings: str | None = None


@dataclass
class Filing:
    """What :func:`parse_filing` read from one document."""

    company_id: str
    current: PeriodRecord
    prior: PeriodRecord | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def records(self) -> list[PeriodRecord]:
        return [self.current] + ([self.prior] if self.prior is not None else [])


# --- inputs ----------------------------------------------------------------------------------


def _skip_member(name: str) -> bool:
    path = PurePosixPath(name)
    return "__MACOSX" in path.parts or path.name.startswith("._") or not path.name


def _zip_documents(
    handle: io.BufferedIOBase | io.BytesIO, source: str, depth: int, max_bytes: int
) -> Iterator[Document]:
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        handle.seek(0)
        yield from _salvage_zip(handle, source, depth, max_bytes, str(exc))
        return
    with archive:
        for info in archive.infolist():
            if info.is_dir() or _skip_member(info.filename):
                continue
            member = f"{source}!{info.filename}"
            suffix = PurePosixPath(info.filename).suffix.lower()
            if suffix != ".zip" and suffix not in DOCUMENT_SUFFIXES:
                yield Document(member, error=f"not an accounts document ({suffix or 'no suffix'})")
                continue
            if info.file_size > max_bytes:
                yield Document(member, error=f"member of {info.file_size:,} bytes over the limit")
                continue
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
                yield Document(member, error=f"unreadable zip member: {exc}")
                continue
            if suffix == ".zip":
                yield from _nested(data, member, depth, max_bytes)
            else:
                yield Document(member, data=data)


def _nested(data: bytes, source: str, depth: int, max_bytes: int) -> Iterator[Document]:
    if depth >= MAX_ZIP_DEPTH:
        yield Document(source, error="zip nested too deep")
        return
    if data[:4] != b"PK\x03\x04":  # some bulk files name HTML members .zip
        yield Document(source, data=data)
        return
    yield from _zip_documents(io.BytesIO(data), source, depth + 1, max_bytes)


def _salvage_zip(
    handle: io.BufferedIOBase | io.BytesIO, source: str, depth: int, max_bytes: int, why: str
) -> Iterator[Document]:
    """Members of a zip without a usable central directory, read front to back."""
    try:
        from stream_unzip import stream_unzip
    except ImportError:  # pragma: no cover - stream-unzip is a dependency
        yield Document(source, error=f"damaged zip ({why})")
        return

    def chunks() -> Iterator[bytes]:
        while chunk := handle.read(1 << 16):
            yield chunk

    read = 0
    try:
        for raw_name, _size, member_chunks in stream_unzip(chunks()):
            name = raw_name.decode("utf-8", errors="replace")
            parts: list[bytes] = []
            total = 0
            for chunk in member_chunks:
                total += len(chunk)
                if total <= max_bytes:
                    parts.append(chunk)
            read += 1
            member = f"{source}!{name}"
            suffix = PurePosixPath(name).suffix.lower()
            if name.endswith("/") or _skip_member(name):
                continue
            if total > max_bytes:
                yield Document(member, error=f"member of {total:,} bytes over the limit")
            elif suffix == ".zip":
                yield from _nested(b"".join(parts), member, depth, max_bytes)
            elif suffix in DOCUMENT_SUFFIXES:
                yield Document(member, data=b"".join(parts))
    except Exception as exc:  # stream-unzip raises many kinds; all mean "damaged from here"
        yield Document(
            source,
            error=f"damaged zip ({why}); read {read} member(s) before: {type(exc).__name__} {exc}",
        )
        return
    yield Document(source, error=f"zip without a central directory ({why}); read {read} member(s)")


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named, and accounts files (zip, html, xhtml, xml) inside folders named."""
    out: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            out += sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in (".zip", *DOCUMENT_SUFFIXES)
            )
        else:
            out.append(path)
    return out


def iter_documents(paths: Iterable[Path], max_member_bytes: int = 50_000_000) -> Iterator[Document]:
    """Every accounts document in ``paths`` (zips, folders or single files), one at a time."""
    for path in expand_paths(paths):
        if not path.exists():
            yield Document(str(path), error="no such file")
            continue
        try:
            if path.suffix.lower() == ".zip":
                with path.open("rb") as handle:
                    yield from _zip_documents(handle, path.name, 0, max_member_bytes)
            elif path.stat().st_size > max_member_bytes:
                yield Document(str(path), error="file over the size limit")
            else:
                yield Document(path.name, data=path.read_bytes())
        except OSError as exc:
            yield Document(str(path), error=f"unreadable: {exc.strerror or exc}")


# --- values ----------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _format_class(name: str | None) -> type[ixbrlFormat]:
    return get_format(name)


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _namespace(tag: object) -> str:
    return tag[1:].partition("}")[0] if isinstance(tag, str) and tag.startswith("{") else ""


def parse_number(
    text: str,
    fmt: str | None = None,
    scale: str | None = None,
    sign: str | None = None,
    decimals: str | None = None,
) -> float | None:
    """An ``ix:nonFraction`` value with ixbrlparse's formats (scale and sign applied).

    >>> parse_number("1.234,5", "ixt:numcommadecimal", scale="3", sign="-")
    -1234500.0
    >>> parse_number("-", "ixt4:fixed-zero"), parse_number("\u2013")
    (0.0, 0.0)

    Raises:
        ValueError: the text does not fit the format, or the format is unknown.
    """
    text = text.translate(_SPACES).strip()
    if fmt is None and text in _DASHES:
        return 0.0
    try:
        format_class = _format_class(fmt)
    except NotImplementedError as exc:
        raise ValueError(str(exc)) from exc
    parser = format_class(
        format_=fmt or "", decimals=decimals or "0", scale=scale or 0, sign=sign or ""
    )
    value = parser.parse_value(text)
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{text[:40]!r} is not a number in format {fmt}")
    return float(value)


_DATE_FORMATS = (
    "%d %B %Y",
    "%d %b %Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d %B %y",
    "%B %d, %Y",
)


def parse_date(text: str, fmt: str | None = None) -> date | None:
    """A date fact: by its ixt format when it has one, else ISO or a common UK layout.

    >>> parse_date("31 December 2022", "ixt2:datelonguk"), parse_date("2022-12-31")
    (datetime.date(2022, 12, 31), datetime.date(2022, 12, 31))
    """
    text = re.sub(r"\s+", " ", text.translate(_SPACES)).strip()
    if not text:
        return None
    if fmt:
        try:
            value = _format_class(fmt)(format_=fmt).parse_value(text)
            if isinstance(value, date):
                return value
        except (NotImplementedError, ValueError, TypeError):
            pass
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    cleaned = re.sub(r"(?<=\d)(?:st|nd|rd|th)\b", "", text, flags=re.I)
    for layout in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, layout).date()
        except ValueError:
            continue
    return None


# --- the document walk -----------------------------------------------------------------------


@dataclass
class _Context:
    id: str
    end: date | None
    start: date | None = None
    instant: bool = False
    dimensional: bool = False
    entity: str | None = None


@dataclass
class _Fact:
    concept: str
    context: str
    value: object
    order: int
    scale: int = 0


def _iso(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _read_context(element: etree._Element) -> _Context | None:
    context_id = element.get("id")
    if not context_id:
        return None
    start = end = None
    instant = False
    entity = None
    dimensional = False
    for child in element.iter():
        local = _local(child.tag)
        if local == "instant":
            end, instant = _iso(child.text), True
        elif local == "startDate":
            start = _iso(child.text)
        elif local == "endDate":
            end = _iso(child.text)
        elif local == "identifier":
            entity = (child.text or "").strip() or None
        elif local in ("explicitMember", "typedMember"):
            dimensional = True
    return _Context(context_id, end, start, instant, dimensional, entity)


def _inline_text(element: etree._Element, continuations: dict[str, etree._Element]) -> str:
    parts: list[str] = []

    def walk(node: etree._Element, depth: int) -> None:
        local = _local(node.tag)
        if local == "exclude" and _namespace(node.tag) in IX_NAMESPACES:
            return
        if depth > 100:
            parts.append(" ".join(node.itertext()))
            return
        if local in _BLOCK_LOCALS:
            parts.append(" ")
        parts.append(node.text or "")
        for child in node:
            if isinstance(child.tag, str):
                walk(child, depth + 1)
            parts.append(child.tail or "")
        if local in _BLOCK_LOCALS:
            parts.append(" ")

    walk(element, 0)
    seen: set[str] = set()
    next_id = element.get("continuedAt")
    while next_id and next_id not in seen and next_id in continuations:
        seen.add(next_id)
        parts.append(" ")
        continuation = continuations[next_id]
        walk(continuation, 0)
        next_id = continuation.get("continuedAt")
    return re.sub(r"\s+", " ", "".join(parts).translate(_SPACES)).strip()


def _parse_xml(data: bytes, warnings: list[str]) -> etree._Element:
    start = data.find(b"<")
    if start < 0:
        raise FilingError("no markup in the file")
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True
    )
    try:
        root = etree.fromstring(data[start:], parser)
    except etree.LxmlError as exc:
        raise FilingError(f"not XML: {exc}") from exc
    if root is None:
        raise FilingError("not XML: nothing could be parsed")
    errors = [e for e in parser.error_log if e.level >= etree.ErrorLevels.ERROR]
    if errors:
        first = errors[0]
        warnings.append(
            f"malformed markup repaired ({len(errors)} error(s); first at line {first.line}: "
            f"{first.message.strip()[:80]}); facts after the damage may be missing"
        )
    return root


def _collect(root: etree._Element, warnings: list[str]) -> tuple[dict[str, _Context], list[_Fact]]:
    contexts: dict[str, _Context] = {}
    continuations: dict[str, etree._Element] = {}
    numeric: list[etree._Element] = []
    text: list[etree._Element] = []
    instance_facts: list[etree._Element] = []
    is_instance = _local(root.tag) == "xbrl"
    for element in root.iter(*_WALK_TAGS):  # lxml filters by tag in C: fast
        local, namespace = _local(element.tag), _namespace(element.tag)
        if local == "context":
            context = _read_context(element)
            if context is not None:
                contexts.setdefault(context.id, context)
        elif local == "nonFraction":
            numeric.append(element)
        elif local == "nonNumeric":
            text.append(element)
        elif local == "continuation" and element.get("id") and namespace in IX_NAMESPACES:
            continuations[element.get("id")] = element
    if is_instance:
        instance_facts = [e for e in root if isinstance(e.tag, str) and e.get("contextRef")]

    facts: list[_Fact] = []
    order = 0
    for element in numeric:
        concept = element.get("name", "").rpartition(":")[2]
        if concept not in _CONCEPTS_OF_INTEREST:
            continue
        order += 1
        context = element.get("contextRef", "")
        if element.get(XSI_NIL) == "true":
            continue
        raw = "".join(element.itertext())
        scale_text = element.get("scale")
        try:
            scale = int(scale_text or 0)
            if concept in NUMERIC_FIELDS["employees"] and scale < 0:
                warnings.append(
                    f"{concept}: scale {scale} on a head count ignored (read {raw.strip()!r} as shown)"
                )
                scale_text, scale = "0", 0
            value = parse_number(
                raw, element.get("format"), scale_text, element.get("sign"), element.get("decimals")
            )
        except (ValueError, TypeError, ArithmeticError) as exc:
            warnings.append(
                f"{concept} in {context}: unreadable value {raw.strip()[:40]!r} ({exc})"
            )
            continue
        facts.append(_Fact(concept, context, value, order, scale))
    for element in text:
        concept = element.get("name", "").rpartition(":")[2]
        if concept not in _CONCEPTS_OF_INTEREST:
            continue
        order += 1
        value = _inline_text(element, continuations)
        fmt = element.get("format")
        facts.append(_Fact(concept, element.get("contextRef", ""), (value, fmt), order))
    for element in instance_facts:
        concept = _local(element.tag)
        if concept not in _CONCEPTS_OF_INTEREST:
            continue
        order += 1
        raw = (element.text or "").strip()
        context = element.get("contextRef", "")
        if element.get("unitRef") is not None:
            try:
                facts.append(_Fact(concept, context, float(raw), order))
            except ValueError:
                warnings.append(f"{concept} in {context}: unreadable value {raw[:40]!r}")
        else:
            facts.append(_Fact(concept, context, (re.sub(r"\s+", " ", raw), None), order))
    return contexts, facts


# --- meaning ---------------------------------------------------------------------------------


def _text_value(fact: _Fact) -> tuple[str, str | None]:
    value = fact.value
    return value if isinstance(value, tuple) else (str(value), None)


def _first_text(facts: list[_Fact], concepts: tuple[str, ...]) -> _Fact | None:
    for concept in concepts:
        for fact in facts:
            text, fmt = _text_value(fact)
            if fact.concept == concept and (text or fmt):
                return fact
    return None


def _boolean(fact: _Fact | None) -> bool | None:
    if fact is None:
        return None
    text, fmt = _text_value(fact)
    fmt = (fmt or "").lower()
    if fmt.endswith(("true", "booleantrue")):
        return True
    if fmt.endswith(("false", "booleanfalse")):
        return False
    lowered = text.strip().lower()
    return True if lowered in ("true", "yes") else False if lowered in ("false", "no") else None


def _pick_number(
    field_name: str,
    facts: list[_Fact],
    instants: set[str],
    durations: set[str],
    warnings: list[str],
) -> float | None:
    first, second = (durations, instants) if field_name in FLOW_FIELDS else (instants, durations)
    for concept in NUMERIC_FIELDS[field_name]:
        for ids in (first, second):
            values = [f for f in facts if f.concept == concept and f.context in ids]
            if not values:
                continue
            chosen = min(values, key=lambda f: f.order)
            distinct = {v.value for v in values}
            if len(distinct) > 1:
                warnings.append(
                    f"{concept}: conflicting duplicate facts {sorted(distinct)}; kept {chosen.value}"
                )
            value = float(chosen.value)  # type: ignore[arg-type]
            return abs(value) if field_name == "employees" else value
    return None


def _description(text: str | None, max_chars: int) -> str | None:
    if not text:
        return None
    text = re.sub(r"\s+", " ", text).strip()
    if not text or _PLACEHOLDER_RE.match(text):
        return None
    return text[:max_chars]


def _filename_facts(source: str) -> tuple[str | None, date | None]:
    matches = FILENAME_RE.findall(source)
    if not matches:
        return None, None
    number, day = matches[-1]
    try:
        return normalise_company_id(number), datetime.strptime(day, "%Y%m%d").date()
    except ValueError:
        return normalise_company_id(number), None


def parse_filing(data: bytes, source: str, max_text_chars: int = 5_000) -> Filing:
    """The current and prior period of one accounts document.

    Args:
        data: the file's bytes (inline XBRL XHTML or an XBRL instance).
        source: its name (the company number and date are read from bulk-data names).
        max_text_chars: the principal-activities text is cut to this length.

    Raises:
        FilingError: not XBRL, no facts, or no company number.
    """
    warnings: list[str] = []
    root = _parse_xml(data, warnings)
    contexts, facts = _collect(root, warnings)
    if not contexts:
        raise FilingError("no XBRL contexts: not an inline XBRL or XBRL document")
    if not facts:
        raise FilingError("no accounts facts found")
    plain = {cid: c for cid, c in contexts.items() if not c.dimensional}
    facts = [f for f in facts if f.context in plain]

    file_number, file_date = _filename_facts(source)
    number_fact = _first_text(facts, _TEXT_CONCEPTS["company_number"])
    fact_number = normalise_company_id(_text_value(number_fact)[0]) if number_fact else None
    entity_number = next(
        (normalise_company_id(c.entity) for c in plain.values() if normalise_company_id(c.entity)),
        None,
    )
    company_id = file_number or fact_number or entity_number
    if company_id is None:
        raise FilingError("no company number in the file name or the facts")
    if file_number and fact_number and file_number != fact_number:
        warnings.append(f"company number {fact_number} in the facts, {file_number} in the name")

    def date_of(key: str) -> date | None:
        fact = _first_text(facts, _TEXT_CONCEPTS[key])
        return parse_date(*_text_value(fact)) if fact else None

    balance_sheet_date = date_of("balance_sheet_date") or date_of("period_end") or file_date
    if balance_sheet_date is None:
        ends = [c.end for c in plain.values() if c.end]
        balance_sheet_date = max(ends) if ends else None
    if balance_sheet_date is None:
        raise FilingError("no balance-sheet date")

    used = {f.context for f in facts}
    current_instants = {
        cid for cid, c in plain.items() if c.instant and c.end == balance_sheet_date
    }
    current_durations = {
        cid for cid, c in plain.items() if not c.instant and c.end == balance_sheet_date
    }
    earlier = [
        c.end
        for cid, c in plain.items()
        if cid in used
        and c.end
        and c.end < balance_sheet_date
        and any(f.context == cid and f.concept in _NUMERIC_CONCEPTS for f in facts)
    ]
    prior_end = max(earlier) if earlier else None

    def duration_start(ids: set[str]) -> date | None:
        counts = {cid: sum(f.context == cid for f in facts) for cid in ids}
        best = max(ids, key=lambda cid: (counts[cid], cid), default=None)
        return plain[best].start if best else None

    name_fact = _first_text(facts, _TEXT_CONCEPTS["company_name"])
    description_facts = [
        f
        for f in facts
        if f.concept in _TEXT_CONCEPTS["principal_activities"]
        and (f.context in current_durations or f.context in current_instants)
    ] or [f for f in facts if f.concept in _TEXT_CONCEPTS["principal_activities"]]
    description = next(
        (d for f in description_facts if (d := _description(_text_value(f)[0], max_text_chars))),
        None,
    )
    current = PeriodRecord(
        company_id=company_id,
        role="current",
        period_end=date_of("period_end") or balance_sheet_date,
        period_start=date_of("period_start") or duration_start(current_durations),
        balance_sheet_date=balance_sheet_date,
        company_name=_text_value(name_fact)[0][:300] if name_fact else None,
        principal_activities=description,
        dormant=_boolean(_first_text(facts, _TEXT_CONCEPTS["dormant"])),
        source=source,
    )
    for name in NUMERIC_FIELDS:
        setattr(
            current,
            name,
            _pick_number(name, facts, current_instants, current_durations, warnings),
        )

    prior = None
    if prior_end is not None:
        prior_instants = {cid for cid, c in plain.items() if c.instant and c.end == prior_end}
        prior_durations = {cid for cid, c in plain.items() if not c.instant and c.end == prior_end}
        prior = PeriodRecord(
            company_id=company_id,
            role="prior",
            period_end=prior_end,
            period_start=duration_start(prior_durations),
            balance_sheet_date=prior_end,
            company_name=current.company_name,
            source=source,
        )
        for name in NUMERIC_FIELDS:
            setattr(
                prior, name, _pick_number(name, facts, prior_instants, prior_durations, warnings)
            )
        if all(getattr(prior, name) is None for name in NUMERIC_FIELDS):
            prior = None
    joined = "; ".join(dict.fromkeys(warnings)) or None
    current.warnings = joined
    if prior is not None:
        prior.warnings = joined
    return Filing(company_id, current, prior, list(dict.fromkeys(warnings)))


def record_dict(record: PeriodRecord) -> dict[str, object]:
    """A record as a plain dict (one table row)."""
    return asdict(record)

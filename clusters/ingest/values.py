"""Column-value parsing shared by the readers: text, strict dates, SIC codes, geography.

Each helper works on a whole chunk column at once and reports, per row, what it could not
parse through :class:`Problems`, so a reader can send those rows to quarantine with a reason
that names the source column.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from clusters.geography import GEO_COLUMNS, PostcodeLookup, normalise_postcode, postcode_district
from clusters.sic import SicReference, parse_sic_text

logger = logging.getLogger(__name__)

DMY = "dd/mm/yyyy"
ISO = "yyyy-mm-dd"
_DATE_PATTERNS = {DMY: r"\d{2}/\d{2}/\d{4}", ISO: r"\d{4}-\d{2}-\d{2}"}
_SIC_CACHE_LIMIT = 100_000
_FIVE_DIGITS = re.compile(r"\d{5}")


class Problems:
    """The first problem found in each row of a chunk: the source column and a reason."""

    def __init__(self, index: pd.Index) -> None:
        self.column = pd.Series(None, index=index, dtype=object)
        self.reason = pd.Series(None, index=index, dtype=object)

    @property
    def mask(self) -> pd.Series:
        """Rows with a problem."""
        return self.reason.notna()

    def flag(self, mask: pd.Series, column: str, reasons: pd.Series | str) -> None:
        """Record ``reasons`` for the rows in ``mask`` that have no problem yet."""
        new = mask & self.reason.isna()
        if not new.any():
            return
        self.column[new] = column
        if isinstance(reasons, pd.Series):
            reasons = reasons.reindex(self.reason.index)[new]
        self.reason[new] = reasons


@dataclass
class Mapped:
    """A chunk mapped onto contract columns, plus the rows that failed to parse."""

    frame: pd.DataFrame
    problems: Problems


def text(values: pd.Series) -> pd.Series:
    """Stripped strings, ``None`` where blank."""
    stripped = values.astype(object).str.strip()
    return stripped.where(stripped.notna() & (stripped != ""), None)


def parse_dates(values: pd.Series, style: str, column: str, problems: Problems) -> pd.Series:
    """Dates written strictly as ``style`` (:data:`DMY` or :data:`ISO`) → ``datetime64``.

    A value that is not in that form, or is not a real date (``31/02/2020``), is flagged.
    """
    raw = text(values)
    present = raw.notna()
    well_formed = raw.str.fullmatch(_DATE_PATTERNS[style], na=False).astype(bool)
    if style == ISO:
        iso = raw
    else:
        iso = raw.str.slice(6, 10) + "-" + raw.str.slice(3, 5) + "-" + raw.str.slice(0, 2)
    parsed = pd.to_datetime(iso.where(well_formed), format="%Y-%m-%d", errors="coerce")
    bad = present & parsed.isna()
    if bad.any():
        reasons = raw[bad].map(lambda v: f"{column} {v!r} is not a valid {style} date")
        problems.flag(bad, column, reasons)
    return parsed


def clean_postcodes(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Postcodes in canonical form (``'LS10 2RU'``) and their districts (``'LS10'``).

    A value that is not a full postcode is kept upper-cased, so the contract's postcode check
    can accept an outward code alone or reject anything else with its own reason.
    """
    pairs = [_clean_postcode(v) for v in text(values).tolist()]
    postcodes = pd.Series([p for p, _ in pairs], index=values.index, dtype=object)
    districts = pd.Series([d for _, d in pairs], index=values.index, dtype=object)
    return postcodes, districts


def _clean_postcode(value: str | None) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    full = normalise_postcode(value)
    if full:
        return full, full.split(" ", 1)[0]
    upper = re.sub(r"\s+", " ", value.upper())
    return upper, postcode_district(upper)


def add_geography(frame: pd.DataFrame, districts: pd.Series, lookup: PostcodeLookup) -> None:
    """Fill missing ``postcode_district`` and geography columns in place.

    Args:
        frame: the mapped chunk; its given district and geography values are kept.
        districts: the district derived from each row's postcode.
        lookup: postcode district → local authority and region.
    """
    if "postcode_district" in frame:
        given = frame["postcode_district"]
        frame["postcode_district"] = given.where(given.notna(), districts)
    else:
        frame["postcode_district"] = districts
    located = lookup.locate(frame["postcode_district"])
    for column in GEO_COLUMNS:
        if column in frame:
            frame[column] = frame[column].where(frame[column].notna(), located[column])
        else:
            frame[column] = located[column]


class SicParser:
    """Companies House SIC strings → 5-digit codes, with a cache of the strings seen."""

    def __init__(self, reference: SicReference) -> None:
        self.reference = reference
        self._cache: dict[str, tuple[str | None, str | None]] = {}

    def parse(self, value: str) -> tuple[str | None, str | None]:
        """``(code, problem)`` for one string; see :func:`clusters.sic.parse_sic_text`."""
        hit = self._cache.get(value)
        if hit is None:
            hit = parse_sic_text(value, self.reference)
            if len(self._cache) < _SIC_CACHE_LIMIT:
                self._cache[value] = hit
        return hit

    def parse_rows(
        self,
        rows: Iterable[Sequence[str]],
        columns: Sequence[str],
        index: pd.Index,
        problems: Problems,
        *,
        five_digit_only: bool = False,
    ) -> pd.Series:
        """A list of unique codes per row; a row with an unknown code is flagged.

        Args:
            rows: the SIC strings of each row.
            columns: the source column of each position in a row (the last one repeats).
            index: the chunk's index.
            problems: where unknown codes are recorded.
            five_digit_only: accept bare 5-digit codes only (no titles, no legacy 4-digit
                codes, which in a list are more likely 5-digit codes that lost a leading zero).
        """
        codes: list[list[str]] = []
        bad_column: list[str | None] = []
        bad_reason: list[str | None] = []
        last = len(columns) - 1
        for values in rows:
            found: list[str] = []
            problem = column = None
            for position, value in enumerate(values):
                if not value:
                    continue
                if five_digit_only and not _FIVE_DIGITS.fullmatch(value):
                    code, issue = None, f"SIC code {value!r} is not a 5-digit code"
                else:
                    code, issue = self.parse(value)
                if issue and problem is None:
                    problem, column = issue, columns[min(position, last)]
                elif code and code not in found:
                    found.append(code)
            codes.append(found)
            bad_column.append(column)
            bad_reason.append(problem)
        reasons = pd.Series(bad_reason, index=index, dtype=object)
        columns_hit = pd.Series(bad_column, index=index, dtype=object)
        for column in columns_hit.dropna().unique():
            problems.flag(columns_hit == column, column, reasons)
        return pd.Series(codes, index=index, dtype=object)

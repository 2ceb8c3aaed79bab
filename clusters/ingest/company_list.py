"""A company list already in the company-base columns (CSV or Parquet) → company-base rows.

The list uses the contract's column names (``company_id``, ``name``, ``postcode`` required;
the rest optional). In a CSV, ``sic_codes`` is a ``;``-separated string of 5-digit codes and
dates are ISO ``yyyy-mm-dd``; a Parquet list may hold real lists and dates (the reader turns
them into the same text). ``postcode_district`` and the geography columns are derived from
the postcode wherever they are absent or blank; given values are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd

from clusters.contracts import COMPANY_BASE, LABEL_SEPARATOR, ContractError
from clusters.geography import PostcodeLookup
from clusters.ingest.values import (
    ISO,
    Mapped,
    Problems,
    SicParser,
    add_geography,
    clean_postcodes,
    parse_dates,
    text,
)

logger = logging.getLogger(__name__)

FORMAT = "list"
SIGNATURE = frozenset({"company_id"})
"""A header holding this name is taken to be a company list."""
DATE_COLUMNS = ("incorporation_date", "dissolution_date", "accounts_period_end")
_SPECIAL = {"postcode", "sic_codes", *DATE_COLUMNS}


class CompanyListMapper:
    """Maps chunks of one company list onto the company-base columns.

    Args:
        header: the file's column names, stripped.
        source: the file's name, for messages.
        lookup: postcode district → local authority and region.
        sic: SIC code parser (validates codes and maps legacy 4-digit ones).

    Raises:
        ContractError: a required column is missing (the message names file and columns).
    """

    format_name = FORMAT

    def __init__(
        self, header: Sequence[str], source: str, lookup: PostcodeLookup, sic: SicParser
    ) -> None:
        present = set(header)
        missing = [name for name in COMPANY_BASE.required if name not in present]
        if missing:
            raise ContractError(
                f"missing required company-list column(s): {', '.join(missing)}", source=source
            )
        self.columns = [name for name in COMPANY_BASE.names if name in present]
        ignored = sorted(present - set(COMPANY_BASE.names))
        self.warnings = (
            [f"{source}: ignoring unknown column(s) {', '.join(ignored)}"] if ignored else []
        )
        self.lookup, self.sic = lookup, sic

    def source_column(self, column: str) -> str:
        """The source column a contract column comes from (the same name here)."""
        return column

    def map(self, chunk: pd.DataFrame) -> Mapped:
        """Contract columns for one chunk of text rows, and the rows that failed to parse."""
        problems = Problems(chunk.index)
        frame = pd.DataFrame(index=chunk.index)
        for name in self.columns:
            if name not in _SPECIAL:
                frame[name] = text(chunk[name])
        frame["postcode"], districts = clean_postcodes(chunk["postcode"])
        if "postcode_district" in frame:
            frame["postcode_district"] = frame["postcode_district"].str.upper()
        add_geography(frame, districts, self.lookup)
        for name in DATE_COLUMNS:
            if name in chunk:
                frame[name] = parse_dates(chunk[name], ISO, name, problems)
        if "sic_codes" in chunk:
            parts = (_split(value) for value in chunk["sic_codes"].tolist())
            frame["sic_codes"] = self.sic.parse_rows(
                parts, ["sic_codes"], chunk.index, problems, five_digit_only=True
            )
        return Mapped(frame, problems)


def _split(value: object) -> list[str]:
    if not isinstance(value, str):
        return []
    return [part.strip() for part in value.split(LABEL_SEPARATOR) if part.strip()]

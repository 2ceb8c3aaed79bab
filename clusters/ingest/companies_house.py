"""Companies House "BasicCompanyData" rows → company-base columns.

The bulk file (``BasicCompanyDataAsOneFile`` or its ``-partN_M`` parts) has 55 columns, 14 of
whose names carry a leading space (the reader strips names); dates are ``dd/mm/yyyy``; SIC
codes are strings such as ``"70229 - Management consultancy ..."``, ``"None Supplied"`` or
legacy SIC 2003 four-digit codes, parsed by :mod:`clusters.sic`. Older extracts with fewer
columns are read too, as long as the required ones are there.

Mapping (source → contract):

========================  =============================================================
``CompanyNumber``         ``company_id`` (normalised by the contract)
``CompanyName``           ``name`` (stripped)
``RegAddress.PostCode``   ``postcode`` (normalised), ``postcode_district`` and geography
``CompanyStatus``         ``status``
``CompanyCategory``       ``category``
``IncorporationDate``     ``incorporation_date`` (strict ``dd/mm/yyyy``)
``DissolutionDate``       ``dissolution_date`` (strict ``dd/mm/yyyy``)
``SICCode.SicText_1..4``  ``sic_codes`` (5-digit SIC 2007; an unknown code rejects the row)
========================  =============================================================
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd

from clusters.contracts import ContractError
from clusters.geography import PostcodeLookup
from clusters.ingest.values import (
    DMY,
    Mapped,
    Problems,
    SicParser,
    add_geography,
    clean_postcodes,
    parse_dates,
    text,
)

logger = logging.getLogger(__name__)

FORMAT = "companies-house"
SIC_COLUMNS = tuple(f"SICCode.SicText_{i}" for i in range(1, 5))
REQUIRED = ("CompanyName", "CompanyNumber", "RegAddress.PostCode", "CompanyStatus", SIC_COLUMNS[0])
OPTIONAL = ("CompanyCategory", "IncorporationDate", "DissolutionDate", *SIC_COLUMNS[1:])
SIGNATURE = frozenset(REQUIRED)
"""A header holding any of these names is taken to be Companies House data."""

SOURCE_COLUMN = {
    "company_id": "CompanyNumber",
    "name": "CompanyName",
    "postcode": "RegAddress.PostCode",
    "postcode_district": "RegAddress.PostCode",
    "status": "CompanyStatus",
    "category": "CompanyCategory",
    "incorporation_date": "IncorporationDate",
    "dissolution_date": "DissolutionDate",
    "sic_codes": SIC_COLUMNS[0],
}
_OPTIONAL_TARGET = {
    "CompanyCategory": "category",
    "IncorporationDate": "incorporation_date",
    "DissolutionDate": "dissolution_date",
}


class CompaniesHouseMapper:
    """Maps chunks of one Companies House file onto the company-base columns.

    Args:
        header: the file's column names, stripped.
        source: the file's name, for messages.
        lookup: postcode district → local authority and region.
        sic: SIC string parser.

    Raises:
        ContractError: a required column is missing (the message names file and columns).
    """

    format_name = FORMAT

    def __init__(
        self, header: Sequence[str], source: str, lookup: PostcodeLookup, sic: SicParser
    ) -> None:
        present = set(header)
        missing = [name for name in REQUIRED if name not in present]
        if missing:
            raise ContractError(
                f"missing required Companies House column(s): {', '.join(missing)}", source=source
            )
        self.columns = [name for name in (*REQUIRED, *OPTIONAL) if name in present]
        self.sic_columns = [name for name in SIC_COLUMNS if name in present]
        self.lookup, self.sic = lookup, sic
        self.warnings = [
            f"{source}: no {name} column, so {target} will be empty"
            for name, target in _OPTIONAL_TARGET.items()
            if name not in present
        ]

    def source_column(self, column: str) -> str:
        """The source column a contract column comes from (for quarantine messages)."""
        return SOURCE_COLUMN.get(column, column)

    def map(self, chunk: pd.DataFrame) -> Mapped:
        """Contract columns for one chunk of text rows, and the rows that failed to parse."""
        problems = Problems(chunk.index)
        postcodes, districts = clean_postcodes(chunk["RegAddress.PostCode"])
        frame = pd.DataFrame(
            {
                "company_id": text(chunk["CompanyNumber"]),
                "name": text(chunk["CompanyName"]),
                "postcode": postcodes,
                "status": text(chunk["CompanyStatus"]),
                "category": _optional_text(chunk, "CompanyCategory"),
            },
            index=chunk.index,
        )
        add_geography(frame, districts, self.lookup)
        for name, target in (
            ("IncorporationDate", "incorporation_date"),
            ("DissolutionDate", "dissolution_date"),
        ):
            if name in chunk:
                frame[target] = parse_dates(chunk[name], DMY, name, problems)
            else:
                frame[target] = pd.Series(pd.NaT, index=chunk.index, dtype="datetime64[ns]")
        sic_text = zip(*(chunk[name].tolist() for name in self.sic_columns), strict=True)
        frame["sic_codes"] = self.sic.parse_rows(sic_text, self.sic_columns, chunk.index, problems)
        return Mapped(frame, problems)


def _optional_text(chunk: pd.DataFrame, name: str) -> pd.Series:
    if name in chunk:
        return text(chunk[name])
    return pd.Series(None, index=chunk.index, dtype=object)

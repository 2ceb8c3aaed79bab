"""UK postcodes → postcode district → local authority (LAD) → region.

Uses the bundled postcode-district lookup (``data/geo/postcode_district_to_lad2020.csv``,
LAD vintage 2020). A district that spans several local authorities is resolved by one
documented rule: **the first authority listed by the source** (``lad_rank_in_source == 1``;
the NHS COVID-19 app lookup lists the authority holding most of the district first in the
cases we checked, but does not promise it). The region is exact whenever all candidate
authorities lie in one region, which is true for all but a few border districts.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

# Outward code: area (1-2 letters) + district (digit, then optional digit or letter);
# inward code: digit + two letters. Whitespace is optional in input.
_POSTCODE_RE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})$")
_OUTWARD_RE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?$")

GEO_COLUMNS = ["lad_code", "lad_name", "region_code", "region_name"]


def normalise_postcode(value: object) -> str | None:
    """Upper-case postcode with one space before the inward code, or ``None`` if not valid.

    >>> normalise_postcode(" ng7 2rd "), normalise_postcode("NG72RD"), normalise_postcode("75008")
    ('NG7 2RD', 'NG7 2RD', None)
    """
    if value is None:
        return None
    text = re.sub(r"\s+", " ", str(value).strip().upper())
    match = _POSTCODE_RE.match(text)
    return f"{match.group(1)} {match.group(2)}" if match else None


def is_valid_postcode(value: str) -> bool:
    """Whether ``value`` is a well-formed UK postcode (full, or an outward code alone)."""
    text = str(value).strip().upper()
    return normalise_postcode(text) is not None or bool(_OUTWARD_RE.match(text))


def postcode_district(value: object) -> str | None:
    """The outward code (postcode district) of a postcode: ``'NG7 2RD'`` → ``'NG7'``."""
    if value is None:
        return None
    text = str(value).strip().upper()
    full = normalise_postcode(text)
    if full:
        return full.split(" ")[0]
    return text if _OUTWARD_RE.match(text) else None


class PostcodeLookup:
    """Maps postcode districts to local authority and region."""

    def __init__(self, table: pd.DataFrame) -> None:
        ranked = table.sort_values(["postcode_district", "lad_rank_in_source"])
        first = ranked.drop_duplicates("postcode_district", keep="first")
        self._by_district = first.set_index("postcode_district")[GEO_COLUMNS]
        regions = ranked.groupby("postcode_district")["region_code"].nunique()
        self.ambiguous_region_districts = frozenset(regions[regions > 1].index)

    @classmethod
    def from_csv(cls, path: Path) -> PostcodeLookup:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        table["lad_rank_in_source"] = table["lad_rank_in_source"].astype(int)
        return cls(table.replace({"": None}))

    def locate(self, districts: pd.Series) -> pd.DataFrame:
        """Local authority and region columns for each district (nulls where unknown)."""
        located = self._by_district.reindex(districts.to_numpy())
        located.index = districts.index
        return located.astype(object).where(located.notna(), None)

    def __contains__(self, district: object) -> bool:
        return district in self._by_district.index


@lru_cache(maxsize=4)
def load_lookup(path: Path) -> PostcodeLookup:
    """The lookup from ``path`` (cached per process)."""
    return PostcodeLookup.from_csv(path)


def default_lookup() -> PostcodeLookup:
    """The bundled lookup, from the configured data directory."""
    from clusters.config import get_settings

    return load_lookup(get_settings().paths.geo_dir / "postcode_district_to_lad2020.csv")

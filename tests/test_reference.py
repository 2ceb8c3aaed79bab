"""SIC reference and postcode geography."""

from __future__ import annotations

import pandas as pd
import pytest

from clusters.config import get_settings
from clusters.geography import default_lookup, normalise_postcode, postcode_district
from clusters.sic import default_reference


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "70229 - Management consultancy activities other than financial management",
            ("70229", None),
        ),
        ("None Supplied", (None, None)),
        ("", (None, None)),
        ("7499 - Non-trading company", ("74990", None)),
        ("9999 - Dormant company", ("99999", None)),
        ("7487 - Other business activities", ("82990", None)),
    ],
)
def test_sic_strings(text, expected):
    assert default_reference().parse(text) == expected


def test_unknown_sic_codes_say_why():
    ref = default_reference()
    assert "not in SIC 2007" in ref.parse("12345 - Made up")[1]
    assert "no code" in ref.parse("Widgets")[1]


def test_sic_titles_and_sections():
    ref = default_reference()
    assert ref.title("62012") == "Business and domestic software development"
    assert ref.sections["62012"] == "J"


def test_postcodes():
    assert normalise_postcode("ng72rd") == "NG7 2RD"
    assert postcode_district("B1 1AA") == "B1"
    assert postcode_district("LE1") == "LE1"
    assert postcode_district("75008") is None


def test_districts_map_to_authority_and_region():
    located = default_lookup().locate(pd.Series(["NG7", "B1", "ZZ99"]))
    assert located.loc[0, "lad_name"] == "Nottingham"
    assert located.loc[0, "region_name"] == "East Midlands"
    assert located.loc[1, "region_name"] == "West Midlands"
    assert located.loc[2].isna().all()


def test_multi_authority_district_takes_first_listed():
    table = pd.read_csv(
        get_settings().paths.geo_dir / "postcode_district_to_lad2020.csv",
        dtype=str,
    )
    multi = table[table["n_lads_for_district"].astype(int) > 1]
    district = multi["postcode_district"].iloc[0]
    first = multi[(multi["postcode_district"] == district) & (multi["lad_rank_in_source"] == "1")]
    assert (
        default_lookup().locate(pd.Series([district])).loc[0, "lad_code"]
        == first["lad_code"].iloc[0]
    )


@pytest.mark.parametrize(
    ("text", "code"), [("2940 - Machine tools", "33120"), ("9500 - Private households", "97000")]
)
def test_legacy_codes_missing_from_the_table_resolve_by_group_or_division(text, code):
    assert default_reference().parse(text) == (code, None)

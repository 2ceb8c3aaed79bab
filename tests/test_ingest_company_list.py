"""Ingestion of company lists that already use the company-base column names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from clusters.contracts import COMPANY_BASE, ContractError
from clusters.ingest.stage import ingest_companies

FULL = (
    Path(__file__).parent
    / "fixtures"
    / "companies_house"
    / ("basiccompanydata_header_plus_2_real_rows.csv")
)

LIST_CSV = """\
company_id,name,postcode,sic_codes,incorporation_date,turnover,employees,website,lad_name
8209948,! LTD,ls10 2ru,99999,2012-09-11,,,,
SC421617,!NSPIRED LTD,AB11 7SY,62012; 62020 ,2012-04-30,125000.5,3,https://example.com,
00000010,Named Place Ltd,NG7 2RD,,,,,,My own authority
00000011,Bad Sic Ltd,NG7 2RD,1110,,,,,
00000012,Bad Date Ltd,NG7 2RD,62012,11/09/2012,,,,
00000013,Bad Count Ltd,NG7 2RD,62012,,,-4,,
00000014,Unknown Sic Ltd,NG7 2RD,12345,,,,,
"""


def write_list(tmp_path: Path, text: str = LIST_CSV, name: str = "companies.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def ingest(tmp_path: Path, *inputs: Path, **kwargs: object):
    report = ingest_companies(list(inputs), tmp_path / "out.parquet", **kwargs)
    frame = pd.read_parquet(report.output)
    rejects = pd.read_csv(report.quarantine, dtype=str, keep_default_na=False)
    return report, frame.set_index("company_id", drop=False), rejects


def test_list_csv_with_semicolon_sic_codes(tmp_path: Path) -> None:
    report, frame, rejects = ingest(tmp_path, write_list(tmp_path))

    assert (report.rows_read, report.rows_written, report.rows_quarantined) == (7, 3, 4)
    assert list(frame.columns) == COMPANY_BASE.names
    bang = frame.loc["08209948"]
    assert bang["postcode"] == "LS10 2RU"
    assert (bang["postcode_district"], bang["lad_name"]) == ("LS10", "Leeds")
    assert bang["region_name"] == "Yorkshire and The Humber"
    assert list(bang["sic_codes"]) == ["99999"]
    assert bang["incorporation_date"] == dt.date(2012, 9, 11)
    nspired = frame.loc["SC421617"]
    assert list(nspired["sic_codes"]) == ["62012", "62020"]
    assert (nspired["turnover"], nspired["employees"]) == (125000.5, 3.0)
    assert nspired["website"] == "https://example.com"
    assert list(frame.loc["00000010", "sic_codes"]) == []
    assert frame.loc["00000010", "lad_name"] == "My own authority"  # given values are kept
    assert frame.loc["00000010", "lad_code"] == "E06000018"  # missing ones derived

    reasons = dict(zip(rejects["company_id"], rejects["reason"], strict=True))
    assert reasons["00000011"] == "SIC code '1110' is not a 5-digit code"
    assert reasons["00000012"] == "incorporation_date '11/09/2012' is not a valid yyyy-mm-dd date"
    assert reasons["00000013"] == "employees '-4' is not a count"
    assert reasons["00000014"] == "SIC code 12345 is not in SIC 2007"
    assert list(rejects["row"]) == ["4", "5", "7", "6"]  # reader problems, then contract checks
    assert rejects["record"].iloc[0] == "00000011,Bad Sic Ltd,NG7 2RD,1110,,,,,"


def test_list_parquet_with_real_lists_and_dates(tmp_path: Path) -> None:
    source = pd.DataFrame(
        {
            "company_id": ["08209948", "07687209"],
            "name": ["! LTD", "!OBAC UK LIMITED"],
            "postcode": ["LS10 2RU", "RG26 5AT"],
            "sic_codes": [["99999"], ["70229", "62012"]],
            "incorporation_date": [dt.date(2012, 9, 11), None],
            "employees": [None, 12.0],
        }
    )
    path = tmp_path / "companies.parquet"
    source.to_parquet(path)
    report, frame, _ = ingest(tmp_path / "out", path)

    assert report.rows_written == 2
    assert list(frame.loc["07687209", "sic_codes"]) == ["70229", "62012"]
    assert frame.loc["08209948", "incorporation_date"] == dt.date(2012, 9, 11)
    assert frame.loc["07687209", "employees"] == 12.0
    assert frame.loc["07687209", "postcode_district"] == "RG26"


def test_parquet_rejects_keep_the_record_as_json(tmp_path: Path) -> None:
    path = tmp_path / "companies.parquet"
    pd.DataFrame({"company_id": ["x!"], "name": ["A"], "postcode": ["LS10 2RU"]}).to_parquet(path)
    report, _, rejects = ingest(tmp_path / "out", path)

    assert report.rows_quarantined == 1
    assert rejects["row"].iloc[0] == "1"
    assert rejects["record"].iloc[0] == '{"company_id": "x!", "name": "A", "postcode": "LS10 2RU"}'


def test_auto_format_mixes_companies_house_and_list_files(tmp_path: Path) -> None:
    listed = write_list(tmp_path)
    report, frame, rejects = ingest(tmp_path, FULL, listed)

    assert report.rows_written == 2 + 2  # 08209948 from the list repeats the CH file
    assert frame.loc["08209948", "incorporation_date"] == dt.date(2012, 9, 11)
    dup = rejects[rejects["reason"].str.startswith("duplicate")].iloc[0]
    assert (dup["source"], dup["row"], dup["column"]) == (str(listed), "1", "company_id")
    assert dup["reason"].endswith(f"(first kept: {FULL} row 1)")


def test_list_missing_required_column_is_fatal(tmp_path: Path) -> None:
    path = write_list(tmp_path, "company_id,name\n00000001,A Ltd\n", "no_postcode.csv")
    with pytest.raises(ContractError) as error:
        ingest_companies([path], tmp_path / "out.parquet")
    assert str(error.value).startswith(f"{path}: missing required company-list column(s): postcode")


def test_list_unknown_columns_are_ignored_with_a_warning(tmp_path: Path) -> None:
    path = write_list(tmp_path, "company_id,name,postcode,colour\n1,A Ltd,NG7 2RD,blue\n")
    report, frame, _ = ingest(tmp_path, path)
    assert list(frame.index) == ["00000001"]
    assert any("colour" in w for w in report.warnings)

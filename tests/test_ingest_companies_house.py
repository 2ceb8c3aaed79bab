"""Ingestion of Companies House BasicCompanyData files into the company base."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from clusters.contracts import COMPANY_BASE, REJECT_COLUMNS, ContractError
from clusters.ingest.stage import IngestReport, default_quarantine_path, ingest_companies

SAMPLES = Path(__file__).parent / "fixtures" / "companies_house"
FULL = SAMPLES / "basiccompanydata_header_plus_2_real_rows.csv"
FOURTEEN = SAMPLES / "companieshr_basiccompanydata_first1000_14cols.csv"


# --- helpers ----------------------------------------------------------------------------------


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header (names as written, leading spaces kept) and data rows of a sample."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """A CSV quoted like the Companies House bulk file."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def put(header: list[str], row: list[str], column: str, value: str) -> list[str]:
    """A copy of ``row`` with ``column`` (stripped name) set to ``value``."""
    row = list(row)
    row[[h.strip() for h in header].index(column)] = value
    return row


def run(tmp_path: Path, *inputs: Path, **kwargs: object) -> tuple[IngestReport, pd.DataFrame]:
    report = ingest_companies(list(inputs), tmp_path / "out" / "companies.parquet", **kwargs)
    return report, pd.read_parquet(report.output)


def quarantined(report: IngestReport) -> pd.DataFrame:
    return pd.read_csv(report.quarantine, dtype=str, keep_default_na=False)


def by_id(frame: pd.DataFrame, company_id: str) -> pd.Series:
    match = frame[frame["company_id"] == company_id]
    assert len(match) == 1, f"{company_id} appears {len(match)} times"
    return match.iloc[0]


# --- the real samples -------------------------------------------------------------------------


def test_full_55_column_sample_maps_real_values(tmp_path: Path) -> None:
    report, frame = run(tmp_path, FULL)

    assert (report.rows_read, report.rows_written, report.rows_quarantined) == (2, 2, 0)
    assert pq.read_schema(report.output).equals(COMPANY_BASE.arrow_schema())
    bang = by_id(frame, "08209948")
    assert bang["name"] == "! LTD"
    assert bang["postcode"] == "LS10 2RU"
    assert bang["postcode_district"] == "LS10"
    assert bang["lad_name"] == "Leeds"
    assert bang["region_code"] == "E12000003"
    assert bang["region_name"] == "Yorkshire and The Humber"
    assert list(bang["sic_codes"]) == ["99999"]
    assert bang["incorporation_date"] == dt.date(2012, 9, 11)
    assert bang["dissolution_date"] is None
    assert bang["status"] == "Active"
    assert bang["category"] == "Private Limited Company"
    obac = by_id(frame, "07687209")
    assert list(obac["sic_codes"]) == ["70229"]
    assert obac["incorporation_date"] == dt.date(2011, 6, 29)
    assert obac["postcode_district"] == "RG26"
    assert report.warnings == []
    assert list(quarantined(report).columns) == REJECT_COLUMNS


def test_14_column_sample_without_incorporation_date(tmp_path: Path) -> None:
    report, frame = run(tmp_path, FOURTEEN)

    assert report.rows_read == 1000
    assert report.rows_written + report.rows_quarantined == 1000
    assert any("IncorporationDate" in w for w in report.warnings)
    assert frame["incorporation_date"].isna().all()
    assert frame["company_id"].is_unique
    # legacy SIC 2003 "7499 - Non-trading company" → 74990; "9999" (dormant) → 99999
    assert list(by_id(frame, "00000258")["sic_codes"]) == ["74990"]
    assert {"74990", "99999"} <= set(by_id(frame, "01045651")["sic_codes"])
    assert list(by_id(frame, "FC031362")["sic_codes"]) == []  # "None Supplied"
    assert list(by_id(frame, "07382019")["sic_codes"]) == ["59112", "59113", "74100", "74202"]
    aberdeen = by_id(frame, "SC421617")
    assert (aberdeen["postcode_district"], aberdeen["lad_name"]) == ("AB11", "Aberdeen City")
    assert aberdeen["region_code"] is None  # the bundled lookup has English regions only


def test_14_column_sample_quarantine_points_at_the_source_rows(tmp_path: Path) -> None:
    report, _ = run(tmp_path, FOURTEEN)
    rejects = quarantined(report)
    _, rows = read_rows(FOURTEEN)

    # Industrial & Provident society numbers (IP10067R, ...) are valid company numbers and
    # legacy SIC codes resolve (by class, group or division); only 2 postcodes like 'XXX' fail.
    assert report.rows_quarantined == len(rejects) == 2
    assert (rejects["column"] == "RegAddress.PostCode").sum() == 2
    lines = FOURTEEN.read_text(encoding="utf-8").splitlines()
    for reject in rejects.itertuples():
        # row is the 1-based data row: line row + 1 of the file, the record its exact text
        assert rows[int(reject.row) - 1][1] == reject.company_id
        assert reject.record == lines[int(reject.row)]
        assert reject.source == str(FOURTEEN)
    _, frame = run(tmp_path / "again", FOURTEEN)
    assert "IP10067R" in set(frame["company_id"])
    assert report.reasons["RegAddress.PostCode: postcode … is not a UK postcode"] == 2


def test_small_chunks_give_the_same_result(tmp_path: Path) -> None:
    whole, frame = run(tmp_path / "a", FOURTEEN)
    chunked, chunked_frame = run(tmp_path / "b", FOURTEEN, chunk_rows=7)

    pd.testing.assert_frame_equal(frame, chunked_frame)
    assert chunked.reasons == whole.reasons
    assert pq.ParquetFile(chunked.output).num_row_groups > 100


# --- containers and several files -------------------------------------------------------------


def test_zipped_input(tmp_path: Path) -> None:
    archive = tmp_path / "BasicCompanyData-2024-01-01.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(FULL, "BasicCompanyDataAsOneFile-2024-01-01.csv")
        zf.writestr("readme.txt", "not data")
    report, frame = run(tmp_path, archive)

    assert report.rows_written == 2
    assert report.sources == [f"{archive}:BasicCompanyDataAsOneFile-2024-01-01.csv"]
    assert by_id(frame, "08209948")["region_name"] == "Yorkshire and The Humber"


def split_sample(tmp_path: Path, parts: int = 3) -> list[Path]:
    header, rows = read_rows(FOURTEEN)
    size = -(-len(rows) // parts)
    folder = tmp_path / "parts"
    folder.mkdir()
    return [
        write_csv(
            folder / f"BasicCompanyData-2024-01-01-part{i + 1}_{parts}.csv",
            header,
            rows[i * size : (i + 1) * size],
        )
        for i in range(parts)
    ]


def test_multi_part_input_equals_the_single_file(tmp_path: Path) -> None:
    parts = split_sample(tmp_path)
    _, whole = run(tmp_path / "whole", FOURTEEN)
    report, frame = run(tmp_path / "parts_out", *parts)

    assert report.rows_read == 1000
    pd.testing.assert_frame_equal(frame, whole)
    rejects = quarantined(report)
    assert set(rejects["source"]) <= {str(p) for p in parts}
    # row numbers restart in every part: each points at its line in its own part file
    assert len(rejects) == 2
    for reject in rejects.itertuples():
        lines = Path(reject.source).read_text(encoding="utf-8").splitlines()
        assert reject.record == lines[int(reject.row)]


def test_directory_and_glob_inputs_are_read_in_part_order(tmp_path: Path) -> None:
    parts = split_sample(tmp_path, parts=2)
    by_dir, _ = run(tmp_path / "d", parts[0].parent)
    by_glob, _ = run(tmp_path / "g", str(parts[0].parent / "*part*_2.csv"))

    assert by_dir.sources == by_glob.sources == [str(p) for p in parts]
    assert by_dir.rows_read == by_glob.rows_read == 1000


def test_zip_with_several_parts(tmp_path: Path) -> None:
    parts = split_sample(tmp_path)
    archive = tmp_path / "parts.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in reversed(parts):
            zf.write(part, part.name)
    report, _ = run(tmp_path, archive)

    assert report.rows_read == 1000
    assert [s.rsplit(":", 1)[1] for s in report.sources] == [p.name for p in parts]


# --- fatal problems ---------------------------------------------------------------------------


def test_missing_required_column_is_fatal_and_named(tmp_path: Path) -> None:
    header, rows = read_rows(FULL)
    keep = [
        i for i, name in enumerate(header) if name.strip() not in ("CompanyNumber", "CompanyStatus")
    ]
    bad = write_csv(
        tmp_path / "no_number.csv", [header[i] for i in keep], [[r[i] for i in keep] for r in rows]
    )
    output = tmp_path / "companies.parquet"

    with pytest.raises(ContractError) as error:
        ingest_companies([bad], output)

    message = str(error.value)
    assert message.startswith(f"{bad}: ")
    assert "CompanyNumber" in message and "CompanyStatus" in message
    assert not output.exists()
    assert list(tmp_path.iterdir()) == [bad]  # no temporary files left behind


def test_empty_file_is_fatal_no_header(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")

    with pytest.raises(ContractError, match=r"empty\.csv: file is empty: no header"):
        ingest_companies([empty], tmp_path / "companies.parquet")
    assert not (tmp_path / "companies.parquet").exists()


def test_header_only_file_writes_zero_rows(tmp_path: Path) -> None:
    header, _ = read_rows(FULL)
    only = write_csv(tmp_path / "header_only.csv", header, [])
    report, frame = run(tmp_path, only)

    assert (report.rows_read, report.rows_written, report.rows_quarantined) == (0, 0, 0)
    assert frame.empty and list(frame.columns) == COMPANY_BASE.names
    assert any("header only" in w for w in report.warnings)


def test_truncated_zip_is_fatal(tmp_path: Path) -> None:
    archive = tmp_path / "BasicCompanyData.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(FOURTEEN, "part1.csv")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])

    with pytest.raises(ContractError) as error:
        ingest_companies([archive], tmp_path / "companies.parquet")
    assert str(error.value).startswith(f"{archive}: ")
    assert "truncated or corrupt" in str(error.value)


def test_corrupt_zip_member_is_fatal_and_keeps_the_previous_output(tmp_path: Path) -> None:
    output = tmp_path / "companies.parquet"
    ingest_companies([FULL], output)
    before = output.read_bytes()
    archive = tmp_path / "damaged.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(FOURTEEN, "part1.csv")
    data = bytearray(archive.read_bytes())
    for i in range(400, 1400):  # scramble compressed bytes inside the member
        data[i] ^= 0x5A
    archive.write_bytes(bytes(data))

    with pytest.raises(ContractError, match="damaged.zip:part1.csv"):
        ingest_companies([archive], output)
    assert output.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "companies.parquet",
        "companies.quarantine.csv",
        "damaged.zip",
    ]


def test_unknown_format_and_missing_input_are_fatal(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ContractError, match="cannot tell the format"):
        ingest_companies([other], tmp_path / "out.parquet")
    semicolons = tmp_path / "semicolons.csv"
    semicolons.write_text("company_name;company_number;postcode\nA;1;B1 1AA\n", encoding="utf-8")
    with pytest.raises(ContractError, match="';'-separated: save the file comma-separated"):
        ingest_companies([semicolons], tmp_path / "out.parquet")
    with pytest.raises(ContractError, match="nope.csv: no such file"):
        ingest_companies([tmp_path / "nope.csv"], tmp_path / "out.parquet")
    with pytest.raises(ContractError, match="no file matches"):
        ingest_companies([str(tmp_path / "*.zip")], tmp_path / "out.parquet")


def test_forced_list_format_on_companies_house_file_names_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="company_id, name, postcode"):
        ingest_companies([FULL], tmp_path / "out.parquet", fmt="list")


# --- row-level problems go to quarantine ------------------------------------------------------


def test_bad_and_impossible_dates_are_quarantined(tmp_path: Path) -> None:
    header, (first, second) = read_rows(FULL)
    rows = [
        put(header, first, "IncorporationDate", "31/02/2020"),
        put(header, second, "IncorporationDate", "2011-06-29"),
        put(
            header,
            put(header, second, "CompanyNumber", "00000001"),
            "DissolutionDate",
            "01/13/2020",
        ),
        put(
            header,
            put(header, second, "CompanyNumber", "00000002"),
            "DissolutionDate",
            "29/02/2024",
        ),
    ]
    report, frame = run(tmp_path, write_csv(tmp_path / "dates.csv", header, rows))
    rejects = quarantined(report)

    assert list(frame["company_id"]) == ["00000002"]
    assert frame["dissolution_date"].iloc[0] == dt.date(2024, 2, 29)
    assert list(rejects["row"]) == ["1", "2", "3"]
    assert list(rejects["column"]) == ["IncorporationDate", "IncorporationDate", "DissolutionDate"]
    assert (
        rejects["reason"].iloc[0] == "IncorporationDate '31/02/2020' is not a valid dd/mm/yyyy date"
    )
    assert '"31/02/2020"' in rejects["record"].iloc[0]  # the original line


def test_postcodes_are_normalised_and_bad_ones_quarantined(tmp_path: Path) -> None:
    header, (first, second) = read_rows(FULL)
    rows = [
        put(header, first, "RegAddress.PostCode", " ls10   2ru "),
        put(header, second, "RegAddress.PostCode", "NOT A POSTCODE"),
        put(header, put(header, second, "CompanyNumber", "00000003"), "RegAddress.PostCode", ""),
    ]
    report, frame = run(tmp_path, write_csv(tmp_path / "postcodes.csv", header, rows))
    rejects = quarantined(report)

    assert by_id(frame, "08209948")["postcode"] == "LS10 2RU"
    assert by_id(frame, "08209948")["lad_code"] == "E08000035"
    no_postcode = by_id(frame, "00000003")
    assert no_postcode["postcode"] is None and no_postcode["region_name"] is None
    assert list(rejects["company_id"]) == ["07687209"]
    assert rejects["column"].iloc[0] == "RegAddress.PostCode"
    assert rejects["reason"].iloc[0] == "postcode 'NOT A POSTCODE' is not a UK postcode"


def test_unknown_sic_code_and_empty_name_are_quarantined(tmp_path: Path) -> None:
    header, (first, second) = read_rows(FULL)
    rows = [
        put(header, first, "SICCode.SicText_2", "12345 - Made up activity"),
        put(header, second, "CompanyName", "   "),
    ]
    report, frame = run(tmp_path, write_csv(tmp_path / "sic.csv", header, rows))
    rejects = quarantined(report)

    assert frame.empty
    assert list(rejects["column"]) == ["SICCode.SicText_2", "CompanyName"]
    assert rejects["reason"].iloc[0] == "SIC code 12345 is not in SIC 2007"
    assert rejects["reason"].iloc[1] == "name is empty"


def test_non_utf8_lines_are_read_as_cp1252_and_kept(tmp_path: Path) -> None:
    header, (first, second) = read_rows(FULL)
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerows([header, put(header, first, "CompanyName", "CAFE_MARK LTD"), second])
    data = text.getvalue().encode("utf-8")
    data = data.replace(b"CAFE_MARK", b"CAF\xc9 \x81")  # cp1252 É, and a byte cp1252 lacks
    path = tmp_path / "latin.csv"
    path.write_bytes(data)

    report, frame = run(tmp_path, path)

    assert report.rows_written == 2 and report.rows_quarantined == 0
    assert by_id(frame, "08209948")["name"] == "CAFÉ \ufffd LTD"
    assert by_id(frame, "07687209")["name"] == "!OBAC UK LIMITED"
    assert report.recoded_lines == 1
    assert any("cp1252" in w and "line(s) 2" in w for w in report.warnings)


def test_utf8_bom_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + FULL.read_bytes())
    report, _ = run(tmp_path, path)
    assert report.rows_written == 2


def test_duplicate_company_numbers_within_a_file(tmp_path: Path) -> None:
    header, (first, second) = read_rows(FULL)
    rows = [first, second, put(header, first, "CompanyNumber", "8209948"), first]
    report, frame = run(tmp_path, write_csv(tmp_path / "dups.csv", header, rows))
    rejects = quarantined(report)

    assert list(frame["company_id"]) == ["08209948", "07687209"]
    assert list(rejects["row"]) == ["3", "4"]
    assert set(rejects["company_id"]) == {"08209948"}
    assert rejects["reason"].str.contains(f"first kept: {tmp_path / 'dups.csv'} row 1").all()
    assert report.reasons["CompanyNumber: duplicate company number"] == 2


def test_duplicate_company_numbers_across_parts_and_chunks(tmp_path: Path) -> None:
    parts = split_sample(tmp_path, parts=2)
    header, rows = read_rows(parts[0])
    repeat = write_csv(tmp_path / "part3.csv", header, [rows[4], rows[0]])
    report, frame = run(tmp_path, *parts, repeat, chunk_rows=100)
    rejects = quarantined(report)
    dups = rejects[rejects["reason"].str.startswith("duplicate")]

    assert frame["company_id"].is_unique
    assert list(dups["row"]) == ["1", "2"]
    assert list(dups["company_id"]) == [rows[4][1], rows[0][1]]
    assert dups["reason"].iloc[0].endswith(f"(first kept: {parts[0]} row 5)")


def test_first_valid_occurrence_wins_over_an_earlier_invalid_one(tmp_path: Path) -> None:
    header, (first, _) = read_rows(FULL)
    rows = [put(header, first, "IncorporationDate", "99/99/2012"), first]
    report, frame = run(tmp_path, write_csv(tmp_path / "f.csv", header, rows))
    assert list(frame["company_id"]) == ["08209948"]
    assert list(quarantined(report)["row"]) == ["1"]


def test_malformed_rows_are_quarantined_with_their_line(tmp_path: Path) -> None:
    header, (first, second) = read_rows(FULL)
    good = io.StringIO()
    csv.writer(good, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(
        [header, first, put(header, second, "CompanyNumber", "00000005")]
    )
    lines = good.getvalue().splitlines(keepends=True)
    extra_field = lines[1].rstrip("\n") + ',"surplus"\n'
    broken_quote = lines[1].replace('"! LTD"', '"BROKEN LTD', 1)
    runaway_quote = lines[1].rstrip('"\n') + "\n"  # last field's closing quote lost
    text = (
        lines[0] + lines[1] + extra_field + broken_quote + runaway_quote + lines[2] + runaway_quote
    )
    path = tmp_path / "malformed.csv"
    path.write_text(text, encoding="utf-8")

    report, frame = run(tmp_path, path)
    rejects = quarantined(report)

    # the line after a runaway quote is still read as its own row
    assert list(frame["company_id"]) == ["08209948", "00000005"]
    assert report.rows_read == 6 == report.rows_written + report.rows_quarantined
    assert list(rejects["row"]) == ["2", "3", "4", "6"]
    assert rejects["reason"].iloc[0] == "expected 55 fields, found 56"
    assert rejects["reason"].iloc[1].startswith("unbalanced or stray quote")
    assert rejects["reason"].iloc[2].startswith("unbalanced or stray quote")
    assert rejects["reason"].iloc[3].startswith("unbalanced or stray quote")  # at the end
    assert rejects["record"].iloc[1].startswith('"BROKEN LTD,')
    assert rejects["record"].iloc[2] == runaway_quote.rstrip("\n")
    assert report.reasons["expected 55 fields, found 56"] == 1


def test_quoted_line_break_inside_a_field_is_kept(tmp_path: Path) -> None:
    header, (first, second) = read_rows(FULL)
    rows = [put(header, first, "RegAddress.AddressLine1", "METROHOUSE\n57 PEPPER ROAD"), second]
    report, frame = run(tmp_path, write_csv(tmp_path / "newline.csv", header, rows))

    assert report.rows_written == 2 and report.rows_quarantined == 0
    assert list(frame["company_id"]) == ["08209948", "07687209"]


def test_failed_run_leaves_previous_output_untouched(tmp_path: Path) -> None:
    output = tmp_path / "companies.parquet"
    first = ingest_companies([FULL], output)
    before = output.read_bytes()
    header, rows = read_rows(FULL)
    broken = write_csv(
        tmp_path / "broken.csv",
        [h for h in header if h.strip() != "CompanyName"],
        [r[1:] for r in rows],
    )

    with pytest.raises(ContractError):
        ingest_companies([FOURTEEN, broken], output)

    assert output.read_bytes() == before
    assert first.quarantine == default_quarantine_path(output)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_outputs_elsewhere_and_copies_of_inputs(tmp_path: Path) -> None:
    copy = shutil.copy(FULL, tmp_path / "copy.csv")
    quarantine = tmp_path / "q" / "rejects.csv"
    report = ingest_companies(
        [FULL, copy, FULL], tmp_path / "deep" / "out.parquet", quarantine=quarantine
    )

    assert report.sources == [str(FULL), str(copy)]  # the same file named twice is read once
    assert report.rows_written == 2 and report.rows_quarantined == 2
    assert quarantine.exists()

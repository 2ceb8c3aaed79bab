"""The ``clusters ingest companies`` command, end to end."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from clusters.cli import app

SAMPLES = Path(__file__).parent / "fixtures" / "companies_house"
FULL = SAMPLES / "basiccompanydata_header_plus_2_real_rows.csv"
FOURTEEN = SAMPLES / "companieshr_basiccompanydata_first1000_14cols.csv"

runner = CliRunner()


def test_ingest_prints_counts_and_writes_outputs(tmp_path: Path) -> None:
    output = tmp_path / "companies.parquet"
    result = runner.invoke(
        app, ["ingest", "companies", "--input", str(FOURTEEN), "-o", str(output)]
    )

    assert result.exit_code == 0, result.output
    assert "read 1,000 rows from 1 file(s)" in result.stdout
    assert f"wrote 998 companies to {output}" in result.stdout
    assert f"quarantined 2 rows to {tmp_path / 'companies.quarantine.csv'}" in result.stdout
    assert "top quarantine reasons:" in result.stdout
    assert "2  RegAddress.PostCode: postcode … is not a UK postcode" in result.stdout
    assert "2 warning(s)" in result.stdout
    assert len(pd.read_parquet(output)) == 998


def test_several_inputs_after_one_flag_and_explicit_options(tmp_path: Path) -> None:
    output = tmp_path / "companies.parquet"
    quarantine = tmp_path / "rejects.csv"
    result = runner.invoke(
        app,
        [
            "ingest",
            "companies",
            "--input",
            str(FOURTEEN),
            str(FULL),  # as a shell expands `--input parts/*.csv`
            "--output",
            str(output),
            "--format",
            "companies-house",
            "--quarantine",
            str(quarantine),
        ],
    )

    assert result.exit_code == 0, result.output
    assert "read 1,002 rows from 2 file(s)" in result.stdout
    assert "quarantined 4 rows" in result.stdout
    assert len(pd.read_csv(quarantine)) == 4


def test_missing_required_column_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    with FULL.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    bad = tmp_path / "no_postcode.csv"
    with bad.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([row[:9] + row[10:] for row in rows])
    output = tmp_path / "companies.parquet"

    result = runner.invoke(app, ["ingest", "companies", "-i", str(bad), "-o", str(output)])

    assert result.exit_code != 0
    assert result.stderr.strip() == (
        f"error: {bad}: missing required Companies House column(s): RegAddress.PostCode"
    )
    assert not output.exists()


def test_unreadable_inputs_exit_non_zero(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    result = runner.invoke(app, ["ingest", "companies", "-i", str(missing), "-o", "x.parquet"])
    assert result.exit_code != 0
    assert result.stderr.strip() == f"error: {missing}: no such file"

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["ingest", "companies", "-i", str(empty), "-o", "x.parquet"])
    assert result.exit_code != 0
    assert result.stderr.strip() == f"error: {empty}: file is empty: no header row"


def test_header_only_exits_zero_with_zero_rows(tmp_path: Path) -> None:
    header_only = tmp_path / "header.csv"
    header_only.write_text(FULL.read_text(encoding="utf-8").splitlines()[0] + "\n", "utf-8")
    output = tmp_path / "companies.parquet"

    result = runner.invoke(app, ["ingest", "companies", "-i", str(header_only), "-o", str(output)])

    assert result.exit_code == 0, result.output
    assert "read 0 rows" in result.stdout and "wrote 0 companies" in result.stdout
    assert pd.read_parquet(output).empty


def test_bad_format_option_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["ingest", "companies", "-i", str(FULL), "-o", "x.parquet", "--format", "excel"]
    )
    assert result.exit_code == 2
    assert "excel" in result.output

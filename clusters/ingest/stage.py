"""The company-base ingestion stage: source files in, one company-base Parquet out.

One loop serves every reader: for each input table it picks a mapper by header
(:mod:`~clusters.ingest.companies_house` or :mod:`~clusters.ingest.company_list`), then, chunk
by chunk, maps rows onto the contract, validates them with
:data:`~clusters.contracts.COMPANY_BASE`, drops repeats of company numbers already written,
appends the good rows to the Parquet file and every other row, with its reason, to the
quarantine CSV. Memory stays bounded by the chunk size plus 16 bytes per company kept.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> report = ingest_companies(
    ...     [Path("tests/fixtures/companies_house/basiccompanydata_header_plus_2_real_rows.csv")],
    ...     Path(tempfile.mkdtemp()) / "companies.parquet",
    ... )  # doctest: +SKIP
    >>> report.rows_read, report.rows_written  # doctest: +SKIP
    (2, 2)
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from clusters.config import get_settings
from clusters.contracts import (
    COMPANY_BASE,
    REJECT_COLUMNS,
    ContractError,
    Malformed,
    normalise_company_id_or_raw,
    to_arrow,
)
from clusters.geography import PostcodeLookup, default_lookup
from clusters.ingest import companies_house, company_list
from clusters.ingest.dedupe import SeenCompanies
from clusters.ingest.sources import TextChunk, expand_inputs, list_sources, open_table
from clusters.ingest.values import Mapped, SicParser
from clusters.ingest.writer import AtomicParquetWriter, QuarantineWriter
from clusters.sic import SicReference, default_reference
from clusters.tables import shorten

logger = logging.getLogger(__name__)


class InputFormat(StrEnum):
    """How to read the input files."""

    AUTO = "auto"
    """Decide per file from its header."""
    COMPANIES_HOUSE = companies_house.FORMAT
    LIST = company_list.FORMAT


class Mapper(Protocol):
    """Turns text chunks of one file into contract columns."""

    format_name: str
    columns: list[str]
    warnings: list[str]

    def source_column(self, column: str) -> str: ...

    def map(self, chunk: pd.DataFrame) -> Mapped: ...


@dataclass
class IngestReport:
    """What an ingestion run read, wrote and quarantined."""

    output: Path
    quarantine: Path
    sources: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    """Quarantined rows by kind of reason (values left out)."""
    warnings: list[str] = field(default_factory=list)
    recoded_lines: int = 0
    """Lines that were not UTF-8 and were decoded as cp1252 (rows kept)."""
    unlocated: int = 0
    """Rows written whose postcode district is not in the geography lookup."""
    seconds: float = 0.0

    def top_reasons(self, n: int = 5) -> list[tuple[str, int]]:
        """The ``n`` commonest kinds of quarantine reason."""
        return self.reasons.most_common(n)

    def summary(self) -> list[str]:
        """Lines a person reads after a run."""
        rate = self.rows_read / self.seconds if self.seconds else 0.0
        lines = [
            f"read {self.rows_read:,} rows from {len(self.sources)} file(s) "
            f"in {self.seconds:.1f}s ({rate:,.0f} rows/s)",
            f"wrote {self.rows_written:,} companies to {self.output}",
            f"quarantined {self.rows_quarantined:,} rows to {self.quarantine}",
        ]
        if self.warnings:
            lines.append(f"{len(self.warnings)} warning(s), logged above")
        if self.unlocated:
            lines.append(
                f"{self.unlocated:,} written rows have a postcode district not in the lookup"
            )
        if self.reasons:
            lines.append("top quarantine reasons:")
            lines += [f"  {count:>9,}  {reason}" for reason, count in self.top_reasons()]
        return lines


def default_quarantine_path(output: Path) -> Path:
    """``<output stem>.quarantine.csv`` beside the output."""
    return output.with_name(f"{output.stem}.quarantine.csv")


def _separator_hint(header: Sequence[str]) -> str:
    """A hint when a one-column header is really several joined by another separator.

    >>> _separator_hint(["ID;Company Name;Postal Code"])
    " (the header reads as ';'-separated: save the file comma-separated)"
    >>> _separator_hint(["a", "b"])
    ''
    """
    if len(header) != 1:
        return ""
    for separator in (";", "\t", "|"):
        if separator in header[0]:
            return f" (the header reads as {separator!r}-separated: save the file comma-separated)"
    return ""


def choose_mapper(
    fmt: InputFormat | str,
    header: Sequence[str],
    source: str,
    lookup: PostcodeLookup,
    sic: SicParser,
) -> Mapper:
    """The mapper for a file with ``header``; ``auto`` decides by the column names.

    Raises:
        ContractError: the format cannot be told, or required columns are missing.
    """
    fmt = InputFormat(fmt)
    names = set(header)
    if fmt is InputFormat.AUTO:
        if names & companies_house.SIGNATURE:
            fmt = InputFormat.COMPANIES_HOUSE
        elif names & company_list.SIGNATURE:
            fmt = InputFormat.LIST
        else:
            raise ContractError(
                "cannot tell the format from the header: expected Companies House columns "
                "(CompanyNumber, CompanyName, ...) or a company list (company_id, name, "
                f"postcode); found {shorten(', '.join(header[:8]), 160) or 'none'}"
                f"{_separator_hint(header)}",
                source=source,
            )
    if fmt is InputFormat.COMPANIES_HOUSE:
        return companies_house.CompaniesHouseMapper(header, source, lookup, sic)
    return company_list.CompanyListMapper(header, source, lookup, sic)


def ingest_companies(
    inputs: Sequence[Path | str],
    output: Path,
    *,
    fmt: InputFormat | str = InputFormat.AUTO,
    quarantine: Path | None = None,
    chunk_rows: int | None = None,
    lookup: PostcodeLookup | None = None,
    sic_reference: SicReference | None = None,
) -> IngestReport:
    """Read company files into one company-base Parquet file, quarantining bad rows.

    Args:
        inputs: files (CSV, zip of CSVs, Parquet), directories or glob patterns, in order;
            with several files, the first occurrence of a company number wins.
        output: the Parquet file to write (atomically).
        fmt: ``auto`` (by header), ``companies-house`` or ``list``.
        quarantine: the CSV of rejected rows; default ``<output stem>.quarantine.csv``.
        chunk_rows: rows per chunk; default ``settings.ingest.chunk_rows``.
        lookup: postcode geography; default the bundled lookup.
        sic_reference: SIC reference; default the bundled one.

    Returns:
        The counts, quarantine reasons, warnings and output paths.

    Raises:
        ContractError: fatal problems: an input is missing, unreadable, empty (no header), a
            corrupt archive, of unknown format, or lacks a required column. Nothing is
            written under the output names then.
    """
    started = time.perf_counter()
    output = Path(output)
    quarantine = Path(quarantine) if quarantine else default_quarantine_path(output)
    chunk_rows = chunk_rows or get_settings().ingest.chunk_rows
    sources = [source for path in expand_inputs(inputs) for source in list_sources(path)]
    lookup = lookup or default_lookup()
    sic = SicParser(sic_reference or default_reference())
    report = IngestReport(output=output, quarantine=quarantine)
    run = _Run(report, SeenCompanies())

    with (
        AtomicParquetWriter(output, COMPANY_BASE.arrow_schema()) as out,
        QuarantineWriter(quarantine) as rejected,
    ):
        for file_index, source in enumerate(sources):
            report.sources.append(source.name)
            with closing(open_table(source)) as table:
                mapper = choose_mapper(fmt, table.header, source.name, lookup, sic)
                for warning in mapper.warnings:
                    run.warn(warning)
                logger.info("reading %s as %s", source.name, mapper.format_name)
                read_before = report.rows_read
                for chunk in table.chunks(mapper.columns, chunk_rows):
                    good, bad = run.process(chunk, mapper, file_index, source.name)
                    out.write(to_arrow(good, COMPANY_BASE))
                    rejected.write(bad)
                if report.rows_read == read_before:
                    run.warn(f"{source.name}: header only, no data rows")
                if table.recoded_count:
                    report.recoded_lines += table.recoded_count
                    run.warn(
                        f"{source.name}: {table.recoded_count:,} line(s) were not UTF-8 and were "
                        f"read as cp1252 (first at line(s) "
                        f"{', '.join(map(str, table.recoded_lines))})"
                    )
    report.seconds = time.perf_counter() - started
    logger.info(
        "ingested %d rows: %d written, %d quarantined, in %.1fs",
        report.rows_read,
        report.rows_written,
        report.rows_quarantined,
        report.seconds,
    )
    return report


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_DETAIL = re.compile(r"\s*\([^)]*\)|\b(code|line) \d+")


def reason_kind(column: str, reason: str) -> str:
    """A reason without its values, for counting: ``"postcode … is not a UK postcode"``."""
    kind = _DETAIL.sub(lambda m: f"{m.group(1)} …" if m.group(1) else "", _QUOTED.sub("…", reason))
    return f"{column}: {kind}" if column else kind


@dataclass
class _Run:
    """State carried across chunks and files: counts and the companies already written."""

    report: IngestReport
    seen: SeenCompanies

    def warn(self, message: str) -> None:
        logger.warning(message)
        self.report.warnings.append(message)

    def process(
        self, chunk: TextChunk, mapper: Mapper, file_index: int, source: str
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Valid, new rows of ``chunk`` in contract types, and its rejects."""
        mapped = mapper.map(chunk.frame)
        bad = mapped.problems.mask
        valid, invalid = COMPANY_BASE.validate(mapped.frame[~bad], source=source)
        invalid["column"] = invalid["column"].map(mapper.source_column)
        invalid["record"] = chunk.records(invalid["row"].tolist())
        valid, repeats = self._drop_repeats(valid, chunk, mapper, file_index, source)
        parts = [
            _malformed_rejects(chunk.malformed, source),
            _problem_rejects(mapped, bad, chunk, source),
            invalid,
            repeats,
        ]
        parts = [part for part in parts if len(part)]
        rejected = pd.concat(parts, ignore_index=True) if parts else _no_rejects()
        self._count(chunk, valid, rejected)
        return valid, rejected

    def _drop_repeats(
        self,
        valid: pd.DataFrame,
        chunk: TextChunk,
        mapper: Mapper,
        file_index: int,
        source: str,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``valid`` without company numbers already kept, and rejects for the repeats."""
        duplicate, first_file, first_row = self.seen.check(
            valid["company_id"].tolist(), file_index, valid.index.to_numpy()
        )
        if not duplicate.any():
            return valid, _no_rejects()
        names = self.report.sources
        rows = valid[duplicate]
        reasons = [
            f"duplicate company number (first kept: {names[f]} row {r})"
            for f, r in zip(first_file[duplicate], first_row[duplicate], strict=True)
        ]
        column = mapper.source_column("company_id")
        repeats = _rejects(source, rows.index, rows["company_id"], column, reasons, chunk)
        return valid[~duplicate], repeats

    def _count(self, chunk: TextChunk, valid: pd.DataFrame, rejected: pd.DataFrame) -> None:
        report = self.report
        report.rows_read += chunk.rows_read
        report.rows_written += len(valid)
        report.rows_quarantined += len(rejected)
        report.reasons.update(
            reason_kind(c, r) for c, r in zip(rejected["column"], rejected["reason"], strict=True)
        )
        unlocated = valid["postcode_district"].notna() & valid["lad_code"].isna()
        report.unlocated += int(unlocated.sum())


def _no_rejects() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in REJECT_COLUMNS})


def _problem_rejects(mapped: Mapped, bad: pd.Series, chunk: TextChunk, source: str) -> pd.DataFrame:
    """Rejects for the rows a reader could not parse (dates, SIC codes)."""
    if not bad.any():
        return _no_rejects()
    rows = mapped.frame[bad]
    return _rejects(
        source,
        rows.index,
        rows["company_id"].map(normalise_company_id_or_raw),
        mapped.problems.column[bad],
        mapped.problems.reason[bad],
        chunk,
    )


def _rejects(
    source: str,
    rows: pd.Index,
    company_ids: pd.Series | Sequence[object],
    columns: pd.Series | str,
    reasons: pd.Series | Sequence[str],
    chunk: TextChunk,
) -> pd.DataFrame:
    numbers = rows.to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "source": source,
            "row": numbers,
            "company_id": np.asarray(company_ids, dtype=object),
            "column": columns if isinstance(columns, str) else np.asarray(columns, dtype=object),
            "reason": np.asarray(reasons, dtype=object),
            "record": chunk.records(numbers.tolist()),
        }
    )


def _malformed_rejects(malformed: list[Malformed], source: str) -> pd.DataFrame:
    """Rejects for rows that could not be split into fields."""
    if not malformed:
        return _no_rejects()
    return pd.DataFrame(
        {
            "source": source,
            "row": [m.row for m in malformed],
            "company_id": None,
            "column": "",
            "reason": [m.reason for m in malformed],
            "record": [m.raw.rstrip("\r\n") for m in malformed],
        }
    )

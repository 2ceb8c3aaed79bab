"""``clusters ingest accounts``: accounts documents in, three tables out.

- **history** (``--history``): every company and period seen, one row per ``(company_id,
  period_end)``. A period reported by several documents (its own filing, the next year's
  comparatives, the two documents of a community-interest company) is merged: values come
  first from the document whose *current* period it is, then from the latest filing; a
  field missing there is filled from the others.
- **accounts** (``--output``): the latest period per company from the history (its
  ``current`` role first), for the company base.
- **errors** (``<output stem>.errors.csv``): documents that could not be read (damaged zip,
  not XBRL, no company number...) with the reason; they never stop the run.

Columns of history and accounts (:data:`ACCOUNTS_SCHEMA`): ``company_id``,
``company_name``, ``period_start``, ``period_end``, ``balance_sheet_date`` (dates),
``role``, ``principal_activities``, ``turnover``, ``employees``, ``net_assets``,
``total_assets_less_current_liabilities`` (GBP or head count, float), ``dormant`` (bool),
``source`` (``archive.zip!member``), ``warnings``.

:func:`merge_into_base` sets ``filing_text`` (principal activities), ``turnover``,
``employees`` and ``accounts_period_end`` of a company base from the accounts table,
streaming the base in batches; a company's values change only when the accounts are at
least as recent as the period it already has, and a value the accounts lack (micro-entity
accounts have no turnover) leaves the existing one in place.
"""

from __future__ import annotations

import csv
import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from clusters.acquire.accounts import (
    FilingError,
    iter_documents,
    parse_filing,
    record_dict,
)
from clusters.acquire.settings import AccountsSettings
from clusters.contracts import COMPANY_BASE, normalise_company_id
from clusters.ingest.writer import AtomicParquetWriter, temporary_path

logger = logging.getLogger(__name__)

ACCOUNTS_SCHEMA = pa.schema(
    [
        ("company_id", pa.string()),
        ("company_name", pa.string()),
        ("period_start", pa.date32()),
        ("period_end", pa.date32()),
        ("balance_sheet_date", pa.date32()),
        ("role", pa.string()),
        ("principal_activities", pa.string()),
        ("turnover", pa.float64()),
        ("employees", pa.float64()),
        ("net_assets", pa.float64()),
        ("total_assets_less_current_liabilities", pa.float64()),
        ("dormant", pa.bool_()),
        ("source", pa.string()),
        ("warnings", pa.string()),
    ]
)
BASE_FIELDS = {
    "filing_text": "principal_activities",
    "turnover": "turnover",
    "employees": "employees",
    "accounts_period_end": "period_end",
}
"""Company-base column ← accounts column."""
BATCH_ROWS = 50_000


@dataclass
class AccountsReport:
    """What an accounts run read and wrote."""

    output: Path
    history: Path | None
    errors_file: Path
    documents: int = 0
    filings: int = 0
    periods: int = 0
    companies: int = 0
    with_description: int = 0
    with_turnover: int = 0
    with_employees: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: int = 0
    base_rows: int = 0
    base_updated: int = 0
    base_output: Path | None = None
    seconds: float = 0.0

    def summary(self) -> list[str]:
        rate = self.documents / self.seconds if self.seconds else 0.0
        lines = [
            f"read {self.documents:,} documents in {self.seconds:.1f}s ({rate:,.0f}/s): "
            f"{self.filings:,} filings, {len(self.errors):,} unreadable, "
            f"{self.warnings:,} with warnings",
            f"wrote {self.companies:,} companies (latest period) to {self.output}: "
            f"{self.with_description:,} with a principal-activities description, "
            f"{self.with_turnover:,} with turnover, {self.with_employees:,} with employees",
        ]
        if self.history is not None:
            lines.append(f"wrote {self.periods:,} company periods to {self.history}")
        if self.errors:
            reasons = Counter(reason.split(":")[0] for _, reason in self.errors)
            lines.append(f"unreadable documents listed in {self.errors_file}; by reason:")
            lines += [f"  {n:>9,}  {reason}" for reason, n in reasons.most_common(5)]
        if self.base_output is not None:
            lines.append(
                f"wrote {self.base_rows:,} companies to {self.base_output} "
                f"({self.base_updated:,} updated from accounts)"
            )
        return lines


def _table(rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=ACCOUNTS_SCHEMA)


def merge_periods(history: pd.DataFrame) -> pd.DataFrame:
    """One row per ``(company_id, period_end)``: the best document's values, gaps filled
    from the others (see the module docstring)."""
    if history.empty:
        return history
    ordered = history.assign(
        _current=(history["role"] == "current").astype(int),
        _bsd=pd.to_datetime(history["balance_sheet_date"]),
    ).sort_values(
        ["company_id", "period_end", "_current", "_bsd", "source"],
        ascending=[True, True, False, False, True],
        na_position="last",
        kind="stable",
    )
    merged = ordered.groupby(["company_id", "period_end"], sort=True, dropna=False).first()
    return merged.reset_index()[[f.name for f in ACCOUNTS_SCHEMA]]


def latest_periods(history: pd.DataFrame) -> pd.DataFrame:
    """The latest period per company (a ``current`` one when the company has any)."""
    if history.empty:
        return history
    ordered = history.assign(_current=(history["role"] == "current").astype(int)).sort_values(
        ["company_id", "_current", "period_end"], ascending=[True, False, False], kind="stable"
    )
    return ordered.drop_duplicates("company_id")[[f.name for f in ACCOUNTS_SCHEMA]]


def _to_table(frame: pd.DataFrame) -> pa.Table:
    frame = frame.astype(object).where(frame.notna(), None)
    return pa.Table.from_pandas(frame, schema=ACCOUNTS_SCHEMA, preserve_index=False)


def read_accounts(
    inputs: Iterable[Path],
    output: Path,
    history: Path | None = None,
    settings: AccountsSettings | None = None,
    progress: bool | None = False,
) -> AccountsReport:
    """Read accounts documents and write the latest-period table (and the history).

    ``progress``: draw a bar; ``None`` draws one only when stderr is a terminal.
    """
    settings = settings or AccountsSettings()
    output = Path(output)
    errors_file = output.with_name(f"{output.stem}.errors.csv")
    report = AccountsReport(output=output, history=history, errors_file=errors_file)
    started = time.monotonic()
    chunks: list[pa.Table] = []
    rows: list[dict[str, object]] = []
    bar = tqdm(unit="doc", desc="accounts", disable=None if progress is None else not progress)
    try:
        for document in iter_documents(inputs, settings.max_member_bytes):
            if document.data is None:
                report.errors.append((document.source, document.error or "unreadable"))
                continue
            report.documents += 1
            bar.update(1)
            try:
                filing = parse_filing(document.data, document.source, settings.max_text_chars)
            except FilingError as exc:
                report.errors.append((document.source, f"not readable as accounts: {exc}"))
                continue
            except Exception as exc:  # a parser bug on one file must not stop a bulk run
                logger.exception("%s: unexpected error", document.source)
                report.errors.append((document.source, f"unexpected error: {exc!r}"[:300]))
                continue
            report.filings += 1
            report.warnings += bool(filing.warnings)
            rows += [record_dict(r) for r in filing.records]
            if len(rows) >= settings.chunk_rows:
                chunks.append(_table(rows))
                rows = []
    finally:
        bar.close()
    chunks.append(_table(rows))
    frame = pa.concat_tables(chunks).to_pandas(date_as_object=True)
    merged = merge_periods(frame)
    latest = latest_periods(merged)
    report.periods, report.companies = len(merged), len(latest)
    if len(latest):
        report.with_description = int(latest["principal_activities"].notna().sum())
        report.with_turnover = int(latest["turnover"].notna().sum())
        report.with_employees = int(latest["employees"].notna().sum())
    with AtomicParquetWriter(output, ACCOUNTS_SCHEMA) as out:
        out.write(_to_table(latest))
    if history is not None:
        with AtomicParquetWriter(Path(history), ACCOUNTS_SCHEMA) as out:
            out.write(_to_table(merged))
    _write_errors(errors_file, report.errors)
    report.seconds = time.monotonic() - started
    return report


def _write_errors(path: Path, errors: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(path)
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "reason"])
        writer.writerows(errors)
    temporary.replace(path)


def merge_into_base(base: Path, accounts: Path, output: Path) -> tuple[int, int]:
    """Write ``base`` to ``output`` with filing text and financials from ``accounts``.

    Returns ``(rows written, rows updated)``.
    """
    latest = pd.read_parquet(accounts, columns=["company_id", *set(BASE_FIELDS.values())])
    by_id = {row.company_id: row for row in latest.itertuples(index=False)}
    parquet = pq.ParquetFile(base)
    schema = parquet.schema_arrow
    for name in BASE_FIELDS:
        if name not in schema.names:
            schema = schema.append(pa.field(name, COMPANY_BASE.column(name).dtype))
    written = updated = 0
    with AtomicParquetWriter(Path(output), schema) as out:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            table = pa.Table.from_batches([batch])
            columns = {
                name: (
                    table.column(name).to_pylist()
                    if name in table.column_names
                    else [None] * table.num_rows
                )
                for name in BASE_FIELDS
            }
            for i, raw_id in enumerate(table.column("company_id").to_pylist()):
                record = by_id.get(normalise_company_id(raw_id))
                if record is None:
                    continue
                have = columns["accounts_period_end"][i]
                period_end = record.period_end
                if have is not None and period_end is not None and have > period_end:
                    continue
                for base_name, accounts_name in BASE_FIELDS.items():
                    value = getattr(record, accounts_name)
                    if value is not None and not (isinstance(value, float) and pd.isna(value)):
                        columns[base_name][i] = value
                updated += 1
            for name in BASE_FIELDS:
                array = pa.array(columns[name], type=schema.field(name).type)
                if name in table.column_names:
                    table = table.set_column(table.column_names.index(name), name, array)
                else:
                    table = table.append_column(schema.field(name), array)
            out.write(table.select(schema.names).cast(schema))
            written += table.num_rows
    return written, updated

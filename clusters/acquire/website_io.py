"""The edges of ``clusters ingest websites``: which companies have which website, and the
company base written back with their website text.

Input: a company base (Parquet or CSV) with a ``website`` column, or a CSV/Parquet list of
``company_id,url`` (a column named ``website``, ``url``, ``website_url`` or ``homepage``).
Only the id and website columns are read to plan the crawl.

Output: every input row and column, streamed batch by batch (bounded memory), with three
columns set from the crawl store:

- ``website_text`` (string): the combined text of the company's pages;
- ``website_fetched_at`` (timestamp, UTC): when the home page was last fetched or
  revalidated;
- ``website_status`` (string): ``ok``, ``no_text`` (pages fetched, no visible text: a
  JavaScript-only site), ``invalid_url``, or why the home page failed
  (:class:`~clusters.acquire.fetch.Outcome`: ``robots_disallowed``, ``timeout``,
  ``offsite_redirect``, ``http_error``...).

A company with no stored crawl keeps whatever values these columns had in the input (null
when absent); a company whose crawl gave no text (a failure, a JavaScript-only site) keeps
the ``website_text`` it had, with the new status and time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from clusters.acquire.crawl_store import CrawlStore
from clusters.contracts import ContractError, normalise_company_id
from clusters.ingest.writer import AtomicParquetWriter

logger = logging.getLogger(__name__)

WEBSITE_COLUMNS = ("website", "url", "website_url", "homepage", "web_address")
ID_COLUMNS = ("company_id", "CompanyNumber", "company_number")
OUTPUT_COLUMNS = {
    "website_text": pa.string(),
    "website_fetched_at": pa.timestamp("us", tz="UTC"),
    "website_status": pa.string(),
}
BATCH_ROWS = 50_000


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq") or path.is_dir()


def _pick(columns: list[str], candidates: tuple[str, ...], path: Path, what: str) -> str:
    lowered = {c.strip().lower(): c for c in columns}
    for name in candidates:
        if name.lower() in lowered:
            return lowered[name.lower()]
    raise ContractError(
        f"no {what} column (expected one of {', '.join(candidates)}); "
        f"found: {', '.join(columns) or 'none'}",
        source=str(path),
    )


def _columns(path: Path) -> list[str]:
    if _is_parquet(path):
        return list(pq.ParquetFile(path).schema_arrow.names)
    return list(pd.read_csv(path, nrows=0, dtype=str, encoding="utf-8-sig").columns)


def _batches(path: Path, columns: list[str] | None = None) -> Iterator[pa.Table]:
    """The input as Arrow tables of up to :data:`BATCH_ROWS` rows (CSV columns as strings)."""
    if _is_parquet(path):
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns):
            yield pa.Table.from_batches([batch])
        return
    names = _columns(path)
    options = pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in names},
        include_columns=columns,
        strings_can_be_null=True,
    )
    reader = pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(block_size=8 << 20, encoding="utf-8"),
        convert_options=options,
    )
    for batch in reader:
        yield pa.Table.from_batches([batch])


def read_websites(path: Path) -> tuple[list[tuple[str, str]], int]:
    """``(company_id, website)`` pairs with a non-empty website, and the number of rows
    skipped because their company id is not a Companies House number.

    Raises:
        ContractError: no id or website column.
        FileNotFoundError: ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    names = _columns(path)
    id_col = _pick(names, ID_COLUMNS, path, "company id")
    web_col = _pick(names, WEBSITE_COLUMNS, path, "website")
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    bad_ids = 0
    for table in _batches(path, [id_col, web_col]):
        ids = table.column(id_col).to_pylist()
        sites = table.column(web_col).to_pylist()
        for raw_id, website in zip(ids, sites, strict=True):
            if website is None or not str(website).strip():
                continue
            company_id = normalise_company_id(raw_id)
            if company_id is None:
                bad_ids += 1
                continue
            if company_id not in seen:
                seen.add(company_id)
                pairs.append((company_id, str(website).strip()))
    return pairs, bad_ids


def write_with_text(input_path: Path, output: Path, store: CrawlStore) -> int:
    """Write ``input_path`` to ``output`` (Parquet) with the website columns from ``store``.

    Returns the number of rows written.
    """
    input_path, output = Path(input_path), Path(output)
    names = _columns(input_path)
    id_col = _pick(names, ID_COLUMNS, input_path, "company id")
    writer: AtomicParquetWriter | None = None
    rows = 0
    try:
        for table in _batches(input_path):
            ids = [normalise_company_id(v) for v in table.column(id_col).to_pylist()]
            found = store.companies(i for i in ids if i)
            new: dict[str, list[object]] = {}
            for name in OUTPUT_COLUMNS:
                if name in table.column_names:
                    old = table.column(name).cast(OUTPUT_COLUMNS[name]).to_pylist()
                else:
                    old = [None] * table.num_rows
                new[name] = old
            for row, company_id in enumerate(ids):
                record = found.get(company_id) if company_id else None
                if record is None:
                    continue
                if record.text is not None:  # a failed crawl keeps the text the row had
                    new["website_text"][row] = record.text
                new["website_fetched_at"][row] = record.fetched_at
                new["website_status"][row] = record.status
            for name, dtype in OUTPUT_COLUMNS.items():
                array = pa.array(new[name], type=dtype)
                if name in table.column_names:
                    table = table.set_column(table.column_names.index(name), name, array)
                else:
                    table = table.append_column(pa.field(name, dtype), array)
            if writer is None:
                writer = AtomicParquetWriter(output, table.schema)
                writer.__enter__()
            writer.write(table.cast(writer.schema))
            rows += table.num_rows
        if writer is None:  # an empty input still gives a file with the columns
            schema = pa.schema(
                [pa.field(n, pa.string()) for n in names if n not in OUTPUT_COLUMNS]
                + [pa.field(n, t) for n, t in OUTPUT_COLUMNS.items()]
            )
            writer = AtomicParquetWriter(output, schema)
            writer.__enter__()
    except BaseException as exc:
        if writer is not None:
            writer.__exit__(type(exc), exc, exc.__traceback__)
        raise
    writer.__exit__(None, None, None)
    return rows

"""Batch input: a Parquet file, a CSV file, or a directory of Parquet/CSV parts, streamed.

The input is either a ``company_id,text`` table (*text* mode) or a company base (*base*
mode: text is prepared from ``name``, ``filing_text``, ``website_text``, ``sic_codes``).
Parts are read in a fixed order (sorted relative paths; names starting with ``.`` or ``_``
are skipped, like Spark's ``_SUCCESS``), rows in file order, with pyarrow in bounded batches,
and cut into chunks of exactly ``chunk_rows`` rows (the last may be shorter). So chunk ``k``
is always input rows ``k * chunk_rows`` to ``(k + 1) * chunk_rows - 1``: the same input and
chunk size give the same chunks, which is what makes a killed job resumable.

Text columns are read as bytes and decoded here, so a value that is not UTF-8 rejects its
row instead of failing the job (see :mod:`clusters.batch.screen`).

Example:
    >>> source = open_input(Path("data/demo/companies.csv"))  # doctest: +SKIP
    >>> source.mode, source.total_rows  # doctest: +SKIP
    ('base', 3200)
    >>> next(iter_chunks(source, 1000)).frame.shape[0]  # doctest: +SKIP
    1000
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import logging
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from clusters.contracts import ContractError, Malformed

logger = logging.getLogger(__name__)

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".csv.gz")
CONTENT_HASH_LIMIT = 256 * 1024 * 1024
"""Inputs up to this many bytes are fingerprinted by content, bigger ones by name, size and
modification time (hashing gigabytes on every start would cost more than it protects)."""
CSV_COUNT_LIMIT = 512 * 1024 * 1024
"""CSV inputs up to this size are counted up front so the progress bar can show an ETA."""

TEXT_MODE, BASE_MODE = "text", "base"
MODE_COLUMNS = {
    TEXT_MODE: ("company_id", "text"),
    BASE_MODE: ("company_id", "name", "filing_text", "website_text", "sic_codes"),
}
"""Columns read in each mode (``company_id`` and the first text column are required)."""
EXTRA_COLUMNS = ("name", "region_name", "employees", "turnover")
"""Read when present, for the review queue (who the company is, how big)."""
TEXT_COLUMNS = frozenset({"company_id", "text", "name", "filing_text", "website_text"})
"""Columns whose values must be readable text (a failure rejects the row)."""
PART_COLUMN, ROW_COLUMN, BAD_COLUMN, RAW_COLUMN = "__part", "__row", "__bad", "__raw"
"""Bookkeeping columns of a chunk frame: part index, 1-based data row in that part (the
header is not a data row; a value spanning lines is one row), the row's problem ("" when
none) and, for a malformed CSV row, its raw text."""
MALFORMED = "malformed CSV row"


@dataclass(frozen=True)
class InputPart:
    """One input file."""

    path: Path
    name: str
    """Path relative to the input root (or the file name): used in messages and rejects."""
    format: str
    size: int
    mtime_ns: int
    columns: tuple[str, ...]


@dataclass
class InputSource:
    """A resolved input: its parts in reading order, mode and fingerprint."""

    root: Path
    parts: list[InputPart]
    mode: str
    columns: list[str]
    """The columns read, in order (missing ones in a part are read as nulls)."""
    fingerprint: str
    fingerprint_method: str
    total_rows: int | None
    total_bytes: int = field(default=0)


@dataclass
class Chunk:
    """``chunk_rows`` consecutive input rows (decoded) plus where each came from."""

    index: int
    frame: pd.DataFrame
    """The columns of :attr:`InputSource.columns` plus ``__part``, ``__row``, ``__bad``."""

    def __len__(self) -> int:
        return len(self.frame)


def _suffix_format(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    return None


def _csv_header(path: Path) -> tuple[str, ...]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        line = handle.readline().decode("utf-8-sig")
    return tuple(next(csv.reader([line]), []))


def _columns_of(path: Path, fmt: str) -> tuple[str, ...]:
    try:
        if fmt == "parquet":
            return tuple(pq.read_schema(path).names)
        return _csv_header(path)
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"cannot read the header: {exc}", source=str(path)) from exc


def discover_parts(path: Path) -> list[InputPart]:
    """The input files under ``path`` in reading order.

    Raises:
        FileNotFoundError: ``path`` does not exist or holds no Parquet/CSV file.
        ContractError: a file is not a Parquet or CSV file.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_file():
        fmt = _suffix_format(path)
        if fmt is None:
            raise ContractError("input must be .parquet, .pq, .csv or .csv.gz", source=str(path))
        candidates = [(path, path.name, fmt)]
    else:
        candidates = []
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            rel = file.relative_to(path)
            if any(part.startswith((".", "_")) for part in rel.parts):
                continue
            fmt = _suffix_format(file)
            if fmt is not None:
                candidates.append((file, rel.as_posix(), fmt))
        if not candidates:
            raise FileNotFoundError(f"{path}: holds no .parquet or .csv parts")
    parts = []
    for file, name, fmt in candidates:
        stat = file.stat()
        parts.append(
            InputPart(file, name, fmt, stat.st_size, stat.st_mtime_ns, _columns_of(file, fmt))
        )
    return parts


def input_mode(parts: list[InputPart]) -> str:
    """``"text"`` when every part has a ``text`` column, ``"base"`` when every part has a
    ``name`` column; ``company_id`` is required everywhere.

    Raises:
        ContractError: naming the part and the columns it lacks.
    """
    for part in parts:
        if "company_id" not in part.columns:
            raise ContractError(
                f"missing required column company_id; found: {', '.join(part.columns) or 'none'}",
                source=part.name,
            )
    if all("text" in p.columns for p in parts):
        return TEXT_MODE
    if all("name" in p.columns for p in parts):
        return BASE_MODE
    odd = next(p for p in parts if "text" not in p.columns and "name" not in p.columns)
    raise ContractError(
        "input needs a 'text' column (company_id,text table), or company-base columns "
        "(name, filing_text, website_text, sic_codes) in every part; found: "
        f"{', '.join(odd.columns)}",
        source=odd.name,
    )


def fingerprint(parts: list[InputPart], content_limit: int = CONTENT_HASH_LIMIT) -> tuple[str, str]:
    """(sha256 hex, method) identifying the input: by content when small, else metadata."""
    total = sum(p.size for p in parts)
    method = "content" if total <= content_limit else "metadata"
    digest = hashlib.sha256(method.encode())
    for part in parts:
        digest.update(f"\0{part.name}\0{part.size}\0".encode())
        if method == "content":
            with part.path.open("rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
        else:
            digest.update(str(part.mtime_ns).encode())
    return digest.hexdigest(), method


def _count_rows(parts: list[InputPart]) -> int | None:
    total = 0
    csv_bytes = sum(p.size for p in parts if p.format == "csv")
    if csv_bytes > CSV_COUNT_LIMIT:
        return None
    for part in parts:
        if part.format == "parquet":
            total += pq.ParquetFile(part.path).metadata.num_rows
        else:
            total += sum(len(b) for b in _csv_batches(part, ["company_id"]))
    return total


def read_columns(mode: str, present: set[str]) -> list[str]:
    """The columns read in ``mode``: the mode's own, then the extras that are ``present``."""
    columns = list(dict.fromkeys([*MODE_COLUMNS[mode], *EXTRA_COLUMNS]))
    return [c for c in columns if c in MODE_COLUMNS[mode] or c in present]


def open_input(path: Path) -> InputSource:
    """Resolve, check and fingerprint the input at ``path`` (nothing is classified yet)."""
    parts = discover_parts(path)
    mode = input_mode(parts)
    columns = read_columns(mode, {c for p in parts for c in p.columns})
    digest, method = fingerprint(parts)
    try:
        total = _count_rows(parts)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ContractError(f"cannot read the input: {exc}", source=str(path)) from exc
    return InputSource(
        root=Path(path),
        parts=parts,
        mode=mode,
        columns=columns,
        fingerprint=digest,
        fingerprint_method=method,
        total_rows=total,
        total_bytes=sum(p.size for p in parts),
    )


# --- reading ---------------------------------------------------------------------------------


def _csv_batches(
    part: InputPart, columns: list[str], malformed: deque[Malformed] | None = None
) -> Iterator[pa.RecordBatch]:
    """Record batches of a CSV part: the wanted columns it has, all as raw bytes.

    Rows with the wrong number of fields are skipped and appended to ``malformed`` (when
    given) as the parser meets them: before the batch they would have been in is yielded,
    but possibly from the reader's read-ahead thread while an earlier batch is still being
    used (hence a deque, appended and drained atomically). The parser runs serially, so it
    can tell where each one is.
    """
    have = [c for c in columns if c in part.columns]

    def skip(row: pacsv.InvalidRow) -> str:
        if malformed is not None:
            malformed.append(
                Malformed(
                    None if row.number is None else row.number - 1,  # the header is record 1
                    f"{MALFORMED}: expected {row.expected_columns} fields, found "
                    f"{row.actual_columns}",
                    row.text,
                )
            )
        return "skip"

    reader = pacsv.open_csv(
        part.path,
        read_options=pacsv.ReadOptions(block_size=4 << 20, use_threads=False),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=skip),
        convert_options=pacsv.ConvertOptions(
            include_columns=have,
            column_types={c: pa.binary() for c in have},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    try:
        yield from reader
    finally:
        reader.close()


def _parquet_batches(part: InputPart, columns: list[str], rows: int) -> Iterator[pa.RecordBatch]:
    have = [c for c in columns if c in part.columns]
    handle = pq.ParquetFile(part.path)
    try:
        yield from handle.iter_batches(batch_size=max(1, min(rows, 65_536)), columns=have)
    finally:
        handle.close()


def _decode_bytes(values: list[bytes | None], column: str, bad: list[str]) -> list[str | None]:
    out: list[str | None] = []
    for i, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(value.decode("utf-8"))
        except UnicodeDecodeError as exc:
            out.append(value.decode("utf-8", errors="replace"))
            if not bad[i]:
                bad[i] = f"{column} is not UTF-8 text (invalid byte at offset {exc.start})"
    return out


def _text_array(array: pa.Array, column: str, bad: list[str]) -> list[str | None]:
    """Decoded values of a text column; undecodable values are flagged in ``bad``."""
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        try:
            array.validate(full=True)
            return array.to_pylist()
        except pa.ArrowInvalid:
            array = array.cast(pa.binary(), safe=False)
    if pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type):
        try:
            return array.cast(pa.string()).to_pylist()
        except pa.ArrowInvalid:
            return _decode_bytes(array.to_pylist(), column, bad)
    return [None if v is None else str(v) for v in array.to_pylist()]


def batch_frame(
    batch: pa.RecordBatch, columns: list[str], part_index: int, rows: int | np.ndarray
) -> pd.DataFrame:
    """A record batch as a frame in the canonical columns (absent ones are null); ``rows``
    is the first row's data row (the rest follow on) or every row's."""
    n = batch.num_rows
    bad = [""] * n
    data: dict[str, object] = {}
    names = batch.schema.names
    for column in columns:
        if column not in names:
            data[column] = [None] * n
            continue
        array = batch.column(names.index(column))
        if column in TEXT_COLUMNS:
            data[column] = _text_array(array, column, bad)
        elif column == "sic_codes":
            if pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
                data[column] = [list(v) if v is not None else [] for v in array.to_pylist()]
            else:
                data[column] = _text_array(array, column, bad)
        elif pa.types.is_binary(array.type) or pa.types.is_string(array.type):
            data[column] = _text_array(array, column, bad)
        else:
            data[column] = array.to_pandas().tolist()
    frame = pd.DataFrame(data, columns=columns)
    frame[PART_COLUMN] = np.int32(part_index)
    numbers = np.arange(rows, rows + n) if isinstance(rows, int) else np.asarray(rows)
    frame[ROW_COLUMN] = pd.array(numbers, dtype="Int64")
    frame[BAD_COLUMN] = bad
    frame[RAW_COLUMN] = None
    return frame


def _malformed_frame(rows: list[Malformed], columns: list[str], part_index: int) -> pd.DataFrame:
    """Rows for malformed CSV lines: no values, where they are, the problem and the raw text."""
    frame = pd.DataFrame({c: [None] * len(rows) for c in columns}, columns=columns)
    frame[PART_COLUMN] = np.int32(part_index)
    frame[ROW_COLUMN] = pd.array([m.row for m in rows], dtype="Int64")
    frame[BAD_COLUMN] = [m.reason for m in rows]
    frame[RAW_COLUMN] = [m.raw for m in rows]
    return frame


def data_rows(first: int, n: int, skipped: Sequence[int]) -> np.ndarray:
    """The data rows of ``n`` parsed rows from data row ``first`` on, stepping over the
    ``skipped`` rows (sorted; malformed rows the parser left out).

    >>> data_rows(1, 4, [3, 5]).tolist()
    [1, 2, 4, 6]
    >>> data_rows(4, 2, [4, 9]).tolist()
    [5, 6]
    """
    skips = np.asarray([s for s in skipped if s >= first], dtype=np.int64)
    # parsed row j follows every skipped row with fewer than j + 1 parsed rows before it
    parsed_before = skips - first - np.arange(len(skips))
    j = np.arange(n)
    return first + j + np.searchsorted(parsed_before, j, side="right")


def iter_frames(source: InputSource, batch_rows: int = 65_536) -> Iterator[pd.DataFrame]:
    """Every input row, decoded, in reading order, as frames of at most ``batch_rows``.

    A malformed CSV row comes right after the batch in which the parser met it, with its
    own data row; the rows after it keep theirs.
    """
    for index, part in enumerate(source.parts):
        row = 1
        found: deque[Malformed] = deque()  # filled by the parser, possibly from another thread
        skipped: list[int] = []
        try:
            if part.format == "parquet":
                batches = _parquet_batches(part, source.columns, batch_rows)
            else:
                batches = _csv_batches(part, source.columns, found)
            for batch in batches:
                # Only what was taken out of ``found`` here is both counted and reported: a
                # row the read-ahead thread reports while this batch is in use waits for the
                # next batch (it lies after this one, so this one's numbers hold).
                pending = _drain(found)
                skipped = sorted([*skipped, *(m.row for m in pending if m.row is not None)])
                if batch.num_rows:
                    rows = data_rows(row, batch.num_rows, skipped)
                    yield batch_frame(batch, source.columns, index, rows)
                    row = int(rows[-1]) + 1
                    skipped = [s for s in skipped if s >= row]
                if pending:
                    yield _malformed_frame(pending, source.columns, index)
        except pa.ArrowInvalid as exc:
            raise ContractError(f"cannot read row {row} or after: {exc}", source=part.name) from exc
        pending = _drain(found)
        if pending:
            yield _malformed_frame(pending, source.columns, index)


def _drain(found: deque[Malformed]) -> list[Malformed]:
    """Take every malformed row reported so far (safe while the parser appends)."""
    taken = []
    while found:
        taken.append(found.popleft())
    return taken


def iter_chunks(source: InputSource, chunk_rows: int) -> Iterator[Chunk]:
    """The input cut into chunks of exactly ``chunk_rows`` rows (the last may be shorter).

    An empty input gives one empty chunk, so every job has at least one part file.
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, not {chunk_rows}")
    buffer: list[pd.DataFrame] = []
    buffered = 0
    index = 0
    for frame in iter_frames(source, batch_rows=min(chunk_rows, 65_536)):
        buffer.append(frame)
        buffered += len(frame)
        while buffered >= chunk_rows:
            whole = pd.concat(buffer, ignore_index=True) if len(buffer) > 1 else buffer[0]
            yield Chunk(index, whole.iloc[:chunk_rows].reset_index(drop=True))
            index += 1
            rest = whole.iloc[chunk_rows:]
            buffer, buffered = ([rest], len(rest)) if len(rest) else ([], 0)
    if buffered or index == 0:
        frame = pd.concat(buffer, ignore_index=True) if buffer else _empty_frame(source.columns)
        yield Chunk(index, frame.reset_index(drop=True))


def _empty_frame(columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame[PART_COLUMN] = pd.Series(dtype=np.int32)
    frame[ROW_COLUMN] = pd.Series(dtype="Int64")
    frame[BAD_COLUMN] = pd.Series(dtype=object)
    frame[RAW_COLUMN] = pd.Series(dtype=object)
    return frame

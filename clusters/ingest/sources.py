"""Input files → chunks of text rows, whatever the container: CSV, zip of CSVs, or Parquet.

This module knows nothing about columns' meaning; it only finds the files, reads the header,
and streams the data rows in chunks with their row numbers, catching what a CSV can get wrong:

* **Row numbers** are 1-based data-row numbers (header excluded), taken as the physical line
  number of the row's first line minus one, so ``row + 1`` is the line to open in an editor.
* **Encoding**: each line is decoded as UTF-8; a line that is not valid UTF-8 is decoded as
  cp1252 (Windows Latin-1, the usual culprit when a file was re-saved by a spreadsheet), with
  any byte cp1252 lacks shown as U+FFFD. The row is kept; the line numbers are reported.
* **Malformed rows**: a record with the wrong number of fields, a stray quote (``"AB"C``), or
  a quoted field that runs over the line end and swallows following lines (an unbalanced
  quote) is returned as :class:`Malformed` with its row number; the swallowed lines are read
  again, so one bad quote costs one row. A record spanning several lines is accepted only
  when it has the right number of fields and none of its continuation lines would itself be a
  whole record (so a quoted line break inside an address survives).
* A 0-byte file (no header) and a corrupt or truncated zip are fatal :class:`ContractError`\\ s.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import logging
import re
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from clusters.contracts import ContractError, Malformed

logger = logging.getLogger(__name__)

TABLE_SUFFIXES = (".csv", ".zip", ".parquet", ".pq")
"""File types picked up when a directory is given as input."""
FIELD_SIZE_LIMIT = 16 * 1024 * 1024
"""Largest field accepted (website text can be long); bounds a runaway quoted field."""
_READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error)
_MAX_LISTED_LINES = 10


@dataclass(frozen=True)
class Source:
    """One table to read: a file, or one CSV member of a zip archive."""

    path: Path
    member: str | None = None
    kind: str = "csv"
    """``"csv"`` or ``"parquet"``."""

    @property
    def name(self) -> str:
        """How messages and the quarantine file name this table."""
        return f"{self.path}:{self.member}" if self.member else str(self.path)


@dataclass
class TextChunk:
    """A chunk of data rows as text, one column per wanted header name.

    ``frame``'s index holds the 1-based data-row numbers; ``malformed`` holds the rows of the
    same stretch of file that could not be parsed.
    """

    frame: pd.DataFrame
    malformed: list[Malformed]
    _records: Callable[[Sequence[int]], list[str]]

    @property
    def rows_read(self) -> int:
        return len(self.frame) + len(self.malformed)

    def records(self, rows: Sequence[int]) -> list[str]:
        """The original text of the given rows (CSV line, or JSON for Parquet)."""
        return self._records(rows)


class Table(Protocol):
    """An open table: its header, and its rows in chunks."""

    source: Source
    header: list[str]
    recoded_lines: list[int]
    recoded_count: int

    def chunks(self, columns: Sequence[str], chunk_rows: int) -> Iterator[TextChunk]: ...

    def close(self) -> None: ...


# --- finding inputs ---------------------------------------------------------------------------


def _natural_key(path: Path) -> list[object]:
    """Sort ``part2`` before ``part10``."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(path))]


def expand_inputs(inputs: Sequence[Path | str]) -> list[Path]:
    """Files named by ``inputs``: files as given, directories and glob patterns expanded.

    Directories contribute their ``.csv``, ``.zip`` and ``.parquet`` files; matches are in
    natural order (``part2`` before ``part10``); a file named twice is read once.

    Raises:
        ContractError: an input does not exist, or a directory or pattern matches nothing.
    """
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            matches = [p for p in path.iterdir() if p.is_file() and _is_table_file(p)]
            if not matches:
                raise ContractError(
                    "directory holds no .csv, .zip or .parquet file", source=str(path)
                )
        elif path.exists():
            matches = [path]
        elif any(ch in str(item) for ch in "*?["):
            matches = [Path(p) for p in glob.glob(str(item)) if Path(p).is_file()]
            if not matches:
                raise ContractError("no file matches this pattern", source=str(item))
        else:
            raise ContractError("no such file", source=str(path))
        found.extend(sorted(matches, key=_natural_key))
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def _is_table_file(path: Path) -> bool:
    return path.suffix.lower() in TABLE_SUFFIXES and not path.name.startswith(".")


def _magic(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(4)
    except OSError as exc:
        raise ContractError(f"cannot read file: {exc.strerror}", source=str(path)) from exc


def list_sources(path: Path) -> list[Source]:
    """The tables inside ``path``: the file itself, or each CSV member of a zip archive.

    Raises:
        ContractError: the file cannot be read, or is a zip that is corrupt, truncated or
            holds no CSV.
    """
    magic = _magic(path)
    suffix = path.suffix.lower()
    if suffix == ".zip" or magic.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                members = [
                    info.filename
                    for info in archive.infolist()
                    if not info.is_dir()
                    and info.filename.lower().endswith(".csv")
                    and not info.filename.startswith("__MACOSX/")
                ]
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise ContractError(
                f"cannot open zip archive, it is truncated or corrupt ({exc})", source=str(path)
            ) from exc
        if not members:
            raise ContractError("zip archive holds no .csv file", source=str(path))
        members.sort(key=lambda m: _natural_key(Path(m)))
        return [Source(path, member) for member in members]
    if suffix in (".parquet", ".pq") or magic == b"PAR1":
        return [Source(path, kind="parquet")]
    return [Source(path)]


def open_table(source: Source) -> Table:
    """Open ``source`` and read its header.

    Raises:
        ContractError: the file is unreadable, empty (no header), or a corrupt archive.
    """
    if source.kind == "parquet":
        return ParquetTable(source)
    return CsvTable(source)


# --- CSV --------------------------------------------------------------------------------------


class _LineFeed:
    """Decoded lines for :mod:`csv`, remembering which lines each record used.

    Lines can be pushed back to be parsed again (after an unbalanced quote).
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.consumed: list[tuple[int, str]] = []
        self.pending: deque[tuple[int, str]] = deque()
        self.recoded_lines: list[int] = []
        self.recoded_count = 0

    def lines(self) -> Iterator[str]:
        for number, raw in enumerate(self.stream, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("cp1252", errors="replace")
                self.recoded_count += 1
                if len(self.recoded_lines) < _MAX_LISTED_LINES:
                    self.recoded_lines.append(number)
            if number == 1 and text.startswith("\ufeff"):
                text = text[1:]
            self.consumed.append((number, text))
            yield text
            while self.pending:
                entry = self.pending.popleft()
                self.consumed.append(entry)
                yield entry[1]

    def take(self) -> list[tuple[int, str]]:
        """The lines of the record just parsed."""
        taken, self.consumed = self.consumed, []
        return taken

    def push_back(self, lines: Sequence[tuple[int, str]]) -> None:
        self.pending.extendleft(reversed(lines))


def _field_count(line: str) -> int:
    try:
        return len(next(csv.reader([line])))
    except (csv.Error, StopIteration):
        return -1


class CsvTable:
    """A CSV file or zip member, read line by line with :mod:`csv` (see the module notes)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._archive: zipfile.ZipFile | None = None
        self._stream = self._open()
        self._feed = _LineFeed(self._stream)
        if csv.field_size_limit() < FIELD_SIZE_LIMIT:
            csv.field_size_limit(FIELD_SIZE_LIMIT)
        # strict: a stray quote, or a quoted field open at the end of the file, is an error
        self._reader = csv.reader(self._feed.lines(), strict=True)
        try:
            self.header = self._read_header()
        except ContractError:
            self.close()
            raise

    @property
    def recoded_lines(self) -> list[int]:
        return self._feed.recoded_lines

    @property
    def recoded_count(self) -> int:
        return self._feed.recoded_count

    def _open(self) -> BinaryIO:
        path = self.source.path
        try:
            if self.source.member is None:
                return path.open("rb", buffering=1 << 20)
            self._archive = zipfile.ZipFile(path)
            member = self._archive.open(self.source.member)
            return io.BufferedReader(member, 1 << 20)  # type: ignore[arg-type]
        except (zipfile.BadZipFile, EOFError) as exc:
            raise ContractError(
                f"cannot open zip archive ({exc})", source=self.source.name
            ) from exc
        except OSError as exc:
            raise ContractError(
                f"cannot read file: {exc.strerror or exc}", source=self.source.name
            ) from exc

    def _read_error(self, exc: BaseException) -> ContractError:
        what = "archive member is truncated or corrupt" if self.source.member else "cannot read"
        return ContractError(f"{what} ({exc})", source=self.source.name)

    def _read_header(self) -> list[str]:
        try:
            for record in self._reader:
                self._feed.take()
                if record and any(f.strip() for f in record):
                    return [name.strip() for name in record]
        except _READ_ERRORS as exc:
            raise self._read_error(exc) from exc
        except csv.Error as exc:
            raise ContractError(
                f"cannot parse the header ({exc})", source=self.source.name
            ) from exc
        raise ContractError("file is empty: no header row", source=self.source.name)

    def chunks(self, columns: Sequence[str], chunk_rows: int) -> Iterator[TextChunk]:
        """Chunks of at most ``chunk_rows`` rows holding the named header columns.

        Raises:
            ContractError: the file cannot be read to the end (e.g. a corrupt archive).
        """
        names = list(columns)
        indices = [self.header.index(name) for name in names]
        # keep only the wanted fields of each row: a chunk's memory is then a few fields a row
        pick = itemgetter(*indices) if len(indices) > 1 else (lambda f: (f[indices[0]],))
        width = len(self.header)
        feed, reader = self._feed, self._reader
        records: list[tuple[str, ...]] = []
        rows: list[int] = []
        raws: list[str] = []
        malformed: list[Malformed] = []
        while True:
            try:
                for fields in reader:
                    lines = feed.take()
                    if len(fields) == width and len(lines) == 1:
                        number, text = lines[0]
                        records.append(pick(fields))
                        rows.append(number - 1)
                        raws.append(text)
                    else:
                        if self._irregular(fields, lines, width, malformed):
                            records.append(pick(fields))
                            rows.append(lines[0][0] - 1)
                            raws.append("".join(line for _, line in lines))
                    if len(records) + len(malformed) >= chunk_rows:
                        yield self._chunk(names, records, rows, raws, malformed)
                        records, rows, raws, malformed = [], [], [], []
                break
            except csv.Error as exc:
                lines = feed.take()
                if lines:
                    feed.push_back(lines[1:])
                    number, text = lines[0]
                    reason = f"unbalanced or stray quote ({exc})"
                    malformed.append(Malformed(number - 1, reason, text))
            except _READ_ERRORS as exc:
                raise self._read_error(exc) from exc
        if records or malformed:
            yield self._chunk(names, records, rows, raws, malformed)

    def _irregular(
        self,
        fields: list[str],
        lines: list[tuple[int, str]],
        width: int,
        malformed: list[Malformed],
    ) -> bool:
        """Sort out blank lines, records over several lines, and malformed rows.

        Returns:
            Whether the record is good after all (a field holding a line break).
        """
        if not lines:
            return False
        number, text = lines[0]
        if len(lines) == 1:
            if fields and any(f.strip() for f in fields):
                count = f"expected {width} fields, found {len(fields)}"
                reason = f"unbalanced quote: {count}" if text.count('"') % 2 else count
                malformed.append(Malformed(number - 1, reason, text))
            return False
        swallowed = any(_field_count(line) == width for _, line in lines[1:])
        if len(fields) == width and not swallowed:
            return True
        self._feed.push_back(lines[1:])
        malformed.append(
            Malformed(
                number - 1,
                f"unbalanced quote: a quoted field runs past the end of line {number}",
                text,
            )
        )
        return False

    def _chunk(
        self,
        names: list[str],
        records: list[tuple[str, ...]],
        rows: list[int],
        raws: list[str],
        malformed: list[Malformed],
    ) -> TextChunk:
        index = pd.Index(rows, dtype="int64", name="row")
        columns = zip(*records, strict=True) if records else ([] for _ in names)
        frame = pd.DataFrame(
            {
                name: pd.Series(list(values), dtype=object)
                for name, values in zip(names, columns, strict=True)
            }
        )
        frame.index = index

        def lookup(wanted: Sequence[int]) -> list[str]:
            return [raws[p].rstrip("\r\n") for p in index.get_indexer(wanted)]

        return TextChunk(frame, malformed, lookup)

    def close(self) -> None:
        self._stream.close()
        if self._archive is not None:
            self._archive.close()

    def __enter__(self) -> CsvTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- Parquet ----------------------------------------------------------------------------------


def _as_text(values: pd.Series, dtype: pa.DataType) -> pd.Series:
    """Parquet values as the text a CSV would hold (lists joined with ``;``, ISO dates)."""
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        return values.map(lambda v: ";".join(str(x) for x in v) if v is not None else "")
    if pa.types.is_timestamp(dtype):
        return pd.to_datetime(values).dt.strftime("%Y-%m-%d").fillna("")
    return values.astype(object).map(lambda v: "" if v is None or v != v else str(v))


class ParquetTable:
    """A Parquet file, read in record batches; values turned into text like a CSV's."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.recoded_lines: list[int] = []
        self.recoded_count = 0
        try:
            self._file = pq.ParquetFile(self.source.path)
        except (OSError, pa.ArrowException) as exc:
            raise self._error(exc) from exc
        self.header = [name.strip() for name in self._file.schema_arrow.names]
        self._original = list(self._file.schema_arrow.names)

    def chunks(self, columns: Sequence[str], chunk_rows: int) -> Iterator[TextChunk]:
        """Chunks of at most ``chunk_rows`` rows holding the named columns, as text."""
        wanted = [self._original[self.header.index(name)] for name in columns]
        start = 1
        try:
            for batch in self._file.iter_batches(batch_size=chunk_rows, columns=wanted):
                original = batch.to_pandas()
                index = pd.RangeIndex(start, start + batch.num_rows, name="row")
                original.index = index
                frame = pd.DataFrame(
                    {
                        name: _as_text(original[col], batch.schema.field(col).type)
                        for name, col in zip(columns, wanted, strict=True)
                    },
                    index=pd.Index(index, dtype="int64", name="row"),
                )
                start += batch.num_rows

                def lookup(rows: Sequence[int], data: pd.DataFrame = original) -> list[str]:
                    picked = data.loc[list(rows)]
                    picked = picked.astype(object).where(picked.notna(), None)
                    return [
                        json.dumps(rec, default=str, ensure_ascii=False)
                        for rec in picked.to_dict("records")
                    ]

                yield TextChunk(frame, [], lookup)
        except (OSError, pa.ArrowException) as exc:
            raise self._error(exc) from exc

    def _error(self, exc: Exception) -> ContractError:
        return ContractError(f"cannot read Parquet file ({exc})", source=self.source.name)

    def close(self) -> None:
        self._file.close()

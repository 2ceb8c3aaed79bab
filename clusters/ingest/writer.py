"""Atomic output files: the company-base Parquet and the quarantine CSV.

Both writers stream into a hidden temporary file beside the target and move it into place
with :func:`os.replace` only when the block ends without an exception, so a killed or failed
run never leaves a half-written file under the final name (an earlier good file stays).

Example:
    >>> import pyarrow as pa, tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.parquet"
    >>> schema = pa.schema([("x", pa.int64())])
    >>> with AtomicParquetWriter(target, schema) as out:
    ...     out.write(pa.table({"x": [1, 2]}, schema=schema))
    >>> out.rows, target.exists()
    (2, True)
"""

from __future__ import annotations

import csv
import logging
import os
from pathlib import Path
from types import TracebackType
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from clusters.contracts import REJECT_COLUMNS

logger = logging.getLogger(__name__)


def temporary_path(target: Path) -> Path:
    """The hidden temporary file written beside ``target`` before it is moved into place."""
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


class _Atomic:
    """Shared commit-or-discard behaviour of the writers."""

    def __init__(self, target: Path) -> None:
        self.target = Path(target)
        self.temporary = temporary_path(self.target)

    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> _Atomic:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self._open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self._close()
        finally:
            if exc_type is None:
                os.replace(self.temporary, self.target)
                logger.debug("wrote %s", self.target)
            else:
                self.temporary.unlink(missing_ok=True)


class AtomicParquetWriter(_Atomic):
    """Writes Arrow tables with one schema to a Parquet file, atomically.

    Args:
        target: the final file.
        schema: the schema every table must have (an empty file still carries it).
    """

    def __init__(self, target: Path, schema: pa.Schema) -> None:
        super().__init__(target)
        self.schema = schema
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None

    def __enter__(self) -> AtomicParquetWriter:
        super().__enter__()
        return self

    def _open(self) -> None:
        self._writer = pq.ParquetWriter(self.temporary, self.schema, compression="zstd")

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def write(self, table: pa.Table) -> None:
        """Append ``table`` as one row group (empty tables are skipped)."""
        if table.num_rows and self._writer is not None:
            self._writer.write_table(table)
            self.rows += table.num_rows


class QuarantineWriter(_Atomic):
    """Writes rejected rows (columns :data:`clusters.contracts.REJECT_COLUMNS`) to a CSV."""

    def __init__(self, target: Path) -> None:
        super().__init__(target)
        self.rows = 0
        self._handle: IO[str] | None = None

    def __enter__(self) -> QuarantineWriter:
        super().__enter__()
        return self

    def _open(self) -> None:
        self._handle = self.temporary.open("w", encoding="utf-8", newline="")
        csv.writer(self._handle).writerow(REJECT_COLUMNS)

    def _close(self) -> None:
        if self._handle is not None:
            self._handle.close()

    def write(self, rejects: pd.DataFrame) -> None:
        """Append rejected rows."""
        if len(rejects) and self._handle is not None:
            rejects[REJECT_COLUMNS].to_csv(self._handle, header=False, index=False)
            self.rows += len(rejects)

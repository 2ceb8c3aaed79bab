"""Where a batch job keeps its files, and reading its predictions back.

A job directory (``clusters classify --output DIR``)::

    DIR/
      predictions/part-00000.parquet ...   the Parquet dataset: PREDICTIONS contract, one
                                           file per chunk, rows in input order
      manifest.json                        what ran, on what, with what result (see manifest)
      rejects.csv                          rows that could not be classified, with reasons
      review_queue.csv                     uncertain assignments, highest priority first
      _state/                              progress journal, per-chunk side files, lock

The dataset sits in its own folder so any Parquet reader (pandas, pyarrow, Spark, DuckDB)
can read ``DIR/predictions`` directly; :func:`read_predictions` also accepts ``DIR`` itself.

When ``--output`` names a file (``.parquet``, ``.pq``, ``.csv`` or ``.csv.gz``) the same job
runs in ``<file>.batch/`` and its predictions are then written as that one file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq

FILE_SUFFIXES = (".parquet", ".pq", ".csv", ".csv.gz")
JOB_SUFFIX = ".batch"
# Names that look like a file the job cannot write; ``--output out.tsv`` would otherwise
# silently become a job *directory* called ``out.tsv``.
UNWRITABLE_SUFFIXES = frozenset(
    {
        ".tsv",
        ".txt",
        ".json",
        ".jsonl",
        ".ndjson",
        ".xlsx",
        ".xls",
        ".feather",
        ".arrow",
        ".orc",
        ".avro",
        ".gz",
        ".zip",
        ".bz2",
        ".xz",
        ".zst",
    }
)


@dataclass(frozen=True)
class JobLayout:
    """The paths of one job directory."""

    root: Path

    @property
    def predictions_dir(self) -> Path:
        return self.root / "predictions"

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def rejects(self) -> Path:
        return self.root / "rejects.csv"

    @property
    def review_queue(self) -> Path:
        return self.root / "review_queue.csv"

    @property
    def state_dir(self) -> Path:
        return self.root / "_state"

    @property
    def progress(self) -> Path:
        return self.state_dir / "progress.json"

    @property
    def lock(self) -> Path:
        return self.state_dir / "lock"

    def part(self, chunk: int) -> Path:
        """The committed predictions of chunk ``chunk``."""
        return self.predictions_dir / f"part-{chunk:05d}.parquet"

    def review_part(self, chunk: int) -> Path:
        """The chunk's review candidates with company size (input of the review queue)."""
        return self.state_dir / "review" / f"part-{chunk:05d}.parquet"

    def rejects_part(self, chunk: int) -> Path:
        """The chunk's rejected rows."""
        return self.state_dir / "rejects" / f"part-{chunk:05d}.csv"

    def is_job(self) -> bool:
        """Whether the directory already holds (part of) a batch job."""
        return self.state_dir.is_dir() or self.manifest.is_file()


def is_single_file(output: Path) -> bool:
    """Whether ``--output`` names one predictions file rather than a job directory."""
    return Path(output).name.lower().endswith(FILE_SUFFIXES)


def is_csv(path: Path) -> bool:
    """Whether ``path`` names a CSV file, plain or gzip-compressed (``.csv.gz``)."""
    return Path(path).name.lower().endswith((".csv", ".csv.gz"))


def unwritable_output(output: Path) -> str | None:
    """Why ``--output`` cannot be used, if it names a file type the job does not write.

    >>> unwritable_output(Path("out.tsv"))
    '--output out.tsv: cannot write .tsv files; name a .csv, .csv.gz or .parquet file, or a directory'
    >>> unwritable_output(Path("run.2026-11")) is None
    True
    """
    suffix = Path(output).suffix.lower()
    if suffix not in UNWRITABLE_SUFFIXES or is_single_file(output):
        return None
    return (
        f"--output {output}: cannot write {suffix} files; "
        "name a .csv, .csv.gz or .parquet file, or a directory"
    )


def layout_for(output: Path) -> JobLayout:
    """The job directory used for ``--output`` (``<file>.batch`` for a single-file output)."""
    output = Path(output)
    if is_single_file(output):
        return JobLayout(output.with_name(output.name + JOB_SUFFIX))
    return JobLayout(output)


def prediction_files(path: Path) -> list[Path]:
    """The Parquet files of a predictions dataset: a job dir, a dataset dir or one file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    if path.is_file():
        return [path]
    root = JobLayout(path).predictions_dir if JobLayout(path).is_job() else path
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in {".parquet", ".pq"}
        and not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)
    )
    if not files:
        raise FileNotFoundError(f"{path}: holds no prediction Parquet files")
    return files


def prediction_columns(path: Path) -> list[str]:
    """Column names of a predictions dataset (from its schema; no data read)."""
    files = prediction_files(path)
    if is_csv(files[0]):
        return list(pd.read_csv(files[0], nrows=0).columns)
    return list(pq.read_schema(files[0]).names)


def read_predictions(path: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A predictions dataset as one frame (only ``columns`` if given).

    Accepts a job directory, a directory of Parquet parts, or a ``.parquet`` or CSV file.
    """
    files = prediction_files(path)
    cols = list(columns) if columns is not None else None
    if len(files) == 1 and is_csv(files[0]):
        frame = pd.read_csv(
            files[0], dtype={"company_id": str, "labels": str}, keep_default_na=False
        )
        frame["labels"] = frame["labels"].fillna("") if "labels" in frame else ""
        return frame[cols] if cols is not None else frame
    table = ds.dataset([str(f) for f in files], format="parquet").to_table(columns=cols)
    return table.to_pandas()

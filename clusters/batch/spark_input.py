"""The Spark engine's input: which Parquet files, in what order, read with row positions.

A local input (a path, or a ``file:`` URI: also a cluster's shared mount such as
``/dbfs/...``) is resolved by :func:`clusters.batch.inputs.open_input`, exactly as for the
in-process engine: the same parts in the same order, the same mode and columns, the same
fingerprint. Spark then reads that explicit list of files. Any other URI (``hdfs://``,
``s3a://``, ``abfss://``, ``dbfs:/``, ...) is listed by Spark itself: every ``.parquet`` /
``.pq`` file under it (hidden ``_``/``.`` names skipped), ordered by relative path, and
fingerprinted by name, size and modification time.

The engine reads Parquet only (CSV parsing, with its malformed-row rules, is the in-process
engine's). Each row carries its file (``_metadata.file_path``) and 0-based index in that file
(``_metadata.row_index``), so results can be put in input order and duplicates resolved the
way the in-process engine does (the first row in reading order keeps its id).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from clusters.batch.engine import input_facts
from clusters.batch.inputs import (
    PARQUET_SUFFIXES,
    InputPart,
    fingerprint,
    input_mode,
    open_input,
    read_columns,
)
from clusters.batch.spark_session import sql_functions
from clusters.batch.spark_stages import FILE, ROW_INDEX, path_key
from clusters.contracts import ContractError

logger = logging.getLogger(__name__)

PARQUET_GLOB = "*.{" + ",".join(s.lstrip(".") for s in PARQUET_SUFFIXES) + "}"
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


@dataclass
class SparkInput:
    """A resolved input for the Spark engine."""

    paths: list[str]
    """What Spark reads: the parts' file URIs (local input) or the root URI."""
    listed: bool
    """The root is listed by Spark (recursively, Parquet files only)."""
    parts: dict[str, int]
    """:func:`~clusters.batch.spark_stages.path_key` of each part → its reading-order index."""
    part_names: list[str]
    """Each part's path relative to the input root (for rejects)."""
    mode: str
    columns: list[str]
    merge_schema: bool
    facts: dict[str, Any]
    """The manifest's ``input`` section (``rows`` is ``None`` until the job has counted)."""


def local_path(location: str | Path) -> Path | None:
    """``location`` as a local path (plain, or a ``file:`` URI); ``None`` for other URIs.

    >>> local_path("file:///data/in.parquet"), local_path("s3a://bucket/in")
    (PosixPath('/data/in.parquet'), None)
    """
    text = str(location)
    if not _SCHEME_RE.match(text):
        return Path(text)
    parsed = urlparse(text)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


def describe_input(location: str | Path, spark: Any = None) -> SparkInput:
    """Resolve the input; a non-local URI is listed through ``spark``.

    Raises:
        FileNotFoundError: no input, or no Parquet file in it.
        ContractError: a CSV part, or the columns needed are missing.
    """
    local = local_path(location)
    if local is not None:
        return _describe_local(local.absolute())
    if spark is None:
        raise ValueError(f"{location} is not a local path: a Spark session is needed to list it")
    return describe_listed(str(location), spark)


def _describe_local(path: Path) -> SparkInput:
    source = open_input(path)
    csv = [p.name for p in source.parts if p.format != "parquet"]
    if csv:
        raise ContractError(
            f"the Spark engine reads Parquet; {csv[0]} is CSV: convert it to Parquet, "
            "or classify it with --engine local",
            source=str(path),
        )
    uris = [part.path.absolute().as_uri() for part in source.parts]
    return SparkInput(
        paths=uris,
        listed=False,
        parts={path_key(uri): i for i, uri in enumerate(uris)},
        part_names=[part.name for part in source.parts],
        mode=source.mode,
        columns=source.columns,
        merge_schema=len({part.columns for part in source.parts}) > 1,
        facts=input_facts(source),
    )


def _relative(uri: str, root: str) -> str:
    key, base = path_key(uri), path_key(root).rstrip("/")
    return key[len(base) + 1 :] if key.startswith(base + "/") else key.rsplit("/", 1)[-1]


def describe_listed(root: str, spark: Any) -> SparkInput:
    """The Parquet files under ``root`` as Spark lists them (any URI Spark reads),
    fingerprinted by name, size and modification time.

    Raises:
        FileNotFoundError: Spark cannot list ``root``, or it holds no Parquet file.
    """
    try:
        listing = (
            _reader(spark, listed=True)
            .format("binaryFile")
            .load(root)
            .select("path", "length", "modificationTime")
            .collect()
        )
    except Exception as exc:  # AnalysisException: path not found, no access
        raise FileNotFoundError(f"{root}: cannot list it ({exc})") from exc
    if not listing:
        raise FileNotFoundError(f"{root}: holds no .parquet or .pq files")
    files = sorted(listing, key=lambda r: _relative(r["path"], root).split("/"))
    columns = tuple(_reader(spark, listed=True).parquet(root).schema.fieldNames())
    parts = [
        InputPart(
            path=Path(_relative(row["path"], root)),
            name=_relative(row["path"], root),
            format="parquet",
            size=int(row["length"]),
            mtime_ns=int(row["modificationTime"].timestamp() * 1e9),
            columns=columns,
        )
        for row in files
    ]
    mode = input_mode(parts)
    digest, method = fingerprint(parts, content_limit=-1)
    return SparkInput(
        paths=[root],
        listed=True,
        parts={path_key(row["path"]): i for i, row in enumerate(files)},
        part_names=[p.name for p in parts],
        mode=mode,
        columns=read_columns(mode, set(columns)),
        merge_schema=True,
        facts={
            "path": root,
            "mode": mode,
            "parts": len(parts),
            "part_names": [p.name for p in parts[:50]],
            "bytes": sum(p.size for p in parts),
            "rows": None,
            "fingerprint": digest,
            "fingerprint_method": method,
        },
    )


def _reader(spark: Any, listed: bool, merge_schema: bool = True) -> Any:
    reader = spark.read.option("mergeSchema", str(merge_schema).lower())
    if listed:
        reader = reader.option("recursiveFileLookup", "true").option("pathGlobFilter", PARQUET_GLOB)
    return reader


def read_input(spark: Any, source: SparkInput) -> Any:
    """The input as a DataFrame: the columns to read that exist, plus ``__file`` and
    ``__row_index``.

    Raises:
        ContractError: Spark cannot read it (e.g. a column's type differs between parts).
    """
    F = sql_functions(spark)
    try:
        frame = _reader(spark, source.listed, source.merge_schema).parquet(*source.paths)
        present = [c for c in source.columns if c in frame.columns]
        return frame.select(
            *[F.col(f"`{c}`") for c in present],
            F.col("_metadata.file_path").alias(FILE),
            F.col("_metadata.row_index").alias(ROW_INDEX),
        )
    except Exception as exc:  # AnalysisException, SparkConnectGrpcException
        raise ContractError(
            f"Spark cannot read the input: {exc}", source=source.facts["path"]
        ) from exc


__all__ = ["SparkInput", "describe_input", "describe_listed", "local_path", "read_input"]

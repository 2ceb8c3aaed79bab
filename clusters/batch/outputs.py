"""The job's final files, assembled from the committed chunks.

``rejects.csv`` (every rejected row, in input order), ``review_queue.csv`` (built by
:func:`clusters.review_queue.build_review_queue` from the chunks' review candidates) and,
when ``--output`` names a file, the predictions as that one Parquet or CSV file. Each is
streamed chunk by chunk and committed atomically.
"""

from __future__ import annotations

import contextlib
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow.parquet as pq

from clusters.batch.commit import atomic_write
from clusters.batch.layout import JobLayout, is_csv
from clusters.contracts import PREDICTIONS, PROBABILITY_PREFIX, REJECT_COLUMNS


@contextlib.contextmanager
def text_handle(handle: IO[bytes]) -> Iterator[io.TextIOWrapper]:
    """A UTF-8 text view of a binary handle, detached (not closed) afterwards."""
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    try:
        yield text
        text.flush()
    finally:
        text.detach()


def write_csv(target: Path, frame: pd.DataFrame) -> None:
    """Commit ``frame`` as a CSV file (UTF-8, no index)."""

    def write(handle: Any) -> None:
        with text_handle(handle) as text:
            frame.to_csv(text, index=False)

    atomic_write(target, write)


def write_rejects(layout: JobLayout, n_chunks: int, target: Path) -> int:
    """Concatenate the chunks' rejects into ``target``; returns the number of rows."""
    rows = 0

    def write(handle: Any) -> None:
        nonlocal rows
        with text_handle(handle) as text:
            pd.DataFrame(columns=[*REJECT_COLUMNS, "chunk"]).to_csv(text, index=False)
            for index in range(n_chunks):
                part = layout.rejects_part(index)
                if part.is_file():
                    frame = pd.read_csv(part, dtype=str, keep_default_na=False)
                    frame.to_csv(text, index=False, header=False)
                    rows += len(frame)

    atomic_write(target, write)
    return rows


def write_review_queue(
    layout: JobLayout, n_chunks: int, cluster_ids: list[str], limit: int | None = None
) -> tuple[int, int]:
    """The review queue from the chunks' review candidates, highest priority first.

    With ``limit``, only the top ``limit`` companies are kept (memory stays bounded by it,
    whatever the size of the job). Returns (companies queued, companies needing review).
    """
    from clusters.review_queue import build_review_queue

    order = {"by": ["priority", "company_id"], "ascending": [False, True]}
    top: pd.DataFrame | None = None
    candidates = 0
    for index in range(n_chunks):
        part = layout.review_part(index)
        if not part.is_file():
            continue
        queue = build_review_queue(pd.read_parquet(part), None)
        candidates += len(queue)
        top = queue if top is None else pd.concat([top, queue], ignore_index=True)
        if limit is not None and len(top) > limit:
            top = top.sort_values(**order).head(limit)
    if top is None:
        empty = pd.DataFrame(
            {c: pd.Series(dtype=object) for c in PREDICTIONS.names}
            | {PROBABILITY_PREFIX + c: pd.Series(dtype=float) for c in cluster_ids}
        )
        empty["needs_review"] = empty["needs_review"].astype(bool)
        top = build_review_queue(empty, None)
    top = top.sort_values(**order).reset_index(drop=True)
    write_csv(layout.review_queue, top)
    return len(top), candidates


def write_single_file(layout: JobLayout, n_chunks: int, target: Path) -> None:
    """The job's predictions as one Parquet or CSV file (streamed part by part)."""
    write_parts_as_file([layout.part(k) for k in range(n_chunks)], target)


def write_parts_as_file(parts: list[Path], target: Path) -> None:
    """Parquet part files, in order, as one Parquet or CSV file (streamed part by part).

    A name ending in ``.csv.gz`` is written gzip-compressed, with no timestamp in its header
    so that the same predictions give the same bytes.
    """
    if is_csv(target):
        compress = target.name.lower().endswith(".gz")

        def write(handle: Any) -> None:
            with contextlib.ExitStack() as stack:
                if compress:
                    handle = stack.enter_context(gzip.GzipFile(fileobj=handle, mode="wb", mtime=0))
                with text_handle(handle) as text:
                    for i, part in enumerate(parts):
                        pq.read_table(part).to_pandas().to_csv(text, index=False, header=i == 0)

    else:

        def write(handle: Any) -> None:
            schema = pq.read_schema(parts[0])
            with pq.ParquetWriter(handle, schema, compression="zstd") as writer:
                for part in parts:
                    writer.write_table(pq.read_table(part, schema=schema))

    atomic_write(target, write)

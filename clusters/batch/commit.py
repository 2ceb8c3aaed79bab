"""Durable, atomic file commits and the job lock.

Every file the batch engine writes goes through :func:`atomic_write`: the bytes are written
to a hidden temporary file in the same directory, flushed and ``fsync``-ed, moved over the
target with :func:`os.replace` (atomic on POSIX), and the directory entry is ``fsync``-ed
too. A process killed at any instant (SIGKILL included) leaves either the old file or the
new one under the final name, never a torn one; stray temporary files are removed by
:func:`remove_temporaries` on the next start.

Example:
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "state.json"
    >>> atomic_write_text(target, '{"done": []}')
    >>> target.read_text()
    '{"done": []}'
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

logger = logging.getLogger(__name__)

TEMP_SUFFIX = ".tmp"


class BatchStateError(ValueError):
    """A batch job cannot start or resume as asked (the message says why and what to do)."""


def temporary_path(target: Path) -> Path:
    """The hidden temporary file written beside ``target`` before the commit."""
    return target.with_name(f".{target.name}.{os.getpid()}{TEMP_SUFFIX}")


def fsync_directory(directory: Path) -> None:
    """Make a rename or new file in ``directory`` durable (no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write(target: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Commit what ``write`` writes to a binary handle as ``target``, atomically and durably."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(target)
    try:
        with temporary.open("wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(target.parent)


def atomic_write_text(target: Path, text: str) -> None:
    """Commit ``text`` (UTF-8) as ``target``."""
    atomic_write(target, lambda handle: handle.write(text.encode("utf-8")))


def atomic_write_json(target: Path, data: Any) -> None:
    """Commit ``data`` as indented JSON."""
    atomic_write_text(target, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def atomic_write_parquet(target: Path, table: pa.Table) -> None:
    """Commit an Arrow table as one Parquet file (zstd)."""
    atomic_write(target, lambda handle: pq.write_table(table, handle, compression="zstd"))


def remove_temporaries(directory: Path) -> int:
    """Delete temporary files left by killed writers under ``directory``; returns how many."""
    removed = 0
    if not directory.is_dir():
        return removed
    for path in directory.rglob(f".*{TEMP_SUFFIX}"):
        if path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def lock_holder(path: Path) -> int | None:
    """The pid of the process holding the job lock at ``path``, or ``None`` if none does.

    Probes with a shared lock, released at once; it never blocks and never creates the file.
    """
    if not path.is_file():
        return None
    with path.open("r") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return None


@contextlib.contextmanager
def job_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the block (released by the OS if killed).

    Raises:
        BatchStateError: another process holds it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise BatchStateError(
                f"another batch job (pid {holder}) is running in {path.parent.parent}; "
                "wait for it to finish or stop it"
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()

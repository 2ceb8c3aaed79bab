"""Classifying chunks side by side in worker processes (``batch.workers``).

The static tier spends its time in single-threaded work (text preparation, tokenising,
TF-IDF features), so one process keeps one core busy. :class:`ChunkPool` forks worker
processes after the model is loaded (they share its memory copy-on-write; only a chunk's
screened rows travel to a worker and its journal entry back), and each worker classifies and
commits whole chunks exactly as the in-process path does (:func:`process_chunk`), with its own
connection to the embedding cache. The job process keeps reading and screening the input
(duplicate ids need every earlier row), journalling and reporting progress, and takes the
results in chunk order; at most ``workers + 1`` chunks are in flight, so memory stays bounded.

Workers are killed with the job process (Linux ``PR_SET_PDEATHSIG``), so a job killed at any
instant leaves no orphan writing part files, and resuming it redoes at most the chunks that
were in flight. Each worker limits BLAS and torch to one thread (the workers already fill the
cores). Needs the ``fork`` start method (Linux, macOS); elsewhere the job runs in-process.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from classifier.cache import EmbeddingCache
from classifier.embedders.base import cpu_threads
from classifier.model import ClusterModel
from clusters.batch.chunks import ChunkSettings, process_chunk
from clusters.batch.screen import Screened
from clusters.batch.state import ChunkRecord

logger = logging.getLogger(__name__)

_WORKER: dict = {}
"""What a forked worker inherits from the job process: the model and the chunk settings."""


def workers_for(setting: int, embedder: object) -> int:
    """Worker processes for a job: ``setting`` when positive; ``0`` (auto) means one per
    usable core for embedders that compute on one thread (``single_threaded``: the static
    tier), else 1 (MiniLM and ONNX already use every core).

    >>> class Static: single_threaded = True
    >>> workers_for(3, Static()), workers_for(0, object())
    (3, 1)
    """
    if setting > 0:
        return setting
    return cpu_threads() if getattr(embedder, "single_threaded", False) else 1


def can_fork() -> bool:
    """Whether worker processes can be forked here."""
    return "fork" in multiprocessing.get_all_start_methods()


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: orphans finish their chunk and exit
        pass


def _init_worker(cache_path: str | None) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the job process handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # ... and SIGTERM (see batch.stopping)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - installed with scikit-learn
        pass
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    cache = EmbeddingCache(Path(cache_path)) if cache_path else None
    _WORKER["where"] = replace(_WORKER["where"], cache=cache)


def _classify(index: int, rows_read: int, screened: Screened) -> ChunkRecord:
    return process_chunk(_WORKER["model"], index, rows_read, screened, _WORKER["where"])


class InlineChunks:
    """Chunks classified in the job process, one at a time: :class:`ChunkPool`'s interface
    for ``workers = 1``."""

    def __init__(self, model: ClusterModel, where: ChunkSettings) -> None:
        self.model, self.where = model, where

    def submit(self, index: int, rows_read: int, screened: Screened) -> list[ChunkRecord]:
        """Classify and commit the chunk now; returns its journal entry."""
        return [process_chunk(self.model, index, rows_read, screened, self.where)]

    def drain(self) -> Iterator[ChunkRecord]:
        """Nothing is ever in flight."""
        return iter(())

    def __enter__(self) -> InlineChunks:
        return self

    def __exit__(self, *exc_info) -> None:
        pass


def chunk_runner(
    model: ClusterModel, where: ChunkSettings, cache_path: Path | None, workers: int
) -> ChunkPool | InlineChunks:
    """Worker processes for ``workers > 1``, else the job process itself."""
    if workers > 1:
        return ChunkPool(model, where, cache_path, workers)
    return InlineChunks(model, where)


class ChunkPool:
    """Forked workers classifying chunks (see the module docs); a context manager.

    Args:
        model: the loaded model (inherited by the workers, never pickled).
        where: the chunk settings (their cache is replaced by one per worker).
        cache_path: the embedding cache file, or ``None`` when the job uses none.
        workers: worker processes.
    """

    def __init__(
        self, model: ClusterModel, where: ChunkSettings, cache_path: Path | None, workers: int
    ) -> None:
        self.workers = workers
        _WORKER.update(model=model, where=replace(where, cache=None))
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_init_worker,
            initargs=(str(cache_path) if cache_path else None,),
        )
        self._pending: deque[Future] = deque()

    def submit(self, index: int, rows_read: int, screened: Screened) -> list[ChunkRecord]:
        """Queue a chunk; returns the journal entries of the oldest chunks (in chunk order),
        waited for while more than ``workers + 1`` are in flight."""
        self._pending.append(self._executor.submit(_classify, index, rows_read, screened))
        done = []
        while len(self._pending) > self.workers + 1:
            done.append(self._pending.popleft().result())
        return done

    def drain(self) -> Iterator[ChunkRecord]:
        """The journal entries of every chunk still in flight, in chunk order."""
        while self._pending:
            yield self._pending.popleft().result()

    def __enter__(self) -> ChunkPool:
        return self

    def __exit__(self, *exc_info) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        _WORKER.clear()

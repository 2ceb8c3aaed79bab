"""Micro-batching: concurrent requests gathered into one model call.

Requests put their companies on an asyncio queue and await a future. One consumer task
takes the first waiting request, waits up to ``window_ms`` for others (or until
``max_items`` companies are gathered), and runs the whole batch in a dedicated worker thread
(the model is CPU bound; the event loop stays free to accept requests). While a batch runs,
new requests queue up and form the next batch, so under load batches grow by themselves and
throughput approaches the batch job's rate.

Example:
    >>> import asyncio
    >>> async def demo():
    ...     batcher = MicroBatcher(lambda items: [x * 2 for x in items], window_ms=1)
    ...     await batcher.start()
    ...     out = await asyncio.gather(batcher.submit([1]), batcher.submit([2, 3]))
    ...     await batcher.stop()
    ...     return out
    >>> asyncio.run(demo())
    [[2], [4, 6]]
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class _Pending:
    items: Sequence[Any]
    future: asyncio.Future


class MicroBatcher:
    """Gathers submitted items into batches for ``run_batch`` (see the module docs).

    Args:
        run_batch: items → one result per item, in order (runs in the worker thread).
        window_ms: how long the first request of a batch waits for company.
        max_items: most items in one batch (a larger single request runs alone).
        on_batch: called with each batch's size (metrics).
    """

    def __init__(
        self,
        run_batch: Callable[[list[Any]], list[Any]],
        window_ms: float = 5.0,
        max_items: int = 64,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.run_batch = run_batch
        self.window = window_ms / 1000.0
        self.max_items = max_items
        self.on_batch = on_batch
        self._queue: asyncio.Queue[_Pending] | None = None
        self._task: asyncio.Task | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._carry: _Pending | None = None

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="classify")
        self._task = asyncio.create_task(self._consume(), name="micro-batcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self._task = self._executor = None

    async def submit(self, items: Sequence[Any]) -> list[Any]:
        """Results for ``items``, in order, once their batch has run."""
        if self._queue is None:
            raise RuntimeError("MicroBatcher.start() was not called")
        future = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(items, future))
        return await future

    async def _gather(self) -> list[_Pending]:
        assert self._queue is not None
        first = self._carry or await self._queue.get()
        self._carry = None
        batch, size = [first], len(first.items)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.window
        while size < self.max_items:
            try:
                if self._queue.empty():
                    timeout = deadline - loop.time()
                    if timeout <= 0:
                        break
                    pending = await asyncio.wait_for(self._queue.get(), timeout)
                else:
                    pending = self._queue.get_nowait()
            except TimeoutError:
                break
            if size + len(pending.items) > self.max_items:
                self._carry = pending
                break
            batch.append(pending)
            size += len(pending.items)
        return batch

    async def _consume(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._gather()
            live = [p for p in batch if not p.future.done()]  # cancelled: client went away
            if not live:
                continue
            items = [item for p in live for item in p.items]
            if self.on_batch is not None:
                self.on_batch(len(items))
            try:
                results = await loop.run_in_executor(self._executor, self.run_batch, items)
            except asyncio.CancelledError:
                for p in live:
                    if not p.future.done():
                        p.future.cancel()
                raise
            except Exception as exc:
                if len(live) > 1:  # find the request that broke it: run each alone
                    logger.warning(
                        "a batch of %d failed (%s): retrying one by one", len(items), exc
                    )
                    for p in live:
                        await self._run_alone(p)
                    continue
                logger.exception("classification of %d companies failed", len(items))
                if not live[0].future.done():
                    live[0].future.set_exception(exc)
                continue
            start = 0
            for p in live:
                end = start + len(p.items)
                if not p.future.done():
                    p.future.set_result(results[start:end])
                start = end

    async def _run_alone(self, pending: _Pending) -> None:
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(
                self._executor, self.run_batch, list(pending.items)
            )
        except Exception as exc:
            logger.exception("classification of %d companies failed", len(pending.items))
            if not pending.future.done():
                pending.future.set_exception(exc)
            return
        if not pending.future.done():
            pending.future.set_result(results)

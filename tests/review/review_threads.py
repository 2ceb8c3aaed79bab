"""Running review work from many threads at once (the store and the app under concurrency)."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_in_threads(n: int, work: Callable[[int], object], timeout: float = 120) -> list[object]:
    """Run ``work(k)`` for k in 0..n-1 in ``n`` threads released at the same moment; their
    results, in order. Fails if any raised or did not finish within ``timeout`` seconds."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n
    errors: list[BaseException] = []

    def run(k: int) -> None:
        barrier.wait()
        try:
            results[k] = work(k)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not errors, errors
    assert not [t for t in threads if t.is_alive()], "threads still running after the timeout"
    return results

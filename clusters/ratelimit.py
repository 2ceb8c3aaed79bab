"""Token-bucket rate limiting per key, in memory (one server process).

Used by the classification API (requests per API key) and the review app (failed logins per
user name and per client address).

Example:
    >>> limiter = RateLimiter(2, clock=lambda: 0.0)
    >>> limiter.acquire("crm"), limiter.acquire("crm"), limiter.acquire("crm") > 0
    (0.0, 0.0, True)
    >>> RateLimiter(5, period_s=900, clock=lambda: 0.0).wait_s("ann")
    0.0
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """``limit`` events per key per ``period_s`` seconds, in bursts of up to ``limit``.

    Args:
        limit: bucket size, refilled at ``limit`` per ``period_s``; 0 turns limiting off.
        period_s: the refill period (60 s: a per-minute limit).
        clock: seconds, monotonic (injectable for tests).
    """

    def __init__(
        self, limit: int, period_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.period_s = period_s
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def _tokens(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (float(self.limit), now))
        return min(float(self.limit), tokens + (now - last) * self.limit / self.period_s)

    def _wait(self, tokens: float) -> float:
        return (1.0 - tokens) * self.period_s / self.limit

    def wait_s(self, key: str) -> float:
        """Seconds until ``key`` may act again (0.0 now), without taking a token."""
        if self.limit <= 0:
            return 0.0
        with self._lock:
            tokens = self._tokens(key, self.clock())
        return 0.0 if tokens >= 1.0 else self._wait(tokens)

    def acquire(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when allowed, else seconds until one is free."""
        if self.limit <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            tokens = self._tokens(key, now)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return self._wait(tokens)

    def reset(self, key: str) -> None:
        """Forget ``key``'s history (a full bucket)."""
        with self._lock:
            self._buckets.pop(key, None)

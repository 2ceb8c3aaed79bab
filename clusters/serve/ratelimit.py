"""Per-key rate limiting: a token bucket per API key, in memory (one server process).

Example:
    >>> limiter = RateLimiter(per_minute=2, clock=lambda: 0.0)
    >>> limiter.acquire("crm"), limiter.acquire("crm"), limiter.acquire("crm") > 0
    (0.0, 0.0, True)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """``per_minute`` requests per key per minute, in bursts of up to ``per_minute``.

    Args:
        per_minute: bucket size and refill per minute; 0 turns limiting off.
        clock: seconds, monotonic (injectable for tests).
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when allowed, else seconds until one is free."""
        if self.per_minute <= 0:
            return 0.0
        rate = self.per_minute / 60.0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / rate

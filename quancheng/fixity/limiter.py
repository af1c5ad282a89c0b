"""A byte-rate limiter shared by the threads of a sweep, so that reading does not starve uploads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Keep the bytes consumed by all callers at or under ``rate`` bytes per second.

    Each ``consume(n)`` books the next ``n / rate`` seconds of the shared schedule and sleeps
    until its booking ends, so over any period T at most ``rate * T`` bytes pass, plus one chunk
    per thread. Time idle before a call is not saved up as a burst. ``rate`` 0 means no limit.
    The clock and sleep are injectable so that tests need no wall time.
    """

    def __init__(
        self,
        rate: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if rate < 0:
            raise ValueError("rate must be >= 0")
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._free_at: float | None = None

    def consume(self, n: int) -> None:
        if self.rate <= 0 or n <= 0:
            return
        with self._lock:
            now = self._clock()
            start = now if self._free_at is None else max(now, self._free_at)
            self._free_at = start + n / self.rate
            delay = self._free_at - now
        if delay > 0:
            self._sleep(delay)

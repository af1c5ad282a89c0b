"""A byte-rate limiter shared by the threads of a sweep, so that reading does not starve uploads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Keep the bytes consumed by all callers at or under ``rate`` bytes per second.

    Called after reading ``n`` bytes, ``consume(n)`` books ``n / rate`` seconds of a schedule
    shared by all threads, right after the previous booking, and sleeps until its booking ends.
    The time since the previous booking (spent reading and hashing) counts towards the booking,
    but never more than one chunk's worth: idle time is not saved up as a burst. Over any period
    T at most ``rate * T`` bytes pass, plus one chunk per thread. ``rate`` 0 means no limit.
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
        self._free_at = clock()  # reading starts now

    def consume(self, n: int) -> None:
        if self.rate <= 0 or n <= 0:
            return
        with self._lock:
            now = self._clock()
            duration = n / self.rate
            earliest = now - duration
            start = max(earliest, self._free_at)
            self._free_at = start + duration
            delay = self._free_at - now
        if delay > 0:
            self._sleep(delay)

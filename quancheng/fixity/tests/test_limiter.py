"""The rate limiter, on a fake clock: no wall time passes in these tests."""

import threading

import pytest

from quancheng.fixity.checks import check_blob
from quancheng.fixity.limiter import RateLimiter

MiB = 1024 * 1024


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.slept = []
        self.lock = threading.Lock()

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        with self.lock:
            self.slept.append(seconds)
            self.now += seconds


def test_consumption_is_spread_to_the_rate():
    clock = FakeClock()
    limiter = RateLimiter(2 * MiB, clock=clock, sleep=clock.sleep)

    for _ in range(10):
        limiter.consume(MiB)

    assert clock.now - 1000.0 == pytest.approx(5.0)  # 10 MiB at 2 MiB/s


def test_time_spent_elsewhere_counts_but_is_not_saved_up_as_a_burst():
    clock = FakeClock()
    limiter = RateLimiter(MiB, clock=clock, sleep=clock.sleep)

    limiter.consume(MiB)  # the first read took no time: books [1000, 1001), sleeps 1 s
    assert clock.now == pytest.approx(1001.0)
    clock.now += 0.4  # reading and hashing the next chunk took 0.4 s
    limiter.consume(MiB)  # books [1001, 1002): sleeps only 0.6 s
    assert clock.now == pytest.approx(1002.0)
    clock.now += 60  # idle for a minute
    limiter.consume(MiB)  # its read counts: no sleep
    limiter.consume(MiB)
    limiter.consume(MiB)
    assert clock.now == pytest.approx(1064.0)  # then 1 MiB/s again: the minute is not a burst


def test_zero_means_no_limit():
    clock = FakeClock()
    limiter = RateLimiter(0, clock=clock, sleep=clock.sleep)
    limiter.consume(10 * 1024 * MiB)
    assert clock.slept == []


def test_threads_share_one_budget():
    clock = FakeClock()
    limiter = RateLimiter(MiB, clock=clock, sleep=clock.sleep)
    threads = [
        threading.Thread(target=lambda: [limiter.consume(MiB // 4) for _ in range(8)])
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 4 MiB in all at 1 MiB/s: the shared schedule ends 4 s after the start.
    assert limiter._free_at == pytest.approx(1004.0)


def test_a_check_reads_in_large_chunks_through_the_limiter(store, put_blobs):
    (info,) = put_blobs(store, n=1, size=3 * MiB + 5)
    clock = FakeClock()
    limiter = RateLimiter(MiB, clock=clock, sleep=clock.sleep)

    result = check_blob(store, info.sha256, info.size, limiter=limiter, chunk_size=2 * MiB)

    assert result.ok
    assert clock.now - 1000.0 == pytest.approx((3 * MiB + 5) / MiB)
    assert len(clock.slept) == 2  # two reads: 2 MiB, then the rest


def test_the_sweep_honours_the_configured_rate(store, put_blobs, settings):
    from quancheng.fixity.sweep import run_sweep

    put_blobs(store, n=4, size=MiB)
    clock = FakeClock()
    settings.QC_FIXITY_RATE = 2 * MiB

    sweep = run_sweep(workers=2, clock=clock, sleep=clock.sleep)

    assert sweep.rate == 2 * MiB
    assert clock.now - 1000.0 == pytest.approx(2.0)  # 4 MiB at 2 MiB/s

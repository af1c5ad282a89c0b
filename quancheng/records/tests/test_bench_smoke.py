"""bench/ingest_bench.py runs its whole core at tiny sizes (no timing checked), so it cannot rot.

It starts the real server (gunicorn) on its own temporary SQLite database and var dir, as the
benchmark does; nothing of the test database is used.
"""

import argparse

import pytest

from bench import ingest_bench

MiB = 1024 * 1024


def test_ingest_benchmark_measures_every_path_and_cleans_up(tmp_path):
    result = ingest_bench.run(
        size=3 * MiB + 5, memory_size=2 * MiB, chunk_size=MiB, directory=str(tmp_path), repeat=2
    )

    assert (result["size"], result["chunk_size"], result["repeat"]) == (3 * MiB + 5, MiB, 2)
    for key in ("baseline", "store", "http", "lean", "store_sm3", "sm3_job"):
        assert len(result["times"][key]) == 2
        assert all(seconds > 0 for seconds in result["times"][key])
        assert result[f"{key}_s"] > 0
    memory = result["memory"]
    assert memory["size"] == 2 * MiB
    # Real peaks of Python processes running Django or the store: tens of MB, not zero.
    assert 10e6 < memory["server_peak"] < 2e9
    assert 5e6 < memory["store_peak"] < 2e9
    assert list(tmp_path.iterdir()) == []  # files, store, server var dir all removed

    table = ingest_bench.report(result)
    assert "(a) LocalBlobStore.put" in table
    assert "(b) tus upload" in table
    assert "sendfile client" in table
    assert "(c) put with SM3 in the same pass" in table and "(d) SM3 job after ingest" in table
    assert "VmHWM" in table
    # --skip-memory (run() with memory_size=None) leaves the memory figures out.
    assert "skipped" in ingest_bench.report({**result, "memory": None})


def test_ingest_benchmark_times_only_the_paths_asked_for(tmp_path):
    """--paths store: the baseline and the store put alone (no server started), with the spread
    of the runs printed."""
    result = ingest_bench.run(
        size=2 * MiB, memory_size=None, directory=str(tmp_path), repeat=2, paths=("store",)
    )
    assert set(result["times"]) == {"baseline", "store"}
    table = ingest_bench.report(result)
    assert "(a) LocalBlobStore.put" in table and "(b) tus upload" not in table
    assert "median" in table and "stdev" in table and "2 rounds" in table
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1GiB", 1024**3),
        ("64MiB", 64 * MiB),
        ("4g", 4 * 1024**3),
        ("1.5M", 3 * MiB // 2),
        ("10", 10),
    ],
)
def test_sizes(text, size):
    assert ingest_bench.parse_size(text) == size


def test_bad_size_is_refused():
    with pytest.raises(argparse.ArgumentTypeError):
        ingest_bench.parse_size("lots")


def test_disk_check_says_when_the_run_does_not_fit(tmp_path):
    assert ingest_bench.check_disk(str(tmp_path), MiB, 2 * MiB) is None
    assert "needed" in ingest_bench.check_disk(str(tmp_path), 1024**5, None)

"""bench/extraction_bench.py runs end to end at a tiny size (no timing checked), so it cannot rot.

It runs in its own process with its own temporary SQLite database and var dir, as the benchmark
does; nothing of the test database is used.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_extraction_benchmark_runs_and_reports():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "QC_"))}
    result = subprocess.run(
        [sys.executable, "bench/extraction_bench.py", "--mb", "2", "--rounds", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "one segment of 2 MiB per package" in result.stdout
    assert "median package/baseline:" in result.stdout
    assert "largest peak RSS growth:" in result.stdout

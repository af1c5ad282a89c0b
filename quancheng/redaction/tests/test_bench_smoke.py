"""bench/redact.py runs end to end at a tiny size (no timing checked), so it cannot rot."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_redaction_benchmark_runs_and_reports():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "QC_"))}
    command = [
        "bench/redact.py",
        "--seconds",
        "1",
        "--fps",
        "5",
        "--width",
        "160",
        "--height",
        "96",
    ]
    result = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "redaction of 160x96 at 5 fps" in result.stdout
    assert "plain decode+encode" in result.stdout and "redaction / plain" in result.stdout
    assert "frames 5," in result.stdout and "CPUs" in result.stdout
    assert "load average" in result.stdout

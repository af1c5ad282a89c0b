"""Shared set-up for the benchmark scripts: a throw-away database and VAR_DIR, never ./var.

Each script calls :func:`django_for_bench` before importing any model. On SQLite the database
lives in a temporary VAR_DIR; on PostgreSQL a database ``qc_bench_<name>`` is created on the
server named by ``QC_BENCH_PG`` (default postgres://postgres@127.0.0.1:5432) and dropped at exit.
"""

from __future__ import annotations

import atexit
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("QC_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DATABASES = ("sqlite", "postgres")


def run_each_database(script: str, argv: list[str], databases: list[str]) -> int:
    """Run the script once per database, each in its own process (settings are read once)."""
    status = 0
    for database in databases:
        command = [sys.executable, script, *argv, "--db", database]
        status |= subprocess.run(command, check=False).returncode  # noqa: S603
    return status


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def django_for_bench(name: str, database: str, keep: str = "") -> str:
    """Point Django at a fresh database, set it up and migrate; return a label for the output.

    With ``keep`` (PostgreSQL only) the database is ``qc_bench_<keep>`` and survives the run:
    created and migrated when missing, reused as it is when it exists (a large generated city
    is then built once and measured many times; drop it with ``dropdb``).
    """
    var_dir = tempfile.mkdtemp(prefix=f"qc_bench_{name}_")
    atexit.register(shutil.rmtree, var_dir, True)
    os.environ["QC_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quancheng.settings")
    os.environ.setdefault("QC_LOG_LEVEL", "WARNING")
    if keep and database != "postgres":
        raise SystemExit("--keep needs --db postgres")
    if database == "postgres":
        db_name = f"qc_bench_{keep or name}"
        if not keep:
            _pg_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            atexit.register(_drop_pg, db_name)
        if not _pg_exists(db_name):
            _pg_admin(f'CREATE DATABASE "{db_name}"')
        os.environ["QC_DATABASE_URL"] = f"{PG_SERVER}/{db_name}"
    elif database == "sqlite":
        os.environ.pop("QC_DATABASE_URL", None)
    else:
        raise SystemExit(f"unknown database {database!r}; use one of {', '.join(DATABASES)}")
    sys.path.insert(0, str(ROOT))

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from django.db import connection

    announce(f"bench {name}")
    if connection.vendor == "postgresql":
        return f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
    return f"SQLite {connection.Database.sqlite_version}"


def _pg_exists(db_name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone()


def _drop_pg(db_name: str) -> None:
    from django.db import connections

    connections.close_all()
    _pg_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._start


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (fraction 0.99 for p99) of a non-empty list."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB RAM"
    except OSError:
        pass
    return "RAM unknown"


def _database() -> str:
    """The database Django is set up with, if it is."""
    if "django" not in sys.modules:
        return ""
    try:
        from django.conf import settings

        if not settings.configured:
            return ""
        from django.db import connection

        if connection.vendor == "postgresql":
            connection.ensure_connection()
            version = connection.pg_version
            return f"PostgreSQL {version // 10000}.{version % 10000}"
        if connection.vendor == "sqlite":
            return f"SQLite {connection.Database.sqlite_version}"
        return connection.vendor
    except Exception:
        return ""


def machine() -> str:
    """What a reader needs to judge a figure: CPU model and cores, memory, kernel, Python and
    the database (when Django is set up)."""
    parts = [
        _cpu_model(),
        f"{os.cpu_count()} CPUs",
        _memory(),
        f"Linux {platform.release()}" if sys.platform == "linux" else platform.platform(),
        f"Python {platform.python_version()}",
    ]
    if database := _database():
        parts.append(database)
    return ", ".join(parts)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} (1, 5, 15 min)"


def machine_note() -> str:
    """The machine and its load now, printed beside the figures (the machine may be shared)."""
    return f"{machine()}; {load()}"


def announce(name: str) -> None:
    """Print the machine and the load before the run, and the load again when it ends."""
    print(f"{name}: {machine()}", flush=True)
    print(f"load before: {load()}", flush=True)
    atexit.register(lambda: print(f"load after: {load()}", flush=True))


def spread(values: list[float], unit: str = "", digits: int = 2) -> str:
    """Median, min, max and standard deviation of a run's rounds, as one phrase."""
    if not values:
        return "no rounds"
    f = f"{{:.{digits}f}}{unit}"
    text = (
        f"median {f.format(statistics.median(values))} "
        f"(min {f.format(min(values))}, max {f.format(max(values))}"
    )
    if len(values) > 1:
        text += f", stdev {f.format(statistics.stdev(values))}"
    return text + f"; {len(values)} rounds)"


def median(values: list[float]) -> float:
    return statistics.median(values)

"""Building a generated city on PostgreSQL: time per phase, CPU, and the disk it takes.

Usage: .venv/bin/python bench/city_build.py --scale 0.1 [--keep NAME] [--force]

Builds ``make_demo_city --scale S`` (quancheng.demo.city.build_city, blob rows without content)
into database qc_bench_NAME (kept, default ``city<S>``, for ``bench/page_timings.py --keep NAME``)
and prints:

1. each step of the build with its elapsed time (the builder's own progress lines);
2. the CPU seconds of the builder (with its worker processes) and of the PostgreSQL server (all
   its processes on this machine, read from /proc: other databases' work counts too, so on a
   machine where others use the server only the builder's figure is its own), beside the wall
   time;
3. the database's size and its largest tables (table + indexes), bytes per ledger event and per
   segment, and what the full city (scale 1) would take at those rates, against the free space
   of the disk that holds PostgreSQL's data directory.

Before building it estimates the space the city needs from the bytes per row measured on a
1/10 city and refuses when the disk has less (``--force`` builds anyway).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import django_for_bench, load

# Bytes per ledger event and per segment (its blob row included) with everything else of an
# act, measured on the 1/10 city (docs/performance.md, 2026-12-08); the estimate adds a fifth
# for the sorts of the index rebuilds and the write-ahead log.
BYTES_PER_EVENT = 500
BYTES_PER_SEGMENT = 1_400
HEADROOM = 1.2


def _postgres_cpu_seconds() -> float:
    """User + system CPU of every process of the PostgreSQL server on this machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            if "postgres" not in fields[0]:
                continue
            values = fields[1].split()
            total += int(values[11]) + int(values[12]) + int(values[13]) + int(values[14])
        except (OSError, IndexError, ValueError):
            continue
    return total / ticks


def _own_cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _data_directory_free() -> int | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        directory = cursor.fetchone()[0]
    try:
        return shutil.disk_usage(directory).free
    except OSError:  # a server on another machine
        return None


def _gb(size: float) -> str:
    return f"{size / 1e9:,.1f} GB" if size >= 1e9 else f"{size / 1e6:,.0f} MB"


def estimate(plan) -> int:
    """The bytes a city of ``plan`` is expected to take, headroom included."""
    return int((plan.events * BYTES_PER_EVENT + plan.acts * 11 * BYTES_PER_SEGMENT) * HEADROOM)


def sizes(scale: float) -> None:
    from django.db import connection

    from quancheng.ledger.models import LedgerHead
    from quancheng.records.models import Segment

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        database = cursor.fetchone()[0]
        cursor.execute(
            "SELECT c.relname, pg_relation_size(c.oid), pg_indexes_size(c.oid), c.reltuples "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' "
            "ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 12"
        )
        tables = cursor.fetchall()
    events = LedgerHead.objects.values_list("seq", flat=True).first() or 0
    segments = Segment.objects.count()
    print(f"database {_gb(database)}; ledger events {events:,}, segments {segments:,}")
    print(f"{'table':<32}{'table':>12}{'indexes':>12}{'rows':>14}{'B/row':>8}")
    ledger = 0
    for name, table, indexes, rows in tables:
        per_row = (table + indexes) / rows if rows > 0 else 0
        print(f"{name:<32}{_gb(table):>12}{_gb(indexes):>12}{int(rows):>14,}{per_row:>8.0f}")
        if name.startswith("ledger_"):
            ledger += table + indexes
    if events:
        per_event = ledger / events
        print(f"ledger tables: {per_event:.0f} bytes per event")
    if scale < 1:
        full = database / scale
        free = _data_directory_free()
        print(
            f"the full city at these rates: about {_gb(full)} "
            f"(free on the data directory's disk now: {_gb(free) if free is not None else '?'})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, required=True)
    parser.add_argument("--keep", default="", help="database qc_bench_NAME (default city<S>)")
    parser.add_argument("--force", action="store_true", help="build even if the disk looks short")
    parser.add_argument("--no-evaluate", action="store_true", help="skip the rules")
    args = parser.parse_args(argv)
    name = args.keep or f"city{args.scale:g}".replace(".", "_")
    django_for_bench("city_build", "postgres", keep=name)

    from quancheng.demo.city import CityExists, build_city, city_plan

    plan = city_plan(args.scale, store_blobs=False, evaluate=not args.no_evaluate)
    need, free = estimate(plan), _data_directory_free()
    print(
        f"city: scale {args.scale:g}, {plan.districts} districts, {plan.acts:,} acts, "
        f"{plan.events:,} ledger events; needs about {_gb(need)}, "
        f"free {_gb(free) if free is not None else '?'}; database qc_bench_{name}",
        flush=True,
    )
    if free is not None and need > free and not args.force:
        print("not enough free disk for this city (--force builds anyway)", file=sys.stderr)
        return 2
    started, cpu, server = time.perf_counter(), _own_cpu_seconds(), _postgres_cpu_seconds()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - started:8.1f} s] {message}", flush=True)

    try:
        build_city(plan, progress=say)
    except CityExists as e:
        print(f"{e}: measuring the kept city's size only", flush=True)
        sizes(args.scale)
        return 0
    wall = time.perf_counter() - started
    print(
        f"built in {wall:,.0f} s wall; CPU: builder {_own_cpu_seconds() - cpu:,.0f} s, "
        f"PostgreSQL {_postgres_cpu_seconds() - server:,.0f} s; {load()}",
        flush=True,
    )
    sizes(args.scale)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

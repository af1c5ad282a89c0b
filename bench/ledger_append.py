"""Ledger append throughput under concurrent writers: staged appends + the integrator, against
plain inserts of the same rows with the same concurrency.

Usage: .venv/bin/python bench/ledger_append.py [--events N] [--writers 1 8 32] [--rounds R]
                                               [--db sqlite|postgres|both]

For each number of concurrent writers W (threads, each with its own database connection), R
rounds of N events, one event per transaction (as in real use: each change commits with its
event), of:
  - plain: the same fields inserted into a table without the ledger (no hashes, no tree): the
    same-run baseline;
  - ledger: record_event (stage) in each writer's transaction, with a standing integrator
    (``manage.py ledger_integrator``, its own process, as deployed) binding seq, chain and tree.
It prints events/s for both (median of the rounds and their spread), the ratio, the p95 and max
time from a writer's commit to its event's integration (the head polled every 10 ms), and the
end-to-end rate (until the last event is integrated). Then one check: a transaction that stages
an event and stays open for HOLD seconds, while a second writer (another agency) commits one:
how long the second waited. Finally the whole ledger is verified (verify_ledger).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    DATABASES,
    ROOT,
    django_for_bench,
    machine_note,
    median,
    percentile,
    run_each_database,
)

PLAIN_TABLE = "bench_plain_event"
HOLD = 1.0
_plain_model = None


def plain_model():
    """A model shaped like ledger.StagedEvent minus the hash, in a registry of its own (never
    migrated, never seen by makemigrations)."""
    global _plain_model
    if _plain_model is None:
        from django.apps.registry import Apps
        from django.db import models

        class PlainEvent(models.Model):
            time = models.DateTimeField()
            actor_label = models.CharField(max_length=150, blank=True)
            action = models.CharField(max_length=64)
            object_type = models.CharField(max_length=64, blank=True)
            object_id = models.CharField(max_length=64, blank=True)
            body = models.TextField()

            class Meta:
                apps = Apps()
                app_label = "bench"
                db_table = PLAIN_TABLE

            def __str__(self):
                return f"plain #{self.pk}"

        _plain_model = PlainEvent
    return _plain_model


def create_plain_table() -> None:
    from django.db import connection

    model = plain_model()
    editor = connection.schema_editor()
    sql, params = editor.table_sql(model)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PLAIN_TABLE}")
        cursor.execute(sql, params or None)


def drop_plain_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PLAIN_TABLE}")


def _body(i: int) -> dict:
    # About the size of a real status-change body, Chinese included.
    return {"field": "status", "from": "办理中", "to": "已办结", "by": "执法人员", "n": i}


def write_plain(i: int, writer: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from quancheng.lib.canonical import canonical_bytes

    with transaction.atomic():
        plain_model()(
            time=timezone.now().astimezone(dt.UTC),
            actor_label="system",
            action="bench.append",
            object_type="cases.case",
            object_id=str(writer),
            body=canonical_bytes(_body(i)).decode(),
        ).save(force_insert=True)


def write_ledger(i: int, writer: int):
    from django.db import transaction

    from quancheng.ledger.actions import Action
    from quancheng.ledger.services import record_event

    with transaction.atomic():
        return record_event(
            None,
            Action.CASE_UPDATED,
            body=_body(i),
            object_type="cases.case",
            object_id=str(writer),
        )


def run_writers(write, events: int, writers: int) -> tuple[float, list[tuple[int, float]]]:
    """``events`` transactions over ``writers`` threads; (seconds, [(staged id, commit time)])."""
    from django.db import connections

    barrier = threading.Barrier(writers + 1)
    commits: list[list[tuple[int, float]]] = [[] for _ in range(writers)]
    failures: list[BaseException] = []

    def work(writer: int) -> None:
        try:
            barrier.wait()
            for i in range(writer, events, writers):
                staged = write(i, writer)
                if staged is not None:
                    commits[writer].append((staged.pk, time.monotonic()))
        except BaseException as e:  # reported by the caller
            failures.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    if failures:
        raise failures[0]
    return seconds, [c for per_writer in commits for c in per_writer]


class HeadWatcher(threading.Thread):
    """Polls the head: the first time each tree size was seen (monotonic clock)."""

    def __init__(self, interval: float = 0.01):
        super().__init__(daemon=True)
        self.interval = interval
        self.seen: list[tuple[int, float]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        from django.db import connections

        from quancheng.ledger.tree import tree_size

        try:
            while not self.stopped.wait(self.interval):
                size = tree_size()
                if not self.seen or size > self.seen[-1][0]:
                    self.seen.append((size, time.monotonic()))
        finally:
            connections.close_all()

    def integrated_at(self, seq: int) -> float | None:
        for size, at in self.seen:
            if size >= seq:
                return at
        return None


def wait_integrated(target_size: int, timeout: float = 600) -> None:
    from quancheng.ledger.tree import tree_size

    deadline = time.monotonic() + timeout
    while tree_size() < target_size:
        if time.monotonic() > deadline:
            raise AssertionError(f"integrator did not reach size {target_size} in {timeout} s")
        time.sleep(0.01)


def ledger_round(events: int, writers: int) -> dict:
    from quancheng.ledger.models import Event
    from quancheng.ledger.tree import tree_size

    before = tree_size()
    watcher = HeadWatcher()
    watcher.start()
    seconds, commits = run_writers(write_ledger, events, writers)
    wait_integrated(before + events)
    end_to_end = time.monotonic()
    watcher.stopped.set()
    watcher.join()
    # The last size may have been reached between two polls: seen at the latest now.
    watcher.seen.append((before + events, end_to_end))
    seqs = dict(
        Event.objects.filter(staged_id__in=[pk for pk, _ in commits]).values_list(
            "staged_id", "seq"
        )
    )
    if len(seqs) != events:
        raise AssertionError(f"{len(seqs)} of {events} staged events integrated")
    delays = [watcher.integrated_at(seqs[pk]) - at for pk, at in commits]
    first_commit = min(at for _, at in commits)
    return {
        "ledger_per_s": events / seconds,
        "end_to_end_per_s": events / (end_to_end - first_commit),
        "p95_integration_s": percentile(delays, 0.95),
        "max_integration_s": max(delays),
    }


def wait_check() -> dict:
    """A holds a transaction with a staged event open for HOLD s; B commits one meanwhile."""
    from django.db import connections

    from quancheng.ledger.tree import tree_size

    staged = threading.Event()
    result = {}

    def writer_a() -> None:
        try:
            from django.db import transaction

            from quancheng.ledger.actions import Action
            from quancheng.ledger.services import record_event

            with transaction.atomic():
                record_event(None, Action.AGENCY_UPDATED, object_type="agency", object_id="A")
                staged.set()
                time.sleep(HOLD)
        finally:
            connections.close_all()

    before = tree_size()
    thread = threading.Thread(target=writer_a)
    thread.start()
    if not staged.wait(timeout=60):
        # On SQLite B would wait at BEGIN; A may even wait for B's earlier lock: give up.
        raise AssertionError("writer A never staged its event")
    started = time.monotonic()
    write_ledger(0, 1)
    result["b_commit_s"] = time.monotonic() - started
    thread.join()
    wait_integrated(before + 2)
    return result


class IntegratorProcess:
    """``manage.py ledger_integrator`` in its own process on the bench's database."""

    def __enter__(self):
        self.proc = subprocess.Popen(  # noqa: S603 - this interpreter, our manage.py
            [sys.executable, str(ROOT / "manage.py"), "ledger_integrator", "--interval", "0.02"],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
        )
        return self

    def __exit__(self, *exc) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)


def run(events: int, writer_counts: list[int], rounds: int) -> dict:
    """Every configuration, ``rounds`` times; per writer count the medians and spreads."""
    from quancheng.ledger.verify import verify_ledger

    create_plain_table()
    rows = []
    try:
        with IntegratorProcess():
            # Warm-up of both paths (connections, the integrator's lease), not measured.
            run_writers(write_plain, 20, 1)
            ledger_round(20, 1)
            for writers in writer_counts:
                plain, ledger = [], []
                for _ in range(rounds):
                    seconds, _ = run_writers(write_plain, events, writers)
                    plain.append(events / seconds)
                    ledger.append(ledger_round(events, writers))
                rows.append(summarise(writers, plain, ledger))
            check = wait_check()
    finally:
        drop_plain_table()
    report = verify_ledger()
    if not report.ok:
        raise AssertionError(f"the ledger does not verify: {report.summary()}")
    return {"rows": rows, "wait_check": check, "events": report.size}


def summarise(writers: int, plain: list[float], ledger: list[dict]) -> dict:
    rates = [r["ledger_per_s"] for r in ledger]
    return {
        "writers": writers,
        "plain_per_s": median(plain),
        "plain_spread": (min(plain), max(plain)),
        "ledger_per_s": median(rates),
        "ledger_spread": (min(rates), max(rates)),
        "ratio": median(rates) / median(plain),
        "end_to_end_per_s": median([r["end_to_end_per_s"] for r in ledger]),
        "p95_integration_s": max(r["p95_integration_s"] for r in ledger),
        "max_integration_s": max(r["max_integration_s"] for r in ledger),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4000, help="events per round (4000)")
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", choices=[*DATABASES, "both"], default="sqlite")
    args = parser.parse_args(argv)
    if args.db == "both":
        rest = ["--events", str(args.events), "--rounds", str(args.rounds), "--writers"]
        return run_each_database(__file__, [*rest, *map(str, args.writers)], list(DATABASES))

    # Writers only stage; the integrator process integrates (the deployment with workers).
    os.environ["QC_LEDGER_INTEGRATE_ON_COMMIT"] = "False"
    label = django_for_bench("append", args.db)
    print(f"ledger_append on {label}: {args.events} events per round, {args.rounds} rounds")
    print(f"before: {machine_note()}")
    result = run(args.events, args.writers, args.rounds)
    header = (
        "writers",
        "plain ev/s (min-max)",
        "ledger ev/s (min-max)",
        "ratio",
        "end-to-end ev/s",
        "p95 to integr.",
        "max",
    )
    print("{:>7} {:>22} {:>22} {:>6} {:>15} {:>14} {:>7}".format(*header))
    for row in result["rows"]:
        plain = (
            f"{row['plain_per_s']:.0f} ({row['plain_spread'][0]:.0f}-{row['plain_spread'][1]:.0f})"
        )
        ledger = (
            f"{row['ledger_per_s']:.0f} "
            f"({row['ledger_spread'][0]:.0f}-{row['ledger_spread'][1]:.0f})"
        )
        print(
            f"{row['writers']:>7} {plain:>22} {ledger:>22} {row['ratio']:>6.2f} "
            f"{row['end_to_end_per_s']:>15.0f} {row['p95_integration_s']:>13.3f}s "
            f"{row['max_integration_s']:>6.3f}s"
        )
    waited = result["wait_check"]["b_commit_s"]
    print(
        f"agency B committed an event in {waited * 1000:.0f} ms while agency A held a "
        f"transaction with a staged event open for {HOLD * 1000:.0f} ms"
    )
    print(f"verify_ledger: {result['events']} events, chain, tree and checkpoints hold")
    print(f"after: {machine_note()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

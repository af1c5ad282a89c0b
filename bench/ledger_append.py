"""Ledger append throughput (events/s) through the real record_event, against plain inserts.

Usage: .venv/bin/python bench/ledger_append.py [--events N] [--batch B] [--db sqlite|postgres|both]

Four runs of N events each, on a fresh database:
  - chained, one event per transaction (as in real use: each change commits with its event);
  - plain, one row per transaction: the same fields inserted into a table without the chain
    (no head lock, no hashes, no Merkle subtree rows) - the same-run baseline;
  - chained and plain again with B events per transaction.
It prints events/s for each and the ratio chained / plain, then checks the chain it wrote.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import DATABASES, Timer, django_for_bench, machine_note, run_each_database

PLAIN_TABLE = "bench_plain_event"
_plain_model = None


def plain_model():
    """A model shaped like ledger.Event minus the chain, in a registry of its own (never
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
                # The same object-history index as ledger.Event.
                indexes = [models.Index(fields=["object_type", "object_id"], name="bench_obj")]

            def __str__(self):
                return f"plain #{self.pk}"

        _plain_model = PlainEvent
    return _plain_model


def create_plain_table() -> None:
    """CREATE the baseline table with raw DDL, which SQLite allows inside a transaction too."""
    from django.db import connection

    model = plain_model()
    editor = connection.schema_editor()
    sql, params = editor.table_sql(model)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PLAIN_TABLE}")
        cursor.execute(sql, params or None)
        for statement in editor._model_indexes_sql(model):
            cursor.execute(str(statement))


def drop_plain_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PLAIN_TABLE}")


def _body(i: int) -> dict:
    # About the size of a real status-change body, Chinese included.
    return {"field": "status", "from": "办理中", "to": "已办结", "by": "执法人员", "n": i}


def append_chained(events: int, per_transaction: int, start: int = 0) -> float:
    """Append through record_event; return the seconds taken."""
    from django.db import transaction

    from quancheng.ledger.services import record_event

    with Timer() as timer:
        end = start + events
        for first in range(start, end, per_transaction):
            with transaction.atomic():
                for i in range(first, min(first + per_transaction, end)):
                    record_event(
                        None,
                        "bench.append",
                        body=_body(i),
                        object_type="cases.case",
                        object_id=str(i % 500),
                    )
    return timer.seconds


def append_plain(events: int, per_transaction: int, start: int = 0) -> float:
    """Insert the same fields (canonical body, UTC time) without the chain; the seconds taken."""
    from django.db import transaction
    from django.utils import timezone

    from quancheng.lib.canonical import canonical_bytes

    model = plain_model()
    with Timer() as timer:
        end = start + events
        for first in range(start, end, per_transaction):
            with transaction.atomic():
                for i in range(first, min(first + per_transaction, end)):
                    model(
                        time=timezone.now().astimezone(dt.UTC),
                        actor_label="system",
                        action="bench.append",
                        object_type="cases.case",
                        object_id=str(i % 500),
                        body=canonical_bytes(_body(i)).decode(),
                    ).save(force_insert=True)
    return timer.seconds


def check_ledger(expected_events: int) -> None:
    """The chain and the Merkle tree written by the runs hold (real verification code)."""
    from quancheng.ledger.models import Event
    from quancheng.ledger.services import verify_chain
    from quancheng.ledger.tree import leaf_hash_of, tree_root
    from quancheng.lib import merkle

    count = Event.objects.count()
    if count != expected_events:
        raise AssertionError(f"{count} events in the ledger, expected {expected_events}")
    broken = verify_chain()
    if broken is not None:
        raise AssertionError(f"chain broken at event #{broken}")
    leaves = [leaf_hash_of(e) for e in Event.objects.order_by("seq").iterator(chunk_size=2000)]
    if merkle.root_hash(leaves) != tree_root():
        raise AssertionError("tree_root() differs from the root computed over all events")


def run(events: int, batch: int) -> list[dict]:
    """Run the four measurements; return one row per transaction size."""
    from quancheng.ledger.models import Event

    create_plain_table()
    before = Event.objects.count()
    rows = []
    start = 0
    try:
        # A short warm-up of both paths (connection, caches), not measured.
        warm = max(1, min(50, events // 10))
        append_plain(warm, 1, start)
        append_chained(warm, 1, start)
        start += warm
        for per_transaction in (1, batch):
            plain = append_plain(events, per_transaction, start)
            chained = append_chained(events, per_transaction, start)
            start += events
            rows.append(
                {
                    "per_transaction": per_transaction,
                    "events": events,
                    "chained_per_s": events / chained,
                    "plain_per_s": events / plain,
                    "ratio": plain / chained,
                }
            )
    finally:
        drop_plain_table()
    check_ledger(before + start)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000, help="events per run (5000)")
    parser.add_argument("--batch", type=int, default=500, help="events per batched transaction")
    parser.add_argument("--db", choices=[*DATABASES, "both"], default="sqlite")
    args = parser.parse_args(argv)
    if args.db == "both":
        rest = ["--events", str(args.events), "--batch", str(args.batch)]
        return run_each_database(__file__, rest, list(DATABASES))

    label = django_for_bench("append", args.db)
    rows = run(args.events, args.batch)
    print(f"ledger_append on {label}, {args.events} events per run")
    header = ("events/transaction", "chained ev/s", "plain ev/s", "chained/plain")
    print("{:>18} {:>13} {:>11} {:>14}".format(*header))
    for row in rows:
        print(
            f"{row['per_transaction']:>18} {row['chained_per_s']:>13.0f} "
            f"{row['plain_per_s']:>11.0f} {row['ratio']:>14.2f}"
        )
    print("chain and Merkle tree verified after the runs")
    print(machine_note())
    return 0


if __name__ == "__main__":
    sys.exit(main())

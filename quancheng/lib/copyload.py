"""Loading generated rows with PostgreSQL ``COPY`` (psycopg 3's ``cursor.copy()``).

The demo city at scale (docs/demo-city.md) writes millions of rows; ``bulk_create`` spends most
of its time building one huge parameterised INSERT per batch. Here rows go to the server as a
COPY stream instead:

- :func:`copy_objects` writes unsaved model instances (their ids reserved from the table's
  sequence first, so later rows can point at them), Blob rows de-duplicated;
- :func:`write_objects` is what the apps' bulk writers (``<app>/bulk.py``) call: COPY on
  PostgreSQL, ``bulk_create`` elsewhere;
- :func:`copy_rows` writes plain tuples to a table's columns (the ledger's events);
- :func:`secondary_indexes_dropped` drops a table's secondary indexes, unique and foreign-key
  constraints for a large load and recreates them afterwards, in the caller's transaction: if
  the load or a constraint fails, the transaction rolls back and the table is as it was;
- :class:`Rate` prints rows per second and the time left.

PostgreSQL only; SQLite keeps ``bulk_create`` (``copy_supported``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager

from django.db import connection, models


def copy_supported() -> bool:
    return connection.vendor == "postgresql"


def reserve_ids(model: type[models.Model], count: int) -> range:
    """``count`` consecutive ids from the model's id sequence, taken in one statement.

    The sequence moves past them at once; the demo city's build is the database's only writer
    of these tables (it refuses to run on a database that holds a city), so nothing else takes
    ids from between them.
    """
    if count <= 0:
        return range(0)
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(s, nextval(s) + %s - 1) FROM pg_get_serial_sequence(%s, %s) AS s",
            [count, table, column],
        )
        last = cursor.fetchone()[0]
    return range(last - count + 1, last + 1)


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.generated]


def copy_objects(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert unsaved instances with COPY, as ``bulk_create`` would (ids set on the instances)."""
    if not objs:
        return
    pk = model._meta.pk
    if isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
        missing = [obj for obj in objs if obj.pk is None]
        for obj, new_id in zip(missing, reserve_ids(model, len(missing)), strict=True):
            obj.pk = new_id
    fields = _columns(model)
    # Only the fields whose Python value is not what the driver takes need Django's prep.
    # (JSON values; choices, which may be enum members: the driver would write their names).
    prepped = {f.attname for f in fields if isinstance(f, models.JSONField) or f.choices}
    stamped = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]

    def row(obj):
        for f in stamped:
            f.pre_save(obj, add=True)
        return [
            f.get_db_prep_save(getattr(obj, f.attname), connection)
            if f.attname in prepped
            else getattr(obj, f.attname)
            for f in fields
        ]

    columns = [f.column for f in fields if f.column is not None]  # concrete fields: all of them
    copy_rows(model._meta.db_table, columns, (row(obj) for obj in objs))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def write_objects(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert unsaved instances: COPY on PostgreSQL, ``bulk_create`` elsewhere (ids set)."""
    if copy_supported():
        copy_objects(model, objs)
    else:
        model._default_manager.bulk_create(objs)


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY the rows (sequences in ``columns``' order) into ``table``; return how many."""
    qn = connection.ops.quote_name
    sql = f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
    count = 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for values in rows:
            copy.write_row(values)
            count += 1
    return count


@contextmanager
def secondary_indexes_dropped(tables: Iterable[str]):
    """Drop the tables' secondary indexes and their unique and foreign-key constraints; on
    leaving the block, recreate them as they were (same names, same definitions).

    Must run inside a transaction (``transaction.atomic``): the drops, the load and the
    recreation commit together or not at all, and a recreated unique or foreign-key constraint
    checks every loaded row, so a load that broke one fails and leaves nothing behind.
    Primary keys stay (appends in key order are cheap and other rows may point at them).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("secondary_indexes_dropped needs the caller's transaction")
    constraints: list[tuple[str, str, str]] = []
    indexes: list[str] = []
    with connection.cursor() as cursor:
        # Deferred foreign-key checks of rows this transaction wrote before would forbid the
        # ALTER TABLE ("pending trigger events"): run them now, then defer again as Django does.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table in tables:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY conname",
                [table],
            )
            for name, definition in cursor.fetchall():
                constraints.append((table, name, definition))
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT i.indisprimary",
                [table],
            )
            for name, definition in cursor.fetchall():
                indexes.append(definition)
                cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for definition in indexes:
            cursor.execute(definition)
        for table, name, definition in constraints:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def analyze(tables: Iterable[str]) -> None:
    """Fresh planner statistics for bulk-loaded tables (autovacuum would come later)."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'ANALYZE "{table}"')


class Rate:
    """Progress of a long load: done/total, rows per second, the time left."""

    def __init__(self, what: str, total: int, say: Callable[[str], None], every: float = 10.0):
        self.what, self.total, self.say, self.every = what, total, say, every
        self.started = self.last = time.perf_counter()
        self.done = 0

    def add(self, count: int, extra: str = "") -> None:
        self.done += count
        now = time.perf_counter()
        if now - self.last >= self.every or self.done >= self.total:
            self.last = now
            self.say(self.line(extra))

    def line(self, extra: str = "") -> str:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate else 0
        tail = f"，{extra}" if extra else ""
        return (
            f"{self.what} {self.done:,}/{self.total:,}，{rate:,.0f} 行/秒，"
            f"已用 {_clock(elapsed)}，预计剩余 {_clock(left)}{tail}"
        )


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

"""Loading generated rows with PostgreSQL ``COPY`` (psycopg 3's ``cursor.copy()``).

The demo city at scale (docs/demo-city.md) writes millions of rows; ``bulk_create`` spends most
of its time building one huge parameterised INSERT per batch. Here rows go to the server as a
COPY stream instead:

- :func:`copy_objects` writes unsaved model instances (their ids reserved from the table's
  sequence first, so later rows can point at them), Blob rows de-duplicated;
- :func:`write_objects` is what the apps' bulk writers (``<app>/bulk.py``) call: COPY on
  PostgreSQL, ``bulk_create`` elsewhere;
- :func:`copy_rows` writes plain tuples to a table's columns (the ledger's events);
- :func:`copy_text` writes lines the caller formatted in COPY's text format (the ledger's
  access-log filler), with :func:`copy_field` and :func:`copy_bytea` for values to escape;
- :func:`write_rows` writes plain dicts (a generated table's rows without model instances);
- :func:`drop_secondary_indexes` drops tables' secondary indexes, unique and foreign-key
  constraints for a large load, and :func:`recreate_secondary_indexes` recreates them after
  it: in one transaction, a load or a recreated constraint that fails rolls everything back and
  the tables are as they were; across transactions (the demo city), see docs/demo-city.md;
- :class:`Rate` prints rows per second and the time left.

PostgreSQL only; SQLite keeps ``bulk_create`` (``copy_supported``).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

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


def write_rows(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows given as plain dicts of field attname → value, as ``write_objects`` would
    insert the instances those dicts describe: COPY on PostgreSQL, ``bulk_create`` elsewhere.

    Cheaper than model instances for millions of generated rows (no ``Model.__init__``, no
    descriptors). Every row has the keys of the first (keys that are not field attnames are
    ignored: a writer may carry, say, the actor of the row's event); a field left out takes its
    default, evaluated once per call (a callable default such as ``timezone.now`` gives every
    row of the call the same value). The new ids are set in the dicts under the pk's attname.
    """
    if not rows:
        return
    pk = model._meta.pk
    fields = _columns(model)
    given = [f for f in fields if f.attname in rows[0]]
    if copy_supported():
        if pk.attname not in rows[0] and isinstance(
            pk, models.AutoField | models.BigAutoField | models.SmallAutoField
        ):
            for row, new_id in zip(rows, reserve_ids(model, len(rows)), strict=True):
                row[pk.attname] = new_id
            given = [f for f in fields if f.attname in rows[0]]
        defaulted = [f for f in fields if f.attname not in rows[0]]
        # The defaults once, prepared as write_objects prepares values.
        defaults = tuple(_prepper(f)(f.get_default()) for f in defaulted)
        as_is = [f for f in given if not _needs_prep(f)]
        prepped = [f for f in given if _needs_prep(f)]
        plain = [f.attname for f in as_is]
        preps = [(f.attname, _prepper(f)) for f in prepped]
        # Concrete fields: every one has a column.
        columns = [str(f.column) for f in (*as_is, *prepped, *defaulted)]
        if prepped:
            lines: Iterable[Sequence] = (
                [*[row[a] for a in plain], *[prep(row[a]) for a, prep in preps], *defaults]
                for row in rows
            )
        else:
            lines = ([*[row[a] for a in plain], *defaults] for row in rows)
        copy_rows(model._meta.db_table, columns, lines)
        return
    names = [f.attname for f in given]
    objs = [model(**{a: row[a] for a in names}) for row in rows]
    model._default_manager.bulk_create(objs)
    for row, obj in zip(rows, objs, strict=True):
        row[pk.attname] = obj.pk


def _needs_prep(field: models.Field) -> bool:
    """Whether the driver would not take the field's Python value as it is: JSON values, and
    choices (which may be enum members: the driver would write their names)."""
    return isinstance(field, models.JSONField) or bool(field.choices)


def _prepper(field: models.Field) -> Callable[[Any], Any]:
    """What prepares a value of a field that ``_needs_prep``, picked once per call rather than
    per value (a chunk of the demo city's acts has tens of thousands of choices to prepare)."""
    if isinstance(field, models.JSONField):
        return partial(field.get_db_prep_save, connection=connection)
    return _choice_value


def _choice_value(value):
    """A choice as the driver takes it: an enum member's value (``_value_``: the ``value``
    property of Python's enums costs a descriptor call each time)."""
    return value._value_ if isinstance(value, enum.Enum) else value


def write_objects(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert unsaved instances: COPY on PostgreSQL, ``bulk_create`` elsewhere (ids set)."""
    if copy_supported():
        copy_objects(model, objs)
    else:
        model._default_manager.bulk_create(objs)


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY the rows (sequences in ``columns``' order) into ``table``; return how many."""
    count = 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(_copy_sql(table, columns)) as copy:
        for values in rows:
            copy.write_row(values)
            count += 1
    return count


# COPY's text format (PostgreSQL docs, COPY, "Text Format"): a backslash starts an escape, a tab
# ends a field, a newline ends a row; carriage returns are escaped too, as the server does.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
COPY_NULL = "\\N"
# bytea's hex form \x<hex>, its backslash escaped for COPY: put before hex digits.
COPY_BYTEA_PREFIX = "\\\\x"


def copy_field(value: str | None) -> str:
    """A text value as a field of COPY's text format: ``\\N`` for None, the backslash, tab,
    newline and carriage return escaped."""
    if value is None:
        return COPY_NULL
    # Most values have nothing to escape: four scans cost a tenth of a translate(), which
    # takes microseconds on a canonical body with Chinese in it.
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def copy_bytea(value: bytes) -> str:
    """A bytea value as a field of COPY's text format (its hex form, the backslash escaped)."""
    return COPY_BYTEA_PREFIX + value.hex()


def copy_text(table: str, columns: Sequence[str], text_chunks: Iterable[str]) -> None:
    """COPY lines formatted by the caller into ``table``'s ``columns``, one ``write()`` per chunk.

    Each chunk is whole rows of COPY's text format: fields in ``columns``' order separated by
    tabs, each row ended by a newline, ``COPY_NULL`` for NULL. For generated rows by the million
    whose fields have a text form known in advance: :func:`copy_rows` dumps every field through
    psycopg's adapters (``write_row``), which costs the builder as much CPU as making the row.
    The caller answers for the text: ints, ISO 8601 times with their offset and hex digits go
    as they are; text that may hold a backslash, tab, newline or carriage return goes through
    :func:`copy_field`, bytes through :func:`copy_bytea` (or ``COPY_BYTEA_PREFIX`` + their hex).
    """
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(_copy_sql(table, columns)) as copy:
        for chunk in text_chunks:
            copy.write(chunk)


def _copy_sql(table: str, columns: Sequence[str]) -> str:
    qn = connection.ops.quote_name
    return f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"


def drop_secondary_indexes(tables: Iterable[str]) -> list[str]:
    """Drop the tables' secondary indexes and unique and foreign-key constraints; return the
    statements that recreate them (for :func:`recreate_secondary_indexes`).

    In the caller's transaction. A load that spans several transactions (the demo city's
    chunks) drops them in one and recreates them in another: until then the tables have no
    secondary indexes and nothing checks their unique or foreign keys, which only a database
    with a single writer, thrown away if the load fails, can afford (docs/demo-city.md).
    """
    constraints: list[str] = []
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
                constraints.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT i.indisprimary",
                [table],
            )
            for name, definition in cursor.fetchall():
                indexes.append(definition)
                cursor.execute(f"DROP INDEX {name}")
    return indexes + constraints


def recreate_secondary_indexes(statements: Sequence[str]) -> None:
    """Recreate what :func:`drop_secondary_indexes` dropped (indexes first, then constraints,
    which check every row), in the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for statement in statements:
            cursor.execute(statement)


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

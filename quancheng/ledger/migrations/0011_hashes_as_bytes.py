"""The ledger's big hash columns hold the 32 digest bytes instead of 64 hex characters.

``Event.hash``, ``Event.prev_hash`` and ``SubtreeHash.hash`` become ``Sha256Field`` (``bytea`` on
PostgreSQL, ``BLOB`` on SQLite; Python still reads lowercase hex), and ``Event.hash`` is unique
through a named ``UniqueConstraint`` (no ``varchar_pattern_ops`` twin index on PostgreSQL).
Every stored hash is converted, none changed: a value that is not 64 lowercase hex characters
stops the migration before anything is converted.

1. On SQLite, the append-only guards are dropped: each table rebuild below drops its table's
   triggers, and the staged-event guard (0006) names ``ledger_event``, which stops the rebuilt
   table's rename (as in 0008).
2. ``Event.hash`` loses ``unique=True`` (PostgreSQL: the constraint and its ``_like`` index).
3. The columns change type, their values converted in place: PostgreSQL
   ``ALTER COLUMN ... TYPE bytea USING decode(..., 'hex')`` (a table rewrite, which fires no
   row triggers); SQLite rebuilds each table with ``BLOB`` columns and converts the values with
   an UPDATE (the guards are off).
4. The unique constraint on ``Event.hash`` is added.
5. On SQLite the guards are created again, exactly as 0003, 0005 and 0006 made them.

Reversible: backwards the columns go back to hex text (``encode(..., 'hex')``, SQLite
``lower(hex(...))``) and ``hash`` to ``unique=True``.
"""

import importlib
import re

from django.db import migrations, models

import quancheng.ledger.fields

EVENT_GUARD = importlib.import_module("quancheng.ledger.migrations.0003_append_only_triggers")
TREE_GUARD = importlib.import_module("quancheng.ledger.migrations.0005_merkle_guard_and_backfill")
STAGED_GUARD = importlib.import_module("quancheng.ledger.migrations.0006_staged_events")

# (model, its table, its hash columns)
COLUMNS = [
    ("Event", "ledger_event", ("hash", "prev_hash")),
    ("SubtreeHash", "ledger_subtreehash", ("hash",)),
]
HEX = re.compile(r"[0-9a-f]{64}")


def _sqlite(*statement_lists):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for statements in statement_lists:
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


DROP_GUARDS = _sqlite(STAGED_GUARD.SQLITE_DOWN, EVENT_GUARD.SQLITE_DOWN, TREE_GUARD.SQLITE_DOWN)
CREATE_GUARDS = _sqlite(EVENT_GUARD.SQLITE_UP, TREE_GUARD.SQLITE_UP, STAGED_GUARD.SQLITE_UP)


def _is_hex_digest(value) -> bool:
    return isinstance(value, str) and HEX.fullmatch(value) is not None


def _unhex(value: str) -> bytes:
    if not _is_hex_digest(value):
        raise ValueError(f"not a lowercase hex SHA-256 digest: {value!r}")
    return bytes.fromhex(value)


def _check_hex(schema_editor) -> None:
    """Stop before converting anything if a stored hash is not 64 lowercase hex characters."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for _, table, columns in COLUMNS:
            if connection.vendor == "postgresql":
                bad = " OR ".join(f"{c} !~ '^[0-9a-f]{{64}}$'" for c in columns)
            else:
                bad = " OR ".join(f"NOT qc_is_hex_digest({c})" for c in columns)
            cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {bad} LIMIT 1")  # noqa: S608
            row = cursor.fetchone()
            if row is not None:
                raise RuntimeError(
                    f"{table} holds a hash that is not a lowercase hex SHA-256 digest {row!r}; "
                    "nothing was converted: verify the ledger (manage.py verify_ledger)"
                )


class StoreHashesAsBytes(migrations.operations.base.Operation):
    """Step 3: the hash columns' type and values, and the fields in the migration state."""

    reversible = True

    def __init__(self):
        self.fields = [
            migrations.AlterField(
                model_name=model.lower(),
                name=column,
                field=quancheng.ledger.fields.Sha256Field(),
            )
            for model, _, columns in COLUMNS
            for column in columns
        ]

    def deconstruct(self):
        return (self.__class__.__name__, [], {})

    def state_forwards(self, app_label, state):
        for operation in self.fields:
            operation.state_forwards(app_label, state)

    def describe(self):
        return "Store the ledger's hashes as 32 bytes"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        connection = schema_editor.connection
        if connection.vendor == "sqlite":
            connection.connection.create_function(
                "qc_is_hex_digest", 1, _is_hex_digest, deterministic=True
            )
            connection.connection.create_function("qc_unhex", 1, _unhex, deterministic=True)
        _check_hex(schema_editor)
        for model, table, columns in COLUMNS:
            if connection.vendor == "postgresql":
                changes = ", ".join(
                    f"ALTER COLUMN {c} TYPE bytea USING decode({c}, 'hex')" for c in columns
                )
                schema_editor.execute(f"ALTER TABLE {table} {changes}")
                continue
            self._remake_sqlite(schema_editor, model, columns[0], from_state, to_state)
            values = ", ".join(f"{c} = qc_unhex({c})" for c in columns)
            schema_editor.execute(f"UPDATE {table} SET {values}")  # noqa: S608

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        connection = schema_editor.connection
        for model, table, columns in COLUMNS:
            if connection.vendor == "postgresql":
                changes = ", ".join(
                    f"ALTER COLUMN {c} TYPE varchar(64) USING encode({c}, 'hex')" for c in columns
                )
                schema_editor.execute(f"ALTER TABLE {table} {changes}")
                continue
            # from_state is the state with the bytes here, to_state the one with hex.
            self._remake_sqlite(schema_editor, model, columns[0], from_state, to_state)
            values = ", ".join(f"{c} = lower(hex({c}))" for c in columns)
            schema_editor.execute(f"UPDATE {table} SET {values}")  # noqa: S608

    @staticmethod
    def _remake_sqlite(schema_editor, model, column, from_state, to_state):
        """One table rebuild with every column as ``to_state`` declares it (values copied)."""
        old = from_state.apps.get_model("ledger", model)
        new = to_state.apps.get_model("ledger", model)
        schema_editor.alter_field(new, old._meta.get_field(column), new._meta.get_field(column))


class Migration(migrations.Migration):
    dependencies = [("ledger", "0010_named_lease")]

    operations = [
        migrations.RunPython(DROP_GUARDS, CREATE_GUARDS),
        migrations.AlterField(
            model_name="event",
            name="hash",
            field=models.CharField(max_length=64),
        ),
        StoreHashesAsBytes(),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(fields=("hash",), name="ledger_event_hash_unique"),
        ),
        migrations.RunPython(CREATE_GUARDS, DROP_GUARDS),
    ]

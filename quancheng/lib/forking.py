"""Work shared among forked processes: when the database allows it, and how many."""

import os

from django.db import connection


def can_fork(writes: bool = False) -> bool:
    """Whether forked processes, each with its own connection, see what this one sees.

    Not inside a transaction (they would not see what it has not committed), nor on an
    in-memory SQLite database (the tests'); processes that write need PostgreSQL (SQLite takes
    one writer at a time).
    """
    if connection.in_atomic_block:
        return False
    if connection.vendor == "sqlite":
        return not writes and not connection.is_in_memory_db()  # type: ignore[attr-defined]  # SQLite's wrapper only
    return True


def cores() -> int:
    """The cores this process may run on (at most 8: beyond that the database is the bound)."""
    return max(1, min(len(os.sched_getaffinity(0)), 8))

"""Transactions that say what they mean (docs/transactions.md).

A public service that changes state is ``@transaction.atomic(durable=True)``: when it returns,
its change and the ledger events recording it are committed, and calling it inside someone
else's transaction is a RuntimeError. The helpers it calls are private and open none of their
own; a public service never calls another one.

:func:`batch` is the one exception, for callers that make many changes at once for speed (the
demo builders): inside it, durable services called directly in the batch's block join its
transaction instead of refusing. A service called by another service still refuses, batch or
not, because Django checks only the innermost block.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, transaction


@contextmanager
def batch(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """One transaction for many durable service calls (the demo builders): all or none commit.

    Django lets a durable block nest only inside a test case's wrapping block
    (``Atomic._from_testcase``), so the batch's block carries that mark, and ``is_batch`` for
    the ledger, which must count it as the caller's own transaction (``is_callers_block``).
    """
    block = transaction.atomic(using=using)
    block._from_testcase = True  # type: ignore[attr-defined]  # Django's own mark; not in the stubs
    block.is_batch = True  # type: ignore[attr-defined]  # ours, read by is_callers_block
    with block:
        yield


def is_callers_block(block) -> bool:
    """True for an atomic block the code opened (a batch included), not a test case's wrapping."""
    return not block._from_testcase or getattr(block, "is_batch", False)

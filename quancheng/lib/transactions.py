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

import threading
from collections.abc import Callable, Iterator
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


_coalesced = threading.local()


@contextmanager
def after_commits_coalesced() -> Iterator[None]:
    """Inside: work that would run after each commit (``run_once_after``) runs once, when the
    outermost such block ends without an exception.

    For long operations of many transactions (evaluating every act of a city) whose after-commit
    work recomputes derived data that one run brings fully up to date (the statistics rollups):
    after each of thousands of commits it would recompute the same cells thousands of times.
    Until the block ends, readers of that data must not rely on the hook having run (the
    rollups' readers apply pending marks themselves). On an exception the hooks are dropped:
    what they would have done is left for the next reader or run.
    """
    if getattr(_coalesced, "hooks", None) is not None:
        yield
        return
    _coalesced.hooks = {}
    try:
        yield
    finally:
        hooks = list(_coalesced.hooks)
        _coalesced.hooks = None
    for hook in hooks:  # reached only when the block ended without an exception
        hook()


@contextmanager
def after_commits_collected() -> Iterator[list[Callable[[], None]]]:
    """Like ``after_commits_coalesced``, but the hooks are not run: at the end they are put
    into the yielded list (a worker process hands them to its parent, which runs them once)."""
    saved = getattr(_coalesced, "hooks", None)
    _coalesced.hooks = {}
    taken: list[Callable[[], None]] = []
    try:
        yield taken
    finally:
        taken.extend(_coalesced.hooks)
        _coalesced.hooks = saved


def run_once_after(hook: Callable[[], None]) -> bool:
    """Inside ``after_commits_coalesced``: note ``hook`` to run once at its end, and True;
    outside it: False (the caller registers its own ``on_commit``)."""
    hooks = getattr(_coalesced, "hooks", None)
    if hooks is None:
        return False
    hooks[hook] = None
    return True

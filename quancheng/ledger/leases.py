"""Leases on singleton roles: at most one holder at a time, whichever process or machine.

The ledger's integrator (ledger/integrator.py) is such a role, the lease ``ledger.integrator``.
A :class:`~quancheng.ledger.models.NamedLease` row per role holds its holder, expiry and a
generation counter (incremented at each hand-over):

1. :func:`hold`, in the caller's transaction, locks the row and takes or renews the lease when it
   is free, expired or already the holder's; the row lock fences the transaction's work, the
   expiry carries the role over to the holder's next transaction;
2. a holder that stops renewing (killed, machine lost) loses the role once the expiry passes;
3. :func:`let_go` gives it up at once (a holder that stops cleanly).

It lives in the ledger, the lowest app that needs it; the background jobs' own leases (one per
running task) are quancheng.jobs.leases.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .models import NamedLease


def hold(name: str, holder: str, seconds: float, *, wait: bool) -> NamedLease | None:
    """Take or renew the lease ``name`` for ``holder``, in the caller's transaction.

    Locks the lease's row until the transaction ends (``wait=False``: give up at once if another
    transaction holds it, with SKIP LOCKED). Returns the lease if ``holder`` holds it now (it was
    free, expired or already its own; the expiry moves ``seconds`` ahead), else None. While the
    transaction runs, nobody else can take the lease: the row lock is the fence, the expiry
    carries the holding over from one transaction to the next.
    """
    now = timezone.now()
    NamedLease.objects.get_or_create(name=name)
    rows = NamedLease.objects.select_for_update(skip_locked=not wait).filter(name=name)
    lease = rows.first()
    if lease is None:
        return None
    if lease.holder and lease.holder != holder and lease.expires_at and lease.expires_at > now:
        return None
    if lease.holder != holder:
        lease.generation += 1
        lease.acquired_at = now
        lease.holder = holder
    lease.expires_at = now + dt.timedelta(seconds=seconds)
    lease.save()
    return lease


def lock(name: str) -> None:
    """Wait for the lease's row lock (the fence) until the caller's transaction ends, whoever
    holds the lease."""
    NamedLease.objects.get_or_create(name=name)
    NamedLease.objects.select_for_update().filter(name=name).first()


def let_go(name: str, holder: str) -> None:
    """Give the lease up (a holder that stops cleanly), so that another may take it at once."""
    NamedLease.objects.filter(name=name, holder=holder).update(holder="", expires_at=None)

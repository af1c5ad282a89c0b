"""Access requests and provisions in bulk, for generated data (the demo city at scale,
docs/demo-city.md): the rows by COPY on PostgreSQL (``lib.copyload.write_objects``), each with
its ledger event appended in the caller's transaction. Real ones go through ``requests`` and
``provisions``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from quancheng.ledger.actions import Action
from quancheng.ledger.bulk import EventSpec, append_events
from quancheng.lib.copyload import write_objects

from .models import AccessRequest, Provision


def add_access_requests(requests: Sequence[AccessRequest], extra: Mapping[str, Any]) -> int:
    """Write unsaved access requests (decided or not) and their ``access.requested`` events;
    return how many events."""
    write_objects(AccessRequest, requests)
    return append_events(
        EventSpec(
            Action.ACCESS_REQUESTED,
            "access.accessrequest",
            str(r.pk),
            {**extra, "act": r.act_id, "status": r.status},
            r.requested_by,
            r.agency_id,
        )
        for r in requests
    )


def add_provisions(provisions: Sequence[Provision], extra: Mapping[str, Any]) -> int:
    """Write unsaved provisions (already provided) and their ``access.provided`` events; return
    how many events."""
    write_objects(Provision, provisions)
    return append_events(
        EventSpec(
            Action.ACCESS_PROVIDED,
            "access.provision",
            str(p.pk),
            {**extra, "act": p.act_id, "recipient": p.recipient},
            p.registered_by,
            p.agency_id,
        )
        for p in provisions
    )

"""Registrations written in bulk, for generated data (the demo city at scale,
docs/demo-city.md): the rows by COPY on PostgreSQL (``lib.copyload.write_objects``), each with
its ``registration.registered`` event appended in the caller's transaction. Real
registrations go through ``services``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from quancheng.ledger.actions import Action
from quancheng.ledger.bulk import EventSpec, append_events
from quancheng.lib.copyload import write_objects

from .models import ActRegistration


def add_registrations(registrations: Sequence[ActRegistration], extra: Mapping[str, Any]) -> int:
    """Write unsaved registrations and their events, with ``extra`` in each body; return the
    number of events."""
    write_objects(ActRegistration, registrations)
    return append_events(
        EventSpec(
            Action.REGISTRATION_REGISTERED,
            "registration.actregistration",
            str(r.pk),
            {
                **extra,
                "act": r.act_id,
                "on_time": r.on_time,
                "deadline": r.deadline.isoformat(),
            },
            r.registered_by,
            r.registered_by.agency_id,
        )
        for r in registrations
    )

"""Acts written in bulk, for generated data (the demo city at scale, docs/demo-city.md).

The one way generated acts reach the database: the rows go by COPY on PostgreSQL
(``lib.copyload.write_objects``), and each act gets its ``act.created`` event, appended in the
caller's transaction by the ledger's bulk writer, so that rows and events commit together.
Real acts go through ``services.create_act``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from quancheng.ledger.actions import Action
from quancheng.ledger.bulk import EventSpec, append_events
from quancheng.lib.copyload import write_objects, write_rows

from .models import Act

if TYPE_CHECKING:
    from quancheng.orgs.models import User


def add_acts(acts: Sequence[tuple[Act, Sequence[User]]], extra: Mapping[str, Any]) -> int:
    """Write unsaved acts with their officers (the first is the actor of ``act.created``), and
    their events with ``extra`` in each body; return the number of events."""
    write_objects(Act, [act for act, _ in acts])
    write_rows(
        Act.officers.through,
        [{"act_id": act.pk, "user_id": o.pk} for act, officers in acts for o in officers],
    )
    return append_events(
        EventSpec(
            Action.ACT_CREATED,
            "cases.act",
            str(act.pk),
            {
                **extra,
                "kind": act.kind,
                "started_at": act.started_at.isoformat(),
                "ended_at": act.ended_at.isoformat(),
                "subject": act.subject_id,
                "officers": [o.pk for o in officers],
            },
            officers[0],
            act.agency_id,
        )
        for act, officers in acts
    )

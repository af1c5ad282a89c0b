"""Markers and written explanations in bulk, for generated data (the demo city at scale,
docs/demo-city.md): the rows by COPY on PostgreSQL (``lib.copyload.write_rows`` for the many
markers, given as plain dicts; ``write_objects`` for explanations), each with its ledger event
appended in the caller's transaction. Real ones go through ``services``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from quancheng.ledger.actions import Action
from quancheng.ledger.bulk import EventSpec, append_events
from quancheng.lib.copyload import write_objects, write_rows

from .models import Explanation, Marker


def add_markers(markers: Sequence[dict[str, Any]], extra: Mapping[str, Any]) -> int:
    """Write marker rows (dicts of field attname → value, as ``copyload.write_rows`` takes
    them, plus ``created_by``: the User, actor of the event) and their ``marker.added`` events;
    set each row's ``id``; return how many events."""
    write_rows(Marker, markers)
    return append_events(
        EventSpec(
            Action.MARKER_ADDED,
            "compliance.marker",
            str(m["id"]),
            {**extra, "segment": m["segment_id"], "kind": m["kind"]},
            m["created_by"],
            m["created_by"].agency_id,
        )
        for m in markers
    )


def add_explanations(explanations: Sequence[Explanation], extra: Mapping[str, Any]) -> int:
    """Write unsaved explanations and their ``explanation.added`` events (on the act); return
    how many events."""
    write_objects(Explanation, explanations)
    return append_events(
        EventSpec(
            Action.EXPLANATION_ADDED,
            "cases.act",
            str(e.act_id),
            {**extra, "kind": e.kind, "explanation": e.pk},
            e.requested_by,
            e.requested_by.agency_id,
        )
        for e in explanations
    )

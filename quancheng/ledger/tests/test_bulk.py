"""append_events writes exactly what one record_event per event would write (one builder)."""

import pytest
from django.db import transaction

from quancheng.ledger.actions import Action
from quancheng.ledger.bulk import EventSpec, append_events
from quancheng.ledger.models import Event, LedgerHead, SubtreeHash
from quancheng.ledger.services import record_event
from quancheng.ledger.tree import tree_root
from quancheng.ledger.verify import verify_ledger
from quancheng.lib import merkle

pytestmark = pytest.mark.django_db

STEPS = (Action.CASE_CREATED, Action.CASE_UPDATED, Action.CASE_STAGE_CHANGED)


def _specs(officer, n):
    return [
        EventSpec(
            action=STEPS[i % 3],
            object_type="cases.act",
            object_id=str(i),
            body={"n": i, "名称": "演示"},
            actor=officer if i % 2 else None,
            agency_id=officer.agency_id,
        )
        for i in range(n)
    ]


def _rows():
    events = [e.entry() | {"hash": e.hash} for e in Event.objects.order_by("seq")]
    subtrees = sorted(SubtreeHash.objects.values_list("level", "index", "hash"))
    head = LedgerHead.objects.values_list("seq", "hash", "frontier").get()
    return events, subtrees, head


class _Rollback(Exception):
    pass


def test_bulk_append_writes_the_rows_of_one_by_one_appends(officer):
    with transaction.atomic():
        record_event(officer, Action.CASE_CREATED, object_type="x", object_id="1")
    before = Event.objects.count()
    specs = _specs(officer, 37)
    # 1. One by one through record_event, then rolled back; the times are kept for the bulk run.
    try:
        with transaction.atomic():
            for spec in specs:
                event = record_event(
                    spec.actor,
                    spec.action,
                    object_type=spec.object_type,
                    object_id=spec.object_id,
                    body=spec.body,
                    agency=officer.agency if spec.agency_id else None,
                )
                spec.time = event.time
            expected = _rows()
            entry_bytes = [e.entry_bytes() for e in Event.objects.filter(seq__gt=before)]
            raise _Rollback
    except _Rollback:
        pass
    assert Event.objects.count() == before
    # 2. The same events in bulk, in chunks smaller than the batch.
    with transaction.atomic():
        assert append_events(specs, chunk=5) == 37
    assert _rows() == expected
    # Byte for byte: the entries (what is hashed and what a bundle carries) are the same.
    assert [e.entry_bytes() for e in Event.objects.filter(seq__gt=before)] == entry_bytes


def test_bulk_refuses_a_free_string_action(officer):
    spec = EventSpec("case.created", "cases.case", "1", {}, officer, officer.agency_id)
    with transaction.atomic(), pytest.raises(TypeError):
        append_events([spec])


def test_bulk_appends_and_record_event_interleave_into_a_verifiable_ledger(officer):
    with transaction.atomic():
        record_event(officer, Action.CASE_CREATED, object_type="x", object_id="1")
    with transaction.atomic():
        append_events(_specs(officer, 100), chunk=16)
    with transaction.atomic():
        record_event(officer, Action.CASE_UPDATED, object_type="x", object_id="2")
    report = verify_ledger()
    assert report.ok, report.summary()
    assert report.size == Event.objects.count()
    leaves = [merkle.leaf_hash(e.entry_bytes()) for e in Event.objects.order_by("seq")]
    assert tree_root() == merkle.root_hash(leaves)


def test_the_view_filler_writes_the_rows_of_append_events(officer, custodian):
    """append_views builds its entries from a text template: the same rows as append_events."""
    import datetime as dt

    from quancheng.ledger.bulk import Viewer, append_views

    with transaction.atomic():
        record_event(officer, Action.CASE_CREATED, object_type="x", object_id="1")
    at = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)
    viewers = {officer.agency_id: Viewer(custodian.pk, custodian.username, officer.agency_id)}
    targets = [(11, officer.agency_id), (12, officer.agency_id), (13, officer.agency_id)]
    try:
        with transaction.atomic():
            assert append_views(37, targets, viewers, at, seed=3) == 37
            templated = _rows()
            raise _Rollback
    except _Rollback:
        pass
    # The same events through append_events: the filler's seq numbers give its times.
    start = Event.objects.count()
    import random

    rng = random.Random(3)
    specs = []
    for n in range(1, 38):
        segment, agency = targets[rng.randrange(len(targets))]
        specs.append(
            EventSpec(
                Action.SEGMENT_VIEWED,
                "records.segment",
                str(segment),
                {"via": "demo-city"},
                custodian,
                agency,
                at + dt.timedelta(microseconds=start + n),
            )
        )
    with transaction.atomic():
        append_events(specs, chunk=8)
    assert _rows() == templated
    assert verify_ledger().ok

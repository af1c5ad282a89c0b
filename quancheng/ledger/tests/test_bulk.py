"""append_events writes exactly what one record_event per event would write (one builder), and
append_views, the filler, what append_events writes."""

import datetime as dt
import gc
import random

import pytest
from django.db import connection, transaction

from quancheng.ledger import bulk
from quancheng.ledger.actions import Action
from quancheng.ledger.bulk import EventSpec, Viewer, append_events, append_views
from quancheng.ledger.entry import utc_stamp
from quancheng.ledger.models import Event, LedgerHead, SubtreeHash
from quancheng.ledger.services import record_event
from quancheng.ledger.tree import tree_root
from quancheng.ledger.verify import verify_ledger
from quancheng.lib import merkle
from quancheng.lib.copyload import copy_text

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


# Characters that COPY's text format and the entry's JSON both escape.
TRICKY = "王芳\\wf\tcr\rlf\n"


@pytest.mark.parametrize("username", ["wangfang", TRICKY])
def test_bulk_append_writes_the_rows_of_one_by_one_appends(officer, monkeypatch, username):
    """append_events writes what one record_event per event writes, byte for byte, and on
    PostgreSQL as COPY text it formats itself (never copy_rows' write_row): for a username and
    bodies COPY must escape, with Chinese and nested values; and the ledger verifies."""
    officer.username = username
    officer.save()
    with transaction.atomic():
        record_event(officer, Action.CASE_CREATED, object_type="x", object_id="1")
    before = Event.objects.count()
    specs = _specs(officer, 37)
    for n, spec in enumerate(specs):
        spec.body["nested"] = {"list": [n, "二", None, True], "note": TRICKY, "空": {}}
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
    monkeypatch.setattr(bulk, "copy_rows", _refuse_write_row)
    with transaction.atomic():
        assert append_events(specs, chunk=5) == 37
    assert _rows() == expected
    # Byte for byte: the entries (what is hashed and what a bundle carries) are the same.
    assert [e.entry_bytes() for e in Event.objects.filter(seq__gt=before)] == entry_bytes
    assert Event.objects.filter(actor_label=username).count() == 1 + 18  # odd specs: officer's
    report = verify_ledger()
    assert report.ok, report.summary()


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


@pytest.mark.parametrize(
    "username",
    [
        "wangfang",
        # Characters that COPY's text format and the entry's JSON both escape.
        "王芳\\wf\tcr\rlf\n",
    ],
)
def test_the_view_filler_writes_the_rows_of_append_events(
    officer, custodian, monkeypatch, username
):
    """append_views builds its entries from a text template and, on PostgreSQL, its rows as COPY
    text (copyload.copy_text, never copy_rows' write_row): the same rows as append_events, for
    a username COPY must escape too, across chunks; and the ledger verifies."""
    custodian.username = username
    custodian.save()
    with transaction.atomic():
        record_event(officer, Action.CASE_CREATED, object_type="x", object_id="1")
    at = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)
    agency = officer.agency_id
    targets = [(11, agency), (12, agency), (13, agency)]
    # 1. The events through append_events, rolled back: the filler's seq numbers give its times
    # and its seeded random picks the segments.
    start = Event.objects.count()
    rng = random.Random(3)
    specs = [
        EventSpec(
            Action.SEGMENT_VIEWED,
            "records.segment",
            str(targets[rng.randrange(len(targets))][0]),
            {"via": "demo-city"},
            custodian,
            agency,
            at + dt.timedelta(microseconds=start + n),
        )
        for n in range(1, 38)
    ]
    try:
        with transaction.atomic():
            append_events(specs, chunk=8)
            expected = _rows()
            raise _Rollback
    except _Rollback:
        pass
    # 2. The filler, in chunks of 8, with copy_rows refused and copy_text counted.
    copied = []

    def count_copy_text(table, columns, chunks):
        copied.append(table)
        copy_text(table, columns, chunks)

    monkeypatch.setattr(bulk, "VIEW_CHUNK", 8)
    monkeypatch.setattr(bulk, "copy_rows", _refuse_write_row)
    monkeypatch.setattr(bulk, "copy_text", count_copy_text)
    viewers = {agency: Viewer(custodian.pk, custodian.username, agency)}
    with transaction.atomic():
        assert append_views(37, targets, viewers, at, seed=3) == 37
    assert len(copied) == (10 if connection.vendor == "postgresql" else 0)  # 5 chunks, 2 tables
    assert _rows() == expected
    assert Event.objects.filter(actor_label=username).count() == 37
    report = verify_ledger()
    assert report.ok, report.summary()
    assert gc.isenabled()  # paused for the filler's loop only


def test_the_filler_turns_the_cycle_collector_back_on_when_it_fails(officer, custodian):
    viewers = {officer.agency_id: Viewer(custodian.pk, custodian.username, officer.agency_id)}
    at = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)
    with transaction.atomic(), pytest.raises(KeyError):  # an agency without a viewer
        append_views(3, [(11, officer.agency_id + 1000)], viewers, at)
    assert gc.isenabled()


def _refuse_write_row(*args):
    raise AssertionError("the bulk writers write their rows as COPY text, not by write_row")


def test_the_filler_times_cross_seconds_as_the_entries_write_them():
    """The filler formats the date and time once per second: across a second boundary its
    times are still entry.utc_stamp's of base + seq microseconds."""
    base = dt.datetime(2026, 6, 15, 4, 0, 59, tzinfo=dt.UTC)
    first = 2_999_998
    assert list(bulk._stamps(base, first, 5)) == [
        utc_stamp(base + dt.timedelta(microseconds=seq)) for seq in range(first, first + 5)
    ]

"""Retention per item (A22): dossier, evidence, the 6-month minimum, preview and apply."""

import datetime as dt
import json
from types import SimpleNamespace

import pytest
import time_machine
from django.core.management import call_command
from django.utils.module_loading import import_string

from quancheng.alerts.models import Alert
from quancheng.archive import retention
from quancheng.archive.models import ItemRetention, RetentionClass, RetentionConfig
from quancheng.archive.retention import (
    PolicyChangeRefused,
    apply_min_months,
    preview_change,
    recompute_for_dossier,
    recompute_for_items,
    store_until,
)
from quancheng.ledger.models import Event
from quancheng.records.items import set_evidence

from .conftest import freeze_dossier, make_document, make_segment, shanghai

pytestmark = pytest.mark.django_db


def row(item) -> ItemRetention:
    return ItemRetention.objects.get(item_kind=item._meta.model_name, item_id=item.pk)


def test_non_evidence_av_is_kept_six_months_from_recording(officer, act):
    segment = make_segment(officer, act, started_at=shanghai(2026, 3, 31, 8))

    assert recompute_for_items([("segment", segment.pk)]) == 1

    r = row(segment)
    assert r.retain_until == dt.date(2026, 9, 30)  # no 31 September: month end
    assert not r.pending and not r.on_hold
    assert "6个月" in r.basis
    event = Event.objects.filter(action="retention.recomputed").last()
    assert json.loads(event.body)["items"][0]["after"] == "2026-09-30"


def test_recording_time_in_shanghai_decides_the_day(officer, act):
    # 2026-03-31 23:30 UTC is already 1 April in Chongqing.
    segment = make_segment(officer, act, started_at=dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC))
    recompute_for_items([("segment", segment.pk)])
    assert row(segment).retain_until == dt.date(2026, 10, 1)


def test_items_without_a_frozen_dossier_are_pending(officer, act):
    evidence = make_segment(officer, act, is_evidence=True)
    document = make_document(officer, act)

    recompute_for_items([("segment", evidence.pk), ("document", document.pk)])

    for item in (evidence, document):
        assert row(item).pending
        assert row(item).retain_until is None


def test_items_follow_their_frozen_dossier(officer, custodian, act):
    evidence = make_segment(officer, act, is_evidence=True)
    document = make_document(officer, act)
    dossier = freeze_dossier(act, custodian, archived_on=dt.date(2026, 5, 6), items=[document])

    recompute_for_dossier(dossier)

    # The document is an entry; the evidence AV belongs to the dossier through its act.
    for item in (evidence, document):
        assert row(item).retain_until == dt.date(2036, 5, 6)
        assert not row(item).pending
        assert dossier.number in row(item).basis


def test_a_permanent_dossier_keeps_its_items_for_ever(officer, custodian, act):
    segment = make_segment(officer, act)
    dossier = freeze_dossier(
        act, custodian, retention_class=RetentionClass.PERMANENT, archived_on=dt.date(2026, 5, 6)
    )
    recompute_for_dossier(dossier)

    r = row(segment)
    assert r.retain_until is None and not r.pending
    assert "永久" in r.basis


def test_non_evidence_av_in_a_short_dossier_keeps_the_six_months(officer, custodian, act):
    segment = make_segment(officer, act, started_at=shanghai(2026, 5, 1))
    dossier = freeze_dossier(act, custodian, archived_on=dt.date(2026, 5, 6))
    dossier.retain_until = dt.date(2026, 6, 1)  # a dossier date earlier than the minimum
    dossier.save()
    recompute_for_dossier(dossier)
    assert row(segment).retain_until == dt.date(2026, 11, 1)


def test_marking_evidence_recomputes(officer, act):
    segment = make_segment(officer, act)
    recompute_for_items([("segment", segment.pk)])
    assert not row(segment).pending

    set_evidence(officer, segment, True)

    assert row(segment).pending  # evidence now follows a dossier that is not frozen yet
    assert Event.objects.filter(action="retention.recomputed").count() == 2


def test_store_retention_runs_to_the_end_of_the_day_in_shanghai(officer, act):
    segment = make_segment(officer, act, started_at=shanghai(2026, 1, 10))
    recompute_for_items([("segment", segment.pk)])
    until = store_until(row(segment))
    assert until == dt.datetime(2026, 7, 11, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_a_permanent_item_is_locked_a_hundred_years_ahead(officer, custodian, act):
    make_segment(officer, act)
    dossier = freeze_dossier(
        act, custodian, retention_class=RetentionClass.PERMANENT, archived_on=dt.date(2026, 5, 6)
    )
    recompute_for_dossier(dossier)
    r = ItemRetention.objects.get()
    with time_machine.travel(dt.datetime(2027, 1, 1, tzinfo=dt.UTC), tick=False):
        assert store_until(r).year == 2127


def test_preview_shows_changes_without_saving(officer, act):
    a = make_segment(officer, act, started_at=shanghai(2026, 1, 10))
    b = make_segment(officer, act, started_at=shanghai(2026, 2, 10), is_evidence=True)
    recompute_for_items([("segment", a.pk), ("segment", b.pk)])
    events = Event.objects.count()

    count, rows = preview_change(min_months=12)

    assert count == 1
    assert rows[0].ref == ("segment", a.pk)
    assert (rows[0].before, rows[0].after) == ("2026-07-10", "2027-01-10")
    assert row(a).retain_until == dt.date(2026, 7, 10)  # nothing saved
    assert Event.objects.count() == events


def test_preview_of_a_dossier_class_change(officer, custodian, act):
    document = make_document(officer, act)
    dossier = freeze_dossier(act, custodian, archived_on=dt.date(2026, 5, 6), items=[document])
    recompute_for_dossier(dossier)

    count, rows = preview_change(classes={"inspection": RetentionClass.Y30})

    assert count == 1
    assert (rows[0].before, rows[0].after) == ("2036-05-06", "2056-05-06")


def test_applying_the_minimum_is_logged_and_recomputes(officer, act, city_admin):
    a = make_segment(officer, act, started_at=shanghai(2026, 1, 10))
    recompute_for_items([("segment", a.pk)])

    changed = apply_min_months(city_admin, 12)

    assert changed == 1
    assert row(a).retain_until == dt.date(2027, 1, 10)
    # One model of the retention rules: the minimum is a version of the retention configuration.
    assert RetentionConfig.objects.get().data["non_evidence_min_months"] == 12
    event = Event.objects.get(action="archive.retention_config_changed")
    assert json.loads(event.body)["changed"] == {"non_evidence_min_months": [6, 12]}


def test_the_minimum_cannot_go_below_the_law_nor_be_changed_by_others(custodian, city_admin):
    with pytest.raises(PolicyChangeRefused, match="不得少于6个月"):
        apply_min_months(city_admin, 5)
    with pytest.raises(PolicyChangeRefused):
        apply_min_months(custodian, 12)
    assert not RetentionConfig.objects.exists()


def test_the_command_and_the_daily_job(officer, act, settings):
    segment = make_segment(officer, act)

    call_command("recompute_retention")

    assert row(segment).retain_until is not None
    task, interval = settings.QC_SCHEDULE["retention_recompute"]
    assert interval == 24 * 3600
    assert import_string(task).name == "recompute_retention"


def test_disposed_items_are_not_recomputed(officer, act):
    segment = make_segment(officer, act, started_at=shanghai(2026, 1, 10))
    recompute_for_items([("segment", segment.pk)])
    ItemRetention.objects.update(disposed=True)
    set_evidence(officer, segment, True)
    assert not row(segment).pending


def test_s3_permanent_items_are_locked_a_hundred_years(
    s3_blob_store, officer, custodian, act, django_capture_on_commit_callbacks
):
    segment = make_segment(officer, act)
    dossier = freeze_dossier(
        act, custodian, retention_class=RetentionClass.PERMANENT, archived_on=dt.date(2026, 5, 6)
    )
    with django_capture_on_commit_callbacks(execute=True):
        recompute_for_dossier(dossier)
    mode, until = s3_blob_store.retention(segment.blob_id)
    assert mode == "COMPLIANCE"
    assert until.year >= dt.date.today().year + 99  # noqa: DTZ011 - a coarse bound


def test_a_store_that_refuses_the_retention_raises_an_alert_after_the_commit(agency):
    # sync_store runs after the commit (on_commit), outside any transaction: the alert opens its
    # own (raise_alert requires one, and before it did this path raised LedgerOutsideTransaction).
    class RefusingStore:
        def extend_retention(self, sha256, until):
            raise OSError("retention refused")

    until = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    retention._sync_blob(RefusingStore(), "ab" * 32, until, False, SimpleNamespace(agency=agency))
    alert = Alert.objects.get(kind="retention.store_sync_failed")
    assert alert.detail["error"] == "OSError: retention refused"

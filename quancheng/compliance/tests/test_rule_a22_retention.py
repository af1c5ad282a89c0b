"""A22-retention: evidence AV and documents kept as long as their dossier, other AV 6 months."""

import datetime as dt

import pytest

from quancheng.archive.models import Dossier, ItemRetention, RetentionClass

from .scene import START

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A22-retention")]


def _dossier(built, custodian, status=Dossier.Status.FROZEN, retain_until=dt.date(2056, 12, 31)):
    return Dossier.objects.create(
        agency=built.agency,
        act=built.act,
        kind=Dossier.Kind.INSPECTION,
        title="监督检查案卷",
        retention_class=RetentionClass.Y30,
        status=status,
        custodian=custodian,
        retain_until=retain_until,
    )


def _retain(built, item, until, kind="segment", disposed=False):
    return ItemRetention.objects.create(
        item_kind=kind,
        item_id=item.pk,
        agency=built.agency,
        retain_until=until,
        basis="测试",
        disposed=disposed,
    )


def _evidence(built):
    segment = built.main
    segment.is_evidence = True
    segment.save(update_fields=["is_evidence"])
    return segment


def test_fires_when_evidence_av_ends_before_its_frozen_dossier_or_has_no_retention(
    scene, custodian
):
    built = scene()
    _dossier(built, custodian)
    segment = _evidence(built)
    hits = {h.key: h for h in built.hits("A22-retention")}
    # Nothing computed yet: neither the evidence AV nor the 现场笔录.
    assert set(hits) == {"uncomputed"}
    assert hits["uncomputed"].evidence["segments"] == [segment.pk]
    _retain(built, segment, dt.date(2027, 6, 1))
    for document in built.act_documents():
        _retain(built, document, dt.date(2056, 12, 31), kind="document")
    hits = {h.key: h for h in built.hits("A22-retention")}
    assert set(hits) == {"short"}
    assert "2056-12-31" in hits["short"].params["problem"]
    assert hits["short"].evidence == {"dossier": built.act.dossier.pk, "segments": [segment.pk]}


def test_fires_when_evidence_is_disposed_of_before_the_dossier_ends(scene, custodian):
    built = scene()
    _dossier(built, custodian)
    _retain(built, _evidence(built), dt.date(2056, 12, 31), disposed=True)
    assert {h.key for h in built.hits("A22-retention")} >= {"disposed"}


def test_fires_on_non_evidence_av_kept_less_than_six_months(scene):
    built = scene()
    _retain(built, built.main, dt.date(2027, 3, 1))  # recorded 2026-11-16: due 2027-05-16
    hits = {h.key: h for h in built.hits("A22-retention")}
    assert set(hits) == {"av_short"}
    assert "2027-05-16" in hits["av_short"].params["problem"]


def test_silent_when_retention_covers_the_dossier_and_six_months(scene, custodian):
    built = scene()
    assert built.hits("A22-retention") == []  # nothing archived yet
    segment = _evidence(built)
    other = built.segment(START, START + dt.timedelta(minutes=1))
    # While the dossier is assembled its end is unknown: nothing to compare yet.
    dossier = _dossier(built, custodian, status=Dossier.Status.ASSEMBLING, retain_until=None)
    assert built.hits("A22-retention") == []
    dossier.status = Dossier.Status.FROZEN
    dossier.retain_until = dt.date(2056, 12, 31)
    dossier.save()
    _retain(built, segment, dt.date(2056, 12, 31))
    _retain(built, other, dt.date(2027, 5, 16))
    for document in built.act_documents():
        _retain(built, document, None, kind="document")  # permanent
    assert built.hits("A22-retention") == []

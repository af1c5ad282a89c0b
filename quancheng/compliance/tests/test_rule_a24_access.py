"""A24-access: refused accesses to an act's records, provisions without the head's approval."""

import datetime as dt

import pytest
from django.db import transaction

from quancheng.access.models import Provision
from quancheng.ledger.services import record_event

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A24-access")]


def _provision(built, approver):
    return Provision.objects.create(
        agency=built.agency,
        recipient="渝中区人民法院",
        recipient_kind=Provision.RecipientKind.JUDICIAL,
        legal_basis="《行政诉讼法》第三十四条",
        act=built.act,
        items=[{"kind": "segment", "id": built.main.pk}],
        approved_by=approver,
        provided_on=dt.date(2026, 11, 20),
        registered_by=built.officer,
    )


def test_fires_on_a_refused_access_to_the_acts_av(scene, outsider):
    built = scene()
    with transaction.atomic():
        event = record_event(
            outsider, "access.denied", built.main, {"action": "play", "reason": "no_request"}
        )
    hits = built.hits("A24-access")
    assert [h.key for h in hits] == ["denied"]
    assert hits[0].severity == "warning"
    assert hits[0].evidence == {"events": [event.seq]}
    assert "1次未经授权的调阅被拒绝" in hits[0].params["problem"]


def test_fires_on_a_provision_not_approved_by_the_head(scene, custodian):
    built = scene()
    provision = _provision(built, custodian)
    hits = built.hits("A24-access")
    assert [h.key for h in hits] == [f"provision:{provision.pk}"]
    assert "不是本机构负责人" in hits[0].params["problem"]


def test_silent_on_permitted_access_and_a_provision_the_head_approved(scene, head, officer):
    built = scene()
    with transaction.atomic():
        record_event(officer, "segment.played", built.main, {})
    _provision(built, head)
    assert built.hits("A24-access") == []


def test_a_batch_with_more_items_than_one_query_takes_is_read_in_pieces(
    scene, outsider, monkeypatch
):
    from quancheng.compliance import custody

    monkeypatch.setattr(custody, "CHUNK", 1)
    built = scene()
    later = built.segment(built.act.started_at, built.act.ended_at)
    with transaction.atomic():
        first = record_event(outsider, "access.denied", later, {"action": "play"})
        second = record_event(outsider, "access.denied", built.act, {"action": "view"})
    hits = built.hits("A24-access")
    assert hits[0].evidence == {"events": [first.seq, second.seq]}

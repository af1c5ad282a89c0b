"""A24-access: provisions handed over without the head's approval; someone's refused access is
an alert about that person, never a finding against the act's officers."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from quancheng.access.models import Provision
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A24-access")]


def _provision(built, approver, *, approved_at=None, provided_on=dt.date(2026, 11, 20)):
    return Provision.objects.create(
        agency=built.agency,
        recipient="渝中区人民法院",
        recipient_kind=Provision.RecipientKind.JUDICIAL,
        legal_basis="《行政诉讼法》第三十四条",
        act=built.act,
        items=[{"kind": "segment", "id": built.main.pk}],
        status=Provision.Status.PROVIDED,
        requested_by=built.officer,
        decided_by=approver,
        decided_at=approved_at
        or dt.datetime(provided_on.year, provided_on.month, provided_on.day, tzinfo=dt.UTC),
        provided_on=provided_on,
        registered_by=built.officer,
        registered_at=timezone.now(),
    )


def test_someone_elses_refused_access_is_no_finding_on_the_act(scene, outsider):
    built = scene()
    with transaction.atomic():
        record_event(
            outsider, Action.ACCESS_DENIED, built.main, {"action": "play", "reason": "no_request"}
        )
    assert built.hits("A24-access") == []


def test_fires_on_a_provision_not_approved_by_the_head(scene, custodian):
    built = scene()
    provision = _provision(built, custodian)
    hits = built.hits("A24-access")
    assert [h.key for h in hits] == [f"provision:{provision.pk}"]
    assert "批准人王芳不是本机构负责人" in hits[0].params["problem"]


def test_fires_on_a_provision_approved_after_it_was_provided(scene, head):
    built = scene()
    _provision(
        built, head, approved_at=dt.datetime(2026, 11, 22, 3, tzinfo=dt.UTC)
    )  # provided on the 20th
    assert "批准晚于提供日期" in built.hits("A24-access")[0].params["problem"]


def test_silent_on_a_provision_the_head_approved_first(scene, head, officer):
    built = scene()
    with transaction.atomic():
        record_event(officer, Action.SEGMENT_PLAYED, built.main, {})
    _provision(built, head)
    assert built.hits("A24-access") == []

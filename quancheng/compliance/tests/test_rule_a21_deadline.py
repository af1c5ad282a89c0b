import datetime as dt

import pytest

from quancheng.registration.models import ActRegistration

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A21-deadline")]


def test_fires_when_never_registered_after_the_deadline(scene):
    built = scene()
    ActRegistration.objects.filter(act=built.act).delete()
    [hit] = built.hits("A21-deadline")
    assert hit.key == "overdue" and hit.evidence["deadline"] == "2026-11-18"


def test_fires_when_registered_late(scene):
    built = scene()
    registration = ActRegistration.objects.get(act=built.act)
    registration.on_time = False
    registration.registered_at += dt.timedelta(days=3)
    registration.save()
    [hit] = built.hits("A21-deadline")
    assert hit.key == "late" and "超过登记期限 2026-11-18" in hit.params["problem"]


def test_silent_when_registered_on_time(scene):
    assert scene().hits("A21-deadline") == []

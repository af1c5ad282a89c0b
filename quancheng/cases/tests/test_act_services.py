"""Acts through the service: two officers with valid certificates, times, scoping, ledger."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from quancheng.cases.models import Act
from quancheng.cases.services import create_act, update_act
from quancheng.conftest import make_person
from quancheng.ledger.models import Event

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def _create(actor, agency, officers, subject, **overrides):
    data = {
        "kind": "inspection",
        "started_at": START,
        "ended_at": START + dt.timedelta(hours=1),
        "place": "渝中区邹容路100号",
        "subject": subject,
    }
    data.update(overrides)
    return create_act(actor, agency, officers, **data)


def _codes(raised, field):
    return [e.code for e in raised.value.error_dict[field]]


def test_create_records_the_act_with_its_officers(officer, colleague, agency, subject):
    act = _create(officer, agency, [officer, colleague], subject)
    event = Event.objects.for_object(act).get()
    assert event.action == "act.created"
    assert (
        f'"officers":[{min(officer.pk, colleague.pk)},{max(officer.pk, colleague.pk)}]'
        in event.body
    )


def test_one_officer_is_refused(officer, agency, subject):
    with pytest.raises(ValidationError) as raised:
        _create(officer, agency, [officer], subject)
    assert "too_few_officers" in _codes(raised, "officers")
    assert Act.objects.count() == 0


def test_the_same_officer_twice_counts_once(officer, agency, subject):
    with pytest.raises(ValidationError) as raised:
        _create(officer, agency, [officer, officer], subject)
    assert "too_few_officers" in _codes(raised, "officers")


def test_end_before_start_is_refused(officer, colleague, agency, subject):
    with pytest.raises(ValidationError) as raised:
        _create(officer, agency, [officer, colleague], subject, ended_at=START)
    assert _codes(raised, "ended_at") == ["end_before_start"]


def test_expired_certificate_is_refused_and_named(officer, agency, subject):
    expired = make_person("laoli", "老李", agency, certificate_valid_until=dt.date(2026, 11, 19))
    with pytest.raises(ValidationError) as raised:
        _create(officer, agency, [officer, expired], subject)
    errors = raised.value.error_dict["officers"]
    assert [e.code for e in errors] == ["certificate_invalid"]
    assert "老李" in errors[0].message and "2026年11月20日" in errors[0].message


def test_officer_without_certificate_is_refused(officer, custodian, agency, subject):
    with pytest.raises(ValidationError) as raised:
        _create(officer, agency, [officer, custodian], subject)
    assert "certificate_invalid" in _codes(raised, "officers")


def test_another_agencys_subject_and_officers_are_refused(
    officer, colleague, outsider, agency, other_subject
):
    with pytest.raises(ValidationError) as raised:
        _create(officer, agency, [officer, outsider], other_subject)
    assert _codes(raised, "subject") == ["not_found"]
    assert "not_found" in _codes(raised, "officers")


def test_outsider_cannot_create_in_another_agency(outsider, officer, colleague, agency, subject):
    """Another district's agency does not exist for the outsider (404, not 403)."""
    with pytest.raises(Http404):
        _create(outsider, agency, [officer, colleague], subject)


def test_case_of_another_subject_is_refused(officer, colleague, agency, case):
    from quancheng.subjects.services import create_subject

    second = create_subject(officer, agency, name="第二家", kind="public_place", address="某地")
    with pytest.raises(ValidationError) as raised:
        _create(officer, agency, [officer, colleague], second, case=case)
    assert _codes(raised, "case") == ["case_subject_mismatch"]


def test_update_records_changes_and_keeps_rules(officer, colleague, head, act):
    update_act(officer, act, officers=[officer, colleague, head], place="新地点")
    event = Event.objects.for_object(act).latest("seq")
    assert event.action == "act.updated"
    assert "新地点" in event.body and "officers" in event.body
    with pytest.raises(ValidationError):
        update_act(officer, act, ended_at=act.started_at - dt.timedelta(minutes=1))
    act.refresh_from_db()
    assert act.ended_at > act.started_at


def test_update_without_change_writes_nothing(officer, act):
    events = Event.objects.count()
    update_act(officer, act, place=act.place)
    assert Event.objects.count() == events


def test_times_are_stored_in_utc(act):
    act.refresh_from_db()
    assert act.started_at.utcoffset() == dt.timedelta(0)
    assert timezone.localtime(act.started_at).utcoffset() == dt.timedelta(hours=8)


def test_inactive_officer_is_refused(officer, colleague, agency, subject):
    colleague.is_active = False
    colleague.save()
    with pytest.raises(ValidationError) as raised:
        _create(officer, agency, [officer, colleague], subject)
    assert "officer_inactive" in _codes(raised, "officers")

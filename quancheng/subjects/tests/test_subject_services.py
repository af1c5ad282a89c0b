"""Subjects through the service: validation, scoping and the ledger."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from quancheng.conftest import credit_code
from quancheng.ledger.models import Event
from quancheng.subjects.models import Subject
from quancheng.subjects.services import create_subject, update_subject

pytestmark = pytest.mark.django_db


def _create(actor, agency, **overrides):
    data = {
        "name": "重庆市渝中区某诊所",
        "kind": "medical",
        "address": "渝中区某路1号",
        "credit_code": credit_code(11),
    }
    data.update(overrides)
    return create_subject(actor, agency, **data)


def test_create_records_the_subject_in_the_ledger(officer, agency):
    subject = _create(officer, agency)
    event = Event.objects.for_object(subject).get()
    assert event.action == "subject.created"
    assert event.actor == officer
    assert event.agency == agency
    assert subject.credit_code in event.body


def test_wrong_credit_code_is_refused_and_nothing_is_written(officer, agency):
    events = Event.objects.count()
    with pytest.raises(ValidationError) as raised:
        _create(
            officer,
            agency,
            credit_code=credit_code(11)[:-1] + "0"
            if not credit_code(11).endswith("0")
            else credit_code(11)[:-1] + "1",
        )
    assert raised.value.error_dict["credit_code"][0].code == "invalid_credit_code"
    assert "校验位错误" in raised.value.error_dict["credit_code"][0].message
    assert Subject.objects.count() == 0
    assert Event.objects.count() == events


def test_duplicate_code_in_the_same_agency_is_refused(officer, agency):
    _create(officer, agency)
    with pytest.raises(ValidationError) as raised:
        _create(officer, agency, name="另一家")
    assert raised.value.error_dict["credit_code"][0].code == "duplicate"


def test_outsider_cannot_create_in_another_agency(outsider, agency):
    with pytest.raises(Http404):  # another district's agency: as if it did not exist
        _create(outsider, agency)


def test_read_only_roles_cannot_create(auditor, commission, agency):
    for person in (auditor, commission):
        with pytest.raises(PermissionDenied):
            _create(person, agency)


def test_update_records_only_what_changed(officer, subject):
    update_subject(officer, subject, address="渝中区新华路2号", name=subject.name)
    event = Event.objects.for_object(subject).latest("seq")
    assert event.action == "subject.updated"
    assert '"address":["渝中区邹容路100号","渝中区新华路2号"]' in event.body
    assert '"name"' not in event.body


def test_update_with_no_change_writes_nothing(officer, subject):
    events = Event.objects.count()
    update_subject(officer, subject, name=subject.name)
    assert Event.objects.count() == events


def test_scoping_shows_a_district_only_its_own_subjects(
    officer, outsider, city_admin, subject, other_subject
):
    assert list(Subject.objects.visible_to(officer)) == [subject]
    assert list(Subject.objects.visible_to(outsider)) == [other_subject]
    assert set(Subject.objects.visible_to(city_admin)) == {subject, other_subject}


def test_district_commission_sees_its_district(commission, subject, other_subject):
    assert list(Subject.objects.visible_to(commission)) == [subject]


def test_search_by_name_and_code(officer, subject):
    visible = Subject.objects.visible_to(officer)
    assert list(visible.search("解放碑")) == [subject]
    assert list(visible.search(subject.credit_code[:10].lower())) == [subject]
    assert list(visible.search("不存在")) == []

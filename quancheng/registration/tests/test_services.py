"""Registering an act's records and late registration (A21), through the services."""

import datetime as dt
import json
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from quancheng.conftest import make_person
from quancheng.ledger.models import Event
from quancheng.orgs.models import Agency, Role
from quancheng.registration import services
from quancheng.registration.deadlines import working_day_deadline
from quancheng.registration.models import ActRegistration, LateRegistrationRequest
from quancheng.registration.services import (
    decide_late_request,
    register_records,
    registration_state,
    request_late_registration,
)

from .conftest import at

pytestmark = pytest.mark.django_db


def _codes(error: ValidationError) -> set[str]:
    return {str(e.code) for errors in error.error_dict.values() for e in errors}


def _events(act, prefix="registration."):
    return [e for e in Event.objects.for_object(act) if e.action.startswith(prefix)]


@pytest.fixture
def national_day_act(make_act):
    """Ended Wednesday 2026-09-30 16:00; due by the end of Friday 2026-10-09."""
    return make_act(at(2026, 9, 30, 16, 0))


def test_custodian_registers_on_time_and_it_is_a_ledger_event(national_day_act, custodian, clock):
    clock(at(2026, 10, 9, 23, 59))
    registration = register_records(
        custodian, national_day_act, "  刘洋移交的记录仪视频  ", confirm_open_findings=True
    )
    assert registration.on_time and registration.late_request is None
    assert str(registration.deadline) == "2026-10-09"
    assert registration.note == "刘洋移交的记录仪视频"
    [event] = _events(national_day_act)
    assert event.action == "registration.registered"
    assert event.actor == custodian and event.agency == national_day_act.agency
    body = json.loads(event.body)
    assert body["on_time"] is True
    assert body["deadline"] == "2026-10-09"
    assert body["deadline_provisional"] is False
    assert body["registration"] == registration.pk
    assert body["records"] == []


def test_officers_cannot_register(national_day_act, officer, head, clock):
    """A21: records are not kept by the investigators themselves."""
    clock(at(2026, 10, 8, 9, 0))
    for person in (officer, head):
        with pytest.raises(PermissionDenied, match="记录管理专人"):
            register_records(person, national_day_act, confirm_open_findings=True)
    assert not ActRegistration.objects.exists()
    assert _events(national_day_act) == []


def test_another_districts_custodian_cannot_register(national_day_act, other_agency, clock):
    stranger = make_person("jb-custodian", "江北专人", other_agency, Role.CUSTODIAN)
    clock(at(2026, 10, 8, 9, 0))
    with pytest.raises(Http404):  # another district's act does not exist for them
        register_records(stranger, national_day_act, confirm_open_findings=True)
    assert not ActRegistration.objects.exists()


def test_registering_twice_is_refused(national_day_act, custodian, clock):
    clock(at(2026, 10, 8, 9, 0))
    register_records(custodian, national_day_act, confirm_open_findings=True)
    with pytest.raises(ValidationError) as error:
        register_records(custodian, national_day_act, confirm_open_findings=True)
    assert _codes(error.value) == {"already_registered"}
    assert len(_events(national_day_act)) == 1


def test_an_act_not_yet_ended_cannot_be_registered(national_day_act, custodian, clock):
    clock(at(2026, 9, 30, 15, 0))
    with pytest.raises(ValidationError) as error:
        register_records(custodian, national_day_act, confirm_open_findings=True)
    assert _codes(error.value) == {"act_not_ended"}


def test_late_registration_without_approval_is_refused(national_day_act, custodian, clock):
    clock(at(2026, 10, 10, 0, 0))  # the first instant after the period
    with pytest.raises(ValidationError) as error:
        register_records(custodian, national_day_act, confirm_open_findings=True)
    assert _codes(error.value) == {"late_without_approval"}
    message = error.value.messages[0]
    assert "已超过登记期限" in message and "2026年10月09日" in message
    assert "机构负责人事先批准" in message
    assert not ActRegistration.objects.exists()
    assert _events(national_day_act) == []


def test_a_pending_or_refused_request_does_not_allow_late_registration(
    national_day_act, custodian, officer, head, clock
):
    clock(at(2026, 10, 9, 17, 0))
    late = request_late_registration(officer, national_day_act, "记录仪故障，送修后导出")
    clock(at(2026, 10, 12, 9, 0))
    with pytest.raises(ValidationError):
        register_records(custodian, national_day_act, confirm_open_findings=True)
    decide_late_request(head, late, approve=False, note="应先用备用设备导出")
    with pytest.raises(ValidationError) as error:
        register_records(custodian, national_day_act, confirm_open_findings=True)
    assert _codes(error.value) == {"late_without_approval"}


def test_late_registration_after_the_heads_approval(
    national_day_act, custodian, officer, head, clock
):
    clock(at(2026, 10, 9, 17, 0))
    late = request_late_registration(officer, national_day_act, "记录仪故障，送修后导出")
    assert late.status == LateRegistrationRequest.Status.PENDING
    decide_late_request(
        head, late, approve=True, note="同意，10月13日前登记", approved_until=dt.date(2026, 10, 13)
    )
    late.refresh_from_db()
    assert late.status == "approved" and late.decided_by == head
    clock(at(2026, 10, 12, 10, 0))
    registration = register_records(custodian, national_day_act, confirm_open_findings=True)
    assert not registration.on_time
    assert registration.late_request == late
    actions = [e.action for e in _events(national_day_act)]
    assert actions == [
        "registration.late_requested",
        "registration.late_approved",
        "registration.registered",
    ]
    requested, approved, registered = (json.loads(e.body) for e in _events(national_day_act))
    assert requested["explanation"] == "记录仪故障，送修后导出"
    assert requested["filed_before_deadline"] is True
    assert approved["note"] == "同意，10月13日前登记"
    assert (approved["approved_until"], approved["before_deadline"]) == ("2026-10-13", True)
    assert late.approved_until == dt.date(2026, 10, 13)
    assert registered["on_time"] is False and registered["late_request"] == late.pk


def test_a_request_after_the_deadline_is_marked_so(national_day_act, custodian, clock):
    clock(at(2026, 10, 12, 9, 0))
    request_late_registration(custodian, national_day_act, "专人休假，未能按期登记")
    [event] = _events(national_day_act)
    assert json.loads(event.body)["filed_before_deadline"] is False


def test_only_the_head_of_the_acts_agency_decides(
    national_day_act, officer, custodian, other_agency, agency, clock
):
    clock(at(2026, 10, 9, 17, 0))
    late = request_late_registration(officer, national_day_act, "记录仪故障")
    other_head = make_person("jb-head", "江北负责人", other_agency, Role.HEAD)
    # A head of another agency in the same district (渝中区's commission) does not decide either.
    commission = Agency.objects.get(code="d03-wjw")
    commission_head = make_person("yz-wjw-head", "渝中卫健委负责人", commission, Role.HEAD)
    with pytest.raises(Http404):  # another district's act does not exist for its head
        decide_late_request(other_head, late, approve=True)
    for person in (commission_head, custodian, officer):
        with pytest.raises(PermissionDenied, match="机构的负责人"):
            decide_late_request(person, late, approve=True)
    late.refresh_from_db()
    assert late.status == "pending"
    assert [e.action for e in _events(national_day_act)] == ["registration.late_requested"]


def test_refusal_needs_a_note_and_decisions_are_final(national_day_act, officer, head, clock):
    clock(at(2026, 10, 9, 17, 0))
    late = request_late_registration(officer, national_day_act, "记录仪故障")
    with pytest.raises(ValidationError) as error:
        decide_late_request(head, late, approve=False, note=" ")
    assert _codes(error.value) == {"required"}
    decide_late_request(head, late, approve=False, note="理由不充分")
    with pytest.raises(ValidationError) as error:
        decide_late_request(head, late, approve=True)
    assert _codes(error.value) == {"already_decided"}
    assert [e.action for e in _events(national_day_act)] == [
        "registration.late_requested",
        "registration.late_refused",
    ]
    # After a refusal a new explanation may be filed.
    request_late_registration(officer, national_day_act, "补充说明：设备送修单见附件")


def test_request_rules(national_day_act, officer, colleague, outsider, custodian, head, clock):
    clock(at(2026, 10, 9, 17, 0))
    with pytest.raises(ValidationError) as error:
        request_late_registration(officer, national_day_act, "   ")
    assert _codes(error.value) == {"required"}
    with pytest.raises(Http404):  # another district's act does not exist for the outsider
        request_late_registration(outsider, national_day_act, "说明")
    with pytest.raises(PermissionDenied):
        request_late_registration(head, national_day_act, "说明")
    request_late_registration(colleague, national_day_act, "说明")
    with pytest.raises(ValidationError) as error:
        request_late_registration(custodian, national_day_act, "再一份")
    assert _codes(error.value) == {"request_pending"}


def test_an_officer_not_in_the_act_cannot_request(national_day_act, agency, clock):
    bystander = make_person("yz-other", "同支队他人", agency)
    clock(at(2026, 10, 9, 17, 0))
    with pytest.raises(PermissionDenied):
        request_late_registration(bystander, national_day_act, "说明")


def test_nothing_is_registered_when_the_ledger_write_fails(national_day_act, custodian, clock):
    clock(at(2026, 10, 8, 9, 0))
    with (
        mock.patch.object(services, "record_event", side_effect=RuntimeError("ledger down")),
        pytest.raises(RuntimeError),
    ):
        register_records(custodian, national_day_act, confirm_open_findings=True)
    assert not ActRegistration.objects.exists()


def test_registration_state(national_day_act, custodian, officer, head, clock):
    clock(at(2026, 10, 8, 9, 0))
    state = registration_state(national_day_act)
    assert state.ended and not state.overdue and state.may_register_now
    clock(at(2026, 10, 10, 8, 0))
    state = registration_state(national_day_act)
    assert state.overdue and not state.may_register_now
    late = request_late_registration(officer, national_day_act, "说明")
    assert registration_state(national_day_act).pending_request == late
    until = working_day_deadline(national_day_act).last_day + dt.timedelta(days=3)
    decide_late_request(head, late, approve=True, approved_until=until)
    state = registration_state(national_day_act)
    assert state.approved_request == late and state.may_register_now
    register_records(custodian, national_day_act, confirm_open_findings=True)
    state = registration_state(national_day_act)
    assert state.registered and not state.overdue and not state.may_register_now


def test_provisional_deadline_is_recorded(make_act, custodian, clock):
    act = make_act(at(2027, 3, 1, 10, 0))
    clock(at(2027, 3, 2, 9, 0))
    registration = register_records(custodian, act, confirm_open_findings=True)
    assert registration.deadline_provisional
    assert json.loads(_events(act)[0].body)["deadline_provisional"] is True


def test_registration_pins_the_acts_records(national_day_act, custodian, clock):
    import io

    from django.db import transaction

    from quancheng.records.items import create_segment
    from quancheng.records.services import blob_store, register_blob

    info = blob_store().put(io.BytesIO(b"segment bytes"))
    with transaction.atomic():
        blob = register_blob(info, national_day_act.agency)
    segment = create_segment(
        custodian, agency=national_day_act.agency, blob=blob, source="ingest", act=national_day_act
    )
    clock(at(2026, 10, 9, 12, 0))
    register_records(custodian, national_day_act, confirm_open_findings=True)
    [event] = _events(national_day_act)
    assert json.loads(event.body)["records"] == [
        {"type": "records.segment", "id": str(segment.pk), "sha256": info.sha256, "sm3": None}
    ]


def test_registration_names_the_sm3_once_computed(national_day_act, custodian, clock):
    import io

    from django.db import transaction

    from quancheng.lib.gmcrypto import sm3_hex
    from quancheng.records.items import create_segment
    from quancheng.records.services import blob_store, register_blob
    from quancheng.records.sm3 import compute_pending_sm3

    info = blob_store().put(io.BytesIO(b"segment bytes, hashed twice"))
    with transaction.atomic():
        blob = register_blob(info, national_day_act.agency)
    create_segment(
        custodian, agency=national_day_act.agency, blob=blob, source="ingest", act=national_day_act
    )
    compute_pending_sm3()
    clock(at(2026, 10, 9, 12, 0))
    register_records(custodian, national_day_act, confirm_open_findings=True)
    [event] = _events(national_day_act)
    [item] = json.loads(event.body)["records"]
    assert (item["sha256"], item["sm3"]) == (info.sha256, sm3_hex(b"segment bytes, hashed twice"))

"""第十九条 专人管理: a designated custodian (记录管理专人) collects, keeps and files the records;
every act stays traceable (有据可查). Officers who investigated do not register their own records
(第二十一条: 不得由案件调查人员自行保存)."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from quancheng.ledger.models import Event
from quancheng.registration.services import register_records

from .conftest import at

pytestmark = pytest.mark.django_db


def test_19_an_investigating_officer_cannot_register_the_records(scene, clock):
    """办案执法人员自行登记记录：拒绝，只有记录管理专人可以登记。"""
    built = scene(compliant=False)
    clock(at(2026, 11, 16, 15, 0))
    with pytest.raises(PermissionDenied) as error:
        register_records(built.officer, built.act, confirm_open_findings=True)
    assert "记录管理专人" in str(error.value)


def test_19_the_custodian_registers_and_the_ledger_lists_every_record(scene, custodian, clock):
    """记录管理专人登记：账本事件列出该执法行为的全部记录。"""
    built = scene(compliant=False)
    segment = built.segment(built.act.started_at, built.act.ended_at)
    clock(at(2026, 11, 16, 15, 0))
    register_records(custodian, built.act, confirm_open_findings=True)
    event = Event.objects.for_object(built.act).get(action="registration.registered")
    body = json.loads(event.body)
    assert body["on_time"] is True
    # The file named with both digests (its SM3 still pending here: computed after ingest).
    named = {"type": "records.segment", "id": str(segment.pk), "sha256": segment.blob_id}
    assert {**named, "sm3": None} in body["records"]


def test_19_records_cannot_be_registered_twice(scene, custodian, clock):
    """重复登记：拒绝。"""
    built = scene(compliant=False)
    clock(at(2026, 11, 16, 15, 0))
    register_records(custodian, built.act, confirm_open_findings=True)
    with pytest.raises(ValidationError) as error:
        register_records(custodian, built.act, confirm_open_findings=True)
    assert "不能重复登记" in str(error.value)


def test_19_an_act_still_running_cannot_be_registered(scene, custodian, clock):
    """执法行为尚未结束：不能登记。"""
    built = scene(compliant=False)
    clock(at(2026, 11, 16, 9, 30))
    with pytest.raises(ValidationError) as error:
        register_records(custodian, built.act, confirm_open_findings=True)
    assert "尚未结束" in str(error.value)


def test_19_a_custodian_of_another_district_cannot_register(scene, outsider, clock):
    """其他区县的人员：看不到也不能登记本区的记录。"""
    built = scene(compliant=False)
    clock(at(2026, 11, 16, 15, 0))
    with pytest.raises((PermissionDenied, Http404)):
        register_records(outsider, built.act, confirm_open_findings=True)


def test_19_api_an_officer_registering_through_the_terminal_is_refused(scene, api, clock):
    """接口：执法人员经终端登记被拒绝，返回 JSON 错误码。"""
    built = scene(compliant=False)
    clock(at(2026, 11, 16, 15, 0))
    response = api.post(
        f"/acts/{built.act.pk}/registration", {"note": "", "confirm_open_findings": True}
    )
    assert response.status_code == 403
    body = response.json()
    assert body["code"] and "记录管理专人" in body["message"]

"""Provisions to outside bodies (对外提供, A24 ¶2): requested, approved by the head in the
platform, registered once handed over; the ledger events, filters, the XLSX and CSV exports."""

import csv
import datetime as dt
import io
import json

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl import load_workbook

from quancheng.access.models import Provision
from quancheng.access.provisions import (
    HEADER,
    ProvisionFilter,
    csv_chunks,
    decide_provision,
    pending_for_head,
    register_of,
    register_provided,
    request_provision,
    xlsx_file,
)
from quancheng.ledger.models import Event

from .extraction_setup import refs

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("extraction_stores")]


def _request(actor, act, items, **extra):
    values = {
        "recipient": "重庆市渝中区人民法院",
        "recipient_kind": "judicial",
        "legal_basis": "《中华人民共和国行政诉讼法》第三十四条",
        "act": act,
        "items": refs(items),
    }
    values.update(extra)
    return request_provision(actor, **values)


def _register(actor, act, items, head, provided_on=None, **extra):
    """Requested by ``actor``, approved by ``head`` (on the day provided), registered."""
    provided_on = provided_on or timezone.localdate()
    approved = dt.datetime.combine(provided_on, dt.time(9), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(min(approved, timezone.now()), tick=False):
        provision = _request(actor, act, items, **extra)
        decide_provision(head, provision, approve=True)
    return register_provided(actor, provision, provided_on=provided_on)


def test_a_provision_is_requested_approved_and_registered_each_with_its_event(
    custodian, head, act, act_items
):
    provision = _request(custodian, act, act_items[:2])
    assert provision.status == Provision.Status.REQUESTED and provision.decided_by is None
    assert list(pending_for_head(head)) == [provision]
    decide_provision(head, provision, approve=True)
    provision = register_provided(custodian, provision, provided_on=timezone.localdate())
    assert provision.status == Provision.Status.PROVIDED and provision.decided_by == head
    assert provision.agency == act.agency and provision.registered_by == custodian
    actions = list(
        Event.objects.filter(object_id=str(provision.pk), object_type="access.provision")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["provision.requested", "provision.approved", "provision.registered"]
    body = json.loads(Event.objects.get(action="provision.registered").body)
    assert body["recipient"] == "重庆市渝中区人民法院" and body["approved_by"] == head.pk
    assert body["items"] == provision.items and len(body["items"]) == 2


def test_only_the_head_approves_and_never_their_own_request(
    custodian, officer, head, act, act_items
):
    provision = _request(custodian, act, act_items)
    for user in (officer, custodian):
        with pytest.raises(PermissionDenied, match=r"负责人|申请人"):
            decide_provision(user, provision, approve=True)
    own = _request(head, act, act_items)
    with pytest.raises(PermissionDenied, match="申请人不能审批"):
        decide_provision(head, own, approve=True)
    assert list(pending_for_head(head)) == [provision]
    assert not Event.objects.filter(action="provision.approved").exists()


def test_nothing_is_registered_as_provided_without_the_heads_approval(
    custodian, head, act, act_items
):
    provision = _request(custodian, act, act_items)
    with pytest.raises(ValidationError, match="须经机构负责人批准"):
        register_provided(custodian, provision, provided_on=timezone.localdate())
    decide_provision(head, provision, approve=False, note="不属于依法调取范围")
    with pytest.raises(ValidationError, match="不予批准"):
        register_provided(custodian, provision, provided_on=timezone.localdate())
    assert not Event.objects.filter(action="provision.registered").exists()
    # And the database refuses a provided row without an approval.
    with pytest.raises(IntegrityError), transaction.atomic():
        Provision.objects.filter(pk=provision.pk).update(
            status="provided", provided_on=timezone.localdate(), decided_by=None
        )


def test_a_refusal_needs_a_note_and_provision_cannot_predate_the_approval(
    custodian, head, act, act_items
):
    provision = _request(custodian, act, act_items)
    with pytest.raises(ValidationError, match="审批意见"):
        decide_provision(head, provision, approve=False)
    decide_provision(head, provision, approve=True)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="不能早于机构负责人批准的日期"):
        register_provided(custodian, provision, provided_on=yesterday)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"recipient": " "}, "接收单位"),
        ({"recipient_kind": "press"}, "单位类别"),
        ({"legal_basis": ""}, "法律依据"),
        ({"provided_on": dt.date(2999, 1, 1)}, "不能晚于今天"),
        ({"act_items": []}, "至少选择一个条目"),
    ],
)
def test_bad_input_is_refused_with_a_chinese_message(
    custodian, head, act, act_items, change, message
):
    chosen = change.pop("act_items", act_items)
    with pytest.raises(ValidationError, match=message):
        _register(custodian, act, chosen, head, **change)
    assert not Provision.objects.filter(status=Provision.Status.PROVIDED).exists()


def test_an_outsider_cannot_request_for_another_district(outsider, act, act_items):
    with pytest.raises(PermissionDenied):
        _request(outsider, act, act_items)


def test_a_provision_of_an_extraction_takes_its_source_and_items(custodian, head, produced):
    provision = _register(custodian, None, [], head, extraction=produced)
    assert provision.extraction == produced and provision.act == produced.act
    assert provision.items == produced.items


def test_an_unproduced_extraction_cannot_be_provided(officer, custodian, head, act, act_items):
    from quancheng.access.extraction import request_extraction

    pending = request_extraction(officer, purpose="x", act=act, items=refs(act_items))
    with pytest.raises(ValidationError, match="尚未制作完成"):
        _request(custodian, None, [], extraction=pending)


def test_filters_and_scope(custodian, head, outsider, act, act_items):
    court = _register(custodian, act, act_items[:1], head)
    petition = _register(
        custodian,
        act,
        act_items[1:],
        head,
        recipient="渝中区信访办",
        recipient_kind="petition",
        provided_on=timezone.localdate() - dt.timedelta(days=10),
    )
    assert list(register_of(custodian)) == [court, petition]
    assert list(register_of(outsider)) == []
    assert list(register_of(custodian, ProvisionFilter(recipient_kind="petition"))) == [petition]
    assert list(register_of(custodian, ProvisionFilter(recipient="法院"))) == [court]
    since = timezone.localdate() - dt.timedelta(days=1)
    assert list(register_of(custodian, ProvisionFilter(date_from=since))) == [court]
    until = timezone.localdate() - dt.timedelta(days=5)
    assert list(register_of(custodian, ProvisionFilter(date_to=until))) == [petition]


def test_the_exports_hold_every_row(custodian, head, act, act_items):
    provision = _register(custodian, act, act_items, head)
    with xlsx_file(register_of(custodian)) as f:
        sheet = load_workbook(io.BytesIO(f.read())).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == HEADER
    assert values[1][:5] == [
        str(provision.pk),
        "已提供并登记",
        provision.provided_on.isoformat(),
        "重庆市渝中区人民法院",
        "司法机关",
    ]
    assert values[1][9] == "王芳" and values[1][10] == "刘洋"
    text = "".join(csv_chunks(register_of(custodian)))
    assert text.startswith("\ufeff")
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert parsed[0] == HEADER and parsed[1] == [str(v or "") for v in values[1]]
    assert "音像记录" in parsed[1][7]

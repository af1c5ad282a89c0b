"""The provisions register (对外提供登记, A24 ¶2): registration rules, the ledger event, filters,
and the XLSX and CSV exports."""

import csv
import datetime as dt
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from quancheng.access.models import Provision
from quancheng.access.provisions import (
    HEADER,
    ProvisionFilter,
    csv_chunks,
    register_of,
    register_provision,
    xlsx_file,
)
from quancheng.ledger.models import Event

from .extraction_setup import *  # noqa: F403
from .extraction_setup import refs

pytestmark = pytest.mark.django_db


def _register(actor, act, items, head, **extra):
    values = {
        "recipient": "重庆市渝中区人民法院",
        "recipient_kind": "judicial",
        "legal_basis": "《中华人民共和国行政诉讼法》第三十四条",
        "approved_by": head,
        "provided_on": timezone.localdate(),
        "act": act,
        "items": refs(items),
    }
    values.update(extra)
    return register_provision(actor, **values)


def test_a_registration_is_kept_with_its_ledger_event(custodian, head, act, act_items):
    provision = _register(custodian, act, act_items[:2], head)
    assert provision.agency == act.agency and provision.registered_by == custodian
    event = Event.objects.get(action="provision.registered")
    assert event.object_id == str(provision.pk) and event.actor == custodian
    body = json.loads(event.body)
    assert body["recipient"] == "重庆市渝中区人民法院" and body["approved_by"] == head.pk
    assert body["items"] == provision.items and len(body["items"]) == 2


def test_the_approver_must_be_the_agencys_head(custodian, officer, head, act, act_items):
    with pytest.raises(ValidationError, match="机构负责人"):
        _register(custodian, act, act_items, officer)
    with pytest.raises(ValidationError, match="机构负责人"):
        _register(custodian, act, act_items, None)
    assert not Provision.objects.exists()
    assert not Event.objects.filter(action="provision.registered").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"recipient": " "}, "接收单位"),
        ({"recipient_kind": "press"}, "单位类别"),
        ({"legal_basis": ""}, "法律依据"),
        ({"provided_on": None}, "提供日期"),
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
    assert not Provision.objects.exists()


def test_an_outsider_cannot_register_for_another_district(outsider, head, act, act_items):
    with pytest.raises(PermissionDenied):
        _register(outsider, act, act_items, head)


def test_a_provision_of_an_extraction_takes_its_source_and_items(custodian, head, produced):
    provision = _register(custodian, None, [], head, extraction=produced)
    assert provision.extraction == produced and provision.act == produced.act
    assert provision.items == produced.items


def test_an_unproduced_extraction_cannot_be_provided(officer, custodian, head, act, act_items):
    from quancheng.access.extraction import request_extraction

    pending = request_extraction(officer, purpose="x", act=act, items=refs(act_items))
    with pytest.raises(ValidationError, match="尚未制作完成"):
        _register(custodian, None, [], head, extraction=pending)


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
    assert values[1][:4] == [
        str(provision.pk),
        provision.provided_on.isoformat(),
        "重庆市渝中区人民法院",
        "司法机关",
    ]
    assert values[1][8] == "刘洋"
    text = "".join(csv_chunks(register_of(custodian)))
    assert text.startswith("\ufeff")
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert parsed[0] == HEADER and parsed[1] == [str(v or "") for v in values[1]]
    assert "音像记录" in parsed[1][6]

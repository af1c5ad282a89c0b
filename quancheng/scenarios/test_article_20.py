"""第二十条 数据化记录: records kept as data, proof against deletion and alteration (防删改), and
the written and AV records of one subject stored together (同一执法对象集中储存)."""

import pytest

from quancheng.ledger.models import Event, LedgerIsAppendOnly
from quancheng.ledger.services import verify_chain
from quancheng.records.models import DataRecord, Document, Segment

pytestmark = pytest.mark.django_db


def test_20_every_record_linked_to_an_act_belongs_to_its_subject(scene):
    """关联到执法行为的音像记录、文书和电子数据都归入同一执法对象。"""
    built = scene()
    subject = built.act.subject
    assert Segment.objects.filter(subject=subject, act=built.act).exists()
    assert Document.objects.filter(subject=subject, act=built.act).exists()
    assert DataRecord.objects.filter(subject=subject, act=built.act).exists()


def test_20_every_record_is_a_ledger_event_and_the_chain_holds(scene):
    """每条记录的存储都是账本事件，哈希链完整。"""
    built = scene()
    assert Event.objects.for_object(built.main).exists()
    assert verify_chain() is None


def test_20_a_ledger_event_cannot_be_deleted(scene):
    """账本事件不能删除（防删改）。"""
    scene()
    event = Event.objects.order_by("seq").first()
    with pytest.raises(LedgerIsAppendOnly):
        event.delete()


def test_20_a_ledger_event_cannot_be_altered(scene):
    """账本事件不能改动（防删改）。"""
    scene()
    event = Event.objects.order_by("seq").first()
    event.body += " "
    with pytest.raises(LedgerIsAppendOnly):
        event.save()


def test_20_api_the_acts_records_are_read_together(scene, api):
    """接口：一次读取执法行为的音像记录、文书和电子数据。"""
    built = scene()
    body = api.get(f"/acts/{built.act.pk}/records").json()
    assert [s["id"] for s in body["segments"]] == [built.main.pk]
    assert len(body["documents"]) == 1 and len(body["data_records"]) == 1

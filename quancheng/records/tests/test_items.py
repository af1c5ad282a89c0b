import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from quancheng.ledger.models import Event
from quancheng.ledger.services import LedgerOutsideTransaction
from quancheng.records.items import (
    _create_segment,
    create_data_record,
    create_document,
    create_segment,
    link_item,
    set_evidence,
    unlink_item,
)
from quancheng.records.models import DataKind, DataRecord, Segment
from quancheng.records.services import blob_store, register_blob

pytestmark = pytest.mark.django_db


@pytest.fixture
def blob(agency):
    info = blob_store().put(io.BytesIO(b"not really a video"))
    with transaction.atomic():
        return register_blob(info, agency)


@pytest.fixture
def inspection_kind():
    return DataKind.objects.create(
        code="inspection-items",
        name="监督检查项目",
        schema={
            "type": "object",
            "required": ["items"],
            "properties": {
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "result"],
                        "properties": {
                            "code": {"type": "string"},
                            "result": {"enum": ["合格", "不合格", "不适用"]},
                        },
                    },
                }
            },
        },
    )


def test_segment_linked_to_an_act_takes_its_labels(officer, act, blob):
    segment = create_segment(
        officer,
        agency=act.agency,
        blob=blob,
        source="upload",
        act=act,
        started_at=act.started_at,
        ended_at=act.ended_at,
        original_filename="a.mp4",
    )
    assert (segment.case, segment.subject) == (act.case, act.subject)
    assert segment.label_place == act.place and segment.label_party == act.subject.name
    event = Event.objects.for_object(segment).get()
    assert event.action == "segment.created" and blob.sha256 in event.body
    assert list(Segment.objects.visible_to(officer)) == [segment]


def test_a_segment_is_created_durably_or_in_the_callers_transaction(officer, act, blob):
    # The public service opens a durable transaction: inside someone else's it refuses.
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        create_segment(officer, agency=act.agency, blob=blob, source="upload", act=act)
    # Its body (dock ingest, attaching an upload) needs the caller's transaction, and joins it.
    with pytest.raises(LedgerOutsideTransaction):
        _create_segment(officer, agency=act.agency, blob=blob, source="upload", act=act)
    assert not Segment.objects.exists()
    with transaction.atomic():
        segment = _create_segment(officer, agency=act.agency, blob=blob, source="upload", act=act)
    assert Event.objects.for_object(segment).get().action == "segment.created"


def test_link_unlink_and_evidence_are_ledger_events(officer, custodian, act, blob):
    segment = create_segment(custodian, agency=act.agency, blob=blob, source="ingest")
    assert list(Segment.objects.unlinked()) == [segment]
    link_item(custodian, segment, act)
    with pytest.raises(ValidationError):
        unlink_item(custodian, segment, reason=" ")
    unlink_item(custodian, segment, reason="时间段不符")
    set_evidence(custodian, segment, True)
    actions = list(Event.objects.for_object(segment).values_list("action", flat=True))
    assert actions == [
        "segment.created",
        "segment.linked",
        "segment.unlinked",
        "segment.evidence_set",
    ]


def test_no_link_to_another_districts_act(outsider, act, blob, other_agency):
    with pytest.raises(ValidationError) as e:
        create_document(
            outsider,
            agency=other_agency,
            blob=blob,
            source="upload",
            act=act,
            file_kind="pdf",
            doc_type="现场笔录",
        )
    assert "act" in e.value.error_dict


def test_read_only_roles_cannot_create(auditor, act, blob):
    with pytest.raises(PermissionDenied):
        create_segment(auditor, agency=act.agency, blob=blob, source="upload")


def test_data_record_checked_against_its_schema(officer, act, inspection_kind):
    recorded = act.started_at + dt.timedelta(minutes=5)
    with pytest.raises(ValidationError) as e:
        create_data_record(
            officer,
            agency=act.agency,
            kind=inspection_kind,
            data={"items": [{"code": "1.1", "result": "优秀"}]},
            recorded_at=recorded,
            source="api",
            act=act,
        )
    assert "items/0/result" in str(e.value)
    assert not DataRecord.objects.exists()
    record = create_data_record(
        officer,
        agency=act.agency,
        kind=inspection_kind,
        data={"items": [{"code": "1.1", "result": "合格"}]},
        recorded_at=recorded,
        source="api",
        act=act,
    )
    assert record.schema_version == 1 and len(record.sha256) == 64
    assert Event.objects.for_object(record).get().action == "datarecord.created"

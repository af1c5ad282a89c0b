"""第二十二条 (with 第二十七条): a sealed dossier is kept as it was archived.

Evidence AV is kept as long as its dossier (A22); cutting, editing or damaging records is what
A27 punishes. So once a dossier is frozen (封卷归档), its acts, cases, drafts and record items
change through no page, API or admin; a correction is a logged supplement (补充归档) with a
reason, and the sealed documents stay byte for byte as they were. Acts dated in the future
beyond a small clock tolerance are refused: a record states what happened.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.api.tests.conftest import api_as  # noqa: F401 - the API tests' fixture
from quancheng.archive import dossiers
from quancheng.cases.models import Act, Case
from quancheng.cases.services import create_act, update_act
from quancheng.compliance import services as compliance
from quancheng.ledger.models import Event
from quancheng.records.items import create_document, create_segment, unlink_item
from quancheng.records.models import Document, Segment
from quancheng.records.services import blob_store, register_blob

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A22-retention")]

SEALED = "已封卷归档"


@pytest.fixture(autouse=True)
def _stores(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"


def _blob(agency, content: bytes):
    info = blob_store().put(io.BytesIO(content))
    with transaction.atomic():
        return register_blob(info, agency)


class Inspection:
    """A finished inspection without a case, with a segment and a document, ready to archive."""

    def __init__(self, officer, colleague, custodian, agency, subject):
        start = timezone.now().replace(microsecond=0) - dt.timedelta(days=2)
        self.custodian = custodian
        self.act = create_act(
            officer,
            agency,
            [officer, colleague],
            kind="inspection",
            started_at=start,
            ended_at=start + dt.timedelta(hours=1),
            place=subject.address,
            subject=subject,
        )
        self.segment = create_segment(
            officer,
            agency=agency,
            blob=_blob(agency, b"video bytes of the inspection"),
            source="upload",
            act=self.act,
            original_filename="执法记录仪_001.mp4",
            content_type="video/mp4",
            started_at=start,
            ended_at=start + dt.timedelta(minutes=50),
            duration_seconds=3000,
        )
        self.document = create_document(
            officer,
            agency=agency,
            blob=_blob(agency, b"%PDF-1.7 the signed record"),
            source="upload",
            act=self.act,
            file_kind="pdf",
            doc_type="现场笔录",
            written_started_at=start,
            written_ended_at=start + dt.timedelta(minutes=50),
        )
        self.dossier = dossiers.assemble_dossier(custodian, act=self.act)

    def seal(self):
        self.dossier = dossiers.freeze_dossier(self.custodian, self.dossier)
        return self


@pytest.fixture
def inspection(officer, colleague, custodian, agency, subject):
    return Inspection(officer, colleague, custodian, agency, subject)


def test_a_sealed_act_cannot_be_edited_even_by_its_officer(officer, inspection):
    """封卷后执法行为不可修改（执法人员本人亦不可）"""
    inspection.seal()
    with pytest.raises(PermissionDenied, match=SEALED):
        update_act(officer, inspection.act, place="改动后的地点")
    inspection.act.refresh_from_db()
    assert inspection.act.place != "改动后的地点"


def test_an_act_whose_dossier_is_still_assembling_can_be_edited(officer, inspection):
    """组卷中尚未封卷的执法行为仍可修改"""
    update_act(officer, inspection.act, description="补充说明")
    assert Act.objects.get(pk=inspection.act.pk).description == "补充说明"


def test_a_sealed_act_cannot_be_edited_even_by_the_head(head, inspection):
    """封卷后机构负责人也不能直接修改，只能补充归档"""
    inspection.seal()
    with pytest.raises(PermissionDenied, match=SEALED):
        update_act(head, inspection.act, description="负责人改动")


def test_a_sealed_item_cannot_be_unlinked(custodian, inspection):
    """封卷后的音像记录不能解除关联"""
    inspection.seal()
    with pytest.raises(PermissionDenied, match=SEALED):
        unlink_item(custodian, inspection.segment, reason="整理")
    assert Segment.objects.get(pk=inspection.segment.pk).act_id == inspection.act.pk


def test_no_marker_is_added_to_a_sealed_segment(officer, inspection):
    """封卷后的音像记录不能再添加标记（规则据标记判定）"""
    inspection.seal()
    with pytest.raises(PermissionDenied, match=SEALED):
        compliance.add_marker(officer, inspection.segment, "identity_stated", 10)


def test_a_marker_is_added_before_sealing(officer, inspection):
    """封卷前承办人员可以添加标记"""
    marker = compliance.add_marker(officer, inspection.segment, "identity_stated", 10)
    assert marker.pk


def test_a_correction_is_a_supplement_with_a_reason_and_the_sealed_files_stay(
    officer, custodian, inspection
):
    """更正以补充归档（须说明原因）进行，已归档文书和卷内条目原样保存"""
    inspection.seal()
    sealed_blob = Document.objects.get(pk=inspection.document.pk).blob_id
    sealed_entries = list(inspection.dossier.entries.values_list("item_kind", "item_id"))
    later = create_document(
        officer,
        agency=inspection.act.agency,
        blob=_blob(inspection.act.agency, b"%PDF-1.7 a correction"),
        source="upload",
        act=inspection.act,
        file_kind="pdf",
        doc_type="情况说明",
    )
    with pytest.raises(ValidationError):
        dossiers.supplement_dossier(custodian, inspection.dossier, "", [("document", later.pk)])
    dossiers.supplement_dossier(
        custodian,
        inspection.dossier,
        "现场笔录记载时间有误，补充情况说明",
        [("document", later.pk)],
    )
    event = Event.objects.filter(action="dossier.supplemented").get()
    assert "现场笔录记载时间有误" in event.body
    entries = list(inspection.dossier.entries.values_list("item_kind", "item_id"))
    assert entries[: len(sealed_entries)] == sealed_entries
    assert Document.objects.get(pk=inspection.document.pk).blob_id == sealed_blob


def test_the_admin_offers_no_way_to_change_acts_cases_or_records():
    """管理后台不提供修改执法行为、案件和记录的入口"""
    for model in (Act, Case, Segment, Document):
        assert not admin.site.is_registered(model)


def test_the_api_refuses_to_patch_a_sealed_act(api_as, officer, inspection):  # noqa: F811
    """接口修改已封卷的执法行为被拒绝（403，说明原因）"""
    inspection.seal()
    before = Event.objects.count()
    r = api_as(officer).patch(f"/acts/{inspection.act.pk}", {"place": "别处"})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert SEALED in r.json()["message"]
    assert Event.objects.count() == before


def test_the_api_patches_an_act_not_yet_sealed(api_as, officer, inspection):  # noqa: F811
    """接口修改未封卷的执法行为成功"""
    r = api_as(officer).patch(f"/acts/{inspection.act.pk}", {"description": "补充"})
    assert r.status_code == 200, r.content
    assert r.json()["description"] == "补充"


def _act_at(officer, colleague, agency, subject, start):
    return create_act(
        officer,
        agency,
        [officer, colleague],
        kind="inspection",
        started_at=start,
        ended_at=start + dt.timedelta(minutes=30),
        place=subject.address,
        subject=subject,
    )


NOW = dt.datetime(2026, 11, 20, 7, 0, tzinfo=dt.UTC)


def test_an_act_dated_in_the_future_is_refused(officer, colleague, agency, subject):
    """开始时间晚于当前时间（超出时钟容差）的执法行为不予登记"""
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as raised:
        _act_at(officer, colleague, agency, subject, NOW + dt.timedelta(hours=1))
    assert "started_at" in raised.value.message_dict
    assert not Act.objects.exists()


def test_an_act_starting_within_the_clock_tolerance_is_accepted(
    officer, colleague, agency, subject, settings
):
    """开始时间在时钟容差以内（终端时钟略快）的执法行为可以登记"""
    settings.QC_FUTURE_TOLERANCE_SECONDS = 300
    with time_machine.travel(NOW, tick=False):
        act = _act_at(officer, colleague, agency, subject, NOW + dt.timedelta(minutes=2))
    assert act.started_at == NOW + dt.timedelta(minutes=2)


def test_the_api_refuses_a_future_act(api_as, officer, colleague, subject):  # noqa: F811
    """接口登记未来时间的执法行为返回 400 与字段错误"""
    with time_machine.travel(NOW, tick=False):
        r = api_as(officer).post(
            "/acts",
            {
                "kind": "inspection",
                "subject_id": subject.pk,
                "officer_ids": [officer.pk, colleague.pk],
                "started_at": "2026-11-21T09:00:00+08:00",
                "ended_at": "2026-11-21T10:00:00+08:00",
                "place": subject.address,
            },
        )
    assert r.status_code == 400, r.content
    assert r.json()["code"] == "in_future"
    assert "started_at" in r.json()["fields"]

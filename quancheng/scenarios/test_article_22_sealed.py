"""第二十二条 (with 第二十七条): a sealed dossier is kept as it was archived.

Evidence AV is kept as long as its dossier (A22); cutting, editing or damaging records is what
A27 punishes. So once a dossier is frozen (封卷归档), its acts, cases, drafts and record items
change through no page, API or admin; a correction is a logged supplement (补充归档) with a
reason, and the sealed documents stay byte for byte as they were. Acts dated in the future
beyond a small clock tolerance are refused: a record states what happened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
import time_machine
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quancheng.access.inbox import inbox
from quancheng.archive import dossiers
from quancheng.cases.models import Act, Case
from quancheng.cases.services import create_act, update_act
from quancheng.compliance import services as compliance
from quancheng.conftest import make_person
from quancheng.ledger.models import Event
from quancheng.orgs.models import Device, Role
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
            officer=officer,
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


def _late_document(officer, inspection, content=b"%PDF-1.7 a correction"):
    return create_document(
        officer,
        agency=inspection.act.agency,
        blob=_blob(inspection.act.agency, content),
        source="upload",
        act=inspection.act,
        file_kind="pdf",
        doc_type="情况说明",
    )


def _sha256_of(blob_id: str) -> str:
    with blob_store().open(blob_id) as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_a_correction_is_a_supplement_with_a_reason_and_the_sealed_files_stay(
    officer, custodian, head, inspection
):
    """更正以补充归档申请（须说明原因）提出，经机构负责人批准后补入，已归档文书和卷内目录原样保存"""
    inspection.seal()
    sealed_blob = Document.objects.get(pk=inspection.document.pk).blob_id
    sealed_toc = inspection.dossier.toc_blob_id
    sealed_entries = list(inspection.dossier.entries.values_list("item_kind", "item_id"))
    later = _late_document(officer, inspection)
    with pytest.raises(ValidationError):
        dossiers.request_supplement(custodian, inspection.dossier, "", [("document", later.pk)])
    request = dossiers.request_supplement(
        custodian,
        inspection.dossier,
        "现场笔录记载时间有误，补充情况说明",
        [("document", later.pk)],
    )
    dossiers.decide_supplement(head, request, approve=True, note="同意补充")
    event = Event.objects.filter(action="dossier.supplemented").get()
    assert "现场笔录记载时间有误" in event.body and f'"approved_by":{head.pk}' in event.body
    entries = list(inspection.dossier.entries.values_list("item_kind", "item_id"))
    assert entries[: len(sealed_entries)] == sealed_entries
    assert entries[len(sealed_entries) :] == [("document", later.pk)]
    # The sealed files: the same blobs, the same bytes, the same hash the freeze recorded.
    assert Document.objects.get(pk=inspection.document.pk).blob_id == sealed_blob
    assert _sha256_of(sealed_blob) == sealed_blob
    inspection.dossier.refresh_from_db()
    assert inspection.dossier.toc_blob_id == sealed_toc
    assert _sha256_of(sealed_toc) == sealed_toc
    frozen = Event.objects.filter(action="dossier.frozen").get()
    assert f'"toc_sha256":"{sealed_toc}"' in frozen.body


def test_a_supplement_waits_for_the_head_and_changes_nothing_before(officer, custodian, inspection):
    """补充归档申请未经机构负责人批准前，案卷内容不变，案卷页面显示待审批"""
    inspection.seal()
    later = _late_document(officer, inspection)
    before = list(inspection.dossier.entries.values_list("pk", "item_kind", "item_id"))
    request = dossiers.request_supplement(
        custodian, inspection.dossier, "补充情况说明", [("document", later.pk)]
    )
    assert request.status == "pending"
    assert list(inspection.dossier.entries.values_list("pk", "item_kind", "item_id")) == before
    assert not inspection.dossier.supplements.exists()
    assert Event.objects.filter(action="dossier.supplement_requested").count() == 1
    assert not Event.objects.filter(action="dossier.supplemented").exists()
    # A second request while one waits is refused.
    with pytest.raises(ValidationError, match="已有待机构负责人审批"):
        dossiers.request_supplement(
            custodian, inspection.dossier, "再补充", [("document", later.pk)]
        )
    client = Client()
    client.force_login(custodian)
    page = client.get(inspection.dossier.get_absolute_url()).content.decode()
    assert "待机构负责人审批" in page and "补充情况说明" in page


def test_the_requester_may_not_approve_their_own_supplement(officer, custodian, head, inspection):
    """申请人不能审批自己的补充归档申请（即使其后担任机构负责人）"""
    inspection.seal()
    later = _late_document(officer, inspection)
    request = dossiers.request_supplement(
        custodian, inspection.dossier, "补充情况说明", [("document", later.pk)]
    )
    # The custodian becomes the head: still not for their own request.
    custodian.role = Role.HEAD
    custodian.save(update_fields=["role"])
    with pytest.raises(PermissionDenied, match="申请人不能审批自己的补充归档申请"):
        dossiers.decide_supplement(custodian, request, approve=True)
    assert not inspection.dossier.supplements.exists()
    # Nor does it show in their own inbox.
    assert request.pk not in [
        e.obj.pk for code, _, entries in inbox(custodian) if code == "supplement" for e in entries
    ]
    assert request.pk in [
        e.obj.pk for code, _, entries in inbox(head) if code == "supplement" for e in entries
    ]


def test_only_the_head_of_the_dossiers_agency_decides_a_supplement(
    officer, colleague, custodian, outsider, other_agency, inspection
):
    """只有案卷所属机构的负责人可以审批补充归档（执法人员、他区负责人均不可）"""
    inspection.seal()
    later = _late_document(officer, inspection)
    request = dossiers.request_supplement(
        custodian, inspection.dossier, "补充情况说明", [("document", later.pk)]
    )
    other_head = make_person("zhouheng", "周恒", other_agency, Role.HEAD, certificate=False)
    for person in (officer, colleague):
        with pytest.raises(PermissionDenied, match="只有本机构负责人可以审批"):
            dossiers.decide_supplement(person, request, approve=True)
    with pytest.raises(Http404):
        dossiers.decide_supplement(other_head, request, approve=True)
    request.refresh_from_db()
    assert request.status == "pending"
    assert not inspection.dossier.supplements.exists()


def test_a_refused_supplement_leaves_the_dossier_as_sealed(officer, custodian, head, inspection):
    """机构负责人不予批准（须说明意见）：案卷不变，页面显示不予批准及意见"""
    inspection.seal()
    later = _late_document(officer, inspection)
    before = list(inspection.dossier.entries.values_list("item_kind", "item_id"))
    request = dossiers.request_supplement(
        custodian, inspection.dossier, "补充情况说明", [("document", later.pk)]
    )
    with pytest.raises(ValidationError, match="请填写审批意见"):
        dossiers.decide_supplement(head, request, approve=False)
    dossiers.decide_supplement(head, request, approve=False, note="情况说明应另行立卷")
    assert list(inspection.dossier.entries.values_list("item_kind", "item_id")) == before
    assert Event.objects.filter(action="dossier.supplement_refused").count() == 1
    with pytest.raises(ValidationError, match="已处理"):
        dossiers.decide_supplement(head, request, approve=True)
    client = Client()
    client.force_login(officer)
    page = client.get(inspection.dossier.get_absolute_url()).content.decode()
    assert "不予批准" in page and "情况说明应另行立卷" in page


def test_a_supplement_through_the_api_requested_refused_then_approved(
    api_as,
    officer,
    custodian,
    head,
    inspection,
):
    """接口：记录管理专人申请补充归档，机构负责人审批；待审批、不予批准和结果均可查询"""
    inspection.seal()
    later = _late_document(officer, inspection)
    dossier = inspection.dossier
    body = {"reason": "补充情况说明", "items": [{"kind": "document", "id": later.pk}]}
    # The officer may not ask; the custodian may.
    r = api_as(officer).post(f"/dossiers/{dossier.pk}/supplement-requests", body)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = api_as(custodian).post(f"/dossiers/{dossier.pk}/supplement-requests", body)
    assert r.status_code == 201, r.content
    first = r.json()
    assert first["status"] == "pending" and first["supplement"] is None
    shown = api_as(officer).get(f"/dossiers/{dossier.pk}").json()
    assert [q["status"] for q in shown["supplement_requests"]] == ["pending"]
    assert not any(e["supplement"] for e in shown["entries"])
    # The head refuses with a note: nothing added.
    r = api_as(head).post(
        f"/supplement-requests/{first['id']}/decision", {"approve": False, "note": "另行立卷"}
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "refused" and r.json()["decision_note"] == "另行立卷"
    again = api_as(head).post(f"/supplement-requests/{first['id']}/decision", {"approve": True})
    assert again.status_code == 400 and again.json()["code"] == "already_decided"
    # Asked again and approved: the document is in, as supplement 1.
    second = api_as(custodian).post(f"/dossiers/{dossier.pk}/supplement-requests", body).json()
    r = api_as(custodian).post(f"/supplement-requests/{second['id']}/decision", {"approve": True})
    assert r.status_code == 403
    r = api_as(head).post(f"/supplement-requests/{second['id']}/decision", {"approve": True})
    assert r.status_code == 200 and r.json()["supplement"] == 1
    shown = api_as(officer).get(f"/dossiers/{dossier.pk}").json()
    assert [q["status"] for q in shown["supplement_requests"]] == ["approved", "refused"]
    assert shown["entries"][-1] == {
        **shown["entries"][-1],
        "item_kind": "document",
        "item_id": later.pk,
        "supplement": 1,
    }


def _sealed_pages(inspection):
    act = inspection.act
    return [
        ("get", reverse("act_edit", args=[act.pk]), {}),
        ("post", reverse("act_edit", args=[act.pk]), {"place": "别处"}),
        ("post", reverse("records_segment_unlink", args=[inspection.segment.pk]), {"reason": "x"}),
        (
            "post",
            reverse("compliance:marker_add", args=[inspection.segment.pk]),
            {"kind": "identity_stated", "offset_seconds": "10"},
        ),
    ]


def test_no_page_changes_a_sealed_act_or_its_items_whoever_asks(
    officer, head, custodian, outsider, inspection
):
    """封卷后，执法人员本人、机构负责人、记录管理专人均不能通过页面修改执法行为及其记录；他区人员看不到"""
    client = Client()
    client.force_login(officer)
    assert client.get(reverse("act_edit", args=[inspection.act.pk])).status_code == 200
    inspection.seal()
    changes = Event.objects.exclude(action__endswith="viewed").exclude(action__startswith="auth.")
    before = changes.count()
    for person in (officer, head, custodian):
        client.force_login(person)
        for method, url, data in _sealed_pages(inspection):
            response = getattr(client, method)(url, data)
            assert response.status_code == 403, (person, url, response.status_code)
    client.force_login(outsider)
    for method, url, data in _sealed_pages(inspection):
        assert getattr(client, method)(url, data).status_code == 404, url
    assert changes.count() == before
    act = Act.objects.get(pk=inspection.act.pk)
    assert act.place != "别处"
    assert Segment.objects.get(pk=inspection.segment.pk).act_id == act.pk


def test_the_admin_changes_nothing_sealed_even_for_the_superuser(officer, inspection):
    """管理后台：唯一的超级用户（应急账号）也不能修改执法行为、记录、案卷及其检查结果；执法人员进不了后台"""
    from quancheng.orgs.breakglass import open_break_glass

    inspection.seal()
    root, _ = open_break_glass("测试：后台不得修改封存材料", operator="test")
    client = Client()
    client.force_login(officer)
    response = client.get(f"/admin/cases/act/{inspection.act.pk}/change/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(root)
    paths = [
        f"/admin/cases/act/{inspection.act.pk}/change/",
        f"/admin/records/segment/{inspection.segment.pk}/change/",
        f"/admin/records/document/{inspection.document.pk}/change/",
        f"/admin/archive/dossier/{inspection.dossier.pk}/change/",
        "/admin/archive/dossierentry/",
        "/admin/archive/supplementrequest/",
    ]
    for path in paths:
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"place": "别处"}).status_code == 404, path
    # The rule results are shown read-only: nothing added, changed or deleted there.
    for path in ("/admin/compliance/finding/add/", "/admin/compliance/explanation/add/"):
        assert client.post(path, {}).status_code == 403, path
    assert Act.objects.get(pk=inspection.act.pk).place != "别处"


def test_the_admin_offers_no_way_to_change_acts_cases_or_records():
    """管理后台不提供修改执法行为、案件和记录的入口"""
    for model in (Act, Case, Segment, Document):
        assert not admin.site.is_registered(model)


def test_the_api_refuses_to_patch_a_sealed_act(api_as, officer, inspection):
    """接口修改已封卷的执法行为被拒绝（403，说明原因）"""
    inspection.seal()
    before = Event.objects.count()
    r = api_as(officer).patch(f"/acts/{inspection.act.pk}", {"place": "别处"})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert SEALED in r.json()["message"]
    assert Event.objects.count() == before


def test_no_api_call_changes_a_sealed_act_or_its_items_whoever_asks(
    api_as,
    officer,
    head,
    custodian,
    outsider,
    inspection,
):
    """接口：封卷后承办人员、负责人、记录管理专人均不能改执法行为、加标记、手工录入时间；他区 404"""
    act, segment = inspection.act, inspection.segment
    camera = Device.objects.create(agency=act.agency, kind="body_camera", serial_number="DSJ-7")
    calls = [
        ("patch", f"/acts/{act.pk}", {"place": "别处"}),
        (
            "post",
            f"/acts/{act.pk}/markers",
            {"segment_id": segment.pk, "kind": "identity_stated", "offset_seconds": 10},
        ),
        (
            "post",
            f"/segments/{segment.pk}/time",
            {
                "started_at": "2026-11-16T09:00:00+08:00",
                "device": camera.serial_number,
                "reason": "补录",
            },
        ),
    ]
    # Before sealing the act's own officer adds a marker: the right person, the right state.
    r = api_as(officer).post(calls[1][1], calls[1][2])
    assert r.status_code == 201, r.content
    inspection.seal()
    before = Event.objects.exclude(action__endswith="viewed").count()
    for person in (officer, head, custodian):
        for method, path, body in calls:
            r = getattr(api_as(person), method)(path, body)
            assert r.status_code == 403, (person, path, r.content)
            assert r.json()["code"] == "forbidden"
            if person == officer:  # the act's own officer, refused only because it is sealed
                assert SEALED in r.json()["message"], path
    for method, path, body in calls:
        assert getattr(api_as(outsider), method)(path, body).status_code == 404, path
    assert Event.objects.exclude(action__endswith="viewed").count() == before


def test_the_api_patches_an_act_not_yet_sealed(api_as, officer, inspection):
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


def test_the_api_refuses_a_future_act(api_as, officer, colleague, subject):
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

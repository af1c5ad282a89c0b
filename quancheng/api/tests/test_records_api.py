"""The records API: attaching finished uploads to acts, the act's records, data records, kinds."""

import hashlib
import io

import pytest

from quancheng.ledger.models import Event
from quancheng.records.datakinds import load_data_kinds
from quancheng.records.models import DataRecord, Document, Segment
from quancheng.records.services import append, create_upload

PDF = b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64)
INSPECTION = {
    "checklist": "医疗机构监督检查表",
    "items": [
        {"code": "1.1", "item": "持有效《医疗机构执业许可证》", "result": "符合"},
        {"code": "2.3", "item": "医疗废物分类收集", "result": "不符合", "note": "未分类"},
    ],
    "conclusion": "发现问题，已出具卫生监督意见书",
    "opinion_number": "渝中卫监意〔2026〕12号",
}


@pytest.fixture(autouse=True)
def _stores(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"


@pytest.fixture
def kinds(db):
    load_data_kinds()


def finished(user, content: bytes, filename="f.bin"):
    upload = create_upload(user, len(content), {"filename": filename})
    return append(upload, 0, io.BytesIO(content).read, len(content)).upload


def test_attach_a_segment_then_list_the_acts_records(api_as, officer, act):
    api = api_as(officer)
    upload = finished(officer, MP4, "DSC_0001.MP4")
    r = api.post(f"/acts/{act.pk}/segments", {"upload_id": str(upload.pk), "is_evidence": True})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == "segment" and body["act_id"] == act.pk and body["is_evidence"]
    assert body["sha256"] == hashlib.sha256(MP4).hexdigest() and body["size"] == len(MP4)
    assert body["media_kind"] == "video" and not body["existed"]

    again = finished(officer, MP4, "copy.mp4")
    r = api.post(f"/acts/{act.pk}/segments", {"upload_id": str(again.pk)})
    assert r.status_code == 200 and r.json()["existed"] and r.json()["id"] == body["id"]

    records = api.get(f"/acts/{act.pk}/records").json()
    assert [s["id"] for s in records["segments"]] == [body["id"]]
    assert records["documents"] == [] and records["data_records"] == []


def test_attach_a_document_with_its_written_times(api_as, officer, act):
    upload = finished(officer, PDF, "笔录.pdf")
    r = api_as(officer).post(
        f"/acts/{act.pk}/documents",
        {
            "upload_id": str(upload.pk),
            "doc_type": "现场笔录",
            "number": "渝中卫现〔2026〕3号",
            "written_started_at": "2026-03-01T09:30:00+08:00",
            "written_ended_at": "2026-03-01T10:10:00+08:00",
        },
    )
    assert r.status_code == 201, r.content
    assert r.json()["written_started_at"] == "2026-03-01T09:30:00+08:00"
    assert Document.objects.get().number == "渝中卫现〔2026〕3号"


@pytest.mark.parametrize(
    ("path", "content", "extra", "status", "code"),
    [
        ("documents", MP4, {"doc_type": "现场笔录"}, 415, "wrong_content_type"),
        ("segments", PDF, {}, 415, "wrong_content_type"),
        ("documents", PDF, {}, 422, "invalid_input"),  # 文书种类 missing
    ],
)
def test_attach_refuses_bad_input_as_json(api_as, officer, act, path, content, extra, status, code):
    upload = finished(officer, content)
    before = Event.objects.count()
    r = api_as(officer).post(f"/acts/{act.pk}/{path}", {"upload_id": str(upload.pk), **extra})
    assert r.status_code == status and r.json()["code"] == code
    assert r.json()["message"]
    assert Event.objects.count() == before
    assert not Segment.objects.exists() and not Document.objects.exists()


def test_another_agencys_act_is_not_found(api_as, outsider, act):
    upload = finished(outsider, MP4)
    api = api_as(outsider)
    r = api.post(f"/acts/{act.pk}/segments", {"upload_id": str(upload.pk)})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert api.get(f"/acts/{act.pk}/records").status_code == 404
    assert not Segment.objects.exists()


def test_someone_elses_upload_is_not_found(api_as, officer, colleague, act):
    upload = finished(colleague, MP4)
    r = api_as(officer).post(f"/acts/{act.pk}/segments", {"upload_id": str(upload.pk)})
    assert r.status_code == 404 and r.json()["code"] == "upload_not_found"
    assert not Segment.objects.exists()


def test_data_kinds_are_listed_with_their_schemas(api_as, officer, kinds):
    kinds = api_as(officer).get("/data-kinds").json()
    codes = {k["code"]: k for k in kinds}
    assert {"inspection-checklist", "site-location", "field-sampling"} <= set(codes)
    assert codes["site-location"]["schema"]["required"] == ["latitude", "longitude", "accuracy_m"]


def test_post_a_data_record_of_an_act(api_as, officer, act, kinds):
    r = api_as(officer).post(
        "/data-records",
        {
            "kind": "inspection-checklist",
            "data": INSPECTION,
            "recorded_at": "2026-03-01T10:05:00+08:00",
            "act_id": act.pk,
        },
    )
    assert r.status_code == 201, r.content
    record = DataRecord.objects.get()
    assert (record.act, record.subject, record.source) == (act, act.subject, "api")
    # Recorded under the kind's current schema version (version 2 maps fields to documents).
    assert r.json()["data"] == INSPECTION
    assert r.json()["schema_version"] == record.kind.version == 2
    assert Event.objects.filter(action="datarecord.created").count() == 1


def test_a_data_record_failing_its_schema_is_refused_with_the_fields(api_as, officer, act, kinds):
    bad = {**INSPECTION, "items": [{"code": "1.1", "item": "许可证", "result": "合格"}]}
    r = api_as(officer).post(
        "/data-records",
        {"kind": "inspection-checklist", "data": bad, "recorded_at": "2026-03-01T10:05:00+08:00"},
    )
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "schema_invalid"
    assert "监督检查记录" in body["message"]
    assert any(m.startswith("items/0/result") for m in body["fields"]["data"])
    assert not DataRecord.objects.exists()


def test_data_record_references_outside_scope_are_not_found(api_as, outsider, act, kinds):
    r = api_as(outsider).post(
        "/data-records",
        {
            "kind": "no-such-kind",
            "data": {},
            "recorded_at": "2026-03-01T10:05:00+08:00",
            "act_id": act.pk,
            "device": "CAM-404",
        },
    )
    assert r.status_code == 400
    assert set(r.json()["fields"]) == {"kind", "act_id", "device"}
    assert not DataRecord.objects.exists()


def test_a_naive_recorded_at_is_refused(api_as, officer, kinds):
    r = api_as(officer).post(
        "/data-records",
        {
            "kind": "site-location",
            "data": {"latitude": 29.55, "longitude": 106.57, "accuracy_m": 8},
            "recorded_at": "2026-03-01T10:05:00",
        },
    )
    assert r.status_code == 400 and r.json()["code"] == "naive_datetime"


def test_the_records_api_needs_a_token(client, act):
    assert client.get(f"/api/v1/acts/{act.pk}/records").status_code == 401
    assert client.get("/api/v1/data-kinds").status_code == 401


def test_a_document_ending_before_it_starts_is_refused(api_as, officer, act):
    upload = finished(officer, PDF)
    r = api_as(officer).post(
        f"/acts/{act.pk}/documents",
        {
            "upload_id": str(upload.pk),
            "doc_type": "询问笔录",
            "written_started_at": "2026-03-01T10:00:00+08:00",
            "written_ended_at": "2026-03-01T09:00:00+08:00",
        },
    )
    assert r.status_code == 400
    assert r.json()["fields"]["written_ended_at"] == ["记载的结束时间早于开始时间"]
    assert not Document.objects.exists()


def test_a_reader_cannot_attach_to_an_act_it_sees(api_as, auditor, act):
    # The city-wide auditor sees the act but writes nothing: refused before the upload is looked at.
    upload_id = "00000000-0000-0000-0000-000000000000"
    r = api_as(auditor).post(f"/acts/{act.pk}/segments", {"upload_id": upload_id})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("第3号", "格式不正确"),
        ("江北卫现〔2026〕3号", "应以本机构的“渝中卫”开头"),
        ("渝中卫现〔1900〕3号", "年份1900不合理"),
        ("渝中卫现〔2026〕3号", "已被本机构的其他文书使用"),
    ],
)
def test_a_scans_number_is_checked_and_nothing_is_attached(api_as, officer, act, number, message):
    api = api_as(officer)
    first = finished(officer, PDF, "笔录.pdf")
    body = {"upload_id": str(first.pk), "doc_type": "现场笔录", "number": "渝中卫现〔2026〕3号"}
    assert api.post(f"/acts/{act.pk}/documents", body).status_code == 201
    other = finished(officer, PDF + b"\n% another scan", "笔录2.pdf")
    body = {"upload_id": str(other.pk), "doc_type": "现场笔录", "number": number}
    r = api.post(f"/acts/{act.pk}/documents", body)
    assert r.status_code == 400, r.content
    assert message in " ".join(r.json()["fields"]["number"])
    assert Document.objects.count() == 1

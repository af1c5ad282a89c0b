"""Attaching finished uploads to acts: the service, the upload page and its attach view."""

import hashlib
import io
import re

import pytest
from django.test import Client

from quancheng.ledger.models import Event
from quancheng.records.attach import attach_upload
from quancheng.records.models import Blob, Document, Segment, Upload
from quancheng.records.services import UploadError, append, create_upload

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(200) + b"moov"
TEXT = b"this is not a document, just text\n"


def finished_upload(user, content: bytes, filename="file.bin", act=None) -> Upload:
    """A completed upload of ``content`` through the tus services (what the page's PATCHes do)."""
    metadata = {"filename": filename}
    if act is not None:
        metadata["act"] = str(act.pk)
    upload = create_upload(user, len(content), metadata)
    return append(upload, 0, io.BytesIO(content).read, len(content)).upload


def events(action: str) -> int:
    return Event.objects.filter(action=action).count()


def attach_url(act) -> str:
    return f"/acts/{act.pk}/upload/attach"


@pytest.fixture
def officer_client(officer):
    client = Client()
    client.force_login(officer)
    return client


# --- the service ------------------------------------------------------------------------------


def test_a_pdf_becomes_a_document_of_the_act(officer, act):
    upload = finished_upload(officer, PDF, "现场笔录.pdf", act)
    attached = attach_upload(
        officer, act, upload.pk, "document", doc_type="现场笔录", number="渝中卫现〔2026〕3号"
    )
    document = attached.item
    assert not attached.existed
    assert (document.act, document.case, document.subject) == (act, act.case, act.subject)
    assert document.file_kind == "pdf" and document.content_type == "application/pdf"
    assert document.blob_id == hashlib.sha256(PDF).hexdigest()
    assert document.original_filename == "现场笔录.pdf"
    assert document.source == "upload"
    assert events("document.created") == 1


def test_an_mp4_becomes_a_segment_labelled_from_the_act(officer, act):
    upload = finished_upload(officer, MP4, "DSC_0001.MP4", act)
    segment = attach_upload(officer, act, upload.pk, "segment").item
    assert segment.media_kind == "video" and segment.container == "mp4"
    assert segment.label_place == act.place and segment.label_party == act.subject.name
    assert events("segment.created") == 1


def test_the_same_file_again_is_linked_not_stored_twice(officer, act):
    first = attach_upload(officer, act, finished_upload(officer, MP4, "a.mp4").pk, "segment")
    again = finished_upload(officer, MP4, "a-copy.mp4")
    assert again.blob_created is False  # the store deduplicated the bytes
    second = attach_upload(officer, act, again.pk, "segment")
    assert second.existed and second.deduplicated
    assert second.item.pk == first.item.pk
    assert Segment.objects.count() == 1 and Blob.objects.count() == 1


def test_the_same_file_waiting_unlinked_is_linked_to_the_act(officer, agency, act):
    from quancheng.records.items import create_segment

    blob = Blob.objects.get(sha256=finished_upload(officer, MP4).sha256)
    waiting = create_segment(officer, agency=agency, blob=blob, source="ingest")
    attached = attach_upload(officer, act, finished_upload(officer, MP4).pk, "segment")
    assert attached.existed and attached.item.pk == waiting.pk
    assert Segment.objects.get().act == act
    assert events("segment.linked") == 1


@pytest.mark.parametrize(
    ("kind", "content"),
    [("document", TEXT), ("document", MP4), ("segment", PDF), ("segment", TEXT)],
)
def test_content_that_is_not_what_the_kind_needs_is_refused(officer, act, kind, content):
    upload = finished_upload(officer, content, "looks-fine.pdf" if kind == "document" else "a.mp4")
    before = Event.objects.count()
    with pytest.raises(UploadError) as refused:
        attach_upload(officer, act, upload.pk, kind, doc_type="现场笔录")
    assert refused.value.code == "wrong_content_type" and refused.value.status == 415
    assert not Segment.objects.exists() and not Document.objects.exists()
    assert Event.objects.count() == before


def test_images_are_accepted_as_scanned_documents(officer, act):
    document = attach_upload(
        officer, act, finished_upload(officer, PNG, "scan.png").pk, "document", doc_type="询问笔录"
    ).item
    assert (document.file_kind, document.content_type) == ("image", "image/png")


def test_someone_elses_upload_cannot_be_attached(officer, colleague, act):
    upload = finished_upload(colleague, PDF, "theirs.pdf")
    with pytest.raises(UploadError) as refused:
        attach_upload(officer, act, upload.pk, "document", doc_type="现场笔录")
    assert refused.value.status == 404 and refused.value.code == "upload_not_found"
    assert not Document.objects.exists()


def test_an_unfinished_upload_cannot_be_attached(officer, act):
    upload = create_upload(officer, 10, {"filename": "half.mp4"})
    append(upload, 0, io.BytesIO(MP4[:5]).read, 5)
    with pytest.raises(UploadError) as refused:
        attach_upload(officer, act, upload.pk, "segment")
    assert refused.value.code == "upload_incomplete"


def test_an_upload_announced_for_another_act_stays_there(officer, colleague, agency, subject, act):
    from quancheng.cases.services import create_act

    other = create_act(
        officer,
        agency,
        [officer, colleague],
        kind="inspection",
        started_at=act.started_at,
        ended_at=act.ended_at,
        place=act.place,
        subject=subject,
    )
    upload = finished_upload(officer, MP4, act=other)
    with pytest.raises(UploadError) as refused:
        attach_upload(officer, act, upload.pk, "segment")
    assert refused.value.code == "upload_for_other_act"


def test_creating_an_upload_for_another_agencys_act_stores_nothing(outsider, act):
    with pytest.raises(UploadError) as refused:
        create_upload(outsider, 10, {"filename": "x.mp4", "act": str(act.pk)})
    assert refused.value.status == 404 and refused.value.code == "act_not_found"
    assert not Upload.objects.exists()


def test_a_path_in_the_file_name_is_refused_before_anything_is_stored(officer, act):
    for name in ("../x.mp4", "a/b.mp4", "..\\x.mp4"):
        with pytest.raises(UploadError) as refused:
            create_upload(officer, 10, {"filename": name, "act": str(act.pk)})
        assert refused.value.code == "invalid_filename"
    with pytest.raises(UploadError) as refused:
        create_upload(officer, 0, {"filename": "empty.mp4", "act": str(act.pk)})
    assert refused.value.code == "empty_upload"
    assert not Upload.objects.exists()


# --- the page ----------------------------------------------------------------------------------


def test_the_act_page_links_to_the_upload_page(officer_client, act):
    page = officer_client.get(f"/acts/{act.pk}/").content.decode()
    assert f'href="/acts/{act.pk}/upload/"' in page and "上传记录" in page


def test_the_upload_page_serves_its_own_script_and_lists_the_acts_records(
    officer, officer_client, act
):
    attach_upload(
        officer, act, finished_upload(officer, PDF, "笔录.pdf").pk, "document", doc_type="现场笔录"
    )
    response = officer_client.get(f"/acts/{act.pk}/upload/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<script src="/static/records/upload.js"' in page
    assert "<script>" not in page  # CSP 'self': no inline script
    assert 'data-endpoint="/api/v1/uploads/"' in page
    assert re.search(r'data-chunk-size="\d+"', page)
    assert "笔录.pdf" in page and "现场笔录" in page
    script = officer_client.get("/static/records/upload.js")
    assert script.status_code == 200


def test_outsiders_and_readers_get_no_upload_page(client, outsider, auditor, act):
    client.force_login(outsider)
    assert client.get(f"/acts/{act.pk}/upload/").status_code == 404
    r = client.post(attach_url(act), {"upload_id": "00000000-0000-0000-0000-000000000000"})
    assert r.status_code == 404 and r.json()["code"] == "act_not_found"
    client.force_login(auditor)  # sees the whole city, writes nothing
    assert client.get(f"/acts/{act.pk}/upload/").status_code == 403


def test_attach_view_creates_the_item_and_says_so(officer, officer_client, act):
    upload = finished_upload(officer, PDF, "笔录.pdf", act)
    r = officer_client.post(
        attach_url(act),
        {
            "upload_id": str(upload.pk),
            "kind": "document",
            "doc_type": "现场笔录",
            "number": "渝中卫现〔2026〕3号",
            "written_started_at": "2026-03-01T09:30",
            "written_ended_at": "2026-03-01T10:15",
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["code"] == "created" and body["message"] == "已登记为执法文书"
    assert body["item"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    document = Document.objects.get()
    assert document.written_started_at.isoformat() == "2026-03-01T01:30:00+00:00"


def test_attach_view_says_already_there_and_linked(officer, officer_client, act):
    for name in ("a.mp4", "b.mp4"):
        upload = finished_upload(officer, MP4, name, act)
        r = officer_client.post(attach_url(act), {"upload_id": str(upload.pk), "kind": "segment"})
    assert r.status_code == 200
    assert r.json()["code"] == "linked"
    assert r.json()["message"].startswith("已存在，已关联")
    assert Segment.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "code", "text"),
    [
        ({"kind": "document"}, "invalid_input", "请填写文书种类"),
        (
            {"kind": "document", "doc_type": "现场笔录", "upload_id": "nonsense"},
            "invalid_input",
            "上传编号无效",
        ),
        ({"kind": "segment"}, "wrong_content_type", "不是音视频文件"),
        (
            {
                "kind": "document",
                "doc_type": "现场笔录",
                "written_started_at": "2026-03-01T10:00",
                "written_ended_at": "2026-03-01T09:00",
            },
            "invalid_input",
            "结束时间早于开始时间",
        ),
    ],
)
def test_attach_view_explains_bad_input_in_chinese(
    officer, officer_client, act, fields, code, text
):
    upload = finished_upload(officer, PDF, "a.pdf", act)
    r = officer_client.post(attach_url(act), {"upload_id": str(upload.pk), **fields})
    assert r.status_code in (400, 415)
    assert r.json()["code"] == code and text in r.json()["message"]
    assert not Document.objects.exists() and not Segment.objects.exists()


def test_attach_view_needs_the_csrf_token(officer, act):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    upload = finished_upload(officer, MP4, "a.mp4", act)
    data = {"upload_id": str(upload.pk), "kind": "segment"}
    assert client.post(attach_url(act), data).status_code == 403
    client.get(f"/acts/{act.pk}/upload/")
    token = client.cookies["csrftoken"].value
    r = client.post(attach_url(act), data, headers={"X-CSRFToken": token})
    assert r.status_code == 201

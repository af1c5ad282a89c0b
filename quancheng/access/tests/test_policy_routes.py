"""Every route that serves record content asks the policy (A24): page, file, Range request,
HEAD, thumbnail, inline PDF, download, the API; each refused try is logged and alerted."""

import datetime as dt
import json
import secrets

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quancheng.alerts.models import Alert
from quancheng.ledger.models import Event
from quancheng.orgs.models import ApiToken

pytestmark = pytest.mark.django_db


def _routes(segment, document, data_record):
    """(method, url, headers) of every content route of the three items."""
    s, d = segment.pk, document.pk
    return [
        ("get", reverse("segment_detail", args=[s]), {}),
        ("get", reverse("segment_media", args=[s]), {}),
        ("get", reverse("segment_media", args=[s]), {"Range": "bytes=0-99"}),
        ("head", reverse("segment_media", args=[s]), {}),
        ("get", reverse("segment_thumbnail", args=[s]), {}),
        ("get", reverse("segment_download", args=[s]), {}),
        ("get", reverse("segment_download", args=[s]), {"Range": "bytes=10-"}),
        ("get", reverse("document_detail", args=[d]), {}),
        ("get", reverse("document_file", args=[d]), {}),
        ("get", reverse("document_download", args=[d]), {}),
        ("get", reverse("datarecord_detail", args=[data_record.pk]), {}),
    ]


def _token(user) -> str:
    secret = f"qc_test-{secrets.token_urlsafe(8)}"
    ApiToken.objects.create(
        name="测试终端",
        user=user,
        token_hash=ApiToken.hash_secret(secret),
        prefix=secret[:10],
        created_by=user,
    )
    return secret


def _denials(user):
    return Event.objects.filter(actor=user, action="access.denied")


def test_without_approval_every_route_is_refused_and_logged(
    client, bystander, segment, document, data_record
):
    client.force_login(bystander)
    routes = _routes(segment, document, data_record)
    for method, url, headers in routes:
        r = getattr(client, method)(url, headers=headers)
        assert r.status_code == 403, url
        assert not getattr(r, "streaming", False)
    assert _denials(bystander).count() == len(routes)
    body = json.loads(_denials(bystander).filter(object_type="records.segment").last().body)
    assert body["item_kind"] == "segment" and body["reason"] == "needs_request"
    # Nothing was served, so no access event was written.
    served = Event.objects.filter(actor=bystander, action__regex=r"(viewed|played|downloaded)$")
    assert not served.exists()


def test_the_refusal_page_is_chinese_and_offers_the_request_form(client, bystander, segment):
    client.force_login(bystander)
    page = client.get(reverse("segment_download", args=[segment.pk])).content.decode()
    assert "无权下载该记录" in page
    assert f"{reverse('access:request_new')}?kind=segment&amp;id={segment.pk}" in page


def test_a_refusal_alerts_the_custodian_and_head(client, bystander, custodian, head, document):
    client.force_login(bystander)
    client.get(reverse("document_file", args=[document.pk]))
    client.get(reverse("document_file", args=[document.pk]))
    alert = Alert.objects.get(kind="access.denied")
    assert alert.agency == document.agency and alert.roles == ["custodian", "head"]
    assert "钱伟" in alert.title
    assert Alert.objects.visible_to(head).filter(pk=alert.pk).exists()
    assert _denials(bystander).count() == 2  # every try logged, one open alert


@pytest.fixture
def draft(officer, act):
    from quancheng.documents.catalogue import load_catalogue
    from quancheng.documents.models import DocumentType
    from quancheng.documents.services import create_draft

    load_catalogue()
    return create_draft(officer, act, DocumentType.objects.get(name="现场笔录"))


def test_the_api_refuses_a_draft_with_access_denied_and_hides_data_values(
    bystander, officer, act, data_record, draft
):
    client = Client(headers={"Authorization": f"Bearer {_token(bystander)}"})
    r = client.get(f"/api/v1/document-drafts/{draft.pk}")
    assert r.status_code == 403
    assert r.json()["code"] == "access_denied"
    records = client.get(f"/api/v1/acts/{act.pk}/records").json()
    assert records["data_records"][0]["data"] is None
    assert _denials(bystander).count() == 1
    # An officer of the act gets the values, and the view is in the ledger.
    mine = Client(headers={"Authorization": f"Bearer {_token(officer)}"})
    records = mine.get(f"/api/v1/acts/{act.pk}/records").json()
    assert records["data_records"][0]["data"] == {"celsius": 37}
    assert Event.objects.for_object(data_record).filter(action="datarecord.viewed").exists()


def test_the_draft_preview_pdf_is_refused_without_approval(client, bystander, draft):
    client.force_login(bystander)
    assert client.get(reverse("documents:draft_preview", args=[draft.pk])).status_code == 403
    assert client.get(reverse("documents:draft_detail", args=[draft.pk])).status_code == 403
    assert _denials(bystander).count() == 2


def test_with_an_approval_every_route_works_until_it_expires(
    client, bystander, approve, segment, document, data_record
):
    approved = approve(bystander, download=True, days=3, act=segment.act)
    client.force_login(bystander)
    routes = _routes(segment, document, data_record)
    for method, url, headers in routes:
        r = getattr(client, method)(url, headers=headers)
        assert r.status_code in (200, 206), url
        if getattr(r, "streaming", False):
            b"".join(r.streaming_content)
    assert not _denials(bystander).exists()
    events = Event.objects.filter(
        actor=bystander, action__in=["segment.viewed", "segment.played", "segment.downloaded"]
    )
    assert events.count() >= 3
    assert all(json.loads(e.body)["access_request"] == approved.pk for e in events)

    with time_machine.travel(timezone.now() + dt.timedelta(days=3, minutes=1), tick=False):
        fresh = Client()
        fresh.force_login(bystander)
        for method, url, headers in routes:
            assert getattr(fresh, method)(url, headers=headers).status_code == 403, url
    assert _denials(bystander).count() == len(routes)


def test_an_approval_without_download_refuses_the_download(client, bystander, approve, segment):
    approve(bystander, item_kind="segment", item_id=segment.pk)
    client.force_login(bystander)
    assert client.get(reverse("segment_media", args=[segment.pk])).status_code == 200
    r = client.get(reverse("segment_download", args=[segment.pk]))
    assert r.status_code == 403
    assert json.loads(_denials(bystander).get().body)["reason"] == "request_no_download"


def test_the_act_page_shows_request_links_instead_of_thumbnails(
    client, bystander, officer, act, segment
):
    client.force_login(bystander)
    page = client.get(act.get_absolute_url()).content.decode()
    assert reverse("segment_thumbnail", args=[segment.pk]) not in page
    assert f"{reverse('access:request_new')}?kind=segment&amp;id={segment.pk}" in page
    assert f"{reverse('access:request_new')}?act={act.pk}" in page
    client.force_login(officer)
    page = client.get(act.get_absolute_url()).content.decode()
    assert reverse("segment_thumbnail", args=[segment.pk]) in page
    assert "申请调阅" not in page
    assert not _denials(bystander).exists()


def test_the_auditor_plays_but_is_offered_a_request_instead_of_the_download(
    client, auditor, segment
):
    client.force_login(auditor)
    page = client.get(segment.get_absolute_url()).content.decode()
    assert reverse("segment_media", args=[segment.pk]) in page
    assert reverse("segment_download", args=[segment.pk]) not in page
    assert "申请下载" in page
    assert client.get(reverse("segment_download", args=[segment.pk])).status_code == 403
    assert _denials(auditor).count() == 1

"""Extraction pages: the request form, the detail with progress, the head's decision, the
package's download (streamed, logged); the outsider sees nothing."""

import io
import re
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from quancheng.access.extraction import decide_extraction, request_extraction
from quancheng.access.models import Extraction
from quancheng.ledger.models import Event

from .extraction_setup import refs

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("extraction_stores")]


def _client(user, csrf=False):
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def _token(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def test_an_officer_picks_items_of_an_act_and_asks(officer, act, act_items):
    client = _client(officer, csrf=True)
    url = reverse("extraction:extraction_new") + f"?act={act.pk}"
    page = client.get(url).content.decode()
    for item in act_items:
        assert f'value="{item._meta.model_name}:{item.pk}"' in page
    assert client.post(url, {"act": act.pk, "purpose": "x"}).status_code == 403  # no token
    response = client.post(
        url,
        {
            "csrfmiddlewaretoken": _token(page),
            "act": act.pk,
            "purpose": "行政诉讼举证",
            "items": [f"segment:{act_items[0].pk}", f"datarecord:{act_items[2].pk}"],
        },
    )
    extraction = Extraction.objects.get()
    assert response.status_code == 302 and response.url == extraction.get_absolute_url()
    assert [i["kind"] for i in extraction.items] == ["segment", "datarecord"]
    detail = client.get(response.url).content.decode()
    assert "待审批" in detail and "行政诉讼举证" in detail


def test_a_request_without_items_shows_a_chinese_error(officer, act, act_items):
    client = _client(officer)
    url = reverse("extraction:extraction_new")
    response = client.post(url, {"act": act.pk, "purpose": "x"})
    assert response.status_code == 400
    assert "请至少选择一个条目" in response.content.decode()
    assert not Extraction.objects.exists()


def test_the_outsider_sees_nothing(outsider, officer, act, act_items, produced):
    client = _client(outsider)
    detail = reverse("extraction:extraction_detail", args=[produced.pk])
    assert client.get(detail).status_code == 404
    assert client.get(reverse("extraction:extraction_new") + f"?act={act.pk}").status_code == 404
    download = reverse("extraction:extraction_download", args=[produced.pk])
    assert client.get(download).status_code == 404
    listing = client.get(reverse("extraction:extraction_list")).content.decode()
    assert detail not in listing


def test_the_head_decides_on_the_page_and_the_package_is_produced(
    officer, head, act, act_items, certified, django_capture_on_commit_callbacks
):
    extraction = request_extraction(officer, purpose="复议", act=act, items=refs(act_items))
    client = _client(head, csrf=True)
    listing = client.get(reverse("extraction:extraction_list")).content.decode()
    assert "待我审批" in listing and extraction.get_absolute_url() in listing
    page = client.get(extraction.get_absolute_url()).content.decode()
    assert "批准" in page and 'name="decision"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("extraction:extraction_decide", args=[extraction.pk]),
            {"csrfmiddlewaretoken": _token(page), "decision": "approve"},
        )
    assert response.status_code == 302
    extraction.refresh_from_db()
    assert extraction.status == Extraction.Status.PRODUCED
    page = client.get(extraction.get_absolute_url()).content.decode()
    assert "下载提取包" in page and extraction.package_id in page


def test_the_officer_cannot_decide_and_progress_is_shown_while_producing(
    officer, head, act, act_items
):
    extraction = request_extraction(officer, purpose="复议", act=act, items=refs(act_items))
    client = _client(officer)
    assert 'name="decision"' not in client.get(extraction.get_absolute_url()).content.decode()
    client.post(
        reverse("extraction:extraction_decide", args=[extraction.pk]), {"decision": "approve"}
    )
    assert Extraction.objects.get().status == Extraction.Status.PENDING
    decide_extraction(head, extraction, approve=True)  # the queue is not run here
    Extraction.objects.filter(pk=extraction.pk).update(progress=60, stage="生成 BagIt 清单")
    page = client.get(extraction.get_absolute_url()).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page
    assert 'value="60"' in page and "生成 BagIt 清单" in page


def test_the_requester_downloads_the_zip_streamed_and_logged(officer, colleague, produced):
    url = reverse("extraction:extraction_download", args=[produced.pk])
    response = _client(officer).get(url)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert len(data) == produced.package.size
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert f"extraction-{produced.pk}/manifest-sha512.txt" in names
    ranged = _client(officer).get(url, headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206
    downloads = Event.objects.filter(action="extraction.downloaded").order_by("seq")
    assert [e.actor for e in downloads] == [officer, officer]
    assert '"range":"bytes 0-99/' in downloads.last().body
    assert _client(colleague).get(url).status_code == 403
    assert downloads.count() == 2


def test_the_act_and_case_pages_lead_to_extraction_and_provision(officer, act, case):
    client = _client(officer)
    page = client.get(act.get_absolute_url()).content.decode()
    assert f"{reverse('extraction:extraction_new')}?act={act.pk}" in page
    assert f"{reverse('extraction:provision_new')}?act={act.pk}" in page
    page = client.get(case.get_absolute_url()).content.decode()
    assert f"{reverse('extraction:extraction_new')}?case={case.pk}" in page


def test_the_note_is_shown_to_the_requester_and_logged(officer, colleague, outsider, produced):
    url = reverse("extraction:extraction_note", args=[produced.pk])
    assert url in _client(officer).get(produced.get_absolute_url()).content.decode()
    response = _client(officer).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    event = Event.objects.get(action="extraction.note_viewed")
    assert event.actor == officer and produced.note_id in event.body
    assert _client(colleague).get(url).status_code == 403
    assert _client(outsider).get(url).status_code == 404
    assert Event.objects.filter(action="extraction.note_viewed").count() == 1

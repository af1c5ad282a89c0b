"""Bad input on the pages is a clear error in Chinese, never a 500 (issue 15, point 5)."""

import pytest
from django.test import Client
from django.urls import reverse

from quancheng.subjects.models import Subject

from .conftest import text

pytestmark = pytest.mark.django_db

BIG = str(2**70)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", ["/subjects/?q=a%00b", "/acts/?q=%00", "/subjects/%00/"])
def test_nul_in_the_address_is_a_chinese_400(officer, url):
    response = _client(officer).get(url)
    assert response.status_code == 400
    assert "不能包含空字符" in text(response)


def test_nul_in_a_form_is_refused_and_nothing_is_saved(officer):
    response = _client(officer).post(
        reverse("subject_create"),
        {"name": "解放碑诊所\x00", "kind": "medical", "address": "渝中区邹容路100号"},
    )
    # Refused by the form's own validator (multipart) or before the view (urlencoded).
    assert response.status_code == 400
    assert not Subject.objects.exists()


@pytest.mark.parametrize("name", ["subject_detail", "act_detail", "case_detail", "act_edit"])
def test_an_id_beyond_64_bits_is_404(officer, name):
    assert _client(officer).get(reverse(name, args=[BIG])).status_code == 404


@pytest.mark.parametrize("query", ["page=abc", "page=1e999", f"page={BIG}", "subject=abc"])
def test_malformed_numbers_in_list_filters_are_not_500(officer, act, query):
    response = _client(officer).get(f"/acts/?{query}")
    assert response.status_code in (200, 400)


def test_the_outsider_gets_404(outsider, subject):
    assert _client(outsider).get(reverse("subject_detail", args=[subject.pk])).status_code == 404

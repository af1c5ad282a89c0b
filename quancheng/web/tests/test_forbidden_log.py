"""A refusal (403) is logged as one warning line, who, where and why, without a traceback
(quancheng/lib/log.py). The API's: api/tests/test_forbidden_log.py."""

import logging

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _forbidden(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request" and r.status_code == 403]


def test_a_refused_page_is_one_line_without_traceback(client, officer, caplog):
    client.force_login(officer)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("access:inbox"))
    assert response.status_code == 403
    (record,) = _forbidden(caplog)
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert record.getMessage() == (
        f"Forbidden: {officer.username} GET {reverse('access:inbox')}: 只有本机构负责人可以审批"
    )
    assert "Traceback" not in caplog.text
    assert [line for line in caplog.text.splitlines() if "django.request" in line] == [
        line for line in caplog.text.splitlines() if line.strip()
    ][-1:]


def test_other_warnings_pass_unchanged(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/no-such-page/")
    assert response.status_code == 404
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Not Found: /no-such-page/"

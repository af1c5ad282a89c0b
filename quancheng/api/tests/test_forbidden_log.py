"""A refused API call is logged as one warning line that says who, where and why
(quancheng/lib/log.py), without a traceback."""

import logging

import pytest

pytestmark = pytest.mark.django_db


def test_a_refused_api_call_says_who_and_why(officer, api_as, act, caplog):
    api = api_as(officer)
    path = f"/api/v1/acts/{act.pk}/registration"
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = api.post(f"/acts/{act.pk}/registration", {})
    assert response.status_code == 403
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    message = record.getMessage()
    assert message.startswith(f"Forbidden: {officer.username} POST {path}: ")
    assert response.json()["message"] in message

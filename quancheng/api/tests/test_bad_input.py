"""Every bad input is a clear JSON error, never a 500 (issue 15, point 5)."""

import pytest
from django.test import Client

from quancheng.ledger.models import Event
from quancheng.subjects.models import Subject

from .client import assert_error, counts

BIG = str(2**70)  # beyond 64 bits


@pytest.mark.parametrize(
    "path",
    [f"/acts/{BIG}", f"/subjects/{BIG}", f"/cases/{BIG}", f"/dossiers/{BIG}", f"/devices/{BIG}"],
)
def test_an_id_beyond_64_bits_in_the_path_is_404(officer, api_as, path):
    assert_error(api_as(officer).get(path), 404, "not_found")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/dossiers", {"case_id": BIG}),
        ("/dossiers", {"act_id": BIG}),
        ("/acts", {"offset": BIG}),
        ("/subjects", {"offset": BIG}),
        ("/acts", {"limit": "1e3"}),
        ("/acts", {"offset": "12abc"}),
        ("/acts", {"started_after": "9999-12-31T23:59:59-12:00"}),
        ("/acts", {"started_before": "0001-01-01T00:00:00+14:00"}),
    ],
)
def test_bad_numbers_and_times_in_a_query_are_422(officer, api_as, path, params):
    assert_error(api_as(officer).get(path, params), 422, "invalid_input")


def _act_body(subject, officer, colleague, **changes):
    return {
        "kind": "inspection",
        "started_at": "2026-03-01T09:00:00+08:00",
        "ended_at": "2026-03-01T10:00:00+08:00",
        "place": "渝中区邹容路100号",
        "subject_id": subject.pk,
        "officer_ids": [officer.pk, colleague.pk],
        **changes,
    }


@pytest.mark.parametrize(
    "when", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "1969-12-31T23:59:59Z"]
)
def test_a_datetime_outside_1970_to_2100_is_refused(officer, colleague, subject, api_as, when):
    before = counts()
    body = _act_body(subject, officer, colleague, started_at=when, ended_at=when)
    error = assert_error(api_as(officer).post("/acts", body), 422, "invalid_input")
    assert error["fields"]["started_at"] == ["时间应在1970年至2100年之间"]
    assert counts() == before


def test_nul_in_a_json_text_is_refused(officer, api_as):
    before = counts()
    body = {"name": "诊所\x00", "kind": "medical", "address": "渝中区"}
    error = assert_error(api_as(officer).post("/subjects", body), 422, "invalid_input")
    assert "空字符" in error["fields"]["name"][0]
    assert counts() == before


def test_nul_nested_in_json_data_is_refused(officer, api_as):
    body = {"kind": "x", "data": {"note": ["a\x00b"]}, "recorded_at": "2026-03-01T09:00:00+08:00"}
    error = assert_error(api_as(officer).post("/data-records", body), 422, "invalid_input")
    assert "data" in error["fields"]


def test_nul_in_a_query_string_is_refused(officer, api_as):
    assert_error(api_as(officer).get("/subjects", {"q": "a\x00b"}), 400, "nul_character")


def test_a_json_body_over_the_limit_is_413(officer, api_as, settings):
    settings.QC_API_MAX_BODY_BYTES = 1000
    api = api_as(officer)
    body = '{"name": "' + "诊" * 1000 + '"}'
    response = api.client.post(
        "/api/v1/subjects", body, content_type="application/json", headers=api._headers()
    )
    assert_error(response, 413, "body_too_large")
    assert not Subject.objects.exists()
    assert not Event.objects.filter(action__startswith="subject.").exists()


def test_the_default_limit_answers_413_not_500(officer, api_as, settings):
    api = api_as(officer)
    body = "[" + "0," * (settings.QC_API_MAX_BODY_BYTES // 2) + "0]"
    response = api.client.post(
        "/api/v1/acts", body, content_type="application/json", headers=api._headers()
    )
    assert_error(response, 413, "body_too_large")


def test_the_outsider_gets_404(outsider, subject, api_as):
    assert_error(api_as(outsider).get(f"/subjects/{subject.pk}"), 404, "not_found")


def test_an_anonymous_request_with_nul_gets_no_data(db):
    response = Client().get("/api/v1/subjects?q=%00")
    assert response.status_code in (400, 401)

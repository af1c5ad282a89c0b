"""Findings, markers and explanations of an act through the API (/api/v1/acts/{id}/...)."""

import pytest

from quancheng.compliance.evaluate import evaluate_act
from quancheng.compliance.models import Explanation, Finding, Marker
from quancheng.compliance.tests.scene import Scene
from quancheng.ledger.models import Event

from .client import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(officer, colleague, agency, subject, settings, tmp_path):
    """An inspection 16 Nov 2026 with one segment and no markers or documents: findings."""
    settings.VAR_DIR = str(tmp_path)
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    scene = Scene(officer, colleague, agency, subject, "inspection")
    scene.main = scene.segment(scene.act.started_at, scene.act.ended_at)
    evaluate_act(scene.act)
    return scene


def _open(built, rule_id="A15-docs"):
    return Finding.objects.filter(act=built.act, rule_id=rule_id).first()


def test_findings_list_with_completeness(api_as, officer, built):
    response = api_as(officer).get(f"/acts/{built.act.pk}/findings")
    assert response.status_code == 200
    body = response.json()
    assert body["completeness"] == "mandatory_missing"
    rules = {f["rule_id"] for f in body["findings"]}
    assert {"A15-docs", "A15-door", "A15-identity"} <= rules
    docs = next(f for f in body["findings"] if f["rule_id"] == "A15-docs")
    assert docs["status"] == "open" and docs["status_label"] == "待答复"
    assert docs["message"].endswith("（第十五条第（三）项、第十六条第（一）项）")


def test_outsider_sees_nothing(api_as, outsider, built):
    api = api_as(outsider)
    finding = _open(built)
    for path in ("findings", "markers", "explanations"):
        assert_error(api.get(f"/acts/{built.act.pk}/{path}"), 404, "not_found")
    assert_error(api.post(f"/findings/{finding.pk}/answer", {"answer": "x"}), 404, "not_found")
    assert_error(
        api.post(
            f"/acts/{built.act.pk}/markers",
            {"segment_id": built.main.pk, "kind": "identity_stated", "offset_seconds": 1},
        ),
        404,
        "not_found",
    )


def test_answer_and_decision(api_as, officer, head, built):
    finding = _open(built)
    assert_error(
        api_as(head).post(f"/findings/{finding.pk}/answer", {"answer": "补充"}), 403, "forbidden"
    )
    assert_error(
        api_as(officer).post(f"/findings/{finding.pk}/answer", {"answer": " "}), 400, "required"
    )
    response = api_as(officer).post(f"/findings/{finding.pk}/answer", {"answer": "现场笔录已补传"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "answered"
    assert response.json()["answered_by"]["id"] == officer.pk
    assert Event.objects.for_object(finding).last().action == "finding.answered"
    assert_error(
        api_as(officer).post(f"/findings/{finding.pk}/decision", {"accept": True}), 403, "forbidden"
    )
    assert_error(
        api_as(head).post(f"/findings/{finding.pk}/decision", {"accept": False}), 400, "required"
    )
    response = api_as(head).post(
        f"/findings/{finding.pk}/decision", {"accept": True, "note": "同意"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert_error(
        api_as(head).post(f"/findings/{finding.pk}/decision", {"accept": True}), 400, "not_answered"
    )


def test_markers_list_and_create(api_as, officer, act, built):
    api = api_as(officer)
    path = f"/acts/{built.act.pk}/markers"
    response = api.post(
        path, {"segment_id": built.main.pk, "kind": "identity_stated", "offset_seconds": 42.5}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind_label"] == "表明身份" and body["offset_seconds"] == 42.5
    marker = Marker.objects.get(pk=body["id"])
    assert Event.objects.for_object(built.main).last().action == "marker.added"
    assert [m["id"] for m in api.get(path).json()] == [marker.pk]
    # A segment of another act, an unknown kind, a moment past the end.
    other = built.segment(built.act.started_at, built.act.ended_at)
    other.act = act
    other.save(update_fields=["act"])
    assert_error(
        api.post(path, {"segment_id": other.pk, "kind": "identity_stated", "offset_seconds": 1}),
        400,
        "not_found",
    )
    assert_error(
        api.post(path, {"segment_id": built.main.pk, "kind": "x", "offset_seconds": 1}),
        422,
        "invalid_input",
    )
    assert_error(
        api.post(
            path, {"segment_id": built.main.pk, "kind": "party_signing", "offset_seconds": 99999}
        ),
        400,
        "out_of_range",
    )
    assert Marker.objects.count() == 1


def test_explanations_list_create_and_review(api_as, officer, head, built):
    api = api_as(officer)
    path = f"/acts/{built.act.pk}/explanations"
    assert_error(
        api.post(
            path,
            {
                "kind": "written_gap",
                "text": "x",
                "gap_started_at": "2026-11-16T09:10:00",
                "gap_ended_at": "2026-11-16T09:13:00",
            },
        ),
        400,
        "naive_datetime",
    )
    assert_error(
        api.post(path, {"kind": "a13_work_record", "text": "涉及隐私"}), 400, "reason_required"
    )
    response = api.post(
        path,
        {
            "kind": "written_gap",
            "text": "电池耗尽，更换电池后继续录像",
            "gap_started_at": "2026-11-16T09:10:00+08:00",
            "gap_ended_at": "2026-11-16T09:13:00+08:00",
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["gap_started_at"] == "2026-11-16T09:10:00+08:00"
    record = api.post(
        path, {"kind": "a13_work_record", "text": "涉及个人隐私", "reason": "privacy"}
    )
    assert record.status_code == 201 and record.json()["review"] == "pending"
    assert [e["kind"] for e in api.get(path).json()] == ["written_gap", "a13_work_record"]
    review = f"/explanations/{record.json()['id']}/review"
    assert_error(api.post(review, {"accept": True}), 403, "forbidden")
    response = api_as(head).post(review, {"accept": True})
    assert response.status_code == 200 and response.json()["review"] == "accepted"
    assert Explanation.objects.get(pk=record.json()["id"]).decided_by == head
    assert Event.objects.for_object(built.act).filter(action="explanation.accepted").exists()

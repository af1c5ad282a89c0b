import datetime as dt

import pytest

from .scene import START

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A17-coercion")]


def test_fires_without_the_decision_or_the_site_record(scene):
    built = scene("seizure", compliant=False)
    built.document("现场笔录")
    built.approval()
    segment = built.segment(built.act.started_at, built.act.ended_at)
    for kind in ("identity_stated", "certificate_shown", "party_signing"):
        built.mark(segment, kind, 5)
    hits = {h.key: h for h in built.hits("A17-coercion")}
    assert set(hits) == {"docs:0", "markers"}
    assert "《查封、扣押决定书》" in hits["docs:0"].params["missing"]
    assert hits["markers"].evidence["missing"] == ["rights_told"]


def test_silent_on_a_compliant_seizure_and_control(scene):
    assert scene("seizure").hits("A17-coercion") == []
    assert scene("control").hits("A17-coercion") == []


def test_a174_fires_without_the_heads_approval_document(scene):
    built = scene("seizure", compliant=False)
    built.document("查封、扣押决定书")
    built.document("现场笔录")
    hits = {h.key: h for h in built.hits("A17-coercion")}
    assert hits["approval"].missing_record
    assert "《行政强制措施审批表》" in hits["approval"].params["missing"]


def test_a174_fires_on_an_approval_dated_after_the_measure_began(scene):
    built = scene("control", compliant=False)
    built.approval(approved_at=START + dt.timedelta(hours=2))
    hits = {h.key: h for h in built.hits("A17-coercion")}
    assert "approval" not in hits
    assert "晚于强制措施开始时间" in hits["approval_date"].params["missing"]


def test_a174_silent_with_an_approval_before_and_for_kinds_not_configured(scene):
    built = scene("seizure")
    assert not [h for h in built.hits("A17-coercion") if h.key.startswith("approval")]
    # Evidence preservation needs it too (行政处罚法第五十六条); the scene files one.
    preservation = scene("evidence_preservation")
    assert preservation.hits("A17-coercion") == []
    assert scene("onsite").hits("A17-coercion") == []


def test_a174_kinds_and_approval_forms_are_configuration(scene):
    from quancheng.compliance.config import Config, defaults, validate_config

    data = {
        **defaults(),
        "coercion_approval_kinds": ["seizure", "control", "evidence_preservation"],
        "coercion_approval_document_types": ["证据先行登记保存审批表"],
    }
    validate_config(data)
    preservation = scene("evidence_preservation")
    hits = {h.key for h in preservation.hits("A17-coercion", config=Config(99, data))}
    assert hits == {"approval"}
    preservation.approval()  # a 行政强制措施审批表 is no longer the configured form
    preservation.document("证据先行登记保存审批表", written=(START, START))
    assert preservation.hits("A17-coercion", config=Config(99, data)) == []

"""The demo city: deterministic for a seed, a verifiable ledger, real media, the command."""

import io

import av
import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from quancheng.cases.models import Act
from quancheng.compliance.models import ActCompliance, Finding
from quancheng.ledger.models import Event
from quancheng.ledger.verify import verify_ledger
from quancheng.records.models import Segment
from quancheng.records.services import blob_store
from quancheng.registration.models import ActRegistration
from quancheng.supervision.democity import CityPlan, build_city

from .conftest import NOW

pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    pass


def _digest() -> list:
    """The city without its row ids (a second build gets other ids)."""
    acts = sorted(
        (
            a.kind,
            a.started_at,
            a.ended_at,
            a.subject.name,
            tuple(sorted(o.username for o in a.officers.all())),
        )
        for a in Act.objects.select_related("subject").prefetch_related("officers")
    )
    segments = sorted(
        Segment.objects.values_list("device__serial_number", "started_at", "ended_at", "blob_id")
    )
    registrations = sorted(
        ActRegistration.objects.values_list("act__started_at", "registered_at", "on_time")
    )
    findings = sorted(Finding.objects.values_list("act__started_at", "rule_id", "key", "status"))
    return [acts, segments, registrations, findings]


def _build_and_digest(seed: int) -> list:
    try:
        with transaction.atomic():
            build_city(CityPlan(districts=2, acts=40, seed=seed, now=NOW, store_blobs=False))
            digest = _digest()
            raise _Rollback
    except _Rollback:
        return digest


def test_the_same_seed_gives_the_same_city():
    first = _build_and_digest(11)
    assert first[0] and first[1] and first[3]
    assert _build_and_digest(11) == first
    assert _build_and_digest(12) != first


def test_the_city_has_varying_compliance_and_an_intact_ledger(tmp_path, settings):
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    summary = build_city(CityPlan(districts=1, acts=60, seed=5, now=NOW))
    statuses = set(ActCompliance.objects.values_list("status", flat=True))
    assert statuses == {"complete", "findings_open", "mandatory_missing"}
    rules = set(Finding.objects.active().values_list("rule_id", flat=True))
    assert {"A11-gap", "A21-deadline", "A15-docs"} <= rules
    assert ActRegistration.objects.filter(on_time=False).exists()
    assert summary.alerts > 0
    # Every created row has its event, and the bulk-appended chain and tree verify.
    assert Event.objects.filter(action="segment.created").count() == summary.segments
    assert Event.objects.filter(action="act.created").count() == summary.acts == 60
    report = verify_ledger()
    assert report.ok, report.summary()
    # Each segment is its own stored blob: a real, decodable video.
    store = blob_store()
    blobs = list(Segment.objects.values_list("blob_id", flat=True))
    assert len(set(blobs)) == len(blobs)
    with store.open(blobs[0]) as f, av.open(io.BytesIO(f.read())) as container:
        assert container.streams.video[0].codec_context.name == "h264"


def test_media_clips_last_as_long_as_their_segments(tmp_path, settings):
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    build_city(CityPlan(districts=1, acts=2, seed=5, now=NOW, media=True, evaluate=False))
    store = blob_store()
    for segment in Segment.objects.all()[:3]:
        with store.open(segment.blob_id) as f, av.open(io.BytesIO(f.read())) as container:
            seconds = container.duration / av.time_base
        assert abs(seconds - segment.duration_seconds) <= 1


def test_the_command_reports_progress_and_refuses_a_second_city(tmp_path, settings):
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    out = io.StringIO()
    call_command("make_demo_city", "--districts", "1", "--acts", "5", "--no-evaluate", stdout=out)
    assert "执法行为 5/5" in out.getvalue()
    assert "演示城市已生成：执法行为 5" in out.getvalue()
    with pytest.raises(CommandError, match="演示城市已存在"):
        call_command("make_demo_city", "--districts", "1", "--acts", "5", stdout=io.StringIO())
    with pytest.raises(CommandError, match="区县数至少为1"):
        call_command("make_demo_city", "--districts", "0", stdout=io.StringIO())

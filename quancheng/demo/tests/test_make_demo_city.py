"""The demo city: deterministic for a seed, a verifiable ledger, real media, the command."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import av
import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from quancheng.access.models import AccessRequest, Provision
from quancheng.cases.models import Act
from quancheng.compliance.models import ActCompliance, Explanation, Finding, Marker
from quancheng.demo.city import CityPlan, build_city
from quancheng.ledger.models import Event
from quancheng.ledger.verify import verify_ledger
from quancheng.lib import transactions
from quancheng.records.models import DataRecord, Document, Segment
from quancheng.records.services import blob_store
from quancheng.registration.models import ActRegistration

# A fixed "now" so that the city (and its deadlines) does not depend on the day the tests run.
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

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
        with transactions.batch():  # build_city calls durable services (load_organisation)
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
    # The owning apps' bulk writers (docs/demo-city.md) append one event per row they write.
    for model, action in [
        (Document, "document.created"),
        (DataRecord, "datarecord.created"),
        (ActRegistration, "registration.registered"),
        (Marker, "marker.added"),
        (Explanation, "explanation.added"),
        (AccessRequest, "access.requested"),
        (Provision, "access.provided"),
    ]:
        assert Event.objects.filter(action=action).count() == model.objects.count(), action
    assert Marker.objects.exists() and Document.objects.exists()
    # People, devices and subjects come from their services, with the services' events.
    assert Event.objects.filter(action="subject.created").count() == summary.subjects
    assert Event.objects.filter(action="user.created").count() == summary.users
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


def _index_definitions(tables=("ledger_event", "ledger_subtreehash")) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY indexname",
            [list(tables)],
        )
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid IN "
            "(SELECT oid FROM pg_class WHERE relname = ANY(%s)) ORDER BY conname",
            [list(tables)],
        )
        return indexes + [f"{name} {definition}" for name, definition in cursor.fetchall()]


def test_an_access_log_tops_the_ledger_up_and_it_still_verifies(monkeypatch):
    """plan.events: segment.viewed events by each district's head until the ledger holds that
    many; on PostgreSQL by COPY with the ledger's indexes dropped and rebuilt around the load."""
    from django.db import connection

    from quancheng.demo import city as democity
    from quancheng.ledger.models import LedgerHead

    monkeypatch.setattr(democity, "DROP_INDEXES_FROM", 1)  # the index path at a tiny scale
    before = _index_definitions() if connection.vendor == "postgresql" else []
    plan = CityPlan(districts=2, acts=12, seed=3, now=NOW, store_blobs=False, evaluate=False)
    plan.events = 3000
    summary = build_city(plan)
    assert LedgerHead.objects.get().seq == Event.objects.count() == 3000 > summary.events
    views = Event.objects.filter(action="segment.viewed")
    assert views.count() == 3000 - Event.objects.exclude(action="segment.viewed").count() > 2000
    assert set(views.values_list("actor_label", flat=True)) == {
        "city-d01-zf-head",
        "city-d02-zf-head",
    }
    report = verify_ledger()
    assert report.ok, report.summary()
    if connection.vendor == "postgresql":
        assert _index_definitions() == before


@pytest.mark.postgres
def test_a_large_city_loads_acts_and_access_log_without_secondary_indexes(monkeypatch):
    """On PostgreSQL a large load drops the secondary indexes and constraints of the tables it
    writes (the ledger's and the acts' rows') once, before the acts, and recreates them once
    after the access log; the build's session commits with synchronous_commit off, and gets the
    server's setting back at the end."""
    from django.db import connection

    from quancheng.demo import city as democity

    if connection.vendor != "postgresql":
        pytest.skip("COPY and index rebuilds are PostgreSQL's")

    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    monkeypatch.setattr(democity, "DROP_INDEXES_FROM", 1)
    tables = democity.LOAD_TABLES
    assert {"ledger_event", "records_segment", "compliance_marker"} <= set(tables)
    before, server = _index_definitions(tables), setting()
    kept = [d for d in before if "_pkey" in d or " CHECK " in d]  # primary keys and checks
    assert len(kept) < len(before)
    during = []

    def progress(message: str) -> None:
        if message.startswith(("执法行为", "账本事件")):
            during.append((message[:4], _index_definitions(tables), setting()))

    plan = CityPlan(districts=2, acts=12, seed=3, now=NOW, store_blobs=False, evaluate=False)
    plan.events = 3000
    build_city(plan, progress)
    assert during == [("执法行为", kept, "off"), ("账本事件", kept, "off")]
    assert _index_definitions(tables) == before
    assert setting() == server
    report = verify_ledger()
    assert report.ok, report.summary()


@pytest.mark.postgres
def test_the_rules_of_a_large_load_run_on_fresh_planner_statistics(monkeypatch):
    """After a large load the loaded tables are analysed before the rules query them: on the
    statistics of the empty tables the full city's rules ran eight times slower."""
    from django.db import connection

    from quancheng.demo import city as democity

    if connection.vendor != "postgresql":
        pytest.skip("COPY and ANALYZE are PostgreSQL's")
    calls: list[tuple] = []
    analyze, evaluate_all = democity.analyze, democity.evaluate_all

    def analysing(tables):
        calls.append(("analyze", set(tables)))
        analyze(tables)

    def evaluating(*args, **kwargs):
        calls.append(("evaluate", None))
        return evaluate_all(*args, **kwargs)

    monkeypatch.setattr(democity, "DROP_INDEXES_FROM", 1)
    monkeypatch.setattr(democity, "analyze", analysing)
    monkeypatch.setattr(democity, "evaluate_all", evaluating)
    plan = CityPlan(districts=2, acts=12, seed=3, now=NOW, store_blobs=False)
    plan.events = 3000
    build_city(plan)
    steps = [step for step, _ in calls]
    assert "evaluate" in steps
    before_rules = [tables for step, tables in calls[: steps.index("evaluate")]]
    assert any(set(democity.LOAD_TABLES) | {"subjects_subject"} <= t for t in before_rules)


@pytest.mark.postgres
def test_a_load_that_breaks_a_rebuilt_constraint_leaves_nothing_behind():
    from django.db import IntegrityError, connection

    from quancheng.lib.copyload import (
        copy_rows,
        drop_secondary_indexes,
        recreate_secondary_indexes,
    )

    if connection.vendor != "postgresql":
        pytest.skip("COPY and index rebuilds are PostgreSQL's")
    before = _index_definitions()
    row = (1, NOW, None, "system", None, "x", "", "", "{}", bytes(32), b"\x01" * 32)
    columns = ("seq", "time", "actor_id", "actor_label", "agency_id", "action")
    columns += ("object_type", "object_id", "body", "prev_hash", "hash")
    # Two events with one hash: only the recreated unique constraint can refuse them.

    def load():
        with transaction.atomic():
            dropped = drop_secondary_indexes(["ledger_event"])
            copy_rows("ledger_event", columns, [row, (2, *row[1:])])
            recreate_secondary_indexes(dropped)

    with pytest.raises(IntegrityError):
        load()
    assert not Event.objects.exists()
    assert _index_definitions() == before


def test_city_plans_by_scale_and_the_command_at_a_tiny_scale(tmp_path, settings):
    from quancheng.demo.city import city_plan

    tenth = city_plan(0.1)
    assert (tenth.districts, tenth.acts, tenth.events) == (38, 100_000, 10_000_000)
    full = city_plan(1)
    assert (full.districts, full.acts, full.events) == (38, 1_000_000, 100_000_000)
    assert city_plan(0.01).districts == 4
    with pytest.raises(ValueError, match="规模"):
        city_plan(1.5)
    out = io.StringIO()
    call_command("make_demo_city", "--scale", "0.00005", "--no-evaluate", stdout=out)
    text = out.getvalue()
    assert "区县 2，执法行为 50，账本事件 5,000" in text
    assert "行/秒" in text and "预计剩余" in text
    assert Event.objects.count() == 5000
    assert verify_ledger().ok

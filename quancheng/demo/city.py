"""The demo city (演示城市): a generated city for demos, tests and benchmarks.

``build_city(CityPlan(districts=N, acts=M, seed=S))`` creates, for the first N districts of the
seeded organisation: officers with certificates, a records custodian, an agency head and a
commission member per district, a city auditor and administrator; body cameras and terminals
issued to the officers and a docking workstation; subjects; and M acts spread over the last
months, with their AV segments, documents, electronic data, markers, explanations and
registrations, of varying compliance:

- most acts are fully recorded, documented and registered on time;
- some have an interruption (explained by voice or in writing, or not at all), some no AV;
- some miss a required document or marker, some are registered late or not at all.

Then the rules are evaluated (findings, completeness) and the acts with an unexplained gap or a
missing mandatory record raise an alert for the custodian, the head and the auditor.

Rows are written a chunk of acts at a time (COPY on PostgreSQL, bulk_create on SQLite), and
every created row gets its ledger event, appended in bulk (``ledger.bulk.append_events``) in the
same transaction; ``events`` tops the ledger up with an access log (``append_views``).
The same seed gives the same city (names, times, compliance), whatever the database.

Media: each segment is its own blob (ingest stores a file once per agency). By default a blob is
a tiny real MP4 (a one-second clip plus a unique ``free`` box); with ``media=True`` it is a real
clip of the segment's own duration (64×48, 2 frames per second), so the player can seek to any
moment. Benchmarks may pass ``store_blobs=False``: then the blob rows are written without
content (fixity would report them missing), which only a throw-away database should hold.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from quancheng.access.bulk import add_access_requests, add_provisions
from quancheng.access.models import AccessRequest, Provision
from quancheng.alerts.models import Alert
from quancheng.cases.bulk import add_acts
from quancheng.cases.models import Act
from quancheng.compliance.bulk import add_explanations, add_markers
from quancheng.compliance.config import current_config
from quancheng.compliance.evaluate import evaluate_all
from quancheng.compliance.models import Explanation, Marker
from quancheng.ledger.bulk import Viewer, append_views, collector_paused
from quancheng.ledger.integrator import holder_name, integrate_pending
from quancheng.ledger.models import Event, LedgerHead, SubtreeHash
from quancheng.lib import forking, transactions, uscc
from quancheng.lib.canonical import canonical_bytes
from quancheng.lib.copyload import (
    Rate,
    analyze,
    copy_supported,
    drop_secondary_indexes,
    recreate_secondary_indexes,
)
from quancheng.lib.workdays import add_working_days
from quancheng.orgs.models import Agency, Device, Role, User
from quancheng.orgs.seed import load_organisation
from quancheng.orgs.services import assign_device, create_device, create_users
from quancheng.records.bulk import add_blobs, add_data_records, add_documents, add_segments
from quancheng.records.datakinds import load_data_kinds
from quancheng.records.models import Blob, DataKind, DataRecord, Document, Segment
from quancheng.records.services import blob_store, put_record
from quancheng.registration.bulk import add_registrations
from quancheng.registration.deadlines import Deadline, deadline_for_end, loaded_schedules
from quancheng.registration.models import ActRegistration
from quancheng.subjects.bulk import add_subjects
from quancheng.subjects.models import Subject
from quancheng.supervision.rollups import rebuild_rollups

from . import DEMO_PASSWORD
from .media import make_clip, unique_copy

USERNAME_PREFIX = "city-"
CHUNK_ACTS = 1000

Progress = Callable[[str], None]

# How often each kind occurs (an agency's year is mostly inspections).
KIND_WEIGHTS = {
    Act.Kind.INSPECTION: 45,
    Act.Kind.ONSITE: 10,
    Act.Kind.INTERROGATION: 10,
    Act.Kind.SERVICE: 9,
    Act.Kind.EVIDENCE_COLLECTION: 8,
    Act.Kind.EVIDENCE_PRESERVATION: 4,
    Act.Kind.DELIBERATION: 4,
    Act.Kind.SEIZURE: 3,
    Act.Kind.HEARING: 2,
    Act.Kind.CONTROL: 2,
    Act.Kind.LIEN_SERVICE: 2,
    Act.Kind.ANNOUNCEMENT_SERVICE: 1,
}

# The compliance mix (fractions of acts).
NO_AV = 0.04
GAP = 0.15  # of which half are explained (by voice or in writing)
MISSING_DOCUMENT = 0.08
MISSING_MARKER = 0.05
LATE_REGISTRATION = 0.08
NOT_REGISTERED = 0.05
SECOND_CAMERA = 0.4

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆雪琳晨"
SUBJECT_NAMES = {
    Subject.Kind.MEDICAL: ("{place}{n}号口腔诊所", "{place}社区卫生服务站{n}"),
    Subject.Kind.PUBLIC_PLACE: ("{place}{n}号宾馆", "{place}游泳馆{n}", "{place}美容美发店{n}"),
    Subject.Kind.DRINKING_WATER: ("{place}二次供水管理站{n}",),
    Subject.Kind.SCHOOL: ("{place}第{n}小学",),
    Subject.Kind.OCCUPATIONAL: ("{place}{n}号机械加工厂",),
}
PLACES = (
    "解放碑",
    "观音桥",
    "南坪",
    "杨家坪",
    "沙坪坝",
    "大坪",
    "石桥铺",
    "江北城",
    "两路",
    "鱼洞",
)
DOCUMENT_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class CityPlan:
    districts: int
    acts: int
    seed: int = 1
    media: bool = False
    months: int = 6
    segment_minutes: int = 8
    store_blobs: bool = True
    evaluate: bool = True
    now: dt.datetime | None = None
    # The ledger's size after the build: ``segment.viewed`` events (the access log of a city in
    # use) are appended until it holds this many (0: none).
    events: int = 0


# A full Chongqing (issue 21): every district, a million acts (about ten million segments) and
# a hundred million ledger events; ``city_plan(scale)`` gives a fraction of it.
FULL_CITY = {"districts": 38, "acts": 1_000_000, "events": 100_000_000}


def city_plan(scale: float, **options) -> CityPlan:
    """The plan of ``scale`` × a full city (all 38 districts from scale 0.1; fewer below)."""
    if not 0 < scale <= 1:
        raise ValueError("规模须大于0且不超过1")
    districts = max(2, min(FULL_CITY["districts"], round(FULL_CITY["districts"] * scale * 10)))
    return CityPlan(
        districts=districts,
        acts=round(FULL_CITY["acts"] * scale),
        events=round(FULL_CITY["events"] * scale),
        **options,
    )


@dataclass
class CitySummary:
    agencies: list[int] = field(default_factory=list)
    users: int = 0
    devices: int = 0
    subjects: int = 0
    acts: int = 0
    segments: int = 0
    documents: int = 0
    registrations: int = 0
    events: int = 0
    alerts: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)


class CityExists(ValueError):
    pass


# --- media --------------------------------------------------------------------------------------


class _Blobs:
    """Blob rows (dicts of ``sha256``, ``size``, ``agency_id``, as ``records.bulk.add_blobs``
    takes them) for the segments and documents, with their content stored (or not)."""

    def __init__(self, plan: CityPlan):
        self.plan = plan
        self.clips: dict[int, bytes] = {}
        self.pdf: dict | None = None
        self.written: set[str] = set()  # Blob rows written by COPY, which has no ON CONFLICT
        self.store = None
        if plan.store_blobs:
            self.store = blob_store()

    def _clip(self, seconds: int) -> bytes:
        key = seconds if self.plan.media else 1
        if key not in self.clips:
            self.clips[key] = make_clip(key, shade=key)
        return self.clips[key]

    def segment(self, agency_id: int, tag: str, seconds: int) -> dict:
        if self.store is None:
            digest = hashlib.sha256(f"quancheng-demo-city:{tag}".encode()).hexdigest()
            return {"sha256": digest, "size": seconds * 250_000, "agency_id": agency_id}
        return self._put(unique_copy(self._clip(seconds), tag), agency_id)

    def document(self, agency_id: int) -> dict:
        """One blank PDF for every document (documents, unlike segments, may share a blob)."""
        if self.pdf is None:
            if self.store is None:
                digest = hashlib.sha256(DOCUMENT_PDF).hexdigest()
                self.pdf = {"sha256": digest, "size": len(DOCUMENT_PDF), "agency_id": agency_id}
            else:
                self.pdf = self._put(DOCUMENT_PDF, agency_id)
        return self.pdf

    def write(self, rows: list[dict]) -> None:
        """Insert the blob rows not yet written (documents share one)."""
        add_blobs(rows, self.written)

    def _put(self, data: bytes, agency_id: int) -> dict:
        info = put_record(io.BytesIO(data), store=self.store)
        return {"sha256": info.sha256, "size": info.size, "agency_id": agency_id}


# --- the city -----------------------------------------------------------------------------------


@dataclass
class _District:
    agency: Agency
    number: int
    officers: list[User]
    custodian: User
    head: User
    cameras: dict[int, Device] = field(default_factory=dict)  # officer id → body camera
    subjects: list[Subject] = field(default_factory=list)
    busy: dict[int, set] = field(default_factory=lambda: defaultdict(set))  # officer → slots


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def build_city(plan: CityPlan, progress: Progress | None = None) -> CitySummary:
    """Generate the city of ``plan``; refuses when a demo city already exists."""
    say = progress or (lambda message: None)
    if plan.districts < 1 or plan.acts < 0:
        raise ValueError("区县数至少为1，执法行为数不能为负")
    if User.objects.filter(username__startswith=USERNAME_PREFIX).exists():
        raise CityExists("演示城市已存在（用户名以 city- 开头的账号已存在）")
    rng = random.Random(plan.seed)  # noqa: S311 - reproducible demo data, not secrets
    now = plan.now or timezone.now()
    summary = CitySummary()
    load_organisation()
    if not DataKind.objects.filter(code="inspection-checklist").exists():
        load_data_kinds()
    agencies = list(
        Agency.objects.filter(level=Agency.Level.DISTRICT, kind=Agency.Kind.ENFORCEMENT).order_by(
            "code"
        )[: plan.districts]
    )
    if len(agencies) < plan.districts:
        raise ValueError(f"组织机构中只有{len(agencies)}个区县执法机构")
    blobs = _Blobs(plan)
    # The people and devices through their services, in one batch.
    with transactions.batch():
        districts = _people_and_devices(plan, rng, agencies, now, summary)
        say(f"区县 {len(districts)}，人员 {summary.users}，设备 {summary.devices}")
    # The batch's events are staged: integrated now, so that the subjects' events (appended on
    # top of the head by the bulk writers) come after the users and devices they name.
    integrate_pending(holder_name("demo-city"), wait=True, keep=False)
    _subjects(plan, rng, districts, summary)
    say(f"执法对象 {summary.subjects}")
    config = current_config()
    calendar = _Calendar(loaded_schedules())
    data_kind = DataKind.objects.get(code="inspection-checklist")
    act_ids: list[int] = []
    bulk = copy_supported()
    if bulk:
        _builder_connection()
    dropped = _drop_indexes(plan) if bulk else []
    rate = Rate("执法行为", plan.acts, say)
    for first in range(0, plan.acts, CHUNK_ACTS):
        count = min(CHUNK_ACTS, plan.acts - first)
        with transaction.atomic(durable=True):
            act_ids += _acts(
                plan,
                rng,
                districts,
                now,
                config,
                calendar,
                data_kind,
                blobs,
                first,
                count,
                summary,
            )
        rate.add(count, f"音像记录 {summary.segments:,}")
    summary.agencies = [a.pk for a in agencies]
    if plan.events:
        _views(plan, districts, now, summary, say)
    if dropped:
        say("重建索引与约束中……")
        with transaction.atomic(durable=True):
            recreate_secondary_indexes(dropped)
    if bulk:
        # Planner statistics for the loaded rows before the rules query them: the full city's
        # rules ran at 40 acts/s on the statistics of empty tables (sequential scans), 325
        # once analysed (docs/performance.md, 2026-12-08). _finish analyses again after them.
        analyze((*LOAD_TABLES, Subject._meta.db_table))
        say("已更新统计信息（ANALYZE）")
    # The rollups' marks of the evaluation are left to _finish, which rebuilds every rollup once.
    with transactions.after_commits_coalesced():
        if plan.evaluate and act_ids:
            say("规则检查中……")
            # On PostgreSQL the batches are shared among one process per core.
            evaluate_all(Act.objects.filter(agency__in=agencies), now=now, workers=forking.cores())
            # The rule engine raised the A27 alerts (record.gap, record.missing_av) as it went.
            summary.alerts = Alert.objects.open().filter(agency__in=agencies).count()
            say(f"规则检查完成，告警 {summary.alerts}")
        _finish(say)
    return summary


BULK_TABLES = (
    "ledger_event",
    "ledger_subtreehash",
    "cases_act",
    "records_blob",
    "records_segment",
    "records_document",
    "compliance_marker",
)


def _finish(say: Progress) -> None:
    """What every build ends with: fresh planner statistics for the loaded tables on
    PostgreSQL (a bulk load outruns autovacuum), then the statistics rollups rebuilt from the
    rows (supervision/rollups.py), after the last row is written."""
    if copy_supported():
        analyze(BULK_TABLES)
        say("已更新统计信息（ANALYZE）")
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")  # the rest of the session: the default
    # The rows went in by COPY or bulk_create, past the model signals: count them all once.
    rebuild_rollups()
    say("统计汇总已重新计算")


# A load of fewer events, or of fewer than the ledger already holds, keeps the ledger's indexes
# (rebuilding them over the whole table would cost more than maintaining them).
DROP_INDEXES_FROM = 500_000
# About how many ledger events an act brings (its records, markers and registration).
EVENTS_PER_ACT = 19
# The tables a large load writes without their secondary indexes and constraints: the ledger
# and every table of the bulk writers (the acts' rows, and the access log).
LOAD_TABLES = (
    Event._meta.db_table,
    SubtreeHash._meta.db_table,
    Act._meta.db_table,
    Act.officers.through._meta.db_table,
    Blob._meta.db_table,
    Segment._meta.db_table,
    Document._meta.db_table,
    DataRecord._meta.db_table,
    Marker._meta.db_table,
    Explanation._meta.db_table,
    ActRegistration._meta.db_table,
    AccessRequest._meta.db_table,
    Provision._meta.db_table,
)


def _builder_connection() -> None:
    """The build's own PostgreSQL session commits without waiting for the WAL flush
    (``synchronous_commit = off``): a crash may lose its last commits, never corrupt the
    database, and a city whose build did not finish is thrown away anyway (docs/demo-city.md).
    Only this connection: other sessions keep the server's setting."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")


def _drop_indexes(plan: CityPlan) -> list[str]:
    """For a large load (PostgreSQL), drop the secondary indexes and the unique and
    foreign-key constraints of the tables it writes (``LOAD_TABLES``: the ledger and the acts'
    rows) for the whole load - the acts' chunks and the access log, each chunk its own
    transaction - and return what recreates them once at the end, before the rules run.

    Row by row, the server would update every index and run every foreign-key check of each
    of the millions of rows; recreated at the end, each index is built by one sort and each
    foreign key checked by one join over the table. Until then nothing checks these keys and
    no query may use the indexes: the build is the database's only writer, it only appends,
    and a build that fails leaves a database to drop (a second build refuses to run on it:
    docs/demo-city.md), so nothing reads or relies on these tables in between. The recreated
    constraints check every row, as the dropped ones would have."""
    size = LedgerHead.objects.filter(id=1).values_list("seq", flat=True).first() or 0
    count = plan.acts * EVENTS_PER_ACT + max(0, plan.events - size)
    if count < max(DROP_INDEXES_FROM, size):
        return []
    with transaction.atomic(durable=True):
        return drop_secondary_indexes(LOAD_TABLES)


def _views(plan: CityPlan, districts: list[_District], now, summary, say: Progress) -> None:
    """Top the ledger up to ``plan.events`` with ``segment.viewed`` events by each district's
    head, over its own segments, in one transaction (for a large load, the ledger's indexes
    were dropped before the acts: ``_drop_indexes``)."""
    size = LedgerHead.objects.filter(id=1).values_list("seq", flat=True).first() or 0
    count = plan.events - size
    if count <= 0:
        return
    agencies = [d.agency.pk for d in districts]
    targets = list(
        Segment.objects.filter(agency__in=agencies)
        .order_by("pk")
        .values_list("pk", "agency_id")[:1_000_000]
    )
    if not targets:
        return
    viewers = {d.agency.pk: Viewer(d.head.pk, d.head.username, d.agency.pk) for d in districts}
    rate = Rate("账本事件（调阅记录）", count, say)
    with transaction.atomic(durable=True):
        summary.events += append_views(count, targets, viewers, now, plan.seed, rate.add)


def _person(username, full_name, agency, role, now, certificate="") -> dict:
    """The fields of one person, as ``orgs.services.create_users`` takes them."""
    today = timezone.localdate(now)
    person = {
        "username": username,
        "full_name": full_name,
        "agency": agency,
        "role": role,
        "date_joined": now,
    }
    if certificate:
        person |= {
            "certificate_number": certificate,
            "certificate_valid_from": today - dt.timedelta(days=900),
            "certificate_valid_until": today + dt.timedelta(days=900),
        }
    return person


def _people_and_devices(plan, rng, agencies, now, summary) -> list[_District]:
    """The districts' people and devices, made by the orgs services (in the caller's batch)."""
    per_district = max(1, plan.acts // plan.districts)
    officers_each = max(4, round(per_district / 150))
    # 1. The people, drawn in a fixed order (the seed decides the names).
    people: list[dict] = []
    staff: list[tuple[Agency, int, list[str], str, str]] = []
    for number, agency in enumerate(agencies, start=1):
        code = agency.code
        officers = []
        for n in range(1, officers_each + 1):
            cert = f"渝卫执5001{number:02d}{n:03d}"
            username = f"{USERNAME_PREFIX}{code}-o{n:03d}"
            people.append(_person(username, _name(rng), agency, Role.OFFICER, now, cert))
            officers.append(username)
        custodian = f"{USERNAME_PREFIX}{code}-custodian"
        people.append(_person(custodian, _name(rng), agency, Role.CUSTODIAN, now))
        head = f"{USERNAME_PREFIX}{code}-head"
        people.append(
            _person(head, _name(rng), agency, Role.HEAD, now, f"渝卫执5001{number:02d}900")
        )
        commission = agency.parent
        if commission is not None:
            people.append(
                _person(
                    f"{USERNAME_PREFIX}{commission.code}-staff",
                    _name(rng),
                    commission,
                    Role.DISTRICT_COMMISSION,
                    now,
                )
            )
        staff.append((agency, number, officers, custodian, head))
    corps = Agency.objects.get(level=Agency.Level.CITY, kind=Agency.Kind.ENFORCEMENT)
    city_commission = Agency.objects.get(level=Agency.Level.CITY, kind=Agency.Kind.COMMISSION)
    auditor = _person(f"{USERNAME_PREFIX}auditor", _name(rng), corps, Role.AUDITOR, now)
    admin = _person(f"{USERNAME_PREFIX}admin", _name(rng), city_commission, Role.CITY_ADMIN, now)
    people += [auditor, admin]
    # 2. Created by the service (one user.created event each, the password hashed once).
    users = {u.username: u for u in create_users(None, DEMO_PASSWORD, people)}
    summary.users = len(users)
    summary.events += len(users)
    districts = []
    for agency, number, officers, custodian, head in staff:
        d = _District(
            agency=agency,
            number=number,
            officers=[users[name] for name in officers],
            custodian=users[custodian],
            head=users[head],
        )
        summary.logins += [
            (d.head.username, f"{d.head.full_name}（{agency.name}，机构负责人）"),
            (d.custodian.username, f"{d.custodian.full_name}（{agency.name}，记录管理专人）"),
            (d.officers[0].username, f"{d.officers[0].full_name}（{agency.name}，执法人员）"),
        ]
        districts.append(d)
    city_staff = [(auditor, corps, "法制稽查"), (admin, city_commission, "市级管理员")]
    for person, where, label in city_staff:
        user = users[person["username"]]
        summary.logins.append((user.username, f"{user.full_name}（{where.name}，{label}）"))

    # 3. Devices: a body camera per officer (issued to them), a terminal per two officers, a
    # docking workstation; registered and issued by the orgs services.
    issued_on = timezone.localdate(now) - dt.timedelta(days=31 * (plan.months + 1))
    for d in districts:
        code = d.agency.code
        for n, officer in enumerate(d.officers, start=1):
            camera = create_device(
                None,
                agency=d.agency,
                kind=Device.Kind.BODY_CAMERA,
                serial_number=f"DSJ-{code}-{n:03d}",
                name=f"执法记录仪 {n}号",
                clock_offset_seconds=rng.randint(-20, 20),
                last_docked_at=now - dt.timedelta(hours=rng.randint(2, 24 * (3 if n % 7 else 12))),
                created_at=now,
            )
            d.cameras[officer.pk] = camera
            summary.devices += 1
            if n % 2:
                create_device(
                    None,
                    agency=d.agency,
                    kind=Device.Kind.TERMINAL,
                    serial_number=f"ZD-{code}-{n:03d}",
                    name=f"执法终端 {n}号",
                    last_docked_at=now - dt.timedelta(hours=rng.randint(1, 48)),
                    created_at=now,
                )
                summary.devices += 1
        create_device(
            None,
            agency=d.agency,
            kind=Device.Kind.WORKSTATION,
            serial_number=f"CJZ-{code}-01",
            name="采集工作站",
            last_docked_at=now - dt.timedelta(minutes=rng.randint(5, 600)),
            created_at=now,
        )
        summary.devices += 1
    summary.events += summary.devices
    for d in districts:
        for officer in d.officers:
            assign_device(None, d.cameras[officer.pk], officer, issued_on)
            summary.events += 1
    return districts


def _body(plan: CityPlan, **fields) -> dict:
    return {"demo_city_seed": plan.seed, **fields}


def _subjects(plan, rng, districts, summary) -> None:
    """Each district's subjects, by its first officer (who may change its subjects), written
    by the subjects' bulk writer in a transaction per district. After the people's batch, not
    in it: the bulk writer appends its events on top of the ledger at once, and inside the
    batch they would come before the people's, which are integrated when the batch commits."""
    per_district = max(5, plan.acts // plan.districts // 20)
    kinds = list(SUBJECT_NAMES)
    for d in districts:
        for n in range(1, per_district + 1):
            kind = kinds[n % len(kinds)]
            place = rng.choice(PLACES)
            name = rng.choice(SUBJECT_NAMES[kind]).format(place=place, n=n)
            base = f"915001{d.number:02d}MA{n:07d}"
            address = f"{d.agency.district}{place}路{rng.randint(1, 300)}号"
            subject = Subject(
                agency=d.agency,
                name=f"{d.agency.district}{name}",
                kind=kind,
                address=address,
                credit_code=uscc.complete(base),
                legal_representative=_name(rng),
            )
            d.subjects.append(subject)
        with transaction.atomic(durable=True):
            summary.events += add_subjects(d.officers[0], d.subjects)
    summary.subjects = sum(len(d.subjects) for d in districts)


# --- acts and their records ---------------------------------------------------------------------


@dataclass
class _ActPlan:
    act: Act
    district: _District
    officers: list[User]
    covered: list[tuple[dt.datetime, dt.datetime]]  # recorded intervals, in order
    gap: tuple[dt.datetime, dt.datetime] | None
    gap_explained: str  # "", "voice" or "written"
    cameras: list[Device]
    missing_document: bool
    missing_marker: bool
    registration: str  # "on_time", "late" or "none"
    number: int = 0  # the act's number in the city (names its blobs, whatever the row ids)


def _act_times(rng, plan, now, kind):
    """A half-day slot (date, 0 = morning, 1 = afternoon) and the act's start and end in it."""
    day = timezone.localdate(now) - dt.timedelta(days=rng.randint(2, 30 * plan.months))
    slot = rng.randint(0, 1)
    minutes = rng.randint(40, 120) if kind == Act.Kind.INTERROGATION else rng.randint(25, 90)
    first_hour = (8, 14)[slot]
    start_local = dt.datetime.combine(
        day, dt.time(first_hour + rng.randint(0, 1), rng.choice((0, 15, 30, 45)))
    )
    start = timezone.make_aware(start_local).astimezone(dt.UTC)
    return (day, slot), start, start + dt.timedelta(minutes=minutes)


def _free_officers(rng, plan, d: _District, now, kind):
    """Two officers free in a half-day slot: an officer (and their camera) is in one act at a
    time, so one device's recordings never overlap."""
    for _ in range(60):
        slot, started, ended = _act_times(rng, plan, now, kind)
        free = [o for o in d.officers if slot not in d.busy[o.pk]]
        if len(free) >= 2:
            break
    else:  # a saturated district (more acts than slots): let acts share a slot
        free = d.officers
    officers = rng.sample(free, 2)
    for officer in officers:
        d.busy[officer.pk].add(slot)
    return officers, started, ended


def _plan_act(rng, plan, d: _District, now) -> _ActPlan:
    kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
    officers, started, ended = _free_officers(rng, plan, d, now, kind)
    subject = rng.choice(d.subjects)
    act = Act(
        agency=d.agency,
        kind=kind,
        started_at=started,
        ended_at=ended,
        place=subject.address,
        subject=subject,
        involves_life_or_property=rng.random() < 0.05,
        description="演示数据",
        created_at=ended,
        updated_at=ended,
    )
    roll = rng.random()
    covered, gap, explained = [], None, ""
    rec_start = started - dt.timedelta(seconds=rng.randint(0, 20))
    rec_end = ended + dt.timedelta(seconds=rng.randint(0, 20))
    if roll >= NO_AV:
        covered = [(rec_start, rec_end)]
        if roll < NO_AV + GAP:
            middle = rec_start + (rec_end - rec_start) * rng.uniform(0.3, 0.7)
            gap = (middle, middle + dt.timedelta(seconds=rng.randint(60, 360)))
            covered = [(rec_start, gap[0]), (gap[1], rec_end)]
            explained = rng.choice(("", "voice", "written"))
    cameras = [d.cameras[officers[0].pk]]
    if covered and rng.random() < SECOND_CAMERA:
        cameras.append(d.cameras[officers[1].pk])
    reg_roll = rng.random()
    registration = "on_time"
    if reg_roll < NOT_REGISTERED:
        registration = "none"
    elif reg_roll < NOT_REGISTERED + LATE_REGISTRATION:
        registration = "late"
    return _ActPlan(
        act=act,
        district=d,
        officers=officers,
        covered=covered,
        gap=gap,
        gap_explained=explained,
        cameras=cameras,
        missing_document=rng.random() < MISSING_DOCUMENT,
        missing_marker=rng.random() < MISSING_MARKER,
        registration=registration,
    )


def _pieces(start, end, minutes) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """A recording split into files of ``minutes``, as body cameras do."""
    step = dt.timedelta(minutes=minutes)
    while start < end:
        yield start, min(start + step, end)
        start += step


# The chunk's rows and events set off a full collection of the process's objects each time.
@collector_paused()
def _acts(plan, rng, districts, now, config, calendar, data_kind, blobs, first, count, summary):
    plans = [
        _plan_act(rng, plan, districts[(first + i) % len(districts)], now) for i in range(count)
    ]
    for i, p in enumerate(plans):
        p.number = first + i
    extra = _body(plan)
    tz = timezone.get_current_timezone()
    summary.events += add_acts([(p.act, p.officers) for p in plans], extra)
    # Segments, their blobs, documents and markers (the bulk of the rows) as plain dicts of
    # column values (copyload.write_rows); the rest as model instances.
    segments: list[dict] = []
    seg_blobs: list[dict] = []
    documents: list[dict] = []
    data_records, registrations = [], []
    seg_owner: list[_ActPlan] = []
    doc_blobs: list[dict] = []
    for p in plans:
        d, act = p.district, p.act
        agency_id = d.agency.pk
        for camera in p.cameras:
            officer = next(o for o in p.officers if d.cameras[o.pk] is camera)
            offset = dt.timedelta(seconds=camera.clock_offset_seconds)
            # What every segment of this act and camera holds, looked up once (a chunk has
            # ten thousand segments).
            shared = {
                "agency_id": agency_id,
                "act_id": act.pk,
                "subject_id": act.subject_id,
                "source": Segment.Source.INGEST,
                "created_by_id": d.custodian.pk,
                "created_by": d.custodian,
                "created_at": act.ended_at + dt.timedelta(hours=2),
                "content_type": "video/mp4",
                "device_id": camera.pk,
                "officer_id": officer.pk,
                "media_kind": Segment.MediaKind.VIDEO,
                "clock_offset_seconds": camera.clock_offset_seconds,
                "time_source": Segment.TimeSource.DEVICE,
                "container": "mov,mp4,m4a,3gp,3g2,mj2",
                "video_codec": "h264",
                "width": 64 if plan.store_blobs else 1920,
                "height": 48 if plan.store_blobs else 1080,
                "frame_rate": 2.0 if plan.media else 25.0,
                "label_place": act.place,
                "label_party": act.subject.name,
                "media_status": Segment.MediaStatus.NOT_NEEDED,
            }
            for start, end in (
                piece
                for interval in p.covered
                for piece in _pieces(*interval, plan.segment_minutes)
            ):
                seconds = round((end - start).total_seconds())
                tag = f"{plan.seed}:{p.number}:{camera.serial_number}:{start.isoformat()}"
                local = start.astimezone(tz)
                blob = blobs.segment(agency_id, tag, seconds)
                seg_blobs.append(blob)
                segments.append(
                    {
                        **shared,
                        "blob_id": blob["sha256"],
                        "original_filename": f"{camera.serial_number}_{local:%Y%m%d_%H%M%S}.mp4",
                        "started_at": start,
                        "ended_at": end,
                        "device_started_at": start + offset,
                        "duration_seconds": float(seconds),
                    }
                )
                seg_owner.append(p)
        written = (
            (p.covered[0][0], p.covered[-1][1]) if p.covered else (act.started_at, act.ended_at)
        )
        groups = config.required_documents(act.kind)
        if "service" in act.kind:
            groups = [*groups, ["行政处罚决定书"]]
        for index, group in enumerate(groups):
            if p.missing_document and index == len(groups) - 1:
                continue
            doc_type = group[0]
            doc_blob = blobs.document(d.agency.pk)
            doc_blobs.append(doc_blob)
            documents.append(
                {
                    "agency_id": d.agency.pk,
                    "act_id": act.pk,
                    "subject_id": act.subject_id,
                    "source": Document.Source.API,
                    "created_by_id": p.officers[0].pk,
                    "created_by": p.officers[0],
                    "created_at": act.ended_at + dt.timedelta(minutes=10),
                    "blob_id": doc_blob["sha256"],
                    "original_filename": f"{doc_type}.pdf",
                    "content_type": "application/pdf",
                    "file_kind": Document.FileKind.PDF,
                    "doc_type": doc_type,
                    "number": _document_number(d.agency, act, index, tz),
                    "written_started_at": written[0],
                    "written_ended_at": written[1],
                }
            )
        if act.kind in config.data_required_kinds and not p.missing_document:
            data = {
                "checklist": f"{act.subject.get_kind_display()}监督检查表",
                "items": [{"code": "1", "item": "证照是否齐全有效", "result": "符合"}],
                "conclusion": "未发现违法行为",
            }
            data_records.append(
                DataRecord(
                    agency=d.agency,
                    act=act,
                    subject=act.subject,
                    source=DataRecord.Source.API,
                    created_by=p.officers[0],
                    created_at=act.ended_at,
                    kind=data_kind,
                    schema_version=data_kind.version,
                    data=data,
                    sha256=hashlib.sha256(canonical_bytes(data)).hexdigest(),
                    recorded_at=act.ended_at - dt.timedelta(minutes=5),
                )
            )
        registration = _registration(rng, p, calendar, now)
        if registration is not None:
            registrations.append(registration)
    # Through the owning apps' bulk writers, in the order the services would have written
    # them: each writes its rows and appends their events in this chunk's transaction.
    blobs.write(seg_blobs + doc_blobs)
    summary.events += add_segments(segments, extra)
    summary.events += add_documents(documents, extra)
    summary.events += add_data_records(data_records, extra)
    summary.events += add_registrations(registrations, extra)
    markers, explanations = _markers_and_explanations(plan, config, plans, segments, seg_owner)
    summary.events += add_markers(markers, extra)
    summary.events += add_explanations(explanations, extra)
    requests, provisions = _access(rng, plans, now)
    summary.events += add_access_requests(requests, extra)
    summary.events += add_provisions(provisions, extra)
    summary.acts += len(plans)
    summary.segments += len(segments)
    summary.documents += len(documents)
    summary.registrations += len(registrations)
    return [p.act.pk for p in plans]


def _document_number(agency, act, index: int, tz) -> str:
    year = act.started_at.astimezone(tz).year
    return f"{agency.short_name}卫监〔{year}〕{act.pk}-{index + 1}号"


class _Calendar:
    """The registration deadlines and working days the acts need, each worked out once (a
    city's acts end on a few hundred days): the same values as ``deadline_for_end`` and
    ``add_working_days`` give."""

    def __init__(self, schedules):
        self.schedules = schedules
        self.deadlines: dict[dt.date, Deadline] = {}
        self.days: dict[tuple[dt.date, int], dt.date] = {}

    def deadline(self, ended_on: dt.date) -> Deadline:
        if ended_on not in self.deadlines:
            self.deadlines[ended_on] = deadline_for_end(ended_on, self.schedules)
        return self.deadlines[ended_on]

    def working_day(self, day: dt.date, n: int) -> dt.date:
        if (day, n) not in self.days:
            self.days[day, n] = add_working_days(day, n, self.schedules)[0]
        return self.days[day, n]


def _registration(rng, p: _ActPlan, calendar: _Calendar, now) -> ActRegistration | None:
    """On time: 0–2 working days after the act's end date; late: 3–6; or none."""
    if p.registration == "none":
        return None
    ended_on = timezone.localdate(p.act.ended_at)
    deadline = calendar.deadline(ended_on)
    days = rng.randint(0, 2) if p.registration == "on_time" else rng.randint(3, 6)
    if days == 0:
        registered_at = p.act.ended_at + dt.timedelta(hours=1)
    else:
        day = calendar.working_day(ended_on, days)
        registered_at = timezone.make_aware(
            dt.datetime.combine(day, dt.time(10, rng.randint(0, 59)))
        )
    if registered_at > now:
        return None  # not yet: the custodian has time left
    return ActRegistration(
        act=p.act,
        registered_by=p.district.custodian,
        registered_at=registered_at,
        deadline=deadline.last_day,
        deadline_provisional=deadline.provisional,
        on_time=registered_at < deadline.due_by,
    )


ACCESS_REQUEST = 0.03
PROVISION = 0.01


def _access(rng, plans, now) -> tuple[list[AccessRequest], list[Provision]]:
    """Some acts' records are asked for by a colleague (调阅) or provided to an outside body."""
    requests, provisions = [], []
    for p in plans:
        d, act = p.district, p.act
        if rng.random() < ACCESS_REQUEST:
            requester = rng.choice([o for o in d.officers if o not in p.officers])
            asked = act.ended_at + dt.timedelta(days=rng.randint(1, 20))
            status = rng.choice(
                [AccessRequest.Status.APPROVED] * 3
                + [AccessRequest.Status.REFUSED, AccessRequest.Status.PENDING]
            )
            if asked < now:
                decided = status != AccessRequest.Status.PENDING
                requests.append(
                    AccessRequest(
                        agency=d.agency,
                        requested_by=requester,
                        purpose="办理关联案件需要查阅现场执法音像记录",
                        act=act,
                        status=status,
                        requested_at=asked,
                        decided_by=d.head if decided else None,
                        decided_at=asked + dt.timedelta(hours=3) if decided else None,
                        expires_at=(
                            asked + dt.timedelta(days=7)
                            if status == AccessRequest.Status.APPROVED
                            else None
                        ),
                    )
                )
        if rng.random() < PROVISION:
            provided_on = timezone.localdate(act.ended_at) + dt.timedelta(days=rng.randint(5, 40))
            if provided_on <= timezone.localdate(now):
                provisions.append(
                    Provision(
                        agency=d.agency,
                        recipient=f"{d.agency.district}人民法院",
                        recipient_kind=Provision.RecipientKind.JUDICIAL,
                        legal_basis="《中华人民共和国行政诉讼法》第三十四条",
                        act=act,
                        items=[],
                        status=Provision.Status.PROVIDED,
                        requested_by=d.custodian,
                        requested_at=timezone.make_aware(
                            dt.datetime.combine(provided_on, dt.time(9))
                        ),
                        decided_by=d.head,
                        decided_at=timezone.make_aware(
                            dt.datetime.combine(provided_on, dt.time(11))
                        ),
                        provided_on=provided_on,
                        registered_by=d.custodian,
                        registered_at=timezone.make_aware(
                            dt.datetime.combine(provided_on, dt.time(15))
                        ),
                    )
                )
    return requests, provisions


def _markers_and_explanations(plan, config, plans, segments, seg_owner):
    """The markers (dicts, as compliance.bulk.add_markers takes them) on the chunk's segments
    (dicts, ids set) and the written explanations."""
    by_act: dict[int, list[dict]] = {}
    for segment, p in zip(segments, seg_owner, strict=True):
        by_act.setdefault(p.act.pk, []).append(segment)
    markers, explanations = [], []
    door_kinds = set(config._list("door_kinds"))
    for p in plans:
        own = by_act.get(p.act.pk)
        if not own:
            continue
        custodian = p.district.custodian
        first = own[0]
        last = max(
            (s for s in own if s["device_id"] == first["device_id"]), key=lambda s: s["ended_at"]
        )
        wanted = [(first, 5, Marker.Kind.ARRIVAL_DOOR)] if p.act.kind in door_kinds else []
        if p.act.kind != Act.Kind.DELIBERATION:
            wanted += [
                (first, 30, Marker.Kind.IDENTITY_STATED),
                (first, 40, Marker.Kind.CERTIFICATE_SHOWN),
                (first, 60, Marker.Kind.RIGHTS_TOLD),
                (last, max(0.0, last["duration_seconds"] - 90), Marker.Kind.PARTY_SIGNING),
            ]
        if p.act.kind in door_kinds:
            wanted.append((last, max(0.0, last["duration_seconds"] - 20), Marker.Kind.DOOR_AT_END))
        if p.missing_marker and wanted:
            wanted.pop()
        if p.gap and p.gap_explained == "voice":
            resumed = next(s for s in own if s["started_at"] == p.gap[1])
            wanted.append((resumed, 15, Marker.Kind.INTERRUPTION_EXPLAINED))
        created_at = p.act.ended_at + dt.timedelta(hours=3)
        markers += [
            {
                "segment_id": segment["id"],
                "offset_seconds": float(offset),
                "kind": kind,
                "created_by_id": custodian.pk,
                "created_by": custodian,
                "created_at": created_at,
            }
            for segment, offset, kind in wanted
        ]
        if p.gap and p.gap_explained == "written":
            explanations.append(
                Explanation(
                    act=p.act,
                    kind=Explanation.Kind.WRITTEN_GAP,
                    text="执法记录仪电量耗尽，更换电池期间中断录像。",
                    gap_started_at=p.gap[0],
                    gap_ended_at=p.gap[1],
                    requested_by=p.officers[0],
                    requested_at=p.act.ended_at + dt.timedelta(hours=4),
                )
            )
    return markers, explanations

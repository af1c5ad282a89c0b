"""One district's year (渝中区): the default demo that ``scripts/run`` loads into an empty database.

Everything is made through the services, each call with the clock at the moment it happens
(``clock.Timeline``), so that registrations are on time or late as planned, approvals come
before what they allow, and the ledger's events follow the year in order:

- the named demo people (``small.DEMO_PEOPLE``) and more officers of 渝中区, each with a body
  camera issued to them; subjects of every kind;
- ``acts`` acts over the year before ``today``, of every kind, two officers each, with their
  recordings (segments: copies of one real short clip), documents (a text PDF), inspection
  data, the markers the custodian sets, and their registration — with varying compliance
  (some without AV, some with an unexplained interruption, some missing a document or a marker,
  some registered late with an approved request, some not registered);
- penalty cases at every stage (立案 … 结案, and 归档 with its sealed dossier);
- documents drafted, signed and finalised (e-sealed under the demo CA); the rules evaluated
  (findings, alerts), a finding answered;
- sealed dossiers of finished inspections, a spot check of them with its report, a district
  evaluation made final;
- requests waiting for the head: access, evidence extraction, provision to a court, late
  registration, a dossier supplement and a transfer to the archives.

The same ``seed`` and ``today`` give the same year.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from django.utils import timezone

from quancheng.cases import services as cases
from quancheng.cases.models import Act, Case
from quancheng.compliance import services as compliance
from quancheng.compliance.config import current_config
from quancheng.compliance.models import Explanation, Finding, Marker
from quancheng.lib import uscc
from quancheng.orgs.models import Agency, Role, User
from quancheng.orgs.seed import load_organisation
from quancheng.orgs.services import assign_device, create_device
from quancheng.records.items import create_data_record, create_document, create_segment
from quancheng.records.models import DataKind, Document, Segment
from quancheng.registration import services as registration
from quancheng.subjects import services as subjects
from quancheng.subjects.models import Subject

from . import media
from .ca import make_demo_certificates
from .clock import Timeline, at, local
from .extras import schedule_last_days
from .small import create_people, load_reference_data

Progress = Callable[[str], None]

AGENCY = "d03-zf"  # 渝中区卫生健康综合行政执法支队

# More officers of 渝中区 beside the named ones (username, name, certificate number).
MORE_OFFICERS = [
    ("huangmin", "黄敏", "渝卫执500103003"),
    ("zhouqiang", "周强", "渝卫执500103004"),
    ("xujing", "徐静", "渝卫执500103005"),
    ("sunhao", "孙浩", "渝卫执500103006"),
    ("majun", "马军", "渝卫执500103007"),
    ("zhuyan", "朱艳", "渝卫执500103008"),
]

# How often each kind occurs in an agency's year (mostly inspections).
KIND_WEIGHTS = {
    Act.Kind.INSPECTION: 45,
    Act.Kind.ONSITE: 10,
    Act.Kind.INTERROGATION: 10,
    Act.Kind.SERVICE: 8,
    Act.Kind.EVIDENCE_COLLECTION: 8,
    Act.Kind.EVIDENCE_PRESERVATION: 4,
    Act.Kind.DELIBERATION: 4,
    Act.Kind.SEIZURE: 3,
    Act.Kind.HEARING: 2,
    Act.Kind.CONTROL: 2,
    Act.Kind.LIEN_SERVICE: 2,
    Act.Kind.ANNOUNCEMENT_SERVICE: 2,
}
# A case's acts, in order (立案 → 调查取证 → 审查决定 → 送达执行).
CASE_ACTS = [
    Act.Kind.EVIDENCE_COLLECTION,
    Act.Kind.INTERROGATION,
    Act.Kind.DELIBERATION,
    Act.Kind.SERVICE,
]
# Days before today the last cases were filed: one at each stage today.
RECENT_CASES = [2, 8, 20, 32, 44]
CASE_CAUSES = [
    "未取得医疗机构执业许可证擅自执业",
    "公共场所未取得卫生许可证经营",
    "供水单位未取得卫生许可证供水",
    "使用未取得执业证书人员从事诊疗活动",
    "公共场所卫生质量不符合卫生标准",
    "学校未按规定配备卫生保健人员",
    "用人单位未按规定组织职业健康检查",
    "医疗废物未按规定分类收集",
]

# The compliance mix (fractions of acts).
NO_AV = 0.04
GAP = 0.12  # an interruption: explained by voice, in writing, or not at all (a third each)
MISSING_DOCUMENT = 0.08
MISSING_MARKER = 0.06
LATE = 0.06  # registered late, with the head's approval asked for after the deadline
UNREGISTERED = 0.04

SUBJECTS = {
    Subject.Kind.MEDICAL: ["{p}口腔诊所", "{p}社区卫生服务站", "{p}中医诊所", "{p}医疗美容门诊部"],
    Subject.Kind.PUBLIC_PLACE: ["{p}宾馆", "{p}游泳馆", "{p}美容美发店", "{p}足浴店"],
    Subject.Kind.DRINKING_WATER: ["{p}二次供水管理站", "{p}桶装水厂"],
    Subject.Kind.SCHOOL: ["{p}小学", "{p}幼儿园"],
    Subject.Kind.OCCUPATIONAL: ["{p}印刷厂", "{p}机械加工厂"],
}
PLACES = ["解放碑", "较场口", "七星岗", "大坪", "上清寺", "化龙桥", "菜园坝", "朝天门", "石油路"]
STREETS = ["民权路", "邹容路", "中山一路", "中山三路", "长江一路", "大坪正街", "人民路", "新华路"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"


@dataclass
class YearSummary:
    acts: int = 0
    cases: int = 0
    segments: int = 0
    documents: int = 0
    registrations: int = 0
    dossiers: int = 0
    findings: int = 0
    pending: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    kind: str
    start: dt.datetime
    end: dt.datetime
    subject: Subject
    officers: list[User]
    case_index: int | None = None
    av: str = "full"  # full, none, gap_voice, gap_written, gap_unexplained
    missing_document: bool = False
    missing_marker: bool = False
    registration: str = "on_time"  # on_time, late, none
    act: Act | None = None

    @property
    def made(self) -> Act:
        """The act, for the steps the timeline runs after ``_act`` has made it."""
        if self.act is None:
            raise RuntimeError("the act is not made yet: the timeline ran a step out of order")
        return self.act


class _Year:
    def __init__(self, now: dt.datetime, acts: int, seed: int, say: Progress):
        self.now = now  # the demo's present: the year ends here
        today = timezone.localdate(now)
        self.today = today
        self.first_day = today - dt.timedelta(days=365)
        self.count = acts
        self.rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
        self.say = say
        self.summary = YearSummary()
        self.timeline = Timeline()
        self.config = current_config()
        self.cases: list[Case | None] = []
        self.case_plans: list[tuple[dt.date, Subject, list[User]]] = []
        self.sealed: list = []  # the dossiers sealed in the last days (extras.py)
        self.spot_check = None

    # --- people, devices, subjects (the year's first morning) -----------------------------

    def open_office(self) -> None:
        with at(local(self.first_day - dt.timedelta(days=7), 9)):
            load_organisation()
            load_reference_data()
            self.people = create_people(self.today, extra=MORE_OFFICERS)
            self.agency = Agency.objects.get(code=AGENCY)
            self.officers = [u for u in self.people.values() if u.agency_id == self.agency.pk]
            self.officers = [u for u in self.officers if u.role == Role.OFFICER]
            self.custodian = self.people["wangfang"]
            self.head = self.people["liuyang"]
            self.cameras = {}
            for n, officer in enumerate(self.officers, start=1):
                camera = create_device(
                    None,
                    agency=self.agency,
                    kind="body_camera",
                    serial_number=f"DSJ-YZ-{n:03d}",
                    name=f"执法记录仪{n}号",
                )
                assign_device(None, camera, officer, self.first_day - dt.timedelta(days=7))
                self.cameras[officer.pk] = camera
            self.subjects = self._subjects()
            self.data_kind = DataKind.objects.get(code="inspection-checklist")
            # The demo CA, so that the year's documents can be finalised (e-sealed).
            make_demo_certificates(None, Agency.objects.filter(code__in=[AGENCY, "d05-zf"]))

    def _subjects(self) -> list[Subject]:
        made = []
        officer = self.people["zhangwei"]
        n = 0
        for kind, names in SUBJECTS.items():
            for pattern in names:
                for place in self.rng.sample(PLACES, 2):
                    n += 1
                    base = f"91500103MA6D{n:05d}"
                    made.append(
                        subjects.create_subject(
                            officer,
                            self.agency,
                            name=f"重庆市渝中区{pattern.format(p=place)}",
                            kind=kind,
                            address=f"渝中区{self.rng.choice(STREETS)}{self.rng.randint(1, 300)}号",
                            credit_code=uscc.complete(base),
                            legal_representative=self._name(),
                        )
                    )
        return made

    def _name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice("伟芳娜敏静丽强磊军洋勇艳杰涛明超")

    # --- the plan -----------------------------------------------------------------------------

    def _moment(self, day: dt.date, kind: str) -> tuple[dt.datetime, dt.datetime]:
        minutes = self.rng.randint(40, 100) if kind == Act.Kind.INTERROGATION else 0
        minutes = minutes or self.rng.randint(25, 75)
        start = local(day, self.rng.choice((9, 10, 14, 15)), self.rng.choice((0, 15, 30, 45)))
        return start, start + dt.timedelta(minutes=minutes)

    def _workday(self, day: dt.date) -> dt.date:
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return day

    def plan(self) -> list[_Plan]:
        plans: list[_Plan] = []
        # Penalty cases, their acts 12 days apart; the last ones filed lately, so that today
        # there is a case at each stage (立案, 调查取证, 审查决定, 送达执行, 结案; 归档 follows
        # when a closed case's dossier is sealed, extras.py).
        n_cases = max(len(RECENT_CASES) + 2, self.count // 25)
        older = n_cases - len(RECENT_CASES)
        for index in range(n_cases):
            if index < older:
                filed = self.first_day + dt.timedelta(days=20 + index * (280 // older))
            else:
                filed = self.today - dt.timedelta(days=RECENT_CASES[index - older])
            subject = self.rng.choice(self.subjects)
            officers = self.rng.sample(self.officers, 2)
            self.cases.append(None)
            self.case_plans.append((filed, subject, officers))
            for step, kind in enumerate(CASE_ACTS):
                day = self._workday(filed + dt.timedelta(days=step * 12 + 1))
                if day >= self.today:
                    break
                start, end = self._moment(day, kind)
                plans.append(_Plan(kind, start, end, subject, officers, case_index=index))
        # Acts outside cases: what the cases leave of ``count``, and at least half of it.
        lone = max(self.count - len(plans), self.count // 2)
        while lone > 0:
            kind = self.rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
            day = self._workday(self.first_day + dt.timedelta(days=self.rng.randint(0, 362)))
            if day >= self.today:
                continue
            lone -= 1
            start, end = self._moment(day, kind)
            plans.append(
                _Plan(
                    kind,
                    start,
                    end,
                    self.rng.choice(self.subjects),
                    self.rng.sample(self.officers, 2),
                )
            )
        for p in plans:
            roll = self.rng.random()
            if roll < NO_AV:
                p.av = "none"
            elif roll < NO_AV + GAP:
                p.av = self.rng.choice(("gap_voice", "gap_written", "gap_unexplained"))
            p.missing_document = self.rng.random() < MISSING_DOCUMENT
            p.missing_marker = self.rng.random() < MISSING_MARKER
            roll = self.rng.random()
            if roll < UNREGISTERED:
                p.registration = "none"
            elif roll < UNREGISTERED + LATE:
                p.registration = "late"
        return sorted(plans, key=lambda p: p.start)

    # --- the acts -------------------------------------------------------------------------------

    def schedule(self, plans: list[_Plan]) -> None:
        for index, p in enumerate(plans):
            self.timeline.add(p.end + dt.timedelta(minutes=20), partial(self._act, p, index))
            self.timeline.add(p.end + dt.timedelta(hours=3), partial(self._markers, p))
            self._schedule_registration(p)
        case_acts = self._case_acts(plans)
        for index in range(len(self.case_plans)):
            self._schedule_case(index, case_acts.get(index, []))

    def _case_acts(self, plans) -> dict[int, list[_Plan]]:
        found: dict[int, list[_Plan]] = {}
        for p in plans:
            if p.case_index is not None:
                found.setdefault(p.case_index, []).append(p)
        return found

    def _schedule_case(self, index: int, acts: list[_Plan]) -> None:
        filed, subject, officers = self.case_plans[index]

        def file_case() -> None:
            self.cases[index] = cases.create_case(
                officers[0],
                self.agency,
                officers,
                number=f"渝中卫罚〔{filed.year}〕{index + 1:03d}号",
                cause=CASE_CAUSES[index % len(CASE_CAUSES)],
                subject=subject,
                filed_on=timezone.localdate(),
            )
            self.summary.cases += 1

        self.timeline.add(local(filed, 9), file_case)
        stages = [
            Case.Stage.INVESTIGATION,
            Case.Stage.REVIEW,
            Case.Stage.SERVICE,
            Case.Stage.CLOSED,
        ]
        for next_stage, p in zip(stages, acts, strict=False):
            moment = p.end + dt.timedelta(days=2)
            self.timeline.add(moment, partial(self._stage, index, next_stage))

    def _stage(self, index: int, stage: str) -> None:
        made = self.cases[index]
        assert made is not None  # a stage follows the case's creation on the timeline
        case = Case.objects.get(pk=made.pk)
        if stage == Case.Stage.CLOSED and case.stage != Case.Stage.SERVICE:
            return
        cases.change_case_stage(self.head, case, stage, "演示：按办案进度推进")

    def _act(self, p: _Plan, number: int) -> None:
        officer = p.officers[0]
        case = self.cases[p.case_index] if p.case_index is not None else None
        p.act = cases.create_act(
            officer,
            self.agency,
            p.officers,
            kind=p.kind,
            started_at=p.start,
            ended_at=p.end,
            place=p.subject.address,
            subject=p.subject,
            case=case,
            involves_life_or_property=p.kind in (Act.Kind.SEIZURE, Act.Kind.CONTROL),
            description="演示数据",
        )
        self.summary.acts += 1
        self._recordings(p, number)
        self._documents(p)

    def _intervals(self, p: _Plan) -> list[tuple[dt.datetime, dt.datetime]]:
        start = p.start - dt.timedelta(seconds=10)
        end = p.end + dt.timedelta(seconds=10)
        if p.av == "none":
            return []
        if p.av.startswith("gap"):
            middle = start + (end - start) / 2
            resumed = middle + dt.timedelta(minutes=self.rng.randint(2, 6))
            return [(start, middle), (resumed, end)]
        return [(start, end)]

    def _recordings(self, p: _Plan, number: int) -> None:
        officer = p.officers[0]
        camera = self.cameras[officer.pk]
        intervals = self._intervals(p)
        for piece, (start, end) in enumerate(intervals):
            local_start = timezone.localtime(start)
            create_segment(
                officer,
                agency=self.agency,
                blob=media.segment_blob(self.agency, f"yuzhong:{number}:{piece}"),
                source=Segment.Source.UPLOAD,
                act=p.act,
                started_at=start,
                ended_at=end,
                officer=officer,
                device=camera,
                duration_seconds=(end - start).total_seconds(),
                container="mp4",
                video_codec="h264",
                original_filename=f"{camera.serial_number}_{local_start:%Y%m%d_%H%M%S}.mp4",
                content_type="video/mp4",
            )
            self.summary.segments += 1
        if p.av == "gap_written":
            compliance.add_explanation(
                officer,
                p.made,
                Explanation.Kind.WRITTEN_GAP,
                "执法记录仪电量耗尽，更换电池期间中断录像。",
                gap_started_at=intervals[0][1],
                gap_ended_at=intervals[1][0],
            )

    def _documents(self, p: _Plan) -> None:
        groups = self.config.required_documents(p.kind)
        if p.missing_document and groups:
            groups = groups[:-1]
        blob = media.store(media.document_pdf(), self.agency)
        for group in groups:
            create_document(
                p.officers[0],
                agency=self.agency,
                blob=blob,
                source=Document.Source.UPLOAD,
                act=p.act,
                file_kind=Document.FileKind.PDF,
                doc_type=group[0],
                written_started_at=p.start,
                written_ended_at=p.end,
                original_filename=f"{group[0]}.pdf",
                content_type="application/pdf",
            )
            self.summary.documents += 1
        if p.kind in self.config.data_required_kinds and not p.missing_document:
            create_data_record(
                p.officers[0],
                agency=self.agency,
                kind=self.data_kind,
                data=_checklist(p.subject),
                recorded_at=p.end - dt.timedelta(minutes=5),
                source="api",
                act=p.act,
            )

    def _markers(self, p: _Plan) -> None:
        """What the custodian marks on the recordings (A15, A16, A11 ¶2)."""
        segments = list(Segment.objects.filter(act=p.act).order_by("started_at"))
        if not segments:
            return
        first, last = segments[0], segments[-1]
        wanted: list[tuple[Segment, float, str]] = []
        end = last.duration_seconds or 0.0
        if p.kind in self.config.door_kinds:
            wanted.append((first, 5, Marker.Kind.ARRIVAL_DOOR))
        if p.kind != Act.Kind.DELIBERATION:
            wanted += [
                (first, 30, Marker.Kind.IDENTITY_STATED),
                (first, 40, Marker.Kind.CERTIFICATE_SHOWN),
                (first, 60, Marker.Kind.RIGHTS_TOLD),
                (last, max(0.0, end - 90), Marker.Kind.PARTY_SIGNING),
            ]
        if p.kind in self.config.door_kinds:
            wanted.append((last, max(0.0, end - 20), Marker.Kind.DOOR_AT_END))
        if p.missing_marker and wanted:
            wanted.pop()
        if p.av == "gap_voice":
            wanted.append((last, 10, Marker.Kind.INTERRUPTION_EXPLAINED))
        for segment, offset, kind in wanted:
            compliance.add_marker(self.custodian, segment, kind, offset)

    def _schedule_registration(self, p: _Plan) -> None:
        day = timezone.localdate(p.end)
        if p.registration == "none":
            return
        if p.registration == "on_time":
            self.timeline.add(p.end + dt.timedelta(hours=4), lambda: self._register(p))
            return
        # Late: the custodian asks after the deadline, the head approves, then registration.
        asked = local(self._workday(day + dt.timedelta(days=5)), 9)
        self.timeline.add(asked, lambda: self._late_request(p))
        self.timeline.add(asked + dt.timedelta(hours=2), lambda: self._late_decision(p))
        self.timeline.add(asked + dt.timedelta(hours=4), lambda: self._register(p))

    def _register(self, p: _Plan) -> None:
        # The custodian registers what arrived, open findings recorded with it (as confirmed on
        # the page): an act's gaps do not keep its records out of the register.
        registration.register_records(self.custodian, p.made, confirm_open_findings=True)
        self.summary.registrations += 1

    def _late_request(self, p: _Plan) -> None:
        registration.request_late_registration(
            self.custodian, p.made, "执法人员外出办案，记录未能在两个工作日内移交登记。"
        )

    def _late_decision(self, p: _Plan) -> None:
        request = p.made.late_requests.get()
        last_day = registration.working_day_deadline(p.made).last_day
        registration.decide_late_request(
            self.head, request, True, "同意延期登记", last_day + dt.timedelta(days=5)
        )


def _checklist(subject: Subject) -> dict:
    return {
        "checklist": f"{subject.get_kind_display()}监督检查表",
        "items": [
            {"code": "1", "item": "证照是否齐全有效", "result": "符合"},
            {"code": "2", "item": "从业人员健康证明", "result": "符合"},
        ],
        "conclusion": "未发现违法行为",
    }


def seed_year(
    today: dt.date | None = None, acts: int = 300, seed: int = 2026, say: Progress | None = None
) -> YearSummary:
    """Load one district's year before ``today`` (docstring of the module)."""
    say = say or (lambda message: None)
    now = timezone.now() if today is None else local(today, 9)
    year = _Year(now, acts, seed, say)
    year.open_office()
    plans = year.plan()
    year.schedule(plans)
    last = [0]

    def progress(done: int, total: int) -> None:
        if done * 10 // total > last[0]:
            last[0] = done * 10 // total
            say(f"  {done}/{total} steps, {year.summary.acts} acts")

    schedule_last_days(year)
    year.timeline.run(now, progress)
    year.summary.findings = Finding.objects.filter(act__agency=year.agency).count()
    return year.summary

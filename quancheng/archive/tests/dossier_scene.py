"""A closed penalty case with records of every kind, built through the real services.

Blobs are small byte strings in a temporary store: assembling reads only the items' metadata.
The case has two acts (an inspection and an interrogation), documents of several catalogue
types written at different times, AV segments, a data record, an explanation and findings.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import transaction

from quancheng.cases.models import Act, Case
from quancheng.cases.services import change_case_stage, create_act, create_case
from quancheng.compliance.models import Finding
from quancheng.compliance.services import add_explanation, answer_finding
from quancheng.records.items import create_data_record, create_document, create_segment
from quancheng.records.models import DataKind
from quancheng.records.services import blob_store, register_blob

SH = ZoneInfo("Asia/Shanghai")
# A Friday: the clock of the dossier tests stands still here.
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=SH)
T0 = dt.datetime(2026, 11, 16, 9, 0, tzinfo=SH)
_serial = itertools.count(1)


def blob(agency):
    info = blob_store().put(io.BytesIO(f"content {next(_serial)}".encode()))
    with transaction.atomic():
        return register_blob(info, agency)


def hours(n: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=n)


@dataclass
class ClosedCase:
    case: Case
    inspection: Act
    interrogation: Act
    expected: list[tuple[str, str]] = field(default_factory=list)

    def document(self, officer, doc_type, at_hour, act=None):
        return create_document(
            officer,
            agency=self.case.agency,
            blob=blob(self.case.agency),
            source="upload",
            act=act or self.inspection,
            file_kind="pdf",
            doc_type=doc_type,
            written_started_at=hours(at_hour),
            written_ended_at=hours(at_hour + 0.5),
        )

    def segment(self, officer, at_hour, name, act=None):
        start = hours(at_hour) if at_hour is not None else None
        return create_segment(
            officer,
            agency=self.case.agency,
            blob=blob(self.case.agency),
            source="upload",
            act=act or self.inspection,
            started_at=start,
            ended_at=start + dt.timedelta(minutes=20) if start else None,
            original_filename=name,
        )


def close(officer, case: Case) -> Case:
    for stage in ("investigation", "review", "service", "closed"):
        case = change_case_stage(officer, case, stage)
    return case


def act_of(officer, colleague, subject, kind, start, case=None) -> Act:
    return create_act(
        officer,
        subject.agency,
        [officer, colleague],
        kind=kind,
        started_at=start,
        ended_at=start + dt.timedelta(hours=1),
        place=subject.address,
        subject=subject,
        case=case,
    )


def closed_case(officer, colleague, subject, number="渝中卫医罚〔2026〕1号", close_it=True):
    """The case and, in ``expected``, the titles of its table of contents in order."""
    for person in (officer, colleague):
        person.certificate_valid_from = dt.date(2020, 1, 1)
        person.certificate_valid_until = dt.date(2035, 12, 31)
        person.save()
    case = create_case(
        officer,
        subject.agency,
        [officer, colleague],
        number=number,
        cause="未取得医疗机构执业许可证擅自执业",
        subject=subject,
        filed_on=T0.date(),
    )
    scene = ClosedCase(
        case=case,
        inspection=act_of(officer, colleague, subject, "inspection", hours(0), case),
        interrogation=act_of(officer, colleague, subject, "interrogation", hours(2), case),
    )
    # Documents, made out of order: catalogue order (现场笔录, 询问记录, 行政处罚决定书 …
    # 立案报告), then time; a type the catalogue does not know comes last.
    scene.document(officer, "行政处罚决定书", 30)
    scene.document(officer, "立案报告", 1)
    scene.document(officer, "其他证明材料", 0)
    scene.document(officer, "现场笔录", 3)
    scene.document(officer, "询问记录", 2, act=scene.interrogation)
    scene.document(officer, "现场笔录", 0)
    # AV by time; one without a time last.
    scene.segment(officer, 2.1, "c.mp4", act=scene.interrogation)
    scene.segment(officer, None, "untimed.mp4")
    scene.segment(officer, 0, "a.mp4")
    kind, _ = DataKind.objects.get_or_create(
        code="inspection-items", defaults={"name": "监督检查项目", "schema": {"type": "object"}}
    )
    create_data_record(
        officer,
        agency=case.agency,
        kind=kind,
        data={"items": []},
        recorded_at=hours(0.5),
        source="api",
        act=scene.inspection,
    )
    add_explanation(officer, scene.interrogation, "written_gap", "电池耗尽，更换电池后继续录像")
    # Findings are the rule engine's rows (compliance/evaluate.py); made directly here.
    finding = Finding.objects.create(
        act=scene.inspection,
        rule_id="A15_door",
        article="第十五条第（一）项",
        severity="warning",
        message="未见到达时拍摄门头",
    )
    answer_finding(officer, finding, "门头已在现场照片中记录")
    Finding.objects.create(
        act=scene.inspection,
        rule_id="A21_labels",
        article="第二十一条第二款",
        severity="warning",
        message="不再适用的发现",
        status=Finding.Status.CLOSED,
    )
    if close_it:
        scene.case = close(officer, case)
    scene.expected = [
        ("document", "现场笔录"),
        ("document", "现场笔录"),
        ("document", "询问记录"),
        ("document", "行政处罚决定书"),
        ("document", "立案报告"),
        ("document", "其他证明材料"),
        ("av", "a.mp4"),
        ("av", "c.mp4"),
        ("av", "untimed.mp4"),
        ("data", "监督检查项目"),
        ("explanation", "电池耗尽"),
        ("finding", "未见到达时拍摄门头"),
    ]
    return scene


def lone_inspection(officer, colleague, subject, at_hour=0):
    """A finished inspection without a case, with its 现场笔录 and one segment."""
    act = act_of(officer, colleague, subject, "inspection", hours(at_hour))
    agency = subject.agency
    create_document(
        officer,
        agency=agency,
        blob=blob(agency),
        source="upload",
        act=act,
        file_kind="pdf",
        doc_type="现场笔录",
        written_started_at=hours(at_hour),
        written_ended_at=hours(at_hour + 1),
    )
    create_segment(
        officer,
        agency=agency,
        blob=blob(agency),
        source="upload",
        act=act,
        started_at=hours(at_hour),
        ended_at=hours(at_hour + 1),
        original_filename="inspection.mp4",
    )
    return act


def supplement(custodian, head, dossier, reason, refs):
    """A supplement as the platform makes one: requested by the custodian, approved by the head."""
    from quancheng.archive import dossiers

    request = dossiers.request_supplement(custodian, dossier, reason, refs)
    return dossiers.decide_supplement(head, request, approve=True).supplement

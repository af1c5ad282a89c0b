"""The end of the demo year: what happens in the last days before ``today``.

The rules evaluated over the year (findings, alerts) and a finding answered; documents drafted,
signed and finalised; dossiers of finished inspections sealed; a spot check of them with its
report; the last quarter's evaluation of the district made final; and requests left waiting
for the head (access, extraction, provision, late registration, supplement, transfer).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import TYPE_CHECKING

from django.utils import timezone

from quancheng.access import extraction, provisions, requests
from quancheng.access.models import Provision
from quancheng.archive import dossiers, transfer
from quancheng.cases.models import Act, Case
from quancheng.compliance import services as compliance
from quancheng.compliance.evaluate import evaluate_all
from quancheng.compliance.models import Finding
from quancheng.documents import services as documents
from quancheng.documents.models import DocumentType
from quancheng.records.items import create_document
from quancheng.records.models import Document, Segment
from quancheng.registration import services as registration
from quancheng.registration.models import ActRegistration
from quancheng.supervision import evaluations, spotchecks

from . import media
from .clock import local

if TYPE_CHECKING:
    from .year import _Year

SIGNED_DOCUMENTS = 2


def _day(year: _Year, days_before: int) -> dt.date:
    day = year.today - dt.timedelta(days=days_before)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def signature_png() -> str:
    """A drawn signature as the signature page posts it (a PNG data URL)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (300, 100), "white")
    ImageDraw.Draw(image).line([(10, 80), (120, 20), (200, 70), (290, 30)], fill="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def schedule_last_days(year: _Year) -> None:
    """Add the last days' work to the year's timeline, each at its moment, among the acts and
    registrations of those days."""

    def evaluate() -> None:
        evaluate_all(Act.objects.filter(agency=year.agency))

    def seal() -> None:
        year.sealed = _sealed_dossiers(year)

    def spot_check() -> None:
        year.spot_check = _spot_check(year)

    add = year.timeline.add
    add(local(_day(year, 6), 18), evaluate)
    add(local(_day(year, 5), 9), lambda: _answer_a_finding(year))
    add(local(_day(year, 5), 11), lambda: _signed_documents(year))
    add(local(_day(year, 4), 17), seal)
    add(local(_day(year, 3), 17), spot_check)
    add(local(_day(year, 2), 17), lambda: _evaluation(year, year.spot_check))
    add(local(_day(year, 1), 18), lambda: _pending(year, year.sealed))
    add(year.now - dt.timedelta(minutes=30), evaluate)


def _answer_a_finding(year: _Year) -> None:
    finding = (
        Finding.objects.filter(act__agency=year.agency, status=Finding.Status.OPEN)
        .select_related("act")
        .order_by("-act__started_at")
        .first()
    )
    if finding is not None:
        officer = finding.act.officers.order_by("pk")[0]
        compliance.answer_finding(officer, finding, "已核实：当时执法记录仪故障，已补充书面说明。")


def _signed_documents(year: _Year) -> None:
    """Inspections of the last weeks get a 现场笔录 drafted, signed and finalised (e-sealed)."""
    doc_type = DocumentType.objects.get(name="现场笔录")
    acts = Act.objects.filter(
        agency=year.agency, kind=Act.Kind.INSPECTION, started_at__lt=timezone.now()
    ).order_by("-started_at")[:SIGNED_DOCUMENTS]
    for act in acts:
        officers = list(act.officers.order_by("pk"))
        draft = documents.create_draft(
            officers[0], act, doc_type, {"findings": "现场检查未发现违法行为。"}
        )
        for officer in officers:
            documents.add_signature(
                officer, draft, role="officer", officer=officer, image=signature_png()
            )
        documents.add_signature(
            officers[0],
            draft,
            role="party",
            name=act.subject.legal_representative or "王建国",
            image=signature_png(),
        )
        documents.finalise(officers[0], draft)


def _sealed_dossiers(year: _Year) -> list:
    """The custodian seals the dossier of a registered inspection of the first months (a
    document handed in late is left out of it) and of the earliest closed case (归档)."""
    registered = ActRegistration.objects.filter(act__agency=year.agency).values("act_id")
    inspection = (
        Act.objects.filter(
            agency=year.agency, kind=Act.Kind.INSPECTION, case=None, pk__in=registered
        )
        .order_by("started_at")
        .first()
    )
    closed = (
        Case.objects.filter(agency=year.agency, stage=Case.Stage.CLOSED)
        .order_by("filed_on")
        .first()
    )
    sealed = []
    if inspection is not None:
        dossier = dossiers.assemble_dossier(year.custodian, act=inspection)
        _late_document(year, inspection)  # left out of the dossier: a supplement asks for it
        sealed.append(dossiers.freeze_dossier(year.custodian, dossier))
    if closed is not None:
        dossier = dossiers.assemble_dossier(year.custodian, case=closed)
        sealed.append(dossiers.freeze_dossier(year.custodian, dossier))
    year.summary.dossiers += len(sealed)
    return sealed


def _late_document(year: _Year, act: Act) -> None:
    """A 卫生监督意见书 handed in after the dossier was put together."""
    create_document(
        act.officers.order_by("pk")[0],
        agency=act.agency,
        blob=media.store(media.document_pdf(), act.agency),
        source=Document.Source.UPLOAD,
        act=act,
        file_kind=Document.FileKind.PDF,
        doc_type="卫生监督意见书",
        original_filename="卫生监督意见书.pdf",
        content_type="application/pdf",
    )


def _spot_check(year: _Year):
    auditor = year.people["zhaolei"]
    spot_check = spotchecks.draw_spot_check(
        auditor,
        district=year.agency.district,
        period_start=year.first_day,
        period_end=year.today,
        sample_size=2,
        title="演示：年度执法全过程记录抽查",
        seed=2026,
    )
    for sample in spot_check.samples.all():
        suggested = spotchecks.suggested_results(spot_check, sample.dossier)
        results = {
            item["code"]: {"result": suggested.get(item["code"], "pass")}
            for item in spot_check.checklist
        }
        spotchecks.score_sample(auditor, sample, results)
    spotchecks.issue_reports(auditor, spot_check)
    return spot_check


def _evaluation(year: _Year, spot_check) -> None:
    """The district commission evaluates its agency for the last full quarter and makes it final."""
    commission = year.people["chenjing"]
    end = year.today.replace(day=1) - dt.timedelta(days=1)
    while end.month % 3:
        end = end.replace(day=1) - dt.timedelta(days=1)
    start = dt.date(end.year, end.month - 2, 1)
    quarter = end.month // 3
    evaluation = evaluations.create_evaluation(
        commission,
        year.agency,
        period_label=f"{end.year}年第{quarter}季度",
        period_start=start,
        period_end=end,
    )
    points = {
        item["code"]: str(item["weight"] * 9 // 10)
        for item in evaluation.sheet
        if item.get("source") != "spotcheck"
    }
    points.update(
        {
            item["code"]: str(item["weight"] * 8 // 10)
            for item in evaluation.sheet
            if item.get("source") == "spotcheck"
        }
    )
    evaluations.score_evaluation(commission, evaluation, points, "演示：记录总体完整，个别登记逾期")
    evaluations.finalise_evaluation(commission, evaluation)


def _pending(year: _Year, sealed: list) -> None:
    """Requests waiting for the head this morning (the approvals inbox)."""
    officers = year.officers
    with_av = Segment.objects.filter(act__agency=year.agency).values("act_id")
    recent = list(Act.objects.filter(pk__in=with_av).order_by("-started_at")[:3])

    def segments_of(act) -> list[str]:
        return [
            f"segment:{pk}" for pk in Segment.objects.filter(act=act).values_list("pk", flat=True)
        ]

    asker = next(o for o in officers if not recent[0].officers.filter(pk=o.pk).exists())
    requests.create_request(asker, purpose="办理关联案件需要查阅现场执法音像记录", act=recent[0])
    year.summary.pending.append("调阅申请")
    extraction.request_extraction(
        recent[1].officers.order_by("pk")[0],
        purpose="作为行政处罚案件证据提取现场音像记录",
        act=recent[1],
        items=segments_of(recent[1]),
    )
    year.summary.pending.append("证据提取申请")
    provisions.request_provision(
        recent[2].officers.order_by("pk")[0],
        recipient=f"{year.agency.district}人民法院",
        recipient_kind=Provision.RecipientKind.JUDICIAL,
        legal_basis="《中华人民共和国行政诉讼法》第三十四条",
        act=recent[2],
        items=segments_of(recent[2]),
    )
    year.summary.pending.append("对外提供申请")
    unregistered = (
        Act.objects.filter(
            agency=year.agency, registration__isnull=True, late_requests__isnull=True
        )
        .order_by("started_at")
        .first()
    )
    if unregistered is not None:
        registration.request_late_registration(
            year.custodian,
            unregistered,
            "该次执法的音像记录因执法记录仪送修未能按期导出，现申请延期登记。",
        )
        year.summary.pending.append("延期登记申请")
    if sealed:
        dossier = sealed[0]
        candidates = dossiers.candidates(dossier)
        if candidates:
            dossiers.request_supplement(
                year.custodian,
                dossier,
                "补充归档遗漏的检查材料",
                [candidates[0].ref],
            )
            year.summary.pending.append("补充归档申请")
        transfer.request_transfer(
            year.custodian, sealed[-1], recipient="重庆市渝中区档案馆", note="到期移交"
        )
        year.summary.pending.append("移交申请")

"""Spot checks of archived dossiers (案卷抽查, A26).

第二十六条: the legal-audit department (法制稽查) regularly spot-checks the whole-process
record archives and circulates the results (稽查结果应当予以通报). Here:

1. draw: a reproducible random sample of frozen dossiers (district, archiving period, kind,
   size) from a recorded seed — ``random.Random(seed).sample`` over the candidate ids in id
   order — a ledger event with seed, filters, candidates and sample;
2. score: each sampled dossier against the checklist (sheets.py); rule items are pre-filled
   from the compliance findings of the dossier's acts, the auditor decides; findings recorded;
3. report: a circulated report (通报) per district as a PDF, stored as a blob, downloadable.

Every change and every download is a ledger event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import secrets
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.archive.models import Dossier
from quancheng.cases.models import Act
from quancheng.compliance.models import Finding
from quancheng.documents.render import render_template_pdf
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import Agency
from quancheng.orgs.scoping import agencies_visible_to
from quancheng.records.services import put_record, register_blob
from quancheng.records.sm3 import file_digests

from .models_spot import ScoreSheet, SpotCheck, SpotCheckReport, SpotCheckSample, SpotFinding
from .sheets import current_sheet

if TYPE_CHECKING:
    from quancheng.orgs.models import User


MAX_SAMPLE = 200
RESULTS = {"pass": "符合", "fail": "不符合", "na": "不适用"}


def require_view_supervision(user: User) -> None:
    """Who sees spot checks and evaluations at all (the capability table; scoped by district)."""
    caps.require(user, caps.SUPERVISION_VIEW)


def require_audit(user: User, district: str | None = None) -> None:
    """The legal auditor (法制稽查) of the district, or of the city."""
    caps.require(user, caps.SPOTCHECK_AUDIT)
    if district is not None and district not in districts_for(user):
        raise PermissionDenied("该区县不在您的稽查范围内")


def districts_for(user: User) -> list[str]:
    """The districts whose enforcement agencies the user sees, in the seed's order."""
    agencies = agencies_visible_to(user).filter(kind=Agency.Kind.ENFORCEMENT)
    districts = []
    for district in agencies.order_by("level", "code").values_list("district", flat=True):
        if district not in districts:
            districts.append(district)
    return districts


# 1. Draw ---------------------------------------------------------------------------------


def new_seed() -> int:
    return secrets.randbits(63)


def candidate_ids(district: str, period_start: dt.date, period_end: dt.date, kind: str = ""):
    """Frozen dossiers of the district archived in the period, by id (the order is the draw's)."""
    dossiers = Dossier.objects.filter(
        status=Dossier.Status.FROZEN,
        agency__district=district,
        archived_on__gte=period_start,
        archived_on__lte=period_end,
    )
    if kind:
        dossiers = dossiers.filter(kind=kind)
    return list(dossiers.order_by("pk").values_list("pk", flat=True))


def draw_sample(seed: int, candidates: list[int], size: int) -> list[int]:
    """The sample: the same seed over the same candidates always gives the same ids."""
    return random.Random(seed).sample(sorted(candidates), min(size, len(candidates)))  # noqa: S311 - a reproducible draw, not a secret


def _clean_draw(district, period_start, period_end, kind, sample_size, seed) -> None:
    errors: dict[str, list[str]] = defaultdict(list)
    if not district:
        errors["district"].append("请选择区县")
    if period_start is None or period_end is None:
        errors["period_start"].append("请填写归档日期范围")
    elif period_start > period_end:
        errors["period_end"].append("归档日期止不能早于归档日期起")
    if kind and kind not in Dossier.Kind.values:
        errors["kind"].append("案卷类别无效")
    if not isinstance(sample_size, int) or not 1 <= sample_size <= MAX_SAMPLE:
        errors["sample_size"].append(f"抽查数量应在1至{MAX_SAMPLE}之间")
    if seed is not None and not (isinstance(seed, int) and 0 <= seed < 2**63):
        errors["seed"].append("随机种子应为0至2^63-1之间的整数")
    if errors:
        raise ValidationError(dict(errors))


def draw_spot_check(
    actor: User,
    *,
    district: str,
    period_start: dt.date,
    period_end: dt.date,
    sample_size: int,
    kind: str = "",
    title: str = "",
    seed: int | None = None,
) -> SpotCheck:
    """Draw a sample of frozen dossiers; a new seed unless one is given (to redo a draw)."""
    require_audit(actor, district or None)
    _clean_draw(district, period_start, period_end, kind, sample_size, seed)
    seed = new_seed() if seed is None else seed
    sheet = current_sheet(ScoreSheet.Kind.SPOTCHECK)
    with transaction.atomic(durable=True):
        candidates = candidate_ids(district, period_start, period_end, kind)
        if not candidates:
            raise ValidationError({"district": ["该区县在此期间没有符合条件的已归档案卷"]})
        sample = draw_sample(seed, candidates, sample_size)
        spot_check = SpotCheck.objects.create(
            title=(title or "").strip()[:200]
            or f"{district}{period_start:%Y年%m月%d日}至{period_end:%Y年%m月%d日}案卷抽查",
            district=district,
            period_start=period_start,
            period_end=period_end,
            kind=kind,
            sample_size=sample_size,
            seed=seed,
            candidate_count=len(candidates),
            candidate_ids=candidates,
            checklist=sheet.items,
            checklist_version=sheet.version,
            drawn_by=actor,
        )
        SpotCheckSample.objects.bulk_create(
            [
                SpotCheckSample(spot_check=spot_check, dossier_id=pk, position=n)
                for n, pk in enumerate(sample, start=1)
            ]
        )
        record_event(
            actor,
            Action.SPOTCHECK_DRAWN,
            spot_check,
            {
                "seed": str(seed),
                "filters": spot_check.filters,
                "candidate_count": len(candidates),
                "candidates": candidates,
                "sample": sample,
                "checklist_version": sheet.version,
            },
            agency=_district_agency(district),
        )
    return spot_check


def _district_agency(district: str) -> Agency | None:
    """The district's enforcement agency: the ledger events of a district's checks carry it."""
    return (
        Agency.objects.filter(district=district, kind=Agency.Kind.ENFORCEMENT)
        .order_by("pk")
        .first()
    )


def sample_ids(spot_check: SpotCheck) -> list[int]:
    return list(spot_check.samples.order_by("position").values_list("dossier_id", flat=True))


def verify_draw(spot_check: SpotCheck) -> dict[str, bool]:
    """Redraw from the recorded seed: from the recorded candidates, and from today's data."""
    recorded = sample_ids(spot_check)
    today = candidate_ids(
        spot_check.district, spot_check.period_start, spot_check.period_end, spot_check.kind
    )
    size = spot_check.sample_size
    return {
        "sample_reproduced": draw_sample(spot_check.seed, spot_check.candidate_ids, size)
        == recorded,
        "candidates_unchanged": today == spot_check.candidate_ids,
    }


# 2. Score --------------------------------------------------------------------------------


def acts_of_dossiers(dossiers) -> dict[int, list[int]]:
    """Act ids per dossier id (a case's acts, or the dossier's own inspection)."""
    acts: dict[int, list[int]] = {d.pk: [] for d in dossiers}
    by_case = {d.case_id: d.pk for d in dossiers if d.case_id}
    for act_id, case_id in Act.objects.filter(case_id__in=by_case).values_list("pk", "case_id"):
        acts[by_case[case_id]].append(act_id)
    for d in dossiers:
        if d.act_id and d.act_id not in acts[d.pk]:
            acts[d.pk].append(d.act_id)
    return acts


def suggested_results(spot_check: SpotCheck, dossier: Dossier) -> dict[str, str]:
    """Rule items pre-filled from the compliance findings of the dossier's acts.

    A rule with an active finding (open, answered or returned) does not conform; an accepted
    or closed one, or none, does. Manual items are left for the auditor.
    """
    act_ids = acts_of_dossiers([dossier])[dossier.pk]
    failing = set(
        Finding.objects.filter(act_id__in=act_ids, status__in=Finding.ACTIVE).values_list(
            "rule_id", flat=True
        )
    )
    return {
        item["code"]: "fail" if item["code"] in failing else "pass"
        for item in spot_check.checklist
        if item.get("source") == "rule"
    }


def compute_score(checklist: list[dict[str, Any]], results: dict[str, dict]) -> Decimal | None:
    """Weighted share of conforming items among the applicable ones, out of 100 (one decimal).

    None when no item applies.
    """
    applicable = passed = Decimal(0)
    for item in checklist:
        result = (results.get(item["code"]) or {}).get("result")
        if result not in ("pass", "fail"):
            continue
        weight = Decimal(str(item["weight"]))
        applicable += weight
        if result == "pass":
            passed += weight
    if not applicable:
        return None
    return (passed * 100 / applicable).quantize(Decimal("0.1"))


def _lock_while_scoring(spot_check: SpotCheck) -> None:
    """Hold the spot check while a result is written, so a report cannot be issued meanwhile."""
    locked = SpotCheck.objects.select_for_update().get(pk=spot_check.pk)
    if locked.status != SpotCheck.Status.SCORING:
        raise ValidationError("抽查结果已通报，不能再修改评分或记录问题")


def score_sample(actor: User, sample: SpotCheckSample, results: dict[str, dict]) -> SpotCheckSample:
    """Record the auditor's result for every checklist item and the dossier's score."""
    spot_check = sample.spot_check
    require_audit(actor, spot_check.district)
    clean: dict[str, dict] = {}
    problems = []
    for item in spot_check.checklist:
        entry = results.get(item["code"]) or {}
        if entry.get("result") not in RESULTS:
            problems.append(f"请选择“{item['label']}”的评查结果")
            continue
        clean[item["code"]] = {
            "result": entry["result"],
            "note": (entry.get("note") or "").strip()[:500],
        }
    if problems:
        raise ValidationError(problems)
    score = compute_score(spot_check.checklist, clean)
    if score is None:
        raise ValidationError("至少应有一项评查项目适用")
    with transaction.atomic(durable=True):
        _lock_while_scoring(spot_check)
        sample = SpotCheckSample.objects.select_for_update().get(pk=sample.pk)
        sample.results = clean
        sample.score = score
        sample.scored_by = actor
        sample.scored_at = timezone.now()
        sample.save(update_fields=["results", "score", "scored_by", "scored_at"])
        record_event(
            actor,
            Action.SPOTCHECK_SCORED,
            spot_check,
            {"dossier": sample.dossier_id, "results": clean, "score": str(score)},
            agency=sample.dossier.agency,
        )
    return sample


def record_finding(
    actor: User, sample: SpotCheckSample, text: str, item_code: str = ""
) -> SpotFinding:
    """A problem found in a sampled dossier (抽查发现的问题)."""
    spot_check = sample.spot_check
    require_audit(actor, spot_check.district)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["请填写问题描述"]})
    codes = {item["code"] for item in spot_check.checklist}
    if item_code and item_code not in codes:
        raise ValidationError({"item_code": ["评查项目无效"]})
    with transaction.atomic(durable=True):
        _lock_while_scoring(spot_check)
        finding = SpotFinding.objects.create(
            sample=sample, item_code=item_code, text=text[:4000], created_by=actor
        )
        record_event(
            actor,
            Action.SPOTCHECK_FINDING_RECORDED,
            spot_check,
            {"dossier": sample.dossier_id, "finding": finding.pk, "item": item_code, "text": text},
            agency=sample.dossier.agency,
        )
    return finding


# 3. Report -------------------------------------------------------------------------------


def report_context(spot_check: SpotCheck, district: str) -> dict[str, Any]:
    samples = list(
        spot_check.samples.filter(dossier__agency__district=district)
        .select_related("dossier", "dossier__agency")
        .prefetch_related("findings")
        .order_by("position")
    )
    labels = {item["code"]: item["label"] for item in spot_check.checklist}
    rows = []
    for sample in samples:
        failed = [
            labels.get(code, code) for code, r in sample.results.items() if r["result"] == "fail"
        ]
        rows.append({"sample": sample, "failed": failed, "findings": list(sample.findings.all())})
    scores = [s.score for s in samples if s.score is not None]
    mean = (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.1")) if scores else None
    return {
        "spot_check": spot_check,
        "district": district,
        "rows": rows,
        "mean": mean,
        "issued_at": timezone.localtime(),
    }


def issue_reports(actor: User, spot_check: SpotCheck) -> list[SpotCheckReport]:
    """Render, store and circulate the report (通报) of each district in the sample."""

    require_audit(actor, spot_check.district)
    with transaction.atomic(durable=True):
        spot_check = SpotCheck.objects.select_for_update().get(pk=spot_check.pk)
        if spot_check.status != SpotCheck.Status.SCORING:
            raise ValidationError("抽查结果已通报")
        unscored = spot_check.samples.filter(score__isnull=True).count()
        if unscored:
            raise ValidationError(f"还有{unscored}份案卷未评分，不能通报")
        districts = sorted(
            set(spot_check.samples.values_list("dossier__agency__district", flat=True))
        )
        reports = []
        for district in districts:
            pdf = render_template_pdf(
                "supervision/spot_report.html", report_context(spot_check, district)
            )
            agency = _district_agency(district)
            info = put_record(io.BytesIO(pdf))
            register_blob(info, agency)
            report = SpotCheckReport.objects.create(
                spot_check=spot_check,
                district=district,
                sha256=info.sha256,
                size=info.size,
                issued_by=actor,
            )
            record_event(
                actor,
                Action.SPOTCHECK_REPORT_ISSUED,
                report,
                {
                    "spot_check": spot_check.pk,
                    "district": district,
                    **file_digests(info.sha256),
                    "size": info.size,
                },
                agency=agency,
            )
            reports.append(report)
        spot_check.status = SpotCheck.Status.REPORTED
        spot_check.save(update_fields=["status"])
    return reports


def record_report_download(actor: User, report: SpotCheckReport) -> None:
    """The download of a report is an access to record content: a ledger event."""
    require_view_supervision(actor)
    with transaction.atomic(durable=True):
        record_event(
            actor,
            Action.SPOTCHECK_REPORT_DOWNLOADED,
            report,
            {**file_digests(report.sha256), "district": report.district},
            agency=_district_agency(report.district),
        )

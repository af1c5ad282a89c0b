"""Compliance (合规检查): rule configuration, markers, explanations, findings and completeness.

Every row here changes only through quancheng.compliance.services (or evaluate.py for findings
and completeness), each change a ledger event in the same transaction.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from quancheng.cases.models import Act, Case
from quancheng.orgs.models import Approval
from quancheng.orgs.scoping import AgencyScopedQuerySet
from quancheng.records.models import Segment
from quancheng.versioning.models import VersionedConfig


class RuleConfig(VersionedConfig):
    """One version of the city's rule configuration (规则配置); the highest version is current.

    ``data`` holds which act kinds need AV, which documents each kind needs, the tolerances and
    the A10 list of items to record (记录事项清单). Versions are never edited: a change is a new
    version (and a ledger event), so a finding can always be read against the version it used.
    """

    class Meta(VersionedConfig.Meta):
        verbose_name = "规则配置"
        verbose_name_plural = "规则配置"

    def __str__(self):
        return f"规则配置第{self.version}版"


class MarkerQuerySet(AgencyScopedQuerySet):
    agency_field = "segment__agency"

    def current(self):
        return self.filter(withdrawn_at__isnull=True)


class Marker(models.Model):
    """A moment a reviewer marked in a recording (音像记录标记), e.g. the door filmed on arrival."""

    class Kind(models.TextChoices):
        ARRIVAL_DOOR = "arrival_door", "到达时拍摄门头及周边环境"
        IDENTITY_STATED = "identity_stated", "表明身份"
        CERTIFICATE_SHOWN = "certificate_shown", "出示执法证件"
        RIGHTS_TOLD = "rights_told", "告知权利义务"
        PARTY_SIGNING = "party_signing", "当事人签字确认"
        DOOR_AT_END = "door_at_end", "结束时再次拍摄门头"
        INTERRUPTION_EXPLAINED = "interruption_explained", "中断原因语音说明"
        # What makes the records of an act worth keeping long-term (A23, rule A23-longterm).
        OBSTRUCTION = "obstruction", "阻碍执法（拒绝、逃避、阻挠或侮辱、殴打执法人员）"
        OBJECTION = "objection", "当事人异议（异议、投诉、信访）"
        MASS_INCIDENT = "mass_incident", "涉及群体性事件、重大突发事件"

    segment = models.ForeignKey(
        Segment, on_delete=models.PROTECT, related_name="+", verbose_name="音像记录"
    )
    offset_seconds = models.FloatField("时间点（秒）")
    kind = models.CharField("标记类型", max_length=32, choices=Kind.choices)
    note = models.CharField("备注", max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="标记人"
    )
    created_at = models.DateTimeField("标记时间", default=timezone.now)
    withdrawn_at = models.DateTimeField("撤销时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdraw_reason = models.CharField("撤销原因", max_length=500, blank=True)

    objects = MarkerQuerySet.as_manager()

    class Meta:
        ordering = ["segment", "offset_seconds", "pk"]
        verbose_name = "音像记录标记"
        verbose_name_plural = "音像记录标记"
        indexes = [
            # The segment page lists its markers; the timeline loads the markers of its segments.
            models.Index(fields=["segment", "offset_seconds"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} @ {self.offset_seconds:g}s"


class ExplanationQuerySet(AgencyScopedQuerySet):
    agency_field = "act__agency"


class Explanation(Approval):
    """A written explanation of a gap (A11 ¶2) or an A13 work record (工作记录).

    An approval only as an A13 work record (the head reviews it); a written gap explanation
    needs no review, and its ``requested_by``/``requested_at`` are simply who wrote it, when.
    """

    class Kind(models.TextChoices):
        WRITTEN_GAP = "written_gap", "中断书面说明（第十一条第二款）"
        A13_WORK_RECORD = "a13_work_record", "停止音像记录工作记录（第十三条）"

    class Reason(models.TextChoices):
        NONE = "", "—"
        STATE_SECRET = "state_secret", "涉及国家秘密"
        WORK_SECRET = "work_secret", "涉及工作秘密"
        COMMERCIAL_SECRET = "commercial_secret", "涉及商业秘密"
        PRIVACY = "privacy", "涉及个人隐私"
        WEATHER = "weather", "天气原因"
        FORCE_MAJEURE = "force_majeure", "其他不可抗力"

    class Review(models.TextChoices):
        NOT_NEEDED = "not_needed", "无需审核"
        PENDING = "pending", "待机构负责人审核"
        ACCEPTED = "accepted", "已审核同意"
        RETURNED = "returned", "已退回"

    act = models.ForeignKey(
        Act, on_delete=models.PROTECT, related_name="+", verbose_name="执法行为"
    )
    kind = models.CharField("类型", max_length=24, choices=Kind.choices)
    reason = models.CharField("原因", max_length=24, choices=Reason.choices, blank=True, default="")
    text = models.TextField("说明内容")
    # The interruption explained (optional: without it the explanation covers every gap).
    gap_started_at = models.DateTimeField("中断开始", null=True, blank=True)
    gap_ended_at = models.DateTimeField("中断结束", null=True, blank=True)
    # The approval's requester is the explanation's author (制作人).
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="制作人"
    )
    requested_at = models.DateTimeField("制作时间", default=timezone.now)
    review = models.CharField(
        "审核", max_length=16, choices=Review.choices, default=Review.NOT_NEEDED
    )

    objects = ExplanationQuerySet.as_manager()

    class Meta:
        ordering = ["act", "requested_at", "pk"]
        verbose_name = "说明"
        verbose_name_plural = "说明"
        indexes = [models.Index(fields=["act", "kind"])]  # the act's timeline and rules

    def __str__(self):
        return f"{self.get_kind_display()}（{self.act}）"


class FindingQuerySet(AgencyScopedQuerySet):
    agency_field = "act__agency"

    def active(self):
        return self.filter(status__in=Finding.ACTIVE)


class Finding(models.Model):
    """What a rule found on an act (检查发现), with pointers to the evidence.

    Lifecycle: open → answered (the officer's answer) → accepted or returned (the agency head);
    a returned finding is answered again. Re-evaluation closes open or returned findings whose
    rule no longer fires, reopens closed ones that fire again, and keeps answered and accepted
    ones as they are.
    """

    class Severity(models.TextChoices):
        ERROR = "error", "违规"
        WARNING = "warning", "提示"

    class Status(models.TextChoices):
        OPEN = "open", "待答复"
        ANSWERED = "answered", "已答复待审核"
        ACCEPTED = "accepted", "已认可"
        RETURNED = "returned", "已退回"
        CLOSED = "closed", "已不适用"

    ACTIVE = (Status.OPEN, Status.ANSWERED, Status.RETURNED)

    act = models.ForeignKey(
        Act, on_delete=models.PROTECT, related_name="+", verbose_name="执法行为"
    )
    rule_id = models.CharField("规则", max_length=32)
    key = models.CharField("键", max_length=100, blank=True)
    article = models.CharField("条款", max_length=100)
    severity = models.CharField("严重程度", max_length=8, choices=Severity.choices)
    message = models.TextField("内容")
    evidence = models.JSONField("证据指向", default=dict, blank=True)
    # A mandatory record (AV or document) is missing: the act's status says so.
    missing_record = models.BooleanField("缺少必需记录", default=False)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField("答复", blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decision_note = models.TextField("审核意见", blank=True)
    created_at = models.DateTimeField("发现时间", default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["act", "rule_id", "key"]
        verbose_name = "检查发现"
        verbose_name_plural = "检查发现"
        constraints = [
            # evaluate_act is idempotent: one finding per act, rule and key.
            models.UniqueConstraint(fields=["act", "rule_id", "key"], name="finding_once"),
        ]
        indexes = [models.Index(fields=["status", "act"])]  # open findings of many acts

    def __str__(self):
        return f"{self.rule_id} {self.act}"

    def get_absolute_url(self):
        return reverse("act_detail", args=[self.act_id]) + f"#finding-{self.pk}"

    @property
    def agency(self):
        return self.act.agency


class Completeness(models.TextChoices):
    """An act's or case's completeness (记录完整性)."""

    COMPLETE = "complete", "记录完整"
    FINDINGS_OPEN = "findings_open", "有待处理的检查发现"
    MANDATORY_MISSING = "mandatory_missing", "缺少必需记录"


# The order in which a case takes the worst status of its acts.
COMPLETENESS_RANK: dict[str, int] = {
    Completeness.COMPLETE: 0,
    Completeness.FINDINGS_OPEN: 1,
    Completeness.MANDATORY_MISSING: 2,
}


class ActCompliance(models.Model):
    """The stored completeness of an act, for filtering lists; written by evaluate.py."""

    act = models.OneToOneField(
        Act, on_delete=models.PROTECT, related_name="compliance", primary_key=True
    )
    status = models.CharField("完整性", max_length=20, choices=Completeness.choices)
    active_findings = models.PositiveIntegerField("待处理发现", default=0)
    config_version = models.PositiveIntegerField("规则配置版本", default=0)
    changed_at = models.DateTimeField("更新时间", default=timezone.now)

    class Meta:
        verbose_name = "执法行为完整性"
        verbose_name_plural = "执法行为完整性"
        indexes = [models.Index(fields=["status"])]  # act list filtered by completeness

    def __str__(self):
        return f"{self.act_id}: {self.get_status_display()}"


class CaseCompliance(models.Model):
    """A case's completeness: the worst of its acts'."""

    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="compliance", primary_key=True
    )
    status = models.CharField("完整性", max_length=20, choices=Completeness.choices)
    changed_at = models.DateTimeField("更新时间", default=timezone.now)

    class Meta:
        verbose_name = "案件完整性"
        verbose_name_plural = "案件完整性"
        indexes = [models.Index(fields=["status"])]  # case list filtered by completeness

    def __str__(self):
        return f"{self.case_id}: {self.get_status_display()}"

"""Access (A24): access requests (调阅申请), external provisions (对外提供) and evidence
extractions (证据提取) with their export packages.

Who may see what is decided in one place (``access/policy.py``); these rows are what the policy
reads (approved, unexpired requests) and the registers the regulation asks for. Every change is a
ledger event in the same transaction.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from quancheng.cases.models import Act, Case
from quancheng.orgs.models import Agency, Approval
from quancheng.orgs.scoping import AgencyScopedQuerySet
from quancheng.records.models import Blob, Segment


class AccessRequestQuerySet(AgencyScopedQuerySet):
    def in_force(self, now=None):
        now = now or timezone.now()
        return self.filter(status=AccessRequest.Status.APPROVED, expires_at__gt=now)


class AccessRequest(Approval):
    """A request to view, play or download records one is not entitled to (调阅申请).

    It names a case, an act or one item (``item_kind``/``item_id``); the agency head approves
    (with an expiry) or refuses. An approval covers viewing and playing, and downloading only
    when ``allow_download`` is set.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已批准"
        REFUSED = "refused", "不予批准"
        WITHDRAWN = "withdrawn", "已撤回"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="access_requests")
    purpose = models.TextField("调阅事由")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    act = models.ForeignKey(Act, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    item_kind = models.CharField("条目类型", max_length=16, blank=True)
    item_id = models.BigIntegerField("条目编号", null=True, blank=True)
    allow_download = models.BooleanField("允许下载", default=False)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING)

    objects = AccessRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = "调阅申请"
        verbose_name_plural = "调阅申请"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False)
                | models.Q(act__isnull=False)
                | models.Q(item_id__isnull=False),
                name="access_request_names_something",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="approved") | models.Q(expires_at__isnull=False),
                name="access_approval_expires",
            ),
        ]
        # The approvals in force of one user (policy.py, AccessRequest.objects.in_force).
        indexes = [models.Index(fields=["requested_by", "status", "expires_at"])]

    def __str__(self):
        return f"{self.requested_by} 调阅申请（{self.get_status_display()}）"

    def get_absolute_url(self):
        return reverse("access:request_detail", args=[self.pk])


class Extraction(Approval):
    """An evidence extraction (证据提取, A24 ¶3): asked by an officer, approved by the head,
    produced as an export package (copies, a signed note, a BagIt bag, the ledger part)."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已批准待制作"
        REFUSED = "refused", "不予批准"
        PRODUCED = "produced", "已制作"
        FAILED = "failed", "制作失败"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="extractions")
    purpose = models.TextField("提取事由")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    act = models.ForeignKey(Act, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The items to extract: [{"kind": "segment", "id": 12}, …] (see records/refs.py).
    items = models.JSONField("提取条目", default=list)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING)
    # The package (a zip of the bag), once produced.
    package = models.ForeignKey(
        Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    produced_at = models.DateTimeField("制作时间", null=True, blank=True)
    error = models.TextField("错误", blank=True)
    # The signed extraction note (提取说明) inside the package, kept apart to be read on its own.
    note = models.ForeignKey(
        Blob,
        verbose_name="提取说明",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Production in the background (access/package.py): claimed once, then its progress.
    production_started_at = models.DateTimeField("开始制作时间", null=True, blank=True)
    # The background job (task id) that claimed it: the same job, run again after its worker
    # died, may claim it again (quancheng/jobs/leases.py).
    production_job = models.CharField("制作作业", max_length=64, blank=True)
    progress = models.PositiveSmallIntegerField("制作进度（%）", default=0)
    stage = models.CharField("制作阶段", max_length=100, blank=True)

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = "证据提取"
        verbose_name_plural = "证据提取"

    def __str__(self):
        return f"证据提取 {self.pk}（{self.get_status_display()}）"

    def get_absolute_url(self):
        return reverse("extraction:extraction_detail", args=[self.pk])


class Provision(Approval):
    """A provision of records to an outside body (对外提供, A24 ¶2): requested in the platform,
    approved by the head of the providing agency, then handed over and registered (登记).

    requested → approved → provided, or requested → refused. Only an approved provision can be
    registered as provided, and the approver is always the head who decided it in the platform.
    """

    class RecipientKind(models.TextChoices):
        RECONSIDERATION = "reconsideration", "行政复议机关"
        PETITION = "petition", "信访部门"
        JUDICIAL = "judicial", "司法机关"
        OTHER = "other", "其他"

    class Status(models.TextChoices):
        REQUESTED = "requested", "待审批"
        APPROVED = "approved", "已批准待提供"
        REFUSED = "refused", "不予批准"
        PROVIDED = "provided", "已提供并登记"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="provisions")
    recipient = models.CharField("接收单位", max_length=200)
    recipient_kind = models.CharField("单位类别", max_length=24, choices=RecipientKind.choices)
    legal_basis = models.TextField("法律依据")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    act = models.ForeignKey(Act, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The items provided: [{"kind": "segment", "id": 12}, …].
    items = models.JSONField("提供条目", default=list)
    extraction = models.ForeignKey(
        Extraction, null=True, blank=True, on_delete=models.PROTECT, related_name="provisions"
    )
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    # Null only on rows registered before provisions were requested in the platform (the
    # approval's field narrowed to nullable: mypy sees the base's non-null type).
    requested_by = models.ForeignKey(  # type: ignore[assignment]
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="申请人",
    )
    provided_on = models.DateField("提供日期", null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="登记人",
    )
    registered_at = models.DateTimeField("登记时间", null=True, blank=True)
    # What went out, fixed when the provision is registered: per item its kind, id, the SHA-256
    # of the bytes handed over and the redacted copy (脱敏副本) they came from, if any.
    copies_provided = models.JSONField("提供的副本", default=list, blank=True)

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = "对外提供登记"
        verbose_name_plural = "对外提供登记"
        constraints = [
            # A24 ¶2: nothing is registered as provided without the head's approval first.
            models.CheckConstraint(
                condition=~models.Q(status="provided")
                | models.Q(
                    decided_by__isnull=False,
                    decided_at__isnull=False,
                    provided_on__isnull=False,
                ),
                name="provision_provided_after_approval",
            ),
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | ~models.Q(decided_by=models.F("requested_by")),
                name="provision_not_approved_by_requester",
            ),
        ]
        # The approvals inbox and the A24 rule read provisions by status.
        indexes = [models.Index(fields=["status", "agency"])]

    def __str__(self):
        return f"{self.recipient}（{self.get_status_display()}）"

    def get_absolute_url(self):
        return reverse("extraction:provision_detail", args=[self.pk])


class RedactedCopy(Approval):
    """A redacted copy (脱敏副本) of an AV segment for a provision (A24 ¶2): bystanders' faces
    blurred and chosen audio ranges muted, made in the background (access/redaction.py).

    The original is untouched; the copy is a blob of its own. requested → producing → review →
    approved (the head played it, then approved; never the requester) or refused; or failed.
    Only an approved copy goes out with its provision.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", "待制作"
        PRODUCING = "producing", "制作中"
        REVIEW = "review", "待审核"
        APPROVED = "approved", "已批准"
        REFUSED = "refused", "不予批准"
        FAILED = "failed", "制作失败"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    provision = models.ForeignKey(
        Provision, on_delete=models.PROTECT, related_name="redacted_copies"
    )
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="+")
    # The redaction's parameters (quancheng/redaction/video.py: Params.as_body()).
    params = models.JSONField("脱敏参数", default=dict)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    blob = models.ForeignKey(
        Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detector = models.JSONField("检测模型", default=dict, blank=True)
    stats = models.JSONField("处理统计", default=dict, blank=True)
    produced_at = models.DateTimeField("制作时间", null=True, blank=True)
    production_started_at = models.DateTimeField("开始制作时间", null=True, blank=True)
    production_job = models.CharField("制作作业", max_length=64, blank=True)
    progress = models.PositiveSmallIntegerField("制作进度（%）", default=0)
    error = models.TextField("错误", blank=True)

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = "脱敏副本"
        verbose_name_plural = "脱敏副本"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | ~models.Q(decided_by=models.F("requested_by")),
                name="redacted_copy_not_reviewed_by_requester",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="approved")
                | models.Q(blob__isnull=False, decided_by__isnull=False),
                name="redacted_copy_approved_after_review",
            ),
        ]

    def __str__(self):
        return f"脱敏副本 {self.pk}（{self.get_status_display()}）"

    def get_absolute_url(self):
        return reverse("extraction:redaction_detail", args=[self.pk])

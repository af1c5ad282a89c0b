"""Archive (归档与保管): dossiers (案卷), their retention, long-term holds (A23) and disposal.

The models are the shared core; what happens to them is in the app's services: assembling and
freezing a dossier, computing retention, setting and lifting holds with the agency head's
approval, and disposal with a tombstone. Every change is a ledger event in the same transaction.
"""

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from quancheng.cases.models import Act, Case
from quancheng.orgs.models import Agency, Approval
from quancheng.orgs.scoping import AgencyScopedQuerySet
from quancheng.records.refs import ItemKind
from quancheng.versioning.models import VersionedConfig


class RetentionClass(models.TextChoices):
    """Dossier retention periods (国家档案局令第8号): permanent, 30 years, 10 years."""

    PERMANENT = "permanent", "永久"
    Y30 = "30y", "30年"
    Y10 = "10y", "10年"


RETENTION_YEARS = {RetentionClass.PERMANENT: None, RetentionClass.Y30: 30, RetentionClass.Y10: 10}


def retain_until(archived_on: dt.date, retention_class: str) -> dt.date | None:
    """The last day a dossier of this class archived that day is kept; None when permanent.
    (29 February runs to 28 February.)"""
    years = RETENTION_YEARS[RetentionClass(retention_class)]
    return None if years is None else archived_on + relativedelta(years=years)


class Dossier(models.Model):
    """The dossier (案卷) of a closed case, or of an inspection finished without a case.

    Assembling → frozen. Once frozen nothing in it changes; a later addition is a new, logged
    :class:`DossierSupplement`.
    """

    class Kind(models.TextChoices):
        # What the retention configuration maps to a retention class (案卷类别).
        PENALTY_GENERAL = "penalty_general", "行政处罚（一般程序）"
        PENALTY_SUMMARY = "penalty_summary", "行政处罚（简易程序）"
        INSPECTION = "inspection", "监督检查"

    class Status(models.TextChoices):
        ASSEMBLING = "assembling", "组卷中"
        FROZEN = "frozen", "已归档"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="dossiers")
    case = models.OneToOneField(
        Case,
        verbose_name="案件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossier",
    )
    act = models.OneToOneField(
        Act,
        verbose_name="执法行为（无案件的检查）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossier",
    )
    kind = models.CharField("案卷类别", max_length=24, choices=Kind.choices)
    number = models.CharField("案卷号", max_length=64, blank=True)
    title = models.CharField("案卷题名", max_length=300)
    retention_class = models.CharField("保管期限", max_length=16, choices=RetentionClass.choices)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.ASSEMBLING
    )
    custodian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="立卷人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    archived_on = models.DateField("归档日期", null=True, blank=True)
    # The retention period runs to the end of this date; null while assembling and for permanent.
    retain_until = models.DateField("保管期满日期", null=True, blank=True)
    frozen_at = models.DateTimeField("封卷时间", null=True, blank=True)
    created_at = models.DateTimeField("组卷时间", default=timezone.now)
    # The table of contents (卷内目录) as rendered while assembling, then as sealed at freezing:
    # it stays; each approved supplement keeps its own (DossierSupplement.toc_blob).
    toc_blob = models.ForeignKey(
        "records.Blob",
        verbose_name="卷内目录PDF",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Set once the dossier's transfer to the archives (移交档案部门) is done (archive/transfer.py).
    transferred_at = models.DateTimeField("移交时间", null=True, blank=True)

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "案卷"
        verbose_name_plural = "案卷"
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "number"],
                condition=~models.Q(number=""),
                name="dossier_number_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(case__isnull=False) | models.Q(act__isnull=False),
                name="dossier_of_case_or_act",
            ),
        ]
        indexes = [models.Index(fields=["agency", "status", "archived_on"])]

    def __str__(self):
        return f"{self.number or '（未编号）'} {self.title}"

    def get_absolute_url(self):
        return reverse("archive:dossier_detail", args=[self.pk])


class DossierSupplement(models.Model):
    """A logged addition to a frozen dossier (补充归档)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="supplements")
    sequence = models.PositiveIntegerField("补充序号")
    reason = models.TextField("补充原因")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("补充时间", default=timezone.now)
    # The table of contents with this supplement's entries; the dossier's own (sealed) one
    # stays as it was frozen.
    toc_blob = models.ForeignKey(
        "records.Blob",
        verbose_name="补充后卷内目录PDF",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["dossier", "sequence"]
        verbose_name = "案卷补充"
        verbose_name_plural = "案卷补充"
        constraints = [
            models.UniqueConstraint(fields=["dossier", "sequence"], name="supplement_once"),
        ]

    def __str__(self):
        return f"{self.dossier} 补充{self.sequence}"


class SupplementRequestQuerySet(AgencyScopedQuerySet):
    def pending(self):
        return self.filter(status=SupplementRequest.Status.PENDING)


class SupplementRequest(Approval):
    """A correction of a sealed dossier asked for (补充归档申请): the custodian asks with a
    reason and the items to add; only the agency head's approval makes it a
    :class:`DossierSupplement` (sealed means sealed: nothing changes before)."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已批准"
        REFUSED = "refused", "不予批准"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, related_name="supplement_requests"
    )
    reason = models.TextField("补充原因")
    # [[item_kind, item_id], …] in table order: what the supplement would add.
    items = models.JSONField("补充的材料", default=list)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING)
    # The supplement the approval made.
    supplement = models.OneToOneField(
        DossierSupplement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="request",
    )

    objects = SupplementRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = "补充归档申请"
        verbose_name_plural = "补充归档申请"
        constraints = [
            # One request at a time per dossier: the head decides on a known table of contents.
            models.UniqueConstraint(
                fields=["dossier"],
                condition=models.Q(status="pending"),
                name="one_pending_supplement_request",
            ),
        ]
        # The head's approvals inbox: pending requests of the agency.
        indexes = [models.Index(fields=["agency", "status"])]

    def __str__(self):
        return f"{self.dossier.number} 补充归档申请（{self.get_status_display()}）"

    def get_absolute_url(self):
        return reverse("archive:dossier_detail", args=[self.dossier_id]) + f"#request-{self.pk}"


class DossierEntry(models.Model):
    """One record item in a dossier, at its place in the table of contents (卷内目录)."""

    class Section(models.TextChoices):
        DOCUMENT = "document", "文书"
        AV = "av", "音像记录"
        DATA = "data", "电子数据"
        EXPLANATION = "explanation", "情况说明"
        FINDING = "finding", "检查发现及答复"

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="entries")
    section = models.CharField("部分", max_length=16, choices=Section.choices)
    position = models.PositiveIntegerField("顺序号")
    # A record item (segment, document, data record) or, for the last two sections, the
    # explanation or finding row (item_kind "explanation" / "finding").
    item_kind = models.CharField("条目类型", max_length=16)
    item_id = models.BigIntegerField("条目编号")
    title = models.CharField("题名", max_length=300)
    # Pages of a document, when known (卷内目录 页号).
    pages = models.PositiveIntegerField("页数", null=True, blank=True)
    supplement = models.ForeignKey(
        DossierSupplement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["dossier", "position"]
        verbose_name = "卷内条目"
        verbose_name_plural = "卷内条目"
        constraints = [
            models.UniqueConstraint(fields=["dossier", "position"], name="entry_position_once"),
            models.UniqueConstraint(
                fields=["dossier", "item_kind", "item_id"], name="entry_item_once"
            ),
        ]
        indexes = [models.Index(fields=["item_kind", "item_id"])]

    def __str__(self):
        return f"{self.position}. {self.title}"


class HoldQuerySet(AgencyScopedQuerySet):
    def active(self):
        return self.filter(status__in=(Hold.Status.ACTIVE, Hold.Status.LIFT_REQUESTED))


class Hold(Approval):
    """A long-term hold (长期保存, A23) on the records of a case or an act.

    Set and lifted only with the agency head's approval: requested → active (approved) or
    refused; active → lift requested → lifted (approved) or back to active (refused). While a
    hold is active nothing it covers is offered for disposal, and its items are queued for a
    copy to offline media.
    """

    class Reason(models.TextChoices):
        OBJECTION = "objection", "当事人对执法行为有异议或者投诉、信访"
        OBSTRUCTION = "obstruction", "拒绝、逃避、阻碍执法或者侮辱、殴打执法人员"
        MASS_INCIDENT = "mass_incident", "处置群体性事件、重大突发事件"
        OTHER_EVIDENCE = "other_evidence", "其他重要证据"

    class Status(models.TextChoices):
        REQUESTED = "requested", "待审批"
        ACTIVE = "active", "保存中"
        REFUSED = "refused", "不予批准"
        LIFT_REQUESTED = "lift_requested", "解除待审批"
        LIFTED = "lifted", "已解除"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="holds")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="holds"
    )
    act = models.ForeignKey(
        Act, null=True, blank=True, on_delete=models.PROTECT, related_name="holds"
    )
    reason = models.CharField("长期保存事由", max_length=24, choices=Reason.choices)
    note = models.TextField("说明")
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    # The lifting is a second request and decision on the same row (its own fields: the
    # approval's fields keep the hold's own decision).
    lift_reason = models.TextField("解除理由", blank=True)
    lift_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField("解除时间", null=True, blank=True)

    objects = HoldQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = "长期保存"
        verbose_name_plural = "长期保存"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False) | models.Q(act__isnull=False),
                name="hold_on_case_or_act",
            ),
        ]
        indexes = [models.Index(fields=["status", "agency"])]

    def __str__(self):
        return f"{self.get_reason_display()}（{self.get_status_display()}）"

    def get_absolute_url(self):
        return reverse("retention:hold_detail", args=[self.pk])


class OfflineCopyJob(models.Model):
    """A copy of held items to offline media (离线介质备份), listed for the custodian."""

    class Status(models.TextChoices):
        QUEUED = "queued", "待备份"
        DONE = "done", "已备份"

    hold = models.ForeignKey(Hold, on_delete=models.PROTECT, related_name="offline_copies")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    item_kind = models.CharField("条目类型", max_length=16, choices=ItemKind.choices)
    item_id = models.BigIntegerField("条目编号")
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.QUEUED)
    medium_label = models.CharField("介质编号", max_length=100, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField("备份时间", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["status", "created_at", "pk"]
        verbose_name = "离线备份"
        verbose_name_plural = "离线备份"
        constraints = [
            models.UniqueConstraint(
                fields=["hold", "item_kind", "item_id"], name="offline_copy_once"
            ),
        ]

    def __str__(self):
        return f"{self.get_item_kind_display()} {self.item_id}（{self.get_status_display()}）"


class ItemRetention(models.Model):
    """How long one record item must be kept (保管期限), as last computed.

    ``retain_until`` is null for permanent retention. The row is recomputed when the item's
    evidence flag, dossier or holds change; the S3 store's retain-until dates follow it and are
    only ever extended.
    """

    item_kind = models.CharField("条目类型", max_length=16, choices=ItemKind.choices)
    item_id = models.BigIntegerField("条目编号")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    retain_until = models.DateField("保管期满日期", null=True, blank=True)
    basis = models.CharField("依据", max_length=200)
    # Not yet determined (待定): the item's retention follows a dossier that is not frozen yet.
    # Such an item is never due; ``retain_until`` is null but does not mean permanent.
    pending = models.BooleanField("待定", default=False)
    on_hold = models.BooleanField("长期保存中", default=False)
    disposed = models.BooleanField("已销毁", default=False)
    computed_at = models.DateTimeField(default=timezone.now)

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "保管期限"
        verbose_name_plural = "保管期限"
        constraints = [
            models.UniqueConstraint(fields=["item_kind", "item_id"], name="retention_once"),
        ]
        # The disposal list: due, not held, not yet disposed.
        indexes = [models.Index(fields=["disposed", "on_hold", "retain_until"])]

    def __str__(self):
        until = self.retain_until or "永久"
        return f"{self.get_item_kind_display()} {self.item_id} 保管至 {until}"


class DisposalProposal(Approval):
    """A proposal to dispose of items whose retention has ended (销毁申请).

    Proposed by the custodian, approved or refused by the agency head (never the proposer);
    on approval each item's hash is re-verified, its content removed and a tombstone kept.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "待审批"
        APPROVED = "approved", "已批准并销毁"
        REFUSED = "refused", "不予批准"
        FAILED = "failed", "销毁失败"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="disposals")
    reason = models.TextField("销毁理由")
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.PROPOSED
    )

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = "销毁申请"
        verbose_name_plural = "销毁申请"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | ~models.Q(decided_by=models.F("requested_by")),
                name="disposal_not_approved_by_proposer",
            ),
        ]

    def __str__(self):
        return f"销毁申请 {self.pk}（{self.get_status_display()}）"

    def get_absolute_url(self):
        return reverse("retention:disposal_detail", args=[self.pk])


class DisposalItem(models.Model):
    """One item of a disposal proposal, and after disposal its tombstone (销毁记录)."""

    proposal = models.ForeignKey(DisposalProposal, on_delete=models.PROTECT, related_name="items")
    item_kind = models.CharField("条目类型", max_length=16, choices=ItemKind.choices)
    item_id = models.BigIntegerField("条目编号")
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.BigIntegerField("大小", null=True, blank=True)
    # What the item was (type, times, labels): kept after its content is gone.
    metadata = models.JSONField("元数据", default=dict)
    disposed_at = models.DateTimeField("销毁时间", null=True, blank=True)
    # The ledger event that is the item's tombstone.
    tombstone_seq = models.BigIntegerField("销毁事件序号", null=True, blank=True)

    class Meta:
        ordering = ["proposal", "pk"]
        verbose_name = "销毁条目"
        verbose_name_plural = "销毁条目"
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "item_kind", "item_id"], name="disposal_item_once"
            ),
        ]

    def __str__(self):
        return f"{self.get_item_kind_display()} {self.item_id} {self.sha256[:12]}…"


class RetentionConfig(VersionedConfig):
    """One version of the retention configuration (保管期限配置), the one model of the retention
    rules the city sets: ``data`` is ``{"dossier_classes": {dossier kind: retention class},
    "non_evidence_min_months": n}`` (the minimum for non-evidence AV, A22: never below 6; the
    former one-row ``RetentionPolicy``). Read and changed through archive/config.py (the shared
    versioning services): versions are never edited once active; a change is a new version and
    a ledger event.
    """

    class Meta(VersionedConfig.Meta):
        verbose_name = "保管期限配置"
        verbose_name_plural = "保管期限配置"

    def __str__(self):
        return f"保管期限配置第{self.version}版"


class LongtermWaiver(models.Model):
    """The head's reasoned decision that an A23 circumstance marked in an act's recordings does
    not call for long-term keeping (不适用长期保存决定).

    A marker of a long-term kind (阻碍执法, 当事人异议, 群体性事件…) keeps the act's items from
    disposal until a hold is approved and later lifted, or until the head records this decision.
    It covers the markers current when it was made (``markers``); a later marker is a new
    circumstance and needs its own decision or hold.
    """

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    act = models.ForeignKey(
        Act, on_delete=models.PROTECT, related_name="longterm_waivers", verbose_name="执法行为"
    )
    reason = models.TextField("不适用理由")
    # The ids of the markers (compliance.Marker) and of the refused holds the decision answers.
    markers = models.JSONField("所涉标记", default=list)
    holds = models.JSONField("所涉未获批准的长期保存申请", default=list)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="决定人"
    )
    decided_at = models.DateTimeField("决定时间", default=timezone.now)

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["act", "decided_at", "pk"]
        verbose_name = "不适用长期保存决定"
        verbose_name_plural = "不适用长期保存决定"

    def __str__(self):
        return f"不适用长期保存决定（{self.act}）"


class RetentionNarrowing(models.Model):
    """The record that an AV item of a frozen dossier is not used as evidence, so that it is kept
    the non-evidence minimum instead of the dossier's period (A22 ¶3; 不作为证据使用认定).

    Allowed only once the dossier is frozen and only with a reason; it lapses when the item is
    flagged as evidence again.
    """

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    segment = models.ForeignKey(
        "records.Segment", on_delete=models.PROTECT, related_name="+", verbose_name="音像记录"
    )
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("理由")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="认定人"
    )
    decided_at = models.DateTimeField("认定时间", default=timezone.now)

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["segment", "decided_at", "pk"]
        verbose_name = "不作为证据使用认定"
        verbose_name_plural = "不作为证据使用认定"
        # compute() loads the narrowings of a batch of segments.
        indexes = [models.Index(fields=["segment"])]

    def __str__(self):
        return f"不作为证据使用认定（音像记录 {self.segment_id}）"


class FourChecksReportQuerySet(AgencyScopedQuerySet):
    agency_field = "dossier__agency"


class FourChecksReport(models.Model):
    """The report of a 四性检测 (DA/T 70-2018, GB/T 39784-2021: authenticity, integrity,
    usability, security) of a dossier, run at sealing and again at transfer; its PDF is a blob of
    the dossier (archive/fourchecks.py)."""

    class Occasion(models.TextChoices):
        SEALING = "sealing", "归档"
        TRANSFER = "transfer", "移交"

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="check_reports")
    occasion = models.CharField("检测环节", max_length=16, choices=Occasion.choices)
    passed = models.BooleanField("通过")
    checked_at = models.DateTimeField("检测时间", default=timezone.now)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Every check as run: [{aspect, code, item, outcome, message}], outcome pass / warn / fail.
    results = models.JSONField("检测结果", default=list)
    # The signed checkpoint the ledger proofs were checked against.
    checkpoint_size = models.BigIntegerField("账本检查点大小", null=True)
    # The entries checked ([item_kind, item_id], sorted): sealing refuses if they changed since.
    entries = models.JSONField("检测的卷内条目", default=list)
    pdf_blob = models.ForeignKey(
        "records.Blob", verbose_name="检测报告PDF", on_delete=models.PROTECT, related_name="+"
    )

    objects = FourChecksReportQuerySet.as_manager()

    class Meta:
        ordering = ["dossier", "-checked_at", "-pk"]
        verbose_name = "四性检测报告"
        verbose_name_plural = "四性检测报告"

    def __str__(self):
        return f"{self.dossier} 四性检测（{self.get_occasion_display()}）"


class TransferQuerySet(AgencyScopedQuerySet):
    def open(self):
        return self.filter(status__in=Transfer.OPEN)


class Transfer(Approval):
    """The transfer of a sealed dossier to the archives (移交档案部门): requested by the records
    custodian, approved by the agency head (never the requester), produced as an archival
    transfer package (archive/transfer.py)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "待审批"
        REFUSED = "refused", "不予批准"
        PACKAGING = "packaging", "打包中"  # approved: the job checks again and packs
        FAILED = "failed", "检测未通过/失败"
        TRANSFERRED = "transferred", "已移交"

    OPEN = (Status.REQUESTED, Status.PACKAGING, Status.TRANSFERRED)

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="transfers")
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    recipient = models.CharField("接收单位", max_length=200)
    note = models.TextField("移交说明", blank=True)
    report = models.ForeignKey(
        FourChecksReport, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    package_blob = models.ForeignKey(
        "records.Blob",
        verbose_name="移交包",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    package_sm3 = models.CharField("移交包SM3", max_length=64, blank=True)
    transferred_at = models.DateTimeField("移交时间", null=True, blank=True)
    # The packaging job (archive/transfer.py: package_transfer): its progress for the page, the
    # job that claimed it (a retry of the same job may claim it again), and why it failed.
    progress = models.PositiveSmallIntegerField("进度", default=0)
    stage = models.CharField("当前步骤", max_length=100, blank=True)
    packaging_job = models.CharField("打包任务", max_length=64, blank=True)
    packaging_started_at = models.DateTimeField("开始打包", null=True, blank=True)
    error = models.TextField("失败原因", blank=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = "档案移交"
        verbose_name_plural = "档案移交"
        constraints = [
            # One transfer under way or done per dossier (a refused or failed one may be asked
            # again).
            models.UniqueConstraint(
                fields=["dossier"],
                condition=models.Q(status__in=["requested", "transferred"]),
                name="transfer_once_per_dossier",
            ),
        ]
        # The head's inbox: requests waiting in an agency.
        indexes = [models.Index(fields=["agency", "status"])]

    def __str__(self):
        return f"{self.dossier} 移交（{self.get_status_display()}）"

    def get_absolute_url(self):
        return reverse("archive:transfer_detail", args=[self.pk])

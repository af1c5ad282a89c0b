"""Alerts (告警): what the platform raises for people to look at (A27).

An alert is addressed to roles (by default the records custodian and the legal auditor) in the
alert's agency, or, when it has no agency (a platform-wide problem such as a broken ledger), to
those roles everywhere. Raising and closing an alert are ledger events.
"""

import json
from typing import TYPE_CHECKING

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from quancheng.orgs.models import Agency, Role
from quancheng.orgs.scoping import agencies_visible_to

if TYPE_CHECKING:
    from quancheng.orgs.models import User


DEFAULT_AUDIENCE = [Role.CUSTODIAN.value, Role.AUDITOR.value]
# The people an alert about an agency's records goes to (A19 custodian, A24 head, A26 auditor).
CUSTODIAN_HEAD_AUDITOR = [Role.CUSTODIAN.value, Role.HEAD.value, Role.AUDITOR.value]

# The kinds raised today and their Chinese names (docs/alerts.md lists who raises each).
KIND_LABELS = {
    "record.missing_av": "应当音像记录而未记录",
    "record.gap": "音像记录中断未说明",
    "registration.overdue": "记录逾期未登记",
    "fixity.missing": "记录文件丢失",
    "fixity.mismatch": "记录文件被改动（校验不符）",
    "ledger.tampered": "账本校验失败",
    "records.unreadable": "音像记录损坏无法解析",
    "access.denied": "越权调阅被拒绝",
    "access.outside_approval": "超出批准范围调阅",
    "disposal.refused": "违规销毁被拒绝",
    "device.undocked": "设备超期未对接",
    "witness.refused": "见证方拒绝",
    "witness.inconsistent": "见证方发现账本不一致",
}

# What the alert page calls the keys of an alert's detail. A raiser may add ``<key>_label`` with
# the value in words (an access verb, a reason, a kind of record): the page shows that instead of
# the stored value. Keys not named here are shown as codes; ``*_id`` keys are not shown.
DETAIL_LABELS = {
    "action": "操作",
    "reason": "原因",
    "item_kind": "记录类别",
    "item_id": "记录编号",
    "path": "访问地址",
    "user": "人员",
    "sha256": "SHA-256",
    "sm3": "SM3",
    "error": "错误信息",
    "store_error": "存储错误",
    "filename": "文件名",
    "file": "文件",
    "size": "大小（字节）",
    "actual_size": "实际大小（字节）",
    "old_size": "原大小",
    "checked_at": "校验时间",
    "source": "来源",
    "act": "执法行为编号",
    "findings": "检查发现编号",
    "gaps": "中断处数",
    "rules": "规则",
    "ended_at": "结束时间",
    "serial_number": "设备编号",
    "last_docked_at": "最近对接时间",
    "days": "未对接天数",
    "witness": "见证方",
    "status": "状态",
    "message": "说明",
    "proposal": "销毁申请编号",
    "items": "记录",
    "event": "事件",
}
# Values that are codes or machine text (hashes, paths, error messages): shown as code.
CODE_VALUES = {"sha256", "sm3", "error", "store_error", "path", "filename", "file", "rules"}
ENUMERATIONS = {"action", "item_kind", "reason", "source", "status"}

# Pages for the objects alerts name, by ``object_type`` (models with get_absolute_url need none).
OBJECT_PAGES = {
    "records.blob": "fixity_sweeps",
    "ledger": "ledger_verify",
}


class Severity(models.TextChoices):
    CRITICAL = "critical", "严重"
    WARNING = "warning", "警告"
    INFO = "info", "提示"


class AlertQuerySet(models.QuerySet):
    def open(self):
        return self.filter(closed_at__isnull=True)

    def visible_to(self, user: "User"):
        """Alerts addressed to the user's role, in the agencies the user sees."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        in_scope = models.Q(agency__isnull=True) | models.Q(agency__in=agencies_visible_to(user))
        return self.filter(in_scope, audience__contains=f",{user.role},")


class Alert(models.Model):
    kind = models.CharField("类型", max_length=64)
    severity = models.CharField(
        "级别", max_length=16, choices=Severity.choices, default=Severity.WARNING
    )
    title = models.CharField("标题", max_length=200)
    detail = models.JSONField("详情", default=dict, blank=True)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    # The roles addressed, as ",custodian,auditor," so one LIKE finds a role on every database.
    audience = models.CharField("接收角色", max_length=200)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField("发生时间", default=timezone.now)
    closed_at = models.DateTimeField("处理时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closing_note = models.TextField("处理说明", blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "告警"
        verbose_name_plural = "告警"
        indexes = [models.Index(fields=["kind", "object_type", "object_id"])]

    def __str__(self):
        return f"[{self.get_severity_display()}] {self.title}"

    @property
    def roles(self) -> list[str]:
        return [r for r in self.audience.split(",") if r]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def detail_rows(self) -> list[tuple[str, str, bool]]:
        """The detail for people: (label, value, shown as code), in the stored order."""
        rows = []
        for key, value in self.detail.items():
            if key.endswith(("_id", "_label")) and key != "item_id":
                continue
            shown = self.detail.get(f"{key}_label", value)
            if isinstance(shown, list | tuple):
                shown = "、".join(str(v) for v in shown)
            elif isinstance(shown, dict):
                shown = json.dumps(shown, ensure_ascii=False)
            label = DETAIL_LABELS.get(key)
            # An enumeration stored without its words (an alert raised before they were
            # added) is shown as the code it is.
            raw = key in ENUMERATIONS and f"{key}_label" not in self.detail
            code = key in CODE_VALUES or label is None or raw
            rows.append((label or key, "" if shown is None else str(shown), code))
        return rows

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def get_object_url(self) -> str:
        """The page of the object the alert is about ("" when it has none): the act, the
        segment, the device…; built from the type and id alone, without a query."""
        if not self.object_type:
            return ""
        if self.object_type in OBJECT_PAGES:
            return reverse(OBJECT_PAGES[self.object_type])
        try:
            model = apps.get_model(self.object_type)
        except (LookupError, ValueError):
            return ""
        if not hasattr(model, "get_absolute_url"):
            return ""
        try:
            return model(pk=model._meta.pk.to_python(self.object_id)).get_absolute_url()
        except (NoReverseMatch, ValidationError, AttributeError, TypeError):
            return ""

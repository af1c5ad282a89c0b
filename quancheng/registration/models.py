"""Registration (登记) of an act's records within 2 working days (A21), and the calendar data.

A21 ¶1: records are stored and registered within 2 working days after the on-site act ends,
not kept by the investigators; a later handover needs a written explanation (书面说明情况)
approved in advance by the agency head (主管领导事先批准).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from quancheng.cases.models import Act
from quancheng.lib.workdays import YearSchedule
from quancheng.orgs.models import Approval
from quancheng.orgs.scoping import AgencyScopedQuerySet


class HolidaySchedule(models.Model):
    """One year's official holiday schedule (节假日安排), loaded by an administrator.

    It overrides the chinese-calendar package for its year. Loaded and changed only through
    quancheng.registration.schedules.load_schedule (command, admin), each time a ledger event.
    """

    year = models.PositiveIntegerField("年份", unique=True)
    holidays = models.JSONField("节假日", default=list, help_text="放假日期，YYYY-MM-DD 列表")
    workdays = models.JSONField(
        "调休上班日", default=list, blank=True, help_text="调休上班的周末日期，YYYY-MM-DD 列表"
    )
    source = models.TextField("依据", help_text="通知名称与文号，如：国务院办公厅关于……的通知")
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="载入人",
    )
    loaded_at = models.DateTimeField("载入时间", default=timezone.now)

    class Meta:
        ordering = ["year"]
        verbose_name = "节假日安排"
        verbose_name_plural = "节假日安排"

    def __str__(self):
        return f"{self.year}年节假日安排"

    def as_year_schedule(self) -> YearSchedule:
        import datetime as dt

        return YearSchedule(
            year=self.year,
            holidays=frozenset(dt.date.fromisoformat(d) for d in self.holidays),
            workdays=frozenset(dt.date.fromisoformat(d) for d in self.workdays),
        )


class RegistrationQuerySet(AgencyScopedQuerySet):
    agency_field = "act__agency"


class ActRegistration(models.Model):
    """The registration (登记) of an act's records by the records custodian (记录管理专人)."""

    act = models.OneToOneField(
        Act, on_delete=models.PROTECT, related_name="registration", verbose_name="执法行为"
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="登记人",
    )
    registered_at = models.DateTimeField("登记时间", default=timezone.now)
    # The last day of the period (Asia/Shanghai); due by the end of that day.
    deadline = models.DateField("登记期限")
    deadline_provisional = models.BooleanField("期限暂定", default=False)
    on_time = models.BooleanField("按期登记")
    late_request = models.OneToOneField(
        "LateRegistrationRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registration",
        verbose_name="延期登记审批",
    )
    note = models.TextField("备注", blank=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["-registered_at", "-pk"]
        verbose_name = "记录登记"
        verbose_name_plural = "记录登记"

    def __str__(self):
        return f"{self.act} 登记于 {timezone.localtime(self.registered_at):%Y-%m-%d %H:%M}"


class LateRequestQuerySet(AgencyScopedQuerySet):
    agency_field = "act__agency"

    def pending(self):
        return self.filter(status=LateRegistrationRequest.Status.PENDING)


class LateRegistrationRequest(Approval):
    """A written explanation (情况说明) asking the agency head to allow a late registration."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已批准"
        REFUSED = "refused", "不予批准"

    act = models.ForeignKey(
        Act, on_delete=models.PROTECT, related_name="late_requests", verbose_name="执法行为"
    )
    explanation = models.TextField("情况说明")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING)
    # The date the head allows the registration until (A21 ¶1 延期移交); blank: no date set.
    approved_until = models.DateField("批准延期至", null=True, blank=True)

    objects = LateRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = "延期登记申请"
        verbose_name_plural = "延期登记申请"
        indexes = [
            # The head's list of pending requests.
            models.Index(fields=["status", "requested_at"]),
        ]
        constraints = [
            # At most one request waits for the head per act.
            models.UniqueConstraint(
                fields=["act"],
                condition=models.Q(status="pending"),
                name="one_pending_late_request_per_act",
            ),
        ]

    def __str__(self):
        return f"{self.act} 延期登记申请（{self.get_status_display()}）"

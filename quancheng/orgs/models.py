"""Organisation: agencies, people and their roles, devices, API tokens."""

import datetime as dt
import hashlib
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone


class Agency(models.Model):
    """A commission (卫生健康委员会) or enforcement agency (执法机构), city- or district-level."""

    class Level(models.TextChoices):
        CITY = "city", "市级"
        DISTRICT = "district", "区县"

    class Kind(models.TextChoices):
        COMMISSION = "commission", "卫生健康行政部门"
        ENFORCEMENT = "enforcement", "卫生健康执法机构"

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100, unique=True)
    # 地区简称, the first part of a document number (e.g. 渝中 in 渝中卫医罚〔2026〕12号).
    short_name = models.CharField(max_length=20)
    level = models.CharField(max_length=10, choices=Level.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # The district (or the city) this body belongs to; scoping is by district.
    district = models.CharField(max_length=50)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["level", "code"]
        verbose_name = "机构"
        verbose_name_plural = "机构"

    def __str__(self):
        return self.name


class Approval(models.Model):
    """What every approval flow records (审批): who asked and when, who decided, when and why.

    The flows' models inherit it (abstract: each keeps its own table, status and fields); the
    one service that decides them is ``orgs/approvals.py``. The status stays the flow's own: it
    says more than the decision (an approved extraction is then produced, a transfer packed).
    A flow may narrow a field (a provision registered before requests were made in the platform
    has no requester) but never renames one: ``decide()`` and the inbox rely on these names.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="申请人",
    )
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="审批人",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.TextField("审批意见", blank=True)
    # Until when an approval holds; null: it does not lapse. Only the access request sets one
    # (QC_ACCESS_APPROVAL_DAYS, docs/access.md); the other flows' decisions are final.
    expires_at = models.DateTimeField("有效期至", null=True, blank=True)

    class Meta:
        abstract = True


class Role(models.TextChoices):
    OFFICER = "officer", "执法人员"
    CUSTODIAN = "custodian", "记录管理专人"
    HEAD = "head", "机构负责人"
    AUDITOR = "auditor", "法制稽查"
    DISTRICT_COMMISSION = "district_commission", "区县卫生健康行政部门"
    CITY_ADMIN = "city_admin", "市级管理员"
    # 三员分立 (GB/T 22239-2019 level 3, docs/security.md): the platform's three administrators.
    # They run the platform and never read record content; none writes enforcement data.
    SYSTEM_ADMIN = "system_admin", "系统管理员"
    SECURITY_ADMIN = "security_admin", "安全管理员"
    AUDIT_ADMIN = "audit_admin", "审计管理员"
    # The break-glass superuser (应急账号), made only by ``manage.py break_glass``.
    BREAK_GLASS = "break_glass", "应急账号"


# The three administrators (三员): an account holds at most one of them (one role column, a
# known value only, never with the superuser flag: the constraints on User).
ADMIN_ROLES = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)


class PersonManager(UserManager):
    def create_superuser(self, *args, **kwargs):
        # The all-powerful account exists only as the break-glass account of the command line,
        # which raises a critical alert (docs/security.md): never createsuperuser.
        raise RuntimeError("超级用户只能通过 manage.py break_glass 创建（应急账号）")


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=50)
    agency = models.ForeignKey(Agency, null=True, on_delete=models.PROTECT, related_name="staff")
    role = models.CharField("角色", max_length=24, choices=Role.choices, default=Role.OFFICER)
    # Enforcement certificate (执法证): required for acting as an officer in an act.
    certificate_number = models.CharField("执法证号", max_length=32, blank=True)
    certificate_valid_from = models.DateField("执法证有效期起", null=True, blank=True)
    certificate_valid_until = models.DateField("执法证有效期止", null=True, blank=True)
    # Signing PIN (签名 PIN): signs this officer's signature on a shared terminal (orgs/pins.py).
    # Hashed like a password (Django's hashers); never shown, never logged.
    signing_pin = models.CharField("签名PIN（散列）", max_length=128, blank=True, editable=False)
    signing_pin_set_at = models.DateTimeField("签名PIN设置时间", null=True, blank=True)

    objects: ClassVar[PersonManager] = PersonManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            # One role column holding one known value: no account holds two of the three
            # administrators' roles, on SQLite and PostgreSQL alike (docs/security.md).
            models.CheckConstraint(
                condition=models.Q(role__in=[value for value, _ in Role.choices]),
                name="user_role_known",
            ),
            # The superuser flag holds every administrator's power at once: only the
            # break-glass account carries it, and the break-glass account nothing else.
            models.CheckConstraint(
                condition=models.Q(
                    is_superuser=False,
                    role__in=[value for value, _ in Role.choices if value != "break_glass"],
                )
                | models.Q(is_superuser=True, role="break_glass"),
                name="user_superuser_is_break_glass",
            ),
        ]

    def __str__(self):
        return self.full_name or self.username

    @property
    def sees_whole_city(self) -> bool:
        if self.is_superuser or self.role in (Role.CITY_ADMIN, *ADMIN_ROLES, Role.BREAK_GLASS):
            return True
        return self.agency is not None and self.agency.level == Agency.Level.CITY

    @property
    def is_administrator(self) -> bool:
        """One of the three administrators (三员) or the break-glass account."""
        return self.is_superuser or self.role in (*ADMIN_ROLES, Role.BREAK_GLASS)

    def certificate_valid_on(self, day: dt.date) -> bool:
        if not self.certificate_number or not self.certificate_valid_from:
            return False
        if not self.certificate_valid_until:
            return False
        return self.certificate_valid_from <= day <= self.certificate_valid_until


class DeviceQuerySet(models.QuerySet):
    def visible_to(self, user: "User"):
        """Devices of the agencies the user sees (the rule lives in orgs/scoping.py)."""
        from .scoping import agencies_visible_to

        if getattr(user, "is_authenticated", False) and user.sees_whole_city:
            return self
        return self.filter(agency__in=agencies_visible_to(user))


class Device(models.Model):
    """A body camera, handheld terminal or docking workstation (执法记录仪、执法终端、采集站)."""

    class Kind(models.TextChoices):
        BODY_CAMERA = "body_camera", "执法记录仪"
        TERMINAL = "terminal", "执法终端"
        WORKSTATION = "workstation", "采集工作站"
        FIXED_CAMERA = "fixed_camera", "固定场所摄像设备"

    class Status(models.TextChoices):
        IN_SERVICE = "in_service", "在用"
        UNDER_REPAIR = "under_repair", "维修中"
        RETIRED = "retired", "已报废"

    # Kinds whose recordings reach the platform by docking or upload: they are expected to dock
    # regularly (A19, A21: records stored within 2 working days), the others are not.
    DOCKING_KINDS = (Kind.BODY_CAMERA, Kind.TERMINAL)

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="devices")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    serial_number = models.CharField("设备编号", max_length=64, unique=True)
    name = models.CharField("名称", max_length=100, blank=True)
    # Camera clocks drift: the device's clock minus true (Beijing) time, as last measured. Ingest
    # subtracts it and keeps both the camera's time and the corrected one.
    clock_offset_seconds = models.IntegerField("时钟偏差（秒）", default=0)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.IN_SERVICE
    )
    # When the device's files last reached the platform (dock ingest, a terminal's upload, or a
    # workstation's report); null until the first docking.
    last_docked_at = models.DateTimeField("最近对接时间", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = DeviceQuerySet.as_manager()

    class Meta:
        ordering = ["serial_number"]
        verbose_name = "设备"
        verbose_name_plural = "设备"
        indexes = [
            # The undocked list and the daily check: in-service devices by last docking time.
            models.Index(fields=["status", "last_docked_at"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.serial_number}"

    def officer_on(self, day):
        """The officer the device was assigned to on ``day`` (a date), or None."""
        assignment = (
            self.assignments.filter(starts_on__lte=day)
            .filter(models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=day))
            .select_related("officer")
            .order_by("-starts_on")
            .first()
        )
        return assignment.officer if assignment else None


class DeviceAssignment(models.Model):
    """A device issued to one officer from a date until a date (inclusive; open-ended if none)."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="assignments")
    officer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="device_assignments")
    starts_on = models.DateField("起始日期")
    ends_on = models.DateField("截止日期", null=True, blank=True)

    class Meta:
        ordering = ["device", "-starts_on"]
        verbose_name = "设备领用"
        verbose_name_plural = "设备领用"

    def __str__(self):
        return f"{self.device} → {self.officer} ({self.starts_on}–{self.ends_on or ''})"


class DeviceMaintenance(models.Model):
    """A maintenance record of a device (设备维护记录): checks, repairs, battery, firmware."""

    class Kind(models.TextChoices):
        INSPECTION = "inspection", "检查保养"
        REPAIR = "repair", "维修"
        BATTERY = "battery", "更换电池"
        FIRMWARE = "firmware", "固件升级"
        CLOCK = "clock", "校时"
        OTHER = "other", "其他"

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="maintenance")
    performed_on = models.DateField("日期")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    description = models.TextField("内容")
    # Who did the work: often a supplier's technician without an account, hence text.
    performed_by = models.CharField("维护人", max_length=100)
    recorded_by = models.ForeignKey(
        User, null=True, on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        ordering = ["device", "-performed_on", "-pk"]
        verbose_name = "设备维护记录"
        verbose_name_plural = "设备维护记录"

    def __str__(self):
        return f"{self.device} {self.get_kind_display()} {self.performed_on}"


def api_token_expiry() -> dt.datetime:
    """When a token issued now expires (QC_API_TOKEN_DAYS, docs/security.md)."""
    return timezone.now() + dt.timedelta(days=settings.QC_API_TOKEN_DAYS)


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        """Neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())

    def for_secret(self, secret: str):
        return self.active().filter(token_hash=ApiToken.hash_secret(secret)).first()


class ApiToken(models.Model):
    """A bearer token for a terminal or workstation; only its SHA-256 is stored."""

    name = models.CharField("名称", max_length=100)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.PROTECT, related_name="api_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)  # shown in lists so a token can be recognised
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A token stops working at this time (QC_API_TOKEN_DAYS after issue); rotate it before.
    expires_at = models.DateTimeField("有效期至", default=api_token_expiry)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

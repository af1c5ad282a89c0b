"""Spot checks of archived dossiers (案卷抽查, A26) and district evaluations (考评, A25).

Rows change only through quancheng.supervision.spotchecks and .evaluations, each change a
ledger event in the same transaction. Checklists and score sheets are snapshotted into the spot
check or evaluation when it is created, so a later change of the configuration never alters a
score already given.
"""

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from quancheng.archive.models import Dossier
from quancheng.orgs.models import Agency
from quancheng.orgs.scoping import AgencyScopedQuerySet, agencies_visible_to
from quancheng.versioning.models import VersionedConfig

if TYPE_CHECKING:
    from quancheng.orgs.models import User


__all__ = [
    "Evaluation",
    "ScoreSheet",
    "SpotCheck",
    "SpotCheckReport",
    "SpotCheckSample",
    "SpotFinding",
]


class ScoreSheet(VersionedConfig):
    """One version of a configurable list of scored items (检查项目及分值), per kind; the version
    in force is read through quancheng.versioning.services (supervision/sheets.py).

    ``data``: a list of ``{"code", "label", "weight", "source"}`` (plus ``"category"`` for
    evaluations). Sources: ``rule`` (a compliance rule id, pre-filled from its findings),
    ``manual`` (judged by the reviewer), ``spotcheck`` (an evaluation item fed by the period's
    spot-check scores).
    """

    class Kind(models.TextChoices):
        SPOTCHECK = "spotcheck", "案卷抽查评查表"
        EVALUATION = "evaluation", "区县考评表"

    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    # Each kind has its own sequence of versions (the constraint below), not one for the model.
    version = models.PositiveIntegerField("版本")
    data = models.JSONField("检查项目")

    scope_fields = ("kind",)

    class Meta:
        ordering = ["kind", "-version"]
        verbose_name = "评分表"
        verbose_name_plural = "评分表"
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="score_sheet_version_once")
        ]

    def __str__(self):
        return f"{self.get_kind_display()}第{self.version}版"

    @property
    def items(self):
        """The scored items (the version's ``data``)."""
        return self.data


class DistrictScopedQuerySet(models.QuerySet):
    """Rows about a district: visible to whoever sees an agency of that district."""

    def visible_to(self, user: "User"):
        if getattr(user, "is_authenticated", False) and user.sees_whole_city:
            return self
        return self.filter(district__in=agencies_visible_to(user).values("district"))


class SpotCheck(models.Model):
    """A legal-audit spot check (法制稽查抽查, A26): a reproducible random sample of dossiers.

    The sample is ``random.Random(seed).sample(candidate_ids, n)`` over the frozen dossiers
    matching the filters, ordered by id; candidates and seed are stored so anyone can redraw it.
    """

    class Status(models.TextChoices):
        SCORING = "scoring", "评查中"
        REPORTED = "reported", "已通报"

    title = models.CharField("抽查名称", max_length=200)
    district = models.CharField("区县", max_length=50)
    period_start = models.DateField("归档日期起")
    period_end = models.DateField("归档日期止")
    # Blank: every kind of dossier.
    kind = models.CharField(
        "案卷类别", max_length=24, choices=Dossier.Kind.choices, blank=True, default=""
    )
    sample_size = models.PositiveIntegerField("抽查数量")
    # A 63-bit integer: fits a signed BIGINT on every database.
    seed = models.BigIntegerField("随机种子")
    candidate_count = models.PositiveIntegerField("符合条件的案卷数")
    candidate_ids = models.JSONField("候选案卷编号", default=list)
    checklist = models.JSONField("评查项目")
    checklist_version = models.PositiveIntegerField("评查表版本", default=0)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.SCORING)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="抽取人"
    )
    drawn_at = models.DateTimeField("抽取时间", default=timezone.now)

    objects = DistrictScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-drawn_at", "-pk"]
        verbose_name = "案卷抽查"
        verbose_name_plural = "案卷抽查"
        # The list page: one district's spot checks, newest first.
        indexes = [models.Index(fields=["district", "-drawn_at"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("spot:spotcheck_detail", args=[self.pk])

    @property
    def filters(self) -> dict:
        return {
            "district": self.district,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "kind": self.kind,
            "sample_size": self.sample_size,
        }


class SpotCheckSample(models.Model):
    """One sampled dossier, its per-item results and its score (0–100)."""

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.PROTECT, related_name="samples")
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField("抽取顺序")
    # {item code: {"result": "pass" | "fail" | "na", "note": "..."}}
    results = models.JSONField("评查结果", default=dict)
    score = models.DecimalField("得分", max_digits=5, decimal_places=1, null=True, blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scored_at = models.DateTimeField("评分时间", null=True, blank=True)

    class Meta:
        ordering = ["spot_check", "position"]
        verbose_name = "抽查案卷"
        verbose_name_plural = "抽查案卷"
        constraints = [
            models.UniqueConstraint(fields=["spot_check", "dossier"], name="sample_dossier_once"),
            models.UniqueConstraint(fields=["spot_check", "position"], name="sample_position_once"),
        ]
        # Evaluations read the scored samples of an agency's dossiers.
        indexes = [models.Index(fields=["dossier", "scored_at"])]

    def __str__(self):
        return f"{self.spot_check} #{self.position} {self.dossier}"

    @property
    def is_scored(self) -> bool:
        return self.score is not None


class SpotFinding(models.Model):
    """A problem the auditor found in a sampled dossier (抽查发现的问题)."""

    sample = models.ForeignKey(SpotCheckSample, on_delete=models.PROTECT, related_name="findings")
    item_code = models.CharField("评查项目", max_length=32, blank=True)
    text = models.TextField("问题描述")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("记录时间", default=timezone.now)

    class Meta:
        ordering = ["sample", "created_at", "pk"]
        verbose_name = "抽查问题"
        verbose_name_plural = "抽查问题"

    def __str__(self):
        return self.text[:40]


class SpotCheckReport(models.Model):
    """The circulated report (通报) of a spot check for one district: a PDF blob."""

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.PROTECT, related_name="reports")
    district = models.CharField("区县", max_length=50)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.BigIntegerField("大小")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField("通报时间", default=timezone.now)

    objects = DistrictScopedQuerySet.as_manager()

    class Meta:
        ordering = ["spot_check", "-issued_at", "-pk"]
        verbose_name = "抽查通报"
        verbose_name_plural = "抽查通报"

    def __str__(self):
        return f"{self.spot_check} {self.district}通报"


class Evaluation(models.Model):
    """A district commission's periodic evaluation of its enforcement agency (考评, A25).

    ``points``: {item code: points given}; items fed by spot checks are recomputed while the
    evaluation is a draft and frozen with it when finalised.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "评分中"
        FINAL = "final", "已定稿"

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name="被考评机构"
    )
    period_label = models.CharField("考评期间", max_length=50)
    period_start = models.DateField("期间起")
    period_end = models.DateField("期间止")
    sheet = models.JSONField("考评项目")
    sheet_version = models.PositiveIntegerField("考评表版本", default=0)
    points = models.JSONField("得分明细", default=dict)
    # What the spot-check-fed items were computed from: {"samples": n, "mean": score}.
    spotcheck_basis = models.JSONField("抽查依据", default=dict)
    total = models.DecimalField("总分", max_digits=6, decimal_places=1, default=0)
    remarks = models.TextField("考评意见", blank=True)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    finalised_at = models.DateTimeField("定稿时间", null=True, blank=True)

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["agency", "-period_start", "-pk"]
        verbose_name = "区县考评"
        verbose_name_plural = "区县考评"
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "period_start", "period_end"], name="evaluation_period_once"
            ),
        ]
        # The trend: one agency's evaluations by period.
        indexes = [models.Index(fields=["agency", "period_start"])]

    def __str__(self):
        return f"{self.agency} {self.period_label}考评"

    def get_absolute_url(self):
        return reverse("spot:evaluation_detail", args=[self.pk])

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.FINAL

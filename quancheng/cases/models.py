"""Enforcement acts (执法行为) and penalty cases (行政处罚案件)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from quancheng.orgs.models import Agency
from quancheng.orgs.scoping import AgencyScopedQuerySet
from quancheng.subjects.models import Subject


class Case(models.Model):
    """A penalty case (行政处罚案件) and its stage."""

    class Stage(models.TextChoices):
        FILED = "filed", "立案"
        INVESTIGATION = "investigation", "调查取证"
        REVIEW = "review", "审查决定"
        SERVICE = "service", "送达执行"
        CLOSED = "closed", "结案"
        ARCHIVED = "archived", "归档"

    # Stages move forward one step at a time (立案 → … → 归档); 审查决定 may send a case back to
    # 调查取证 for further evidence. Nothing leaves 归档.
    TRANSITIONS = {
        Stage.FILED: {Stage.INVESTIGATION},
        Stage.INVESTIGATION: {Stage.REVIEW},
        Stage.REVIEW: {Stage.SERVICE, Stage.INVESTIGATION},
        Stage.SERVICE: {Stage.CLOSED},
        Stage.CLOSED: {Stage.ARCHIVED},
        Stage.ARCHIVED: set(),
    }

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="cases")
    number = models.CharField("案件编号", max_length=64)
    cause = models.CharField("案由", max_length=300)
    subject = models.ForeignKey(
        Subject, verbose_name="执法对象", on_delete=models.PROTECT, related_name="cases"
    )
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="承办人员", related_name="cases"
    )
    stage = models.CharField("阶段", max_length=16, choices=Stage.choices, default=Stage.FILED)
    filed_on = models.DateField("立案日期")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-filed_on", "-id"]
        verbose_name = "案件"
        verbose_name_plural = "案件"
        constraints = [
            models.UniqueConstraint(fields=["agency", "number"], name="case_number_unique"),
        ]

    def __str__(self):
        return f"{self.number} {self.cause}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("case_detail", args=[self.pk])

    def allowed_next_stages(self) -> list[str]:
        return [s for s in self.Stage.values if s in self.TRANSITIONS[self.Stage(self.stage)]]


class Act(models.Model):
    """One enforcement act (执法行为): an inspection, a hearing, a service of documents …"""

    class Kind(models.TextChoices):
        INSPECTION = "inspection", "监督检查"
        ONSITE = "onsite", "现场执法"
        EVIDENCE_COLLECTION = "evidence_collection", "调查取证"
        EVIDENCE_PRESERVATION = "evidence_preservation", "证据保存"
        INTERROGATION = "interrogation", "询问"
        HEARING = "hearing", "听证"
        DELIBERATION = "deliberation", "合议"
        SERVICE = "service", "送达"
        LIEN_SERVICE = "lien_service", "留置送达"
        ANNOUNCEMENT_SERVICE = "announcement_service", "公告送达"
        SEIZURE = "seizure", "查封、扣押"
        CONTROL = "control", "行政控制"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="acts")
    kind = models.CharField("类型", max_length=24, choices=Kind.choices)
    started_at = models.DateTimeField("开始时间")
    ended_at = models.DateTimeField("结束时间")
    place = models.CharField("地点", max_length=300)
    subject = models.ForeignKey(
        Subject, verbose_name="执法对象", on_delete=models.PROTECT, related_name="acts"
    )
    case = models.ForeignKey(
        Case,
        verbose_name="所属案件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="acts",
    )
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="执法人员", related_name="acts"
    )
    # A11 ¶1: such acts must be AV-recorded over the whole process.
    involves_life_or_property = models.BooleanField("直接涉及生命健康、重大财产权益", default=False)
    description = models.TextField("说明", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "执法行为"
        verbose_name_plural = "执法行为"
        indexes = [
            # Act lists filtered by kind within an agency, newest first.
            models.Index(fields=["agency", "kind", "-started_at"]),
            # The default order (lists, the dashboard's latest acts): the first page of a
            # district's 10,000 acts reads a few hundred index entries instead of sorting all.
            models.Index(fields=["-started_at", "-id"], name="cases_act_newest_idx"),
        ]

    def __str__(self):
        local = timezone.localtime(self.started_at)
        return f"{self.get_kind_display()} {self.subject} {local:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("act_detail", args=[self.pk])

"""Enforcement subjects (执法对象 / 管理相对人)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from quancheng.orgs.models import Agency
from quancheng.orgs.scoping import AgencyScopedQuerySet


class SubjectQuerySet(AgencyScopedQuerySet):
    def search(self, text: str):
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(name__icontains=text)
            | Q(credit_code__icontains=text.upper())
            | Q(licence_number__icontains=text)
        )


class Subject(models.Model):
    class Kind(models.TextChoices):
        MEDICAL = "medical", "医疗机构"
        PUBLIC_PLACE = "public_place", "公共场所"
        DRINKING_WATER = "drinking_water", "生活饮用水"
        SCHOOL = "school", "学校卫生"
        OCCUPATIONAL = "occupational", "职业卫生"
        RADIATION = "radiation", "放射卫生"
        INFECTIOUS = "infectious", "传染病防治"
        DISINFECTION = "disinfection", "消毒产品"
        BLOOD = "blood", "采供血"
        FAMILY_PLANNING = "family_planning", "计划生育"
        OTHER = "other", "其他"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="subjects")
    name = models.CharField("名称", max_length=200)
    kind = models.CharField("类别", max_length=20, choices=Kind.choices)
    address = models.CharField("地址", max_length=300)
    licence_number = models.CharField("许可证号", max_length=100, blank=True)
    # Persons and some bodies have none; where present it is unique within the agency.
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    legal_representative = models.CharField("法定代表人/负责人", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = SubjectQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "执法对象"
        verbose_name_plural = "执法对象"
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "credit_code"],
                condition=~Q(credit_code=""),
                name="subject_credit_code_unique_per_agency",
            )
        ]
        indexes = [
            # Search by code on the subject list and the API.
            models.Index(fields=["credit_code"]),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("subject_detail", args=[self.pk])

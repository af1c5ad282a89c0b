"""The abstract model of a configuration kept as versions (配置版本).

A version is *proposed* (``activated_at`` null: it may still be revised) and then *activated*
(in force from ``effective_from``). An active version is never edited: ``save`` refuses to change
a row that is active in the database, and a change is a new version. Which version is in force
at an instant is ``services.in_force``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class VersionImmutable(ValueError):
    """An attempt to change a version that is already in force (or was)."""


class VersionedConfig(models.Model):
    """A configuration the city administrator edits, kept as versions: versions are never
    edited once active, a change is a new version (and a ledger event)."""

    # What the kind's after-commit step returned (set by the services on the saved row).
    after_commit_result: object = None

    version = models.PositiveIntegerField("版本", unique=True)
    data = models.JSONField("配置")
    note = models.TextField("修改说明", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="修改人",
    )
    created_at = models.DateTimeField("修改时间", default=timezone.now)
    # Null while proposed; set once by activation, never changed afterwards.
    effective_from = models.DateTimeField("生效时间", null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="启用人",
    )
    activated_at = models.DateTimeField("启用时间", null=True, blank=True)

    # The fields that tell configurations of one model apart (score sheets: ``kind``); each
    # scope has its own sequence of versions.
    scope_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True
        ordering = ["-version"]

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            stored = type(self)._default_manager.filter(pk=self.pk, activated_at__isnull=False)
            if stored.exists():
                raise VersionImmutable(f"{self}已启用，不能修改；修改请另存为新版本")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if type(self)._default_manager.filter(pk=self.pk, activated_at__isnull=False).exists():
            raise VersionImmutable(f"{self}已启用，不能删除")
        return super().delete(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.activated_at is not None

    @property
    def state_label(self) -> str:
        if self.activated_at is None:
            return "待启用"
        if self.effective_from and self.effective_from > timezone.now():
            return "已启用，尚未生效"
        return "已启用"

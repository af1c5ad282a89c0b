"""Records (执法记录): the blobs the platform keeps and the uploads through which files arrive."""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone

from quancheng.orgs.models import Agency


class Blob(models.Model):
    """A blob the platform has stored (原始文件或派生文件), by its SHA-256.

    The blob store holds the bytes; this row says they must exist, so that fixity sweeps notice
    a blob that went missing, and names the agency that first stored them (for alerts).
    """

    sha256 = models.CharField("SHA-256", max_length=64, primary_key=True)
    size = models.BigIntegerField("大小")
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="blobs"
    )
    created_at = models.DateTimeField("存储时间", default=timezone.now)

    class Meta:
        ordering = ["created_at", "sha256"]
        verbose_name = "文件"
        verbose_name_plural = "文件"

    def __str__(self):
        return f"{self.sha256[:12]}… ({self.size} B)"


class Upload(models.Model):
    """One tus upload: its declared length, how far it has got and, once complete, its blob.

    The bytes received so far live in ``VAR_DIR/uploads/<id>`` (:attr:`partial_path`); on
    completion they are streamed into the blob store and that file is removed.
    """

    class Status(models.TextChoices):
        RECEIVING = "receiving", "接收中"
        COMPLETE = "complete", "已完成"
        TERMINATED = "terminated", "已终止"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploads"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="uploads")
    length = models.BigIntegerField("声明长度")
    offset = models.BigIntegerField("已接收", default=0)
    metadata = models.JSONField("元数据", default=dict, blank=True)
    filename = models.CharField("文件名", max_length=255, blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.RECEIVING
    )
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    # False when the blob store already held the same bytes (deduplicated); None until complete.
    blob_created = models.BooleanField("新存储", null=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "上传"
        verbose_name_plural = "上传"
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self):
        return f"{self.filename or self.id} ({self.offset}/{self.length})"

    @property
    def partial_path(self) -> Path:
        return upload_dir() / str(self.id)


def upload_dir() -> Path:
    return Path(settings.VAR_DIR) / "uploads"

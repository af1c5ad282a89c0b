"""Fixity sweeps (完整性校验): every registered blob re-hashed, resumable from a cursor.

The checks themselves are ledger events (``fixity.checked``); a sweep row only keeps where the
sweep has got to, its counts and its status, so that a stopped sweep continues where it stopped
and the page can show progress.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

# A running sweep touches its row at least this often; one untouched for longer has died
# (worker killed, machine rebooted) and may be resumed by another process.
HEARTBEAT = dt.timedelta(seconds=60)
STALE_AFTER = dt.timedelta(minutes=10)


class FixitySweep(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "进行中"
        INTERRUPTED = "interrupted", "已中断"
        COMPLETED = "completed", "已完成"
        FAILED = "failed", "出错停止"
        SUPERSEDED = "superseded", "已被新的校验取代"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "定期"
        MANUAL = "manual", "手动（页面）"
        COMMAND = "command", "命令行"

    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField("发起方式", max_length=16, choices=Trigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The last SHA-256 whose check is recorded: the sweep walks blobs in SHA-256 order.
    cursor = models.CharField("进度位置", max_length=64, blank=True)
    total_blobs = models.BigIntegerField("文件总数", default=0)
    total_bytes = models.BigIntegerField("总字节数", default=0)
    checked = models.BigIntegerField("已校验", default=0)
    checked_bytes = models.BigIntegerField("已校验字节", default=0)
    passed = models.BigIntegerField("通过", default=0)
    failed = models.BigIntegerField("不符", default=0)
    missing = models.BigIntegerField("缺失", default=0)
    rate = models.BigIntegerField("限速（字节/秒）", default=0)
    error = models.TextField("错误", blank=True)
    started_at = models.DateTimeField("开始时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = "完整性校验"
        verbose_name_plural = "完整性校验"
        # Used to find the unfinished sweep to resume.
        indexes = [models.Index(fields=["status"])]

    def __str__(self):
        return f"fixity sweep {self.pk} ({self.status}, {self.checked}/{self.total_blobs})"

    @property
    def percent(self) -> float:
        if self.total_bytes:
            return min(100.0, 100.0 * self.checked_bytes / self.total_bytes)
        if self.total_blobs:
            return min(100.0, 100.0 * self.checked / self.total_blobs)
        return 100.0 if self.status == self.Status.COMPLETED else 0.0

    @property
    def problems(self) -> int:
        return self.failed + self.missing

    def is_live(self, now: dt.datetime | None = None) -> bool:
        """Running, and touched recently enough that its process is presumably alive."""
        now = now or timezone.now()
        return self.status == self.Status.RUNNING and now - self.updated_at < STALE_AFTER

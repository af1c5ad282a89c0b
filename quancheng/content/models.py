"""What the platform read in the records' content (内容识别): the picture's clock of a segment,
the number and times of a scanned document."""

import datetime as dt

from django.conf import settings
from django.db import models

from quancheng.records.models import Document, Segment


class OsdReading(models.Model):
    """The burned-in on-screen display (画面叠加信息, GA/T 947) read from a segment's frames.

    ``picture_started_at`` is the picture's clock at the segment's first frame, as the camera
    drew it (the device's own clock, before any offset is applied); null unless the time could
    be read. Nothing is guessed: a segment whose frames show no readable time is ``unreadable``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待识别"
        READ = "read", "已识别"
        UNREADABLE = "unreadable", "画面时间不可读"
        FAILED = "failed", "识别失败"

    segment = models.OneToOneField(
        Segment, on_delete=models.PROTECT, related_name="osd_reading", verbose_name="音像记录"
    )
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING)
    picture_started_at = models.DateTimeField("画面时间（首帧）", null=True, blank=True)
    device_number = models.CharField("画面设备编号", max_length=64, blank=True)
    officer_number = models.CharField("画面警号", max_length=32, blank=True)
    confidence = models.FloatField("识别置信度", null=True, blank=True)
    sampled = models.PositiveIntegerField("抽样帧数", default=0)
    readable_samples = models.PositiveIntegerField("读出时间的帧数", default=0)
    # Samples whose time disagrees with the others by more than a second and a half: a cut or
    # a jump in the picture's clock (or a misread); shown, never averaged away.
    inconsistent_samples = models.PositiveIntegerField("时间不一致的帧数", default=0)
    # Per sampled frame: {"at": seconds, "lines": [[text, confidence], ...], "time": iso or
    # null, "device_number": str, "officer_number": str}
    samples = models.JSONField("抽样结果", default=list, blank=True)
    engine = models.CharField("识别引擎", max_length=200, blank=True)
    error = models.TextField("错误", blank=True)
    read_at = models.DateTimeField("识别时间", null=True, blank=True)
    # The custodian's decision that the picture's clock is right (the device's offset updated).
    offset_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="确认人",
    )
    offset_confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    confirmed_offset_seconds = models.IntegerField("确认的时钟偏差（秒）", null=True, blank=True)

    class Meta:
        verbose_name = "画面时间识别"
        verbose_name_plural = "画面时间识别"

    def __str__(self):
        return f"{self.segment} 画面时间"

    def picture_time_corrected(self):
        """The picture's clock with the segment's device offset applied (comparable with the
        segment's corrected start time); None unless read."""
        if self.picture_started_at is None:
            return None
        return self.picture_started_at - dt.timedelta(seconds=self.segment.clock_offset_seconds)


class ScanReading(models.Model):
    """What OCR read on a scanned document (扫描文书): proposed to the officer, never filled in
    until a person confirms or corrects it."""

    class Status(models.TextChoices):
        PENDING = "pending", "待识别"
        PROPOSED = "proposed", "待确认"
        CONFIRMED = "confirmed", "已确认"
        UNREADABLE = "unreadable", "未识别出文号或时间"
        FAILED = "failed", "识别失败"

    document = models.OneToOneField(
        Document, on_delete=models.PROTECT, related_name="scan_reading", verbose_name="执法文书"
    )
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING)
    proposed_number = models.CharField("识别文号", max_length=64, blank=True)
    proposed_started_at = models.DateTimeField("识别开始时间", null=True, blank=True)
    proposed_ended_at = models.DateTimeField("识别结束时间", null=True, blank=True)
    # {"number": 0.98, "started_at": 0.95, "ended_at": 0.97}
    confidences = models.JSONField("识别置信度", default=dict, blank=True)
    # The text lines read, page by page: [[page, text, confidence], ...]
    lines = models.JSONField("识别文字", default=list, blank=True)
    pages = models.PositiveIntegerField("页数", default=0)
    engine = models.CharField("识别引擎", max_length=200, blank=True)
    error = models.TextField("错误", blank=True)
    read_at = models.DateTimeField("识别时间", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="确认人",
    )
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)

    class Meta:
        verbose_name = "扫描文书识别"
        verbose_name_plural = "扫描文书识别"

    def __str__(self):
        return f"{self.document} 识别结果"

"""Records (执法记录): the blobs the platform keeps and the uploads through which files arrive."""

import datetime as dt
import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from quancheng.orgs.models import Agency, Device
from quancheng.orgs.scoping import AgencyScopedQuerySet


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
    # Set when the content was removed by an approved disposal (archive/disposal.py): fixity
    # sweeps skip the blob, and its absence from the store is expected, not an alert.
    disposed_at = models.DateTimeField("销毁时间", null=True, blank=True)
    # Set when the blob's last fixity check found the stored copy altered or missing, cleared
    # when a check passes or the blob is repaired (quancheng.records.repair): while set, the
    # bytes are not served (records/http.py), since they could not be verified on the way.
    damaged_at = models.DateTimeField("校验不符时间", null=True, blank=True)
    # The SM3 digest (GB/T 32905) beside the SHA-256 (docs/national-crypto.md). Computed after
    # ingest by a background job (records/sm3.py: hashing SM3 in the ingest pass would miss the
    # ingest target, docs/performance.md); empty until then, shown as "SM3 待计算".
    sm3 = models.CharField("SM3", max_length=64, blank=True, default="")
    sm3_at = models.DateTimeField("SM3计算时间", null=True, blank=True)

    class Meta:
        ordering = ["created_at", "sha256"]
        indexes = [
            # Used by records/sm3.py (compute_pending_sm3): the blobs still waiting for SM3.
            models.Index(
                fields=["created_at"], name="records_blob_sm3_pending", condition=models.Q(sm3="")
            )
        ]
        verbose_name = "文件"
        verbose_name_plural = "文件"

    def __str__(self):
        return f"{self.sha256[:12]}… ({self.size} B)"

    @property
    def sm3_pending(self) -> bool:
        return not self.sm3


class Upload(models.Model):
    """One tus upload: its declared length, how far it has got and, once complete, its blob.

    The bytes received so far live in ``VAR_DIR/uploads/<id>`` (:attr:`partial_path`); on
    completion they are streamed into the blob store and that file is removed.
    """

    class Status(models.TextChoices):
        RECEIVING = "receiving", "接收中"
        COMPLETE = "complete", "已完成"
        TERMINATED = "terminated", "已终止"
        EXPIRED = "expired", "已过期"  # abandoned unfinished; its partial file removed

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploads"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="uploads")
    length = models.BigIntegerField("声明长度")
    offset = models.BigIntegerField("已接收", default=0)
    # The SHA-256 state (lib/sha256state.py) of bytes [0, offset), committed with the offset,
    # so that any worker process continues the hash and the completion need not read the file.
    hash_state = models.BinaryField("哈希中间状态", null=True, editable=False)
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

    @property
    def expires_at(self):
        """When an unfinished upload is given up (tus Expiration: ``Upload-Expires``)."""
        return self.updated_at + dt.timedelta(days=settings.QC_UPLOAD_EXPIRY_DAYS)

    def has_expired(self, now=None) -> bool:
        return self.status == self.Status.RECEIVING and (now or timezone.now()) >= self.expires_at


def upload_dir() -> Path:
    """Where unfinished uploads live: shared by every web server of a scaled setup."""
    return Path(settings.QC_UPLOAD_DIR or Path(settings.VAR_DIR) / "uploads")


# --- record items (记录条目) ------------------------------------------------------------------


class RecordItemQuerySet(AgencyScopedQuerySet):
    def unlinked(self):
        """Items waiting in the custodian's queue for manual linking (待关联)."""
        return self.filter(act__isnull=True)


class RecordItem(models.Model):
    """What every kind of record shares: who owns it, what it belongs to, whether it is evidence.

    ``act``, ``case`` and ``subject`` link the item into the enforcement record (A20: all records
    of a subject reachable together); linking and unlinking are ledger events (services).
    """

    class Source(models.TextChoices):
        UPLOAD = "upload", "上传"
        INGEST = "ingest", "采集站导入"
        API = "api", "终端接口"
        GENERATED = "generated", "平台制作"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    act = models.ForeignKey(
        "cases.Act",
        verbose_name="执法行为",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="案件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject = models.ForeignKey(
        "subjects.Subject",
        verbose_name="执法对象",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_evidence = models.BooleanField("用作证据", default=False)
    source = models.CharField("来源", max_length=16, choices=Source.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = RecordItemQuerySet.as_manager()

    class Meta:
        abstract = True


class StoredFileMixin(models.Model):
    """An item whose content is one stored original (write-once blob)."""

    blob = models.ForeignKey(
        Blob, verbose_name="原始文件", on_delete=models.PROTECT, related_name="+"
    )
    original_filename = models.CharField("原文件名", max_length=255, blank=True)
    content_type = models.CharField("文件类型", max_length=100, blank=True)
    # False when the file could not be parsed (truncated, not media): it is still kept byte for
    # byte and raised to the custodian.
    readable = models.BooleanField("可解析", default=True)
    parse_error = models.TextField("解析错误", blank=True)

    class Meta:
        abstract = True


class Segment(StoredFileMixin, RecordItem):
    """One audio/video file (音像记录片段), e.g. a body camera's segment."""

    class MediaKind(models.TextChoices):
        VIDEO = "video", "视频"
        AUDIO = "audio", "音频"

    class TimeSource(models.TextChoices):
        NONE = "", "未记载"
        DEVICE = "device", "设备记录"
        MANUAL = "manual", "手工录入"

    class MediaStatus(models.TextChoices):
        PENDING = "pending", "待处理"
        READY = "ready", "已生成"
        NOT_NEEDED = "not_needed", "无需转码"
        FAILED = "failed", "处理失败"

    device = models.ForeignKey(
        Device,
        verbose_name="设备",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="执法人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    media_kind = models.CharField(
        "媒体类型", max_length=8, choices=MediaKind.choices, default="video"
    )
    # Corrected (true) times; null when the file carries no time and none was given.
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    # What the device's clock said, and the offset applied (device clock minus true time).
    device_started_at = models.DateTimeField("设备记录开始时间", null=True, blank=True)
    clock_offset_seconds = models.IntegerField("时钟偏差（秒）", default=0)
    # Where started_at came from: the device (the file's tags or name), or a person who entered
    # it by hand because the file carries no usable time (records/timing.py), with the reason.
    time_source = models.CharField(
        "时间来源", max_length=8, choices=TimeSource.choices, blank=True, default=""
    )
    time_entry_reason = models.TextField("手工录入时间的原因", blank=True)
    duration_seconds = models.FloatField("时长（秒）", null=True, blank=True)
    container = models.CharField("封装格式", max_length=32, blank=True)
    video_codec = models.CharField("视频编码", max_length=32, blank=True)
    audio_codec = models.CharField("音频编码", max_length=32, blank=True)
    width = models.PositiveIntegerField("宽", null=True, blank=True)
    height = models.PositiveIntegerField("高", null=True, blank=True)
    frame_rate = models.FloatField("帧率", null=True, blank=True)
    gps_latitude = models.DecimalField(
        "纬度", max_digits=9, decimal_places=6, null=True, blank=True
    )
    gps_longitude = models.DecimalField(
        "经度", max_digits=9, decimal_places=6, null=True, blank=True
    )
    # A21 ¶2 labels: time, place, party; classified by case number, cause and recording time.
    label_place = models.CharField("地点标签", max_length=300, blank=True)
    label_party = models.CharField("当事人标签", max_length=200, blank=True)
    label_case_number = models.CharField("案号标签", max_length=64, blank=True)
    label_cause = models.CharField("案由标签", max_length=300, blank=True)
    # Derivatives are separate blobs; the original is never touched.
    thumbnail = models.ForeignKey(
        Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proxy = models.ForeignKey(
        Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    media_status = models.CharField(
        "转码状态", max_length=16, choices=MediaStatus.choices, default=MediaStatus.PENDING
    )

    class Meta:
        ordering = ["started_at", "pk"]
        verbose_name = "音像记录"
        verbose_name_plural = "音像记录"
        indexes = [
            models.Index(fields=["agency", "started_at"]),
            models.Index(fields=["act"]),
            models.Index(fields=["device", "started_at"]),
        ]
        constraints = [
            # Ingest adds every file once: one blob is one segment per agency.
            models.UniqueConstraint(fields=["agency", "blob"], name="records_segment_once"),
        ]

    def __str__(self):
        return self.original_filename or f"音像记录 {self.pk}"

    def get_absolute_url(self):
        return reverse("segment_detail", args=[self.pk])

    @property
    def time_by_hand(self) -> bool:
        """The start time was entered by a person (时间为手工录入), not recorded by the device."""
        return self.time_source == self.TimeSource.MANUAL


class Document(StoredFileMixin, RecordItem):
    """An enforcement document (执法文书): a PDF or a scanned image."""

    class FileKind(models.TextChoices):
        PDF = "pdf", "PDF"
        IMAGE = "image", "扫描图像"

    file_kind = models.CharField("文件形式", max_length=8, choices=FileKind.choices)
    doc_type = models.CharField("文书种类", max_length=64)
    number = models.CharField("文书编号", max_length=64, blank=True)
    # The times written in the document (A15.4: they must equal the AV start/end times).
    written_started_at = models.DateTimeField("文书记载开始时间", null=True, blank=True)
    written_ended_at = models.DateTimeField("文书记载结束时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "执法文书"
        verbose_name_plural = "执法文书"
        indexes = [models.Index(fields=["act"]), models.Index(fields=["agency", "doc_type"])]

    def __str__(self):
        return f"{self.doc_type} {self.number}".strip()

    def get_absolute_url(self):
        return reverse("document_detail", args=[self.pk])


class DataKind(models.Model):
    """A kind of terminal data (电子数据种类) and the JSON Schema its records must satisfy."""

    code = models.SlugField("代码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=100)
    schema = models.JSONField("JSON Schema")
    version = models.PositiveIntegerField("版本", default=1)

    class Meta:
        ordering = ["code"]
        verbose_name = "电子数据种类"
        verbose_name_plural = "电子数据种类"

    def __str__(self):
        return self.name


class DataRecord(RecordItem):
    """Structured data from a terminal (电子数据), validated against its kind's schema."""

    kind = models.ForeignKey(
        DataKind, verbose_name="种类", on_delete=models.PROTECT, related_name="+"
    )
    schema_version = models.PositiveIntegerField("Schema 版本")
    data = models.JSONField("数据")
    # SHA-256 and SM3 of the canonical JSON of ``data``: what the ledger event names (SM3 since
    # migration 0012, which gave the earlier records theirs; docs/national-crypto.md).
    sha256 = models.CharField("SHA-256", max_length=64)
    sm3 = models.CharField("SM3", max_length=64, blank=True)
    recorded_at = models.DateTimeField("采集时间")
    device = models.ForeignKey(
        Device,
        verbose_name="设备",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = "电子数据"
        verbose_name_plural = "电子数据"
        indexes = [models.Index(fields=["act"])]

    def __str__(self):
        return f"{self.kind} {self.recorded_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("datarecord_detail", args=[self.pk])

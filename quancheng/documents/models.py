"""Enforcement documents made on the platform (文书制作): the catalogue of types, numbering,
drafts with their handwritten signatures, the agencies' signing certificates and the results of
checking a document's electronic signatures.

The finished document itself is a :class:`quancheng.records.models.Document` (a stored PDF);
this app makes it and checks it.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from quancheng.orgs.models import Agency
from quancheng.orgs.scoping import AgencyScopedQuerySet


class DocumentType(models.Model):
    """A document type of the catalogue (文书种类), set by the city agency (A9), as data.

    ``fields`` is a list of ``{"name", "label", "type", "required"}`` (type: text, textarea,
    date, datetime, items-table with ``columns``); ``signers`` names who signs (officers, party,
    witness, seal); ``act_kinds`` the :class:`~quancheng.cases.models.Act` kinds that use it.
    """

    class Origin(models.TextChoices):
        NATIONAL = "national", "国家规范文书"
        COMMON = "common", "常用文书"
        PLATFORM = "platform", "平台书面记录"

    code = models.SlugField("代码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=100, unique=True)
    origin = models.CharField("来源", max_length=16, choices=Origin.choices, default="national")
    # Numbering (文号): 地区简称 + 卫 + category + nature + 〔year〕 + serial. A blank category is
    # taken from the subject's kind (医, 公, 职, …) when the number is issued.
    numbered = models.BooleanField("编文号", default=True)
    category = models.CharField("执法类别代码", max_length=8, blank=True)
    nature = models.CharField("性质代码", max_length=8, blank=True)
    # 现场笔录, 询问记录 …: the document records its own start and end times (A15.4).
    has_times = models.BooleanField("记载起止时间", default=False)
    fields = models.JSONField("字段", default=list)
    signers = models.JSONField("签名", default=list)
    act_kinds = models.JSONField("适用的执法行为", default=list)
    active = models.BooleanField("启用", default=True)
    version = models.PositiveIntegerField("版本", default=1)

    class Meta:
        ordering = ["origin", "code"]
        verbose_name = "文书种类"
        verbose_name_plural = "文书种类"

    def __str__(self):
        return self.name

    def allows(self, act_kind: str) -> bool:
        return act_kind in self.act_kinds

    def field(self, name: str) -> dict | None:
        return next((f for f in self.fields if f["name"] == name), None)


class NumberingConfig(models.Model):
    """How an agency writes its document numbers (文号格式), e.g. 渝中 + 卫 … 〔2026〕12号."""

    agency = models.OneToOneField(
        Agency, on_delete=models.PROTECT, related_name="numbering_config", verbose_name="机构"
    )
    region = models.CharField("地区简称", max_length=20)
    sector = models.CharField("行业简称", max_length=8, default="卫")
    serial_width = models.PositiveSmallIntegerField("序号位数（补零）", default=0)

    class Meta:
        verbose_name = "文号格式"
        verbose_name_plural = "文号格式"

    def __str__(self):
        return f"{self.agency}：{self.region}{self.sector}…"


class NumberCounter(models.Model):
    """The last serial issued per agency, category, nature and year (locked when issuing)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=8)
    nature = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "文号序号"
        verbose_name_plural = "文号序号"
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "category", "nature", "year"], name="documents_counter_once"
            )
        ]

    def __str__(self):
        return f"{self.agency_id} {self.category}{self.nature}〔{self.year}〕{self.last_serial}"


class DocumentDraft(models.Model):
    """A document being filled (文书草稿) for an act; finalising turns it into a signed PDF."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        FINAL = "final", "已定稿"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    act = models.ForeignKey(
        "cases.Act", verbose_name="执法行为", on_delete=models.PROTECT, related_name="+"
    )
    doc_type = models.ForeignKey(
        DocumentType, verbose_name="文书种类", on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField("内容", default=dict)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default="draft")
    number = models.CharField("文号", max_length=64, blank=True)
    document = models.OneToOneField(
        "records.Document",
        verbose_name="定稿文书",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="draft",
    )
    # A correction (更正) is a new version linked to the one it corrects; both are kept.
    previous = models.ForeignKey(
        "self",
        verbose_name="更正的文书",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    correction_reason = models.TextField("更正原因", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("修改时间", default=timezone.now)
    finalised_at = models.DateTimeField("定稿时间", null=True, blank=True)

    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "文书草稿"
        verbose_name_plural = "文书草稿"
        indexes = [models.Index(fields=["act"])]  # the act page's list of drafts

    def __str__(self):
        return f"{self.doc_type} {self.number or '（草稿）'}"

    def get_absolute_url(self):
        return reverse("documents:draft_detail", args=[self.pk])

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.FINAL


class DraftSignature(models.Model):
    """A handwritten signature (手写签名) on a draft, or a party's refusal to sign (拒签)."""

    class Role(models.TextChoices):
        OFFICER = "officer", "执法人员"
        PARTY = "party", "当事人"
        WITNESS = "witness", "见证人"

    class Authentication(models.TextChoices):
        SESSION = "session", "本人登录"
        PASSWORD = "password", "本人输入密码"
        PIN = "pin", "本人输入签名PIN"
        WITNESSED = "witnessed", "执法人员见证采集"

    draft = models.ForeignKey(DocumentDraft, on_delete=models.PROTECT, related_name="signatures")
    role = models.CharField("签名人身份", max_length=8, choices=Role.choices)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("签名人", max_length=100)
    image = models.ForeignKey(
        "records.Blob", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # SHA-256 of the draft content signed: a signature covers exactly that content.
    data_sha256 = models.CharField(max_length=64)
    refused = models.BooleanField("拒绝签名", default=False)
    refusal_reason = models.TextField("拒签原因", blank=True)
    witness_name = models.CharField("见证人", max_length=100, blank=True)
    evidence_ref = models.CharField("拍照/录像记录", max_length=300, blank=True)
    signed_at = models.DateTimeField("签名时间", default=timezone.now)
    # Who captured the signature (the officer whose session it was, the party's witness) and on
    # which device (a terminal's token, or a browser session's address and agent).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    device = models.CharField("采集设备", max_length=300, blank=True)
    # How an officer's signature was tied to that officer at the moment of signing (电子签名法
    # art. 13: under the signer's sole control): their own session, or their password typed on
    # the capturing officer's device. A party's signature is witnessed by the capturing officer.
    authentication = models.CharField(
        "签名认证方式", max_length=12, choices=Authentication.choices, blank=True
    )

    class Meta:
        ordering = ["signed_at", "pk"]
        verbose_name = "签名"
        verbose_name_plural = "签名"

    def __str__(self):
        return f"{self.get_role_display()} {self.name}"


class TrustedCA(models.Model):
    """A root the platform trusts when validating electronic signatures (信任的根证书)."""

    name = models.CharField("名称", max_length=200)
    certificate_pem = models.TextField("证书 (PEM)")
    fingerprint = models.CharField("SHA-256 指纹", max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = "信任根证书"
        verbose_name_plural = "信任根证书"

    def __str__(self):
        return self.name


class AgencyCertificate(models.Model):
    """An agency's signing certificate and key (电子印章证书); the key is stored encrypted.

    The key is a PKCS#8 PEM encrypted with the platform's document-key passphrase
    (``QC_DOCUMENT_KEY_PASSPHRASE`` or ``VAR_DIR/document_key_passphrase``, mode 0600).
    """

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="certificates")
    subject = models.CharField("证书主题", max_length=300)
    serial = models.CharField("序列号", max_length=64)
    fingerprint = models.CharField("SHA-256 指纹", max_length=64, unique=True)
    not_before = models.DateTimeField("生效时间")
    not_after = models.DateTimeField("失效时间")
    certificate_pem = models.TextField("证书 (PEM)")
    chain_pem = models.TextField("证书链 (PEM)", blank=True)
    encrypted_key_pem = models.TextField("加密私钥")
    active = models.BooleanField("在用", default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "机构签章证书"
        verbose_name_plural = "机构签章证书"

    def __str__(self):
        return f"{self.agency} {self.subject}"


class SignatureCheck(models.Model):
    """The result of validating a stored document's electronic signatures (验签结果).

    Made at ingest (uploads and terminals) and when the platform signs a document; the display
    page validates again each time and shows that live result.
    """

    class Status(models.TextChoices):
        VALID = "valid", "签名有效"
        ALTERED = "altered", "签名后文件已被修改"
        UNKNOWN_SIGNER = "unknown_signer", "签名者证书不受信任"
        UNSIGNED = "unsigned", "无电子签名"
        INVALID = "invalid", "签名无法验证"

    document = models.OneToOneField(
        "records.Document", on_delete=models.PROTECT, related_name="signature_check"
    )
    status = models.CharField("验签结果", max_length=16, choices=Status.choices)
    signers = models.JSONField("签名者", default=list)
    detail = models.TextField("说明", blank=True)
    checked_at = models.DateTimeField("验证时间", default=timezone.now)

    class Meta:
        verbose_name = "验签结果"
        verbose_name_plural = "验签结果"

    def __str__(self):
        return self.get_status_display()


class Sm2Certificate(models.Model):
    """An SM2 certificate (国密证书, GB/T 20518): a trusted root, or an agency's signing
    certificate with its key, for the detached SM2/SM3 signature of finalised PDFs
    (documents/sm2sign.py, docs/national-crypto.md). Kept apart from the PAdES certificates:
    ``cryptography`` and pyHanko do not read SM2 keys.

    The key is the 32-byte SM2 scalar encrypted with AES-256-GCM under a key derived (scrypt)
    from the document-key passphrase, as the PAdES keys are protected by it.
    """

    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="sm2_certificates"
    )
    # True: a root the platform trusts for SM2 signatures (信任的 SM2 根证书); no key is kept.
    is_root = models.BooleanField("信任根", default=False)
    subject = models.CharField("证书主题", max_length=300)
    serial = models.CharField("序列号", max_length=64)
    fingerprint = models.CharField("SHA-256 指纹", max_length=64, unique=True)
    not_before = models.DateTimeField("生效时间")
    not_after = models.DateTimeField("失效时间")
    certificate_pem = models.TextField("证书 (PEM)")
    chain_pem = models.TextField("证书链 (PEM)", blank=True)
    encrypted_key = models.TextField("加密私钥", blank=True)
    active = models.BooleanField("在用", default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "SM2 证书"
        verbose_name_plural = "SM2 证书"

    def __str__(self):
        return self.subject


class Sm2DocumentSignature(models.Model):
    """The detached SM2/SM3 CMS signature (GM/T 0010) made over a finalised PDF, kept as a
    blob of its own beside the PDF (which keeps its PAdES signature)."""

    document = models.OneToOneField(
        "records.Document", on_delete=models.PROTECT, related_name="sm2_signature"
    )
    blob = models.ForeignKey("records.Blob", on_delete=models.PROTECT, related_name="+")
    certificate = models.ForeignKey(Sm2Certificate, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField("签名时间")

    class Meta:
        verbose_name = "SM2 签名"
        verbose_name_plural = "SM2 签名"

    def __str__(self):
        return f"SM2 {self.document_id}"

"""Witnessing (见证): one instance cosigns another's checkpoints (C2SP tlog-witness).

Two sides, both in every instance:

- the **witness side** keeps, for each log an administrator registered (``WitnessedLog``), the
  latest checkpoint it cosigned, and every signed request it saw (``Observation``), accepted or
  refused, as evidence;
- the **log side** sends its own checkpoints to the witnesses named in ``QC_WITNESSES``, keeps
  what it knows of each (``WitnessState``), each attempt (``Submission``) and each verified
  cosignature (``Cosignature``).
"""

from django.db import models
from django.utils import timezone

from quancheng.ledger.models import AppendOnlyModel, Checkpoint
from quancheng.orgs.models import Agency
from quancheng.orgs.scoping import AgencyScopedQuerySet


class WitnessedLog(models.Model):
    """A log this instance witnesses (被见证的日志), e.g. a district platform's ledger."""

    origin = models.CharField("日志标识 (origin)", max_length=200, unique=True)
    verifier_key = models.CharField("日志验证公钥 (vkey)", max_length=300)
    agency = models.ForeignKey(
        Agency,
        verbose_name="所属机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="witnessed_logs",
    )
    latest_size = models.BigIntegerField("已见证树大小", default=0)
    latest_root = models.CharField("已见证根哈希", max_length=64, blank=True)
    latest_note = models.TextField("已见证检查点", blank=True)
    latest_at = models.DateTimeField("最近见证时间", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    # District people see their district's logs; a log of no agency only the whole-city roles.
    objects = AgencyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["origin"]
        verbose_name = "被见证日志"
        verbose_name_plural = "被见证日志"

    def __str__(self):
        return self.origin


class Observation(AppendOnlyModel):
    """One add-checkpoint request carrying a valid signature of a known log, and the answer.

    Refused ones are kept as evidence: a log-signed checkpoint that does not extend the one the
    witness cosigned is proof that the log forked or was rolled back.
    """

    class Outcome(models.TextChoices):
        COSIGNED = "cosigned", "已联署"
        REFUSED = "refused", "已拒绝"

    log = models.ForeignKey(WitnessedLog, on_delete=models.PROTECT, related_name="observations")
    time = models.DateTimeField(default=timezone.now)
    old_size = models.BigIntegerField()
    size = models.BigIntegerField()
    root_hash = models.CharField(max_length=64)
    signed_note = models.TextField()
    proof = models.JSONField(default=list)  # base64 hashes as sent
    status = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    cosignature = models.TextField(blank=True)

    class Meta:
        ordering = ["-time", "-pk"]
        indexes = [
            # Is a smaller checkpoint one this witness cosigned before (a stale resubmission)?
            models.Index(fields=["log", "size", "outcome"]),
        ]

    def __str__(self):
        return f"{self.log} {self.size} {self.outcome}"


class WitnessState(models.Model):
    """What this log knows of one configured witness (QC_WITNESSES)."""

    name = models.CharField(max_length=200, unique=True)
    # The tree size the witness last cosigned for this log (0: never), sent as "old".
    cosigned_size = models.BigIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_message = models.TextField(blank=True)
    # A submitter claims the witness until then, so that parallel workers do not race.
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Submission(AppendOnlyModel):
    """One add-checkpoint request this log sent to a witness, and the answer."""

    class Outcome(models.TextChoices):
        COSIGNED = "cosigned", "已联署"
        CONFLICT = "conflict", "大小不符"
        REFUSED = "refused", "被拒绝"
        FAILED = "failed", "未送达"

    witness_name = models.CharField(max_length=200)
    checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.PROTECT, related_name="witness_submissions"
    )
    time = models.DateTimeField(default=timezone.now)
    old_size = models.BigIntegerField()
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-time", "-pk"]

    def __str__(self):
        return f"{self.witness_name} {self.checkpoint.size} {self.outcome}"


class Cosignature(AppendOnlyModel):
    """A witness's verified cosignature (联署) of one of this log's checkpoints."""

    checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.PROTECT, related_name="cosignatures"
    )
    witness_name = models.CharField(max_length=200)
    signature_line = models.TextField()
    timestamp = models.BigIntegerField()  # the cosignature's own POSIX time, as signed
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["checkpoint", "witness_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["checkpoint", "witness_name"], name="witness_cosignature_once"
            )
        ]

    def __str__(self):
        return f"{self.witness_name} on {self.checkpoint}"

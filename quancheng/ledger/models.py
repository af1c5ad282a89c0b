"""The ledger (事件账本): an append-only, hash-linked log of every state change and access."""

import hashlib

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone

from .actions import label_of
from .entry import content_hash, event_entry, staged_content
from .entry import entry_bytes as build_entry_bytes
from .fields import Sha256Field

GENESIS_HASH = "0" * 64


class LedgerIsAppendOnly(Exception):
    pass


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerIsAppendOnly("ledger events cannot be updated")

    def delete(self):
        raise LedgerIsAppendOnly("ledger events cannot be deleted")

    def for_object(self, obj):
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerIsAppendOnly(f"{self.model._meta.label} rows cannot be updated")

    def delete(self):
        raise LedgerIsAppendOnly(f"{self.model._meta.label} rows cannot be deleted")


class AppendOnlyModel(models.Model):
    """Rows are inserted once and never changed or deleted (database triggers enforce it too)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerIsAppendOnly(f"{self._meta.label} rows cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly(f"{self._meta.label} rows cannot be deleted")


class Event(models.Model):
    """One ledger event. Written only by quancheng.ledger.services.record_event."""

    seq = models.BigIntegerField(primary_key=True)
    time = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # The actor's username as it was, so the hashed entry never depends on a later rename.
    actor_label = models.CharField(max_length=150, blank=True)
    agency = models.ForeignKey("orgs.Agency", null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    body = models.TextField()  # canonical JSON
    # Not unique by an index of its own: it equals the previous event's ``hash`` (unique), the
    # one integrator under its lease fence writes seq order, and verify_ledger checks each link;
    # a second unique index only cost every integrated event another B-tree insert.
    # Both hashes are stored as their 32 bytes and read as hex (fields.Sha256Field).
    prev_hash = Sha256Field()
    # Unique through Meta.constraints: a unique=True column also gets a varchar_pattern_ops
    # twin index on PostgreSQL (prefix LIKE searches nobody makes).
    hash = Sha256Field()
    # The StagedEvent this event was integrated from (null for events appended before staging
    # existed and for ledger_bulk's filler); unique, so no staged event is integrated twice.
    staged_id = models.BigIntegerField(null=True, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [
            # The history shown on an object's page.
            models.Index(fields=["object_type", "object_id"]),
        ]
        constraints = [
            # Event lookups by hash (verify.py: who names this row as prev) and no event twice.
            models.UniqueConstraint(fields=["hash"], name="ledger_event_hash_unique"),
            models.UniqueConstraint(
                fields=["staged_id"],
                condition=models.Q(staged_id__isnull=False),
                name="ledger_event_staged_once",
            ),
        ]

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerIsAppendOnly("ledger events cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly("ledger events cannot be deleted")

    @property
    def action_label(self) -> str:
        """What people read for the action (the catalogue's Chinese label)."""
        return label_of(self.action)

    @property
    def object_label(self) -> str:
        """The Chinese name of the kind of object the event is about ("" for none)."""
        if not self.object_type:
            return ""
        try:
            return str(apps.get_model(self.object_type)._meta.verbose_name)
        except (LookupError, ValueError):
            return "对象"

    def entry(self) -> dict:
        """The hashed entry: everything about the event, its time included."""
        return event_entry(self)

    def entry_bytes(self) -> bytes:
        return build_entry_bytes(staged_content(self), self.seq, self.prev_hash)

    def compute_hash(self) -> str:
        return hashlib.sha256(self.entry_bytes()).hexdigest()


class StagedEvent(models.Model):
    """An event its change's transaction has committed, waiting for the integrator.

    record_event inserts it (no lock beyond the row's own insert); the integrator
    (integrator.py) gives it its ``seq`` and ``prev``, writes the ``Event`` with
    ``staged_id`` = this row's id and deletes this row, in one transaction. Database triggers
    refuse an UPDATE, and a DELETE of a row whose Event does not exist (migration ledger/0006).
    """

    id = models.BigAutoField(primary_key=True)
    time = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    agency = models.ForeignKey("orgs.Agency", null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    body = models.TextField()  # canonical JSON
    # entry.content_hash(staged_content(self)): checked again by the integrator.
    content_hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"staged {self.pk} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerIsAppendOnly("staged events cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly("staged events are removed only by the integrator")

    def compute_content_hash(self) -> str:
        return content_hash(staged_content(self))

    # --- the integrated event, for callers that hold the value record_event returned --------

    _event = None
    _staging_block = None  # the atomic block that staged it, while it is open

    @property
    def event(self) -> "Event | None":
        """The integrated Event, or None while it waits (see integrator.wait_for_event)."""
        if self._event is None:
            self._check_committed("event")
            self._event = Event.objects.filter(staged_id=self.pk).first()
        return self._event

    def _check_committed(self, what: str) -> None:
        from django.db import connection

        if self._staging_block is not None and self._staging_block in connection.atomic_blocks:
            raise NotYetIntegrated(
                f"the {what} of a ledger event is bound after its transaction commits; "
                "use integrator.wait_for_event after the commit, or "
                "services.record_sequenced_event inside it"
            )

    def _integrated(self, what: str) -> "Event":
        event = self.event
        if event is None:
            raise NotYetIntegrated(f"event staged as {self.pk} is not integrated yet ({what})")
        return event

    @property
    def seq(self) -> int:
        return self._integrated("seq").seq

    @property
    def hash(self) -> str:
        return self._integrated("hash").hash

    @property
    def prev_hash(self) -> str:
        return self._integrated("prev_hash").prev_hash

    def entry(self) -> dict:
        return self._integrated("entry").entry()

    def entry_bytes(self) -> bytes:
        return self._integrated("entry").entry_bytes()


class NotYetIntegrated(LookupError):
    """A staged event's seq or hash was asked for before the integrator bound it."""


class LedgerHead(models.Model):
    """The chain's tip: one row, locked by each append so that parallel writers never fork."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    # The Merkle tree's compact range over events 1..seq (tree size = seq): hex hashes of the
    # perfect subtrees on its right edge, largest first, one per set bit of seq.
    frontier = models.JSONField(default=list)

    def __str__(self):
        return f"head #{self.seq}"


class SubtreeHash(AppendOnlyModel):
    """A complete aligned subtree of the events' Merkle tree (RFC 9162 §2.1).

    Leaves [index·2^level, (index+1)·2^level), i.e. events seq index·2^level + 1 onwards; level 0
    rows are the leaf hashes SHA-256(0x00 || event.entry_bytes()). Written by record_event.
    """

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = Sha256Field()  # 32 bytes, hex in Python

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="ledger_subtree_level_index")
        ]

    def __str__(self):
        return f"subtree {self.level}/{self.index}"


class Checkpoint(AppendOnlyModel):
    """A signed checkpoint (C2SP tlog-checkpoint) of the tree of the first ``size`` events."""

    size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    signed_note = models.TextField()
    created_at = models.DateTimeField()
    previous = models.OneToOneField(
        "self", null=True, on_delete=models.PROTECT, related_name="next"
    )
    # RFC 9162 consistency proof from previous.size to size, hex hashes; [] for the first.
    consistency_proof = models.JSONField(default=list)

    class Meta:
        ordering = ["size"]
        get_latest_by = "size"

    def __str__(self):
        return f"checkpoint {self.size}"


class SigningKey(models.Model):
    """A checkpoint signing key (Ed25519 or SM2) and the period it signed in (密钥轮换,
    ledger/keys.py). The first row of each algorithm is the configured key (QC_SIGNING_KEY,
    QC_SM2_SIGNING_KEY or the generated one), recorded when it is first rotated out, without its
    private key; the keys the platform generates at a rotation keep theirs sealed
    (lib/keyseal.py). Every key stays published so that the checkpoints it signed still verify."""

    class Algorithm(models.TextChoices):
        ED25519 = "ed25519", "Ed25519"
        SM2 = "sm2", "SM2"

    algorithm = models.CharField(max_length=8, choices=Algorithm.choices)
    vkey = models.CharField("验证公钥", max_length=300, unique=True)
    sealed_private_key = models.TextField(blank=True)  # empty: the configured key
    valid_from = models.DateTimeField("启用时间")
    valid_until = models.DateTimeField("停用时间", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["algorithm", "valid_from"]

    def __str__(self):
        return self.vkey


class NamedLease(models.Model):
    """A lease on a singleton role (the ledger's integrator): at most one holder at a time.

    Taken and renewed in a transaction that locks the row (ledger/leases.py ``hold``); a holder
    that stops renewing loses it when ``expires_at`` passes, and another process takes over.
    """

    name = models.CharField("名称", max_length=64, primary_key=True)
    holder = models.CharField("持有者", max_length=128, blank=True)
    acquired_at = models.DateTimeField("取得时间", null=True, blank=True)
    expires_at = models.DateTimeField("租约到期", null=True, blank=True)
    # Counts hand-overs between holders: a fencing token for logs and tests.
    generation = models.PositiveBigIntegerField("代数", default=0)

    class Meta:
        # Created by the jobs app (migration jobs/0002), where the model lived first; the table
        # kept its name when the model moved down to the ledger (ledger/0010, jobs/0003).
        db_table = "jobs_namedlease"
        verbose_name = "单例租约"
        verbose_name_plural = "单例租约"

    def __str__(self):
        return f"{self.name} @ {self.holder or '—'}"

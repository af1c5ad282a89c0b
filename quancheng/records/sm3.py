"""SM3 digests of stored blobs, beside their SHA-256 (国密, docs/national-crypto.md).

Computing SM3 in the ingest pass would miss the ingest target: on this platform's machines SM3
runs at about a quarter of SHA-256's speed (SHA-NI), so hashing a 1 GiB file with it takes three
times as long as the whole baseline of ``openssl dgst -sha256`` + ``cp`` + ``sync``
(docs/performance.md, "SM3 after ingest"). Every path that stores a blob (uploads, tus, dock
ingest, generated documents and packages) therefore registers it with an empty ``sm3``, and a
background job computes it afterwards:

1. Read the stored bytes once, hashing SHA-256 and SM3 together: an SM3 is only ever given to
   bytes whose SHA-256 is still the blob's name. A blob found altered or missing gets none; that
   is a failed fixity check like one found by a sweep or a download (the ``fixity.checked``
   event, the critical alert, the blob marked damaged and so left out of later runs).
2. In one transaction, claim the blob (``sm3 = ''`` → the digest; a concurrent job that lost the
   claim writes nothing) and append ``blob.sm3_computed`` naming both digests.

Until then the item shows "SM3 待计算". ``manage.py compute_sm3`` runs the same job by hand
(the backfill of blobs stored before SM3 existed); the scheduler runs it every
``QC_SM3_INTERVAL`` seconds.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.lib import gmcrypto
from quancheng.lib.blobstore import BlobNotFound, BlobStore
from quancheng.lib.canonical import canonical_bytes
from quancheng.lib.digestcheck import judge
from quancheng.orgs.models import Agency

from .models import Blob
from .signals import blob_checked

log = logging.getLogger(__name__)
CHUNK = 4 * 1024 * 1024
PENDING_LABEL = "SM3 待计算"


def file_digests(sha256: str) -> dict[str, str | None]:
    """What a ledger event's body says of a file: both digests (``sm3`` None while pending)."""
    sm3 = Blob.objects.filter(sha256=sha256).values_list("sm3", flat=True).first()
    return {"sha256": sha256, "sm3": sm3 or None}


def sm3_of(sha256: str) -> str | None:
    """The blob's SM3, or None while it is pending (or the blob is unknown)."""
    return Blob.objects.filter(sha256=sha256).values_list("sm3", flat=True).first() or None


@dataclass(frozen=True)
class Sm3Outcome:
    sha256: str
    status: str  # computed | already | altered | missing
    sm3: str = ""


def _hash_both(store: BlobStore, sha256: str) -> tuple[str, str, int]:
    sha = hashlib.sha256()
    sm3 = gmcrypto.sm3()
    size = 0
    with store.open(sha256) as f:
        while chunk := f.read(CHUNK):
            sha.update(chunk)
            sm3.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), sm3.hexdigest(), size


def compute_sm3(blob: Blob, store: BlobStore | None = None) -> Sm3Outcome:
    """Compute and record the SM3 of one blob (steps in the module docstring)."""
    from .services import blob_store

    if blob.sm3:
        return Sm3Outcome(blob.sha256, "already", blob.sm3)
    store = store or blob_store()
    # 1. One read, both digests.
    try:
        actual, sm3, size = _hash_both(store, blob.sha256)
    except BlobNotFound:
        _fixity_finding(blob, None, None)
        return Sm3Outcome(blob.sha256, "missing")
    if actual != blob.sha256 or size != blob.size:
        log.warning("blob %s: stored bytes do not match, no SM3 computed", blob.sha256)
        _fixity_finding(blob, actual, size)
        return Sm3Outcome(blob.sha256, "altered")
    # 2. Claim and record together.
    with transaction.atomic(durable=True):
        won = Blob.objects.filter(sha256=blob.sha256, sm3="").update(sm3=sm3, sm3_at=timezone.now())
        if not won:
            return Sm3Outcome(blob.sha256, "already", sm3_of(blob.sha256) or "")
        record_event(
            None,
            Action.BLOB_SM3_COMPUTED,
            blob,
            {"sha256": blob.sha256, "sm3": sm3, "size": size},
            agency=blob.agency,
        )
    blob.sm3 = sm3
    return Sm3Outcome(blob.sha256, "computed", sm3)


def _fixity_finding(blob: Blob, actual: str | None, size: int | None) -> None:
    """Announce the failed check (the fixity app records it and alerts the custodian)."""
    result = judge(blob.sha256, blob.size, actual, size)
    with transaction.atomic(durable=True):
        blob_checked.send(Blob, result=result, blob=blob, context={"sm3_job": True}, actor=None)


def pending_blobs():
    """Blobs without SM3 whose bytes are there to hash (not disposed of, not known damaged)."""
    return Blob.objects.filter(sm3="", disposed_at=None, damaged_at=None).order_by(
        "created_at", "sha256"
    )


def compute_sm3_of(sha256s, store: BlobStore | None = None) -> dict[str, Sm3Outcome]:
    """Compute the SM3 of these blobs where still pending (an export, before its checkpoint)."""
    blobs = Blob.objects.filter(sha256__in=set(sha256s), sm3="").select_related("agency")
    if not blobs:
        return {}
    from .services import blob_store

    store = store or blob_store()
    return {blob.sha256: compute_sm3(blob, store) for blob in blobs}


def compute_pending_sm3(limit: int | None = None, store: BlobStore | None = None) -> dict:
    """Compute the SM3 of pending blobs, oldest first; counts by outcome."""
    from .services import blob_store

    store = store or blob_store()
    counts = {"computed": 0, "already": 0, "altered": 0, "missing": 0}
    blobs = pending_blobs()
    if limit is not None:
        blobs = blobs[:limit]
    for blob in blobs.select_related("agency").iterator(chunk_size=200):
        counts[compute_sm3(blob, store).status] += 1
    return counts


# --- data records (电子数据): their canonical JSON's SM3 -----------------------------------------

SM3_COMPUTED_DATA_RECORD = Action.DATARECORD_SM3_COMPUTED


def backfill_data_records(DataRecord) -> int:
    """Give the data records stored before SM3 theirs (migration ``records 0012``).

    Their canonical JSON is re-made from the stored data and checked against the recorded
    SHA-256 first: only those bytes get an SM3 (a record whose data no longer matches gets none;
    the 四性 authenticity check reports it). Each is the ledger event
    ``datarecord.sm3_computed`` naming both digests, in the migration's transaction.
    ``DataRecord`` is the migration's historical model; the events are staged through the
    ledger service like any other.
    """
    require_own_transaction("records.sm3.backfill_data_records")
    agencies: dict[int, Agency] = {}
    done = 0
    for record in DataRecord.objects.filter(sm3="").order_by("pk").iterator(chunk_size=500):
        raw = canonical_bytes(record.data)
        if hashlib.sha256(raw).hexdigest() != record.sha256:
            log.warning("data record %s no longer matches its SHA-256: no SM3", record.pk)
            continue
        sm3 = gmcrypto.sm3_hex(raw)
        if record.agency_id not in agencies:
            agencies[record.agency_id] = Agency.objects.get(pk=record.agency_id)
        if not DataRecord.objects.filter(pk=record.pk, sm3="").update(sm3=sm3):
            continue
        record_event(
            None,
            SM3_COMPUTED_DATA_RECORD,
            object_type="records.datarecord",
            object_id=str(record.pk),
            agency=agencies[record.agency_id],
            body={"sha256": record.sha256, "sm3": sm3, "backfill": True},
        )
        done += 1
    return done

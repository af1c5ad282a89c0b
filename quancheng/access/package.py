"""The export package of an evidence extraction (证据提取包), made in the background.

A BagIt bag (RFC 8493, made with the ``bagit`` library, SHA-256 and SHA-512 manifests) whose
payload ``data/`` is exactly a ledger bundle (``quancheng/ledger/bundle.py``)::

    bagit.txt, bag-info.txt, manifest-sha256.txt, manifest-sha512.txt, tagmanifest-*.txt
    data/manifest.json, data/events.jsonl, data/proofs/, data/checkpoint, data/verifier.key
    data/files/00-提取说明.pdf                 the signed extraction note (提取说明)
    data/files/segment-12-<name>               copies of the originals, data records as JSON
    data/files/document-7-<name>.p7s           a document's detached SM2 signature, if it has one

It is stored as one zip blob (entries stored, not compressed: videos do not shrink) and checked
by ``python -m quancheng.offline.verify_bundle`` (bag and ledger both). Steps, in order:

1. claim the approved extraction (several workers may run; one wins);
2. render and sign the note (documents app), store it, ``extraction.note_made``;
3. sign a checkpoint covering the events, write the ledger bundle (files copied and re-hashed);
4. make the bag in place, zip it, store the zip;
5. ``extraction.produced`` with the package's SHA-256 and size, in the state change's transaction.

Every file is streamed; nothing holds a whole video in memory.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import zipfile
from pathlib import Path

import bagit
from django.db import models, transaction
from django.utils import timezone

from quancheng.documents import certificates
from quancheng.documents.p7s import signature_files
from quancheng.documents.pdfsign import sign_pdf
from quancheng.documents.render import render_template_pdf
from quancheng.jobs.leases import current_job
from quancheng.jobs.workdirs import work_dir
from quancheng.ledger.actions import Action
from quancheng.ledger.bundle import BundleFile, make_ledger_bundle, safe_name
from quancheng.ledger.checkpoints import make_checkpoint
from quancheng.ledger.integrator import wait_for_event
from quancheng.ledger.models import Checkpoint, Event
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.lib import gmcrypto
from quancheng.lib.canonical import canonical_bytes
from quancheng.records.models import DataRecord, Segment
from quancheng.records.refs import resolve_many
from quancheng.records.services import put_record, put_record_file, register_blob
from quancheng.records.sm3 import compute_sm3_of, file_digests

from .models import Extraction

logger = logging.getLogger(__name__)

NOTE_NAME = "00-提取说明.pdf"
ZIP_CHUNK = 1024 * 1024
CHECKSUMS = ["sha256", "sha512"]


class ProductionError(Exception):
    """The package cannot be made (shown to the head, who may retry)."""


# --- progress ---------------------------------------------------------------------------------


def _progress(extraction: Extraction, percent: int, stage: str) -> None:
    # Operational state only (not record content), so no ledger event: the steps that matter
    # (start, note, result) have their own events.
    Extraction.objects.filter(pk=extraction.pk).update(progress=percent, stage=stage)


def claim(extraction_id: int) -> Extraction | None:
    """Take an approved extraction for production; None when another worker has it.

    A job run again after its worker died (jobs/leases.py) takes back the extraction it had
    claimed and starts over.
    """
    job = current_job()
    unclaimed = models.Q(production_started_at__isnull=True)
    if job is not None:
        unclaimed |= models.Q(production_job=job.task_id)
    with transaction.atomic(durable=True):
        won = (
            Extraction.objects.filter(pk=extraction_id, status=Extraction.Status.APPROVED)
            .filter(unclaimed)
            .update(
                production_started_at=timezone.now(),
                production_job=job.task_id if job else "",
                progress=1,
                stage="开始制作",
            )
        )
        if not won:
            return None
        extraction = Extraction.objects.get(pk=extraction_id)
        body = {"job": job.task_id, "attempt": job.attempt} if job else {}
        record_event(None, Action.EXTRACTION_PRODUCTION_STARTED, extraction, body)
    return extraction


# --- what goes in -----------------------------------------------------------------------------


def ordered_items(extraction: Extraction) -> list[models.Model]:
    refs = [(r["kind"], r["id"]) for r in extraction.items]
    found = resolve_many(refs)
    missing = [f"{k}:{pk}" for k, pk in refs if (k, pk) not in found]
    if missing:
        raise ProductionError(f"条目已不存在：{'、'.join(missing)}")
    return [found[ref] for ref in refs]


def bundle_file(item) -> BundleFile:
    """The file an item contributes: its stored original, or a data record's canonical JSON."""
    if isinstance(item, DataRecord):
        return BundleFile(
            safe_name(f"datarecord-{item.pk}.json"),
            item.sha256,
            canonical_bytes(item.data),
            sm3=item.sm3,
        )
    kind = "segment" if isinstance(item, Segment) else "document"
    name = item.original_filename or item.blob_id[:12]
    return BundleFile(safe_name(f"{kind}-{item.pk}-{name}"), item.blob_id)


def _maker(item) -> str:
    """制作人: the recording officer and device for AV, who made or stored it otherwise."""
    if isinstance(item, Segment):
        who = item.officer.full_name if item.officer else ""
        device = str(item.device) if item.device else ""
        return "；".join(p for p in (who, device) if p) or "—"
    maker = item.created_by.full_name if item.created_by else "系统"
    if isinstance(item, DataRecord) and item.device:
        return f"{maker}；{item.device}"
    return maker


def _recorded_at(item):
    if isinstance(item, Segment):
        return item.started_at
    if isinstance(item, DataRecord):
        return item.recorded_at
    return item.created_at


def _size(item, file: BundleFile) -> int:
    return len(file.content) if file.content is not None else item.blob.size


def note_rows(items, files) -> list[dict]:
    rows = []
    for number, (item, file) in enumerate(zip(items, files, strict=True), start=1):
        rows.append(
            {
                "number": number,
                "kind": item._meta.verbose_name,
                "label": str(item),
                "maker": _maker(item),
                "recorded_at": _recorded_at(item),
                "time_by_hand": isinstance(item, Segment) and item.time_by_hand,
                "path": f"data/files/{file.name}",
                "size": _size(item, file),
                "sha256": file.sha256,
            }
        )
    return rows


def note_context(extraction: Extraction, items, files, produced_at) -> dict:
    return {
        "extraction": extraction,
        "agency": extraction.agency,
        "act": extraction.act,
        "case": extraction.case,
        "rows": note_rows(items, files),
        "produced_at": timezone.localtime(produced_at),
        "decided_at": timezone.localtime(extraction.decided_at),
        "note_made_label": Action.EXTRACTION_NOTE_MADE.label,
    }


# --- the work ---------------------------------------------------------------------------------


def make_note(extraction: Extraction, items, files) -> BundleFile:
    """The extraction note (提取说明), rendered and signed like every platform document,
    stored as a blob and recorded (``extraction.note_made``) so the package's ledger part
    names its hash."""
    stored = certificates.active_certificate(extraction.agency)
    if stored is None:
        raise ProductionError(f"{extraction.agency.name}没有有效的签章证书，无法签署提取说明")
    pdf = render_template_pdf(
        "access/extraction_note_pdf.html",
        note_context(extraction, items, files, timezone.now()),
    )
    signed = sign_pdf(
        pdf,
        stored,
        reason="证据提取说明",
        location=extraction.agency.district or extraction.agency.name,
    )
    info = put_record(io.BytesIO(signed))
    with transaction.atomic(durable=True):
        blob = register_blob(info, extraction.agency)
        Extraction.objects.filter(pk=extraction.pk).update(note=blob)
        staged = record_event(
            None,
            Action.EXTRACTION_NOTE_MADE,
            extraction,
            {
                **file_digests(info.sha256),
                "size": info.size,
                "filename": NOTE_NAME,
                "certificate": stored.fingerprint,
            },
        )
    # The package's ledger part and checkpoint must include the note: wait for its seq.
    wait_for_event(staged)
    return BundleFile(NOTE_NAME, info.sha256)


def ledger_events(extraction: Extraction, items, upto: int) -> list[Event]:
    """The items' events and the extraction's own, up to the checkpoint's size (an item played
    meanwhile adds an event the checkpoint does not cover yet)."""
    q = models.Q(object_type=extraction._meta.label_lower, object_id=str(extraction.pk))
    for item in items:
        q |= models.Q(object_type=item._meta.label_lower, object_id=str(item.pk))
    return list(Event.objects.filter(q, seq__lte=upto).order_by("seq"))


def bag_info(extraction: Extraction, items) -> dict[str, str]:
    source = extraction.case or extraction.act
    return {
        "Source-Organization": extraction.agency.name,
        "External-Identifier": f"quancheng-extraction-{extraction.pk}",
        "External-Description": f"证据提取包：{source}",
        "Bagging-Date": timezone.localdate().isoformat(),
        "Contact-Name": extraction.requested_by.full_name or extraction.requested_by.username,
        "Bag-Count": "1 of 1",
        "Quancheng-Items": str(len(items)),
    }


def zip_directory(root: Path, target: Path) -> None:
    """Zip ``root`` under its own name, each file copied in chunks (no compression)."""
    with zipfile.ZipFile(target, "x", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for path in sorted(root.rglob("*")):
            if not path.is_file():
                continue
            arcname = f"{root.name}/{path.relative_to(root).as_posix()}"
            with open(path, "rb") as source, zf.open(arcname, "w", force_zip64=True) as out:
                shutil.copyfileobj(source, out, ZIP_CHUNK)


def build_package(extraction: Extraction, work: Path) -> Path:
    """Write the bag for the claimed extraction under ``work``; its zip's path."""
    items = ordered_items(extraction)
    files = [bundle_file(item) for item in items]
    signatures = signature_files(items, files)
    _progress(extraction, 10, "制作并签署提取说明")
    note = make_note(extraction, items, files)
    _progress(extraction, 25, "复制原始文件并附账本证明")
    # The SM3 of files still pending is computed now (a ledger event each), before the
    # checkpoint, so that the bundle proves both digests of every stored file.
    compute_sm3_of([f.sha256 for f in [note, *files, *signatures] if f.content is None])
    checkpoint = make_checkpoint() or Checkpoint.objects.order_by("-size").first()
    assert checkpoint is not None  # the ledger holds at least the events being exported
    bag_dir = work / f"extraction-{extraction.pk}"
    make_ledger_bundle(
        bag_dir,
        ledger_events(extraction, items, checkpoint.size),
        [note, *files, *signatures],
        object_type=extraction._meta.label_lower,
        object_id=str(extraction.pk),
    )
    _progress(extraction, 60, "生成 BagIt 清单（SHA-256、SHA-512）")
    bagit.make_bag(str(bag_dir), bag_info(extraction, items), checksums=CHECKSUMS)
    write_sm3_manifest(bag_dir)
    declare_bagit_1_0(bag_dir)
    _progress(extraction, 85, "打包")
    target = work / f"extraction-{extraction.pk}.zip"
    zip_directory(bag_dir, target)
    return target


def write_sm3_manifest(bag_dir: Path) -> None:
    """``manifest-sm3.txt``: every payload file's SM3, beside the SHA-256 and SHA-512 manifests.

    RFC 8493 §2.1.3 allows a bag several payload manifests, one per algorithm, each listing every
    payload file; ``bagit`` knows only hashlib's guaranteed algorithms and leaves this one alone,
    the offline verifier checks it (docs/export-packages.md). Saving the bag afterwards puts it
    in the tag manifests.
    """
    lines = []
    for path in sorted((bag_dir / "data").rglob("*")):
        if not path.is_file():
            continue
        with open(path, "rb") as f:
            digest = gmcrypto.sm3_file(f, ZIP_CHUNK)
        lines.append(f"{digest}  {_manifest_path(path.relative_to(bag_dir).as_posix())}\n")
    (bag_dir / "manifest-sm3.txt").write_text("".join(lines), encoding="utf-8")


def _manifest_path(path: str) -> str:
    # RFC 8493 §2.1.3: CR, LF and % in a file path are percent-encoded.
    return path.replace("%", "%25").replace("\n", "%0A").replace("\r", "%0D")


def declare_bagit_1_0(bag_dir: Path) -> None:
    """Declare ``BagIt-Version: 1.0`` (RFC 8493 §2.1.1) and re-make the tag manifests.

    The ``bagit`` library writes 0.97, the last draft; the bag is laid out as RFC 8493 says, so
    it says so. Saving the bag again re-hashes bagit.txt into the tag manifests.
    """
    (bag_dir / "bagit.txt").write_text(
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8"
    )
    bagit.Bag(str(bag_dir)).save()


def produce(extraction_id: int) -> Extraction | None:
    """Make and store the package of an approved extraction (the background task's body)."""
    extraction = claim(extraction_id)
    if extraction is None:
        return None
    try:
        with work_dir("extraction") as work:
            target = build_package(extraction, work)
            _progress(extraction, 95, "保存提取包")
            info = put_record_file(target)
            size = os.path.getsize(target)
    except Exception as e:  # every failure is shown to the head and logged; the head may retry
        logger.exception("extraction %s: production failed", extraction_id)
        return _failed(extraction, e)
    with transaction.atomic(durable=True):
        extraction = Extraction.objects.select_for_update().get(pk=extraction.pk)
        blob = register_blob(info, extraction.agency)
        note = Event.objects.filter(
            object_type=extraction._meta.label_lower,
            object_id=str(extraction.pk),
            action="extraction.note_made",
        ).latest("seq")
        extraction.status = Extraction.Status.PRODUCED
        extraction.package = blob
        extraction.produced_at = timezone.now()
        extraction.progress = 100
        extraction.stage = "已完成"
        extraction.error = ""
        extraction.save(
            update_fields=["status", "package", "produced_at", "progress", "stage", "error"]
        )
        record_event(
            None,
            Action.EXTRACTION_PRODUCED,
            extraction,
            {
                **file_digests(blob.sha256),
                "size": size,
                "filename": f"extraction-{extraction.pk}.zip",
                "items": extraction.items,
                "note_event": note.seq,
            },
        )
    return extraction


def _failed(extraction: Extraction, error: Exception) -> Extraction:
    message = str(error) if isinstance(error, ProductionError) else f"制作失败：{error}"
    return mark_failed(extraction.pk, message)


def abandon(extraction_id: int, reason: str) -> None:
    """The production job was given up after its worker died on every attempt (in the reaper's
    transaction: jobs.leases.reap)."""
    if Extraction.objects.filter(pk=extraction_id, status=Extraction.Status.APPROVED).exists():
        _mark_failed(extraction_id, f"制作中断：{reason}，已达重试上限；可重新制作")


@transaction.atomic(durable=True)
def mark_failed(extraction_id: int, message: str) -> Extraction:
    """The package could not be produced: the extraction fails with ``message``; a ledger event."""
    return _mark_failed(extraction_id, message)


def _mark_failed(extraction_id: int, message: str) -> Extraction:
    require_own_transaction("access.package._mark_failed")
    extraction = Extraction.objects.select_for_update().get(pk=extraction_id)
    extraction.status = Extraction.Status.FAILED
    extraction.error = message[:2000]
    extraction.stage = "制作失败"
    extraction.save(update_fields=["status", "error", "stage"])
    record_event(None, Action.EXTRACTION_FAILED, extraction, {"error": extraction.error})
    return extraction

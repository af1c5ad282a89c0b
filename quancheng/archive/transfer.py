"""Transfer to the archives (移交档案部门): a sealed dossier leaves as an archival transfer package.

1. The records custodian requests the transfer of a frozen dossier, naming the receiving body
   (:func:`request_transfer`);
2. the head of the dossier's agency, never the requester, refuses or approves
   (:func:`decide_transfer`); approving runs the 四性 checks again (occasion ``transfer``): a
   failure ends the transfer as 检测未通过 with its reasons;
3. the package is made (:func:`build_package`) and kept as a blob; the dossier is marked
   transferred (``Dossier.transferred_at``). Every step is a ledger event in its transaction.

The package (a ZIP, stored uncompressed, written file by file: no whole video in memory)::

    <dossier>/eep.xml                     DA/T 48 电子文件封装包: the dossier's and each record's
                                          metadata, SHA-256 and SM3, an SM2 signature block and
                                          the lock signature (schemas/eep-quancheng-1.xsd)
    <dossier>/ledger/                     the ledger bundle (ledger/bundle.py): the records under
                                          files/, their events with inclusion proofs, the signed
                                          checkpoint and both verifier keys; the table of
                                          contents and the 四性 report are files of it too

:func:`read_package` re-reads a package as the archives would: the XSD, both signatures, every
file's digests and the ledger bundle (the offline verifier).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from lxml import etree

from quancheng.documents.p7s import signature_files
from quancheng.jobs.leases import current_job
from quancheng.jobs.workdirs import work_dir
from quancheng.ledger.actions import Action
from quancheng.ledger.bundle import BundleFile, bundle_made_body, make_ledger_bundle, safe_name
from quancheng.ledger.checkpoints import make_checkpoint, sm2_signing_key
from quancheng.ledger.models import Checkpoint, Event
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.lib import gmcrypto
from quancheng.lib.canonical import canonical_bytes
from quancheng.offline.verify_bundle import verify_bundle
from quancheng.offline.verify_eep import SCHEMA, c14n, check_eep, schema, validate  # noqa: F401
from quancheng.orgs import approvals
from quancheng.orgs import capabilities as caps
from quancheng.records.models import DataRecord, Document, Segment
from quancheng.records.services import put_record_file, register_blob
from quancheng.records.sm3 import compute_sm3_of

from . import fourchecks
from .models import Dossier, DossierEntry, FourChecksReport, Transfer

if TYPE_CHECKING:
    from quancheng.orgs.models import User


logger = logging.getLogger(__name__)
EEP_VERSION = "2009"  # DA/T 48-2009
FORMAT_DESCRIPTION = (
    "本封装包依据中华人民共和国档案行业标准DA/T 48-2009《基于XML的电子文件封装规范》生成，"
    "由全程平台移交档案部门时封装"
)
SM3_OID = "1.2.156.10197.1.401"  # GM/T 0006: SM3
SM2_SM3_OID = "1.2.156.10197.1.501"  # GM/T 0006: SM2 signature with SM3
SIGNATURE_RULE = (
    "SM2（GB/T 32918.2-2016，默认用户标识1234567812345678）对被签名对象的规范化XML"
    "（Canonical XML 1.0）签名，摘要值为其SM3（GB/T 32905-2016）杂凑值"
)
LOCK_RULE = "SM2对被签名对象与电子签名块两者规范化XML的连接签名，锁定封装包"
CHUNK = 1024 * 1024
MAX_TEXT = 2000
KIND_LABELS = {"segment": "音像记录", "document": "执法文书", "datarecord": "电子数据"}


def _error(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


# --- 1. request ----------------------------------------------------------------------------------


def request_transfer(actor: User, dossier: Dossier, *, recipient: str, note: str = "") -> Transfer:
    """The custodian asks to transfer a frozen dossier to ``recipient`` (the archives)."""
    recipient = (recipient or "").strip()
    note = (note or "").strip()
    with transaction.atomic(durable=True):
        dossier = Dossier.objects.select_for_update().select_related("agency").get(pk=dossier.pk)
        caps.require(actor, caps.TRANSFER_REQUEST, dossier.agency)
        if dossier.status != Dossier.Status.FROZEN:
            raise _error("案卷尚未封卷归档，不能移交", "dossier_not_frozen")
        if dossier.transferred_at is not None:
            raise _error("案卷已移交档案部门", "already_transferred")
        if Transfer.objects.filter(dossier=dossier).open().exists():
            raise _error("该案卷已有待审批的移交申请", "transfer_pending")
        if not recipient:
            raise _error("请填写接收单位（档案馆或档案部门）", "recipient_required")
        if len(recipient) > 200 or len(note) > MAX_TEXT:
            raise _error("接收单位或移交说明过长", "too_long")
        transfer = Transfer.objects.create(
            agency=dossier.agency,
            dossier=dossier,
            recipient=recipient,
            note=note,
            requested_by=actor,
        )
        record_event(
            actor,
            Action.TRANSFER_REQUESTED,
            transfer,
            {"dossier": dossier.pk, "number": dossier.number, "recipient": recipient, "note": note},
        )
    return transfer


# --- 2. decide -----------------------------------------------------------------------------------


def decide_transfer(actor: User, transfer: Transfer, *, approve: bool, note: str = "") -> Transfer:
    """The head refuses, or approves: the decision is recorded and the packaging job queued.

    The job (:func:`package_transfer`) runs the 四性 checks again and makes the package; the
    transfer shows 打包中 with its progress meanwhile, and ends as 已移交, or as 检测未通过/失败
    with the reason.
    """
    note = (note or "").strip()[:MAX_TEXT]
    transfer = approvals.decide("transfer", transfer, actor, approve=approve, note=note)
    transfer.refresh_from_db()
    return transfer


def apply_transfer_decision(transfer: Transfer, actor: User, approve: bool, note: str) -> Transfer:
    """The transfer's own outcome (``approvals.decide`` calls it, in its transaction)."""
    require_own_transaction("apply_transfer_decision")  # inside approvals.decide()
    if not approve:
        transfer.status = Transfer.Status.REFUSED
        transfer.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        record_event(actor, Action.TRANSFER_REFUSED, transfer, {"note": note})
        return transfer
    transfer.status = Transfer.Status.PACKAGING
    transfer.stage = "等待打包"
    transfer.save(update_fields=["status", "stage", "decided_by", "decided_at", "decision_note"])
    record_event(
        actor,
        Action.TRANSFER_APPROVED,
        transfer,
        {"dossier": transfer.dossier_id, "recipient": transfer.recipient, "note": note},
    )
    _enqueue(transfer.pk)
    return transfer


def _enqueue(transfer_id: int) -> None:
    from .tasks import package_transfer_job

    transaction.on_commit(lambda: package_transfer_job.enqueue(transfer_id), robust=True)


# --- 2b. the packaging job ----------------------------------------------------------------------


def _progress(transfer: Transfer, percent: int, stage: str) -> None:
    # Operational state only (the steps that matter have their own ledger events).
    Transfer.objects.filter(pk=transfer.pk).update(progress=percent, stage=stage)


def _claim_packaging(transfer_id: int) -> Transfer | None:
    """Take an approved transfer for packaging; None when another job has it.

    A job run again after its worker died (jobs/leases.py) takes back the transfer it had
    claimed and carries on: steps already recorded (the 四性 report) are not done twice, and
    ``transfer.packaging_started`` is recorded once.
    """
    job = current_job()
    unclaimed = models.Q(packaging_started_at__isnull=True)
    if job is not None:
        unclaimed |= models.Q(packaging_job=job.task_id)
    with transaction.atomic(durable=True):
        first = Transfer.objects.filter(
            pk=transfer_id, status=Transfer.Status.PACKAGING, packaging_started_at__isnull=True
        ).exists()
        won = (
            Transfer.objects.filter(pk=transfer_id, status=Transfer.Status.PACKAGING)
            .filter(unclaimed)
            .update(
                packaging_started_at=timezone.now(),
                packaging_job=job.task_id if job else "",
                progress=5,
                stage="开始打包",
            )
        )
        if not won:
            return None
        transfer = Transfer.objects.select_related("agency", "dossier", "decided_by").get(
            pk=transfer_id
        )
        if first:
            body = {"job": job.task_id, "attempt": job.attempt} if job else {}
            record_event(None, Action.TRANSFER_PACKAGING_STARTED, transfer, body)
    return transfer


def _checked(transfer: Transfer) -> FourChecksReport:
    """The 四性 report at transfer: made once (a retried job reuses the one it recorded)."""
    if transfer.report is not None:
        return transfer.report
    _progress(transfer, 10, "四性检测")
    assert transfer.decided_by is not None  # packaging starts at the head's approval
    report = fourchecks.check_dossier(
        transfer.decided_by, transfer.dossier, FourChecksReport.Occasion.TRANSFER
    )
    with transaction.atomic(durable=True):
        Transfer.objects.filter(pk=transfer.pk).update(report=report)
        record_event(
            None, Action.TRANSFER_CHECKED, transfer, {"report": report.pk, "passed": report.passed}
        )
    transfer.report = report
    return report


def package_transfer(transfer_id: int) -> Transfer | None:
    """The packaging job's body: 四性 checks at transfer, then the package, stored; the
    transfer is marked 已移交 and the dossier transferred, together."""
    transfer = _claim_packaging(transfer_id)
    if transfer is None:
        return None
    try:
        report = _checked(transfer)
        if not report.passed and fourchecks.blocks():
            return mark_failed(transfer.pk, str(fourchecks.ChecksFailed(report)))
        with work_dir(f"transfer-{transfer.pk}") as work:
            package, bundle_body = build_package(transfer, report, work)
            _progress(transfer, 90, "保存移交包")
            info = put_record_file(package)
            sm3 = _sm3_of_file(package)
            size = package.stat().st_size
    except Exception as e:  # every failure ends the transfer with its reason, shown on its page
        logger.exception("transfer %s: packaging failed", transfer_id)
        message = "; ".join(e.messages) if isinstance(e, ValidationError) else str(e)
        return mark_failed(transfer.pk, f"移交包制作失败：{message}")
    with transaction.atomic(durable=True):
        transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if transfer.status != Transfer.Status.PACKAGING:
            return transfer
        blob = register_blob(info, transfer.agency)
        now = timezone.now()
        Transfer.objects.filter(pk=transfer.pk).update(
            status=Transfer.Status.TRANSFERRED,
            package_blob=blob,
            package_sm3=sm3,
            transferred_at=now,
            progress=100,
            stage="已完成",
            error="",
        )
        Dossier.objects.filter(pk=transfer.dossier_id).update(transferred_at=now)
        body = {
            "dossier": transfer.dossier_id,
            "recipient": transfer.recipient,
            "report": report.pk,
            "sha256": info.sha256,
            "sm3": sm3,
            "size": size,
        }
        record_event(
            transfer.decided_by,
            Action.LEDGER_BUNDLE_MADE,
            None,
            bundle_body,
            object_type=transfer._meta.label_lower,
            object_id=str(transfer.pk),
        )
        record_event(transfer.decided_by, Action.TRANSFER_PACKAGED, transfer, body)
        record_event(transfer.decided_by, Action.DOSSIER_TRANSFERRED, transfer.dossier, body)
    transfer.refresh_from_db()
    return transfer


@transaction.atomic(durable=True)
def mark_failed(transfer_id: int, message: str) -> Transfer:
    """End a packaging transfer as 检测未通过/失败 with the reason (the dossier stays)."""
    return _mark_failed(transfer_id, message)


def _mark_failed(transfer_id: int, message: str) -> Transfer:
    """mark_failed's body, in the caller's transaction (mark_failed's own, or the reaper's)."""
    require_own_transaction("archive.transfer._mark_failed")
    transfer = Transfer.objects.select_for_update().get(pk=transfer_id)
    if transfer.status != Transfer.Status.PACKAGING:
        return transfer
    transfer.status = Transfer.Status.FAILED
    transfer.error = message[:MAX_TEXT]
    transfer.stage = (
        "检测未通过" if transfer.report is not None and not transfer.report.passed else "失败"
    )
    transfer.save(update_fields=["status", "error", "stage"])
    record_event(
        None,
        Action.TRANSFER_FAILED,
        transfer,
        {"report": transfer.report_id, "reason": transfer.error},
    )
    return transfer


def abandon(transfer_id: int, reason: str) -> None:
    """The packaging job was given up after its worker died on every attempt (the jobs' reaper
    calls it inside its own transaction: jobs.leases.reap)."""
    _mark_failed(transfer_id, f"打包中断：{reason}，已达重试上限")


def _sm3_of_file(path: Path) -> str:
    with open(path, "rb") as f:
        return gmcrypto.sm3_file(f)


def package_for_download(actor: User, transfer: Transfer):
    """The package blob to hand to the archives (an access to record content: a ledger event)."""
    caps.require(actor, caps.TRANSFER_REQUEST, transfer.agency)
    if transfer.package_blob_id is None:
        raise _error("该移交尚未生成移交包", "no_package")
    with transaction.atomic(durable=True):
        record_event(
            actor,
            Action.TRANSFER_PACKAGE_DOWNLOADED,
            transfer,
            {"sha256": transfer.package_blob_id, "sm3": transfer.package_sm3},
        )
    return transfer.package_blob


# --- 3. the package ------------------------------------------------------------------------------


@dataclass
class _Record:
    entry: DossierEntry
    item: Segment | Document | DataRecord
    file: BundleFile
    created: Event


def _records(dossier: Dossier) -> list[_Record]:
    """The dossier's record items in table order, each with its file and creation event."""
    found = []
    models_: dict[str, type[Segment | Document | DataRecord]] = {
        "segment": Segment,
        "document": Document,
        "datarecord": DataRecord,
    }
    for entry in dossier.entries.order_by("position"):
        model = models_.get(entry.item_kind)
        if model is None:
            continue  # explanations and findings are in the table of contents
        item = model.objects.get(pk=entry.item_id)
        if isinstance(item, DataRecord):
            file = BundleFile(
                safe_name(f"{entry.position:03d}-datarecord-{item.pk}.json"),
                item.sha256,
                canonical_bytes(item.data),
            )
        else:
            name = item.original_filename or item.blob_id[:12]
            file = BundleFile(safe_name(f"{entry.position:03d}-{name}"), item.blob_id)
        created = Event.objects.for_object(item).get(action=f"{entry.item_kind}.created")
        found.append(_Record(entry, item, file, created))
    return found


def _events(dossier: Dossier, records: list[_Record], transfer: Transfer, upto: int):
    q = models.Q(object_type=dossier._meta.label_lower, object_id=str(dossier.pk))
    q |= models.Q(object_type=transfer._meta.label_lower, object_id=str(transfer.pk))
    for record in records:
        q |= models.Q(object_type=record.item._meta.label_lower, object_id=str(record.item.pk))
    return list(Event.objects.filter(q, seq__lte=upto).order_by("seq"))


def build_package(transfer: Transfer, report: FourChecksReport, work: Path) -> tuple[Path, dict]:
    """Write the transfer package of ``transfer`` under ``work``: the ZIP's path, and the body
    of the ledger bundle's ``ledger.bundle_made`` event (recorded by the caller)."""
    dossier = Dossier.objects.select_related("agency", "case", "act", "custodian").get(
        pk=transfer.dossier_id
    )
    key = sm2_signing_key()
    if key is None:
        raise _error("国密SM2签名不可用，不能生成移交包", "sm2_unavailable")
    records = _records(dossier)
    toc = fourchecks.current_toc_sha256(dossier)
    assert toc is not None  # stored when the dossier was frozen
    assert report.pdf_blob_id is not None  # stored with the report (fourchecks.check_dossier)
    attachments = [
        ("卷内目录", BundleFile(safe_name("卷内目录.pdf"), toc)),
        ("四性检测报告", BundleFile(safe_name("四性检测报告.pdf"), report.pdf_blob_id)),
    ]
    # A finalised document's detached SM2 signature travels beside its PDF in the ledger bundle
    # (its manifest names the PDF it signs; the offline verifier checks it).
    signatures = signature_files([r.item for r in records], [r.file for r in records])
    files = [r.file for r in records] + signatures + [f for _, f in attachments]
    # 1. Both digests of every stored file, proven: SM3 still pending is computed now (a ledger
    # event each), then a checkpoint covers everything the bundle proves.
    compute_sm3_of([f.sha256 for f in files if f.content is None])
    checkpoint = make_checkpoint() or Checkpoint.objects.order_by("-size").first()
    assert checkpoint is not None  # the dossier's own events are in the ledger
    root = work / safe_name(f"移交包-{dossier.number or dossier.pk}")
    events = _events(dossier, records, transfer, checkpoint.size)
    _progress(transfer, 30, "复制文件并附账本证明")
    # Its ledger.bundle_made event is recorded with the package's (package_transfer), so that a
    # job retried after a crash records the export once.
    make_ledger_bundle(root / "ledger", events, files, record=False)
    _progress(transfer, 70, "生成封装包并签名")
    # 2. The encapsulation, signed, checked against the schema before it leaves.
    listed = _listed(root / "ledger")
    eep = _eep(transfer, dossier, records, attachments, listed, checkpoint, len(events), key)
    validate(eep)
    (root / "eep.xml").write_bytes(
        etree.tostring(eep, xml_declaration=True, encoding="UTF-8", pretty_print=False)
    )
    # 3. The ZIP, file by file.
    target = work / f"transfer-{transfer.pk}.zip"
    _zip(root, target)
    return target, bundle_made_body(root / "ledger")


def _listed(bundle: Path) -> dict[str, dict]:
    """The bundle manifest's files by SHA-256 (path, size, SM3 as copied)."""
    import json

    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    return {f["sha256"]: f for f in manifest["files"]}


def _zip(root: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "x", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for path in sorted(root.rglob("*")):
            if not path.is_file():
                continue
            arcname = f"{root.name}/{path.relative_to(root).as_posix()}"
            with open(path, "rb") as source, zf.open(arcname, "w", force_zip64=True) as out:
                shutil.copyfileobj(source, out, CHUNK)


# --- the encapsulation (DA/T 48) -----------------------------------------------------------------


def _sub(parent, tag: str, text=None, **attrs):
    element = etree.SubElement(parent, tag, **attrs)
    if text is not None:
        element.text = str(text)
    return element


def _iso(moment: dt.datetime | None) -> str:
    # "" for a time the record lacks (localtime(None) would write the clock's).
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def _file_entity(block, record: _Record, listed: dict) -> None:
    entry, item = record.entry, record.item
    copied = listed[record.file.sha256]
    entity = _sub(block, "文件实体")
    _sub(entity, "顺序号", entry.position)
    _sub(entity, "类别", KIND_LABELS[entry.item_kind])
    _sub(entity, "题名", entry.title)
    _sub(entity, "计算机文件名", f"ledger/{copied['path']}")
    _sub(entity, "计算机文件大小", copied["size"])
    _sub(entity, "格式信息", _format_of(item))
    _sub(entity, "SHA256", record.file.sha256)
    _sub(entity, "SM3", copied["sm3"])
    _sub(entity, "登记事件序号", record.created.seq)
    if entry.supplement is not None:
        _sub(entity, "补充归档", entry.supplement.sequence)
    if isinstance(item, Segment):
        _av(entity, item)


def _format_of(item) -> str:
    if isinstance(item, DataRecord):
        return "application/json（结构化数据，规范化JSON）"
    if isinstance(item, Segment):
        parts = [item.container, item.video_codec, item.audio_codec]
        return "/".join(p for p in parts if p) or item.content_type
    return item.content_type or ("application/pdf" if item.file_kind == "pdf" else "image")


def _av(entity, segment: Segment) -> None:
    """DA/T 63's fields; the 四性 checks have made sure they are all there (when they block)."""
    act = segment.act
    people = [segment.officer] if segment.officer_id else list(act.officers.all()) if act else []
    av = _sub(entity, "音像元数据")
    _sub(av, "开始时间", _iso(segment.started_at))
    _sub(av, "结束时间", _iso(segment.ended_at))
    _sub(av, "地点", segment.label_place or (act.place if act else ""))
    _sub(av, "人物", "、".join(str(p) for p in people))
    _sub(av, "设备", str(segment.device))
    duration = segment.duration_seconds
    if not duration and segment.started_at and segment.ended_at:
        duration = (segment.ended_at - segment.started_at).total_seconds()
    _sub(av, "时长秒", f"{duration:.3f}" if duration is not None else "")
    _sub(av, "格式", _format_of(segment))


def _signature(parent, tag: str, ident: str, rule: str, data: bytes, key, signer: str):
    public = key.public_key()
    element = _sub(parent, tag)
    _sub(element, "签名标识符", ident)
    _sub(element, "签名规则", rule)
    _sub(element, "签名时间", _iso(timezone.now()))
    _sub(element, "签名人", signer)
    _sub(element, "摘要算法标识", SM3_OID)
    _sub(element, "摘要值", gmcrypto.sm3_hex(data))
    _sub(element, "签名算法标识", SM2_SM3_OID)
    _sub(element, "签名结果", base64.b64encode(key.sign(data)).decode())
    certificates = _sub(element, "证书块")
    _sub(certificates, "证书", base64.b64encode(public.der()).decode())
    _sub(element, "证书引证", f"SM3:{gmcrypto.sm3_hex(public.der())}")
    return element


def _eep(transfer, dossier, records, attachments, listed, checkpoint, n_events, key):
    root = etree.Element("电子文件封装包")
    _sub(root, "封装包格式描述", FORMAT_DESCRIPTION)
    _sub(root, "版本", EEP_VERSION)
    signed = _sub(root, "被签名对象", **{"eep版本": EEP_VERSION})
    _sub(signed, "封装包类型", "原始型")
    _sub(signed, "封装包类型描述", "案卷移交档案部门时的原始封装，封装后未经修改")
    _sub(signed, "封装包创建时间", _iso(timezone.now()))
    _sub(signed, "封装包创建单位", dossier.agency.name)
    content = _sub(signed, "封装内容")
    volume = _sub(content, "案卷")
    _sub(volume, "案卷号", dossier.number)
    _sub(volume, "案卷题名", dossier.title)
    _sub(volume, "案卷类别", dossier.get_kind_display())
    _sub(volume, "保管期限", dossier.get_retention_class_display())
    _sub(volume, "归档日期", dossier.archived_on.isoformat())
    if dossier.retain_until:
        _sub(volume, "保管期满日期", dossier.retain_until.isoformat())
    _sub(volume, "立档单位", dossier.agency.name)
    _sub(volume, "立卷人", str(dossier.custodian))
    source = dossier.case or dossier.act
    if dossier.case_id:
        _sub(volume, "案件编号", dossier.case.number)
    _sub(volume, "执法对象", str(source.subject) if source.subject_id else "")
    _sub(volume, "件数", len(records))
    _sub(volume, "移交接收单位", transfer.recipient)
    block = _sub(content, "文件实体块")
    for record in records:
        _file_entity(block, record, listed)
    for name, file in attachments:
        copied = listed[file.sha256]
        attachment = _sub(content, "附件")
        _sub(attachment, "名称", name)
        _sub(attachment, "计算机文件名", f"ledger/{copied['path']}")
        _sub(attachment, "SHA256", file.sha256)
        _sub(attachment, "SM3", copied["sm3"])
    bundle = _sub(content, "台账证据包")
    _sub(bundle, "目录", "ledger/")
    _sub(bundle, "检查点树大小", checkpoint.size)
    _sub(bundle, "事件数", n_events)
    signer = f"{dossier.agency.name}（全程平台）"
    signatures = _sub(root, "电子签名块")
    _signature(signatures, "电子签名", "签名1", SIGNATURE_RULE, c14n(signed), key, signer)
    _signature(
        root, "锁定签名", "锁定签名", LOCK_RULE, c14n(signed) + c14n(signatures), key, signer
    )
    return root


# --- reading a package back ----------------------------------------------------------------------


@dataclass
class PackageCheck:
    eep: object = None
    problems: list[str] = field(default_factory=list)
    files: int = 0
    ledger_report: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def read_package(path: Path, *, sm2_public_der: bytes | None = None) -> PackageCheck:
    """Re-read a transfer package: the XSD, the SM2 signatures (against ``sm2_public_der`` when
    given, as the archives would with the key obtained apart), every file's SHA-256, SM3 and
    size (``offline/verify_eep.py``), and the ledger bundle with the offline verifier."""
    import tempfile

    check = PackageCheck()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        tops = {n.split("/", 1)[0] for n in names}
        if len(tops) != 1 or any(".." in Path(n).parts or n.startswith("/") for n in names):
            check.problems.append("移交包的目录结构不正确")
            return check
        zf.extractall(tmp)
        root = Path(tmp) / tops.pop()
        check.eep, check.problems, check.files = check_eep(root, sm2_public_der)
        if check.eep is None:
            return check
        out = io.StringIO()
        if not verify_bundle(root / "ledger", out=out):
            check.problems.append("账本证据包核验未通过")
        check.ledger_report = out.getvalue()
    return check

"""四性检测: the authenticity, integrity, usability and security checks of a dossier's electronic
records (DA/T 70-2018 文书类电子档案检测一般要求; GB/T 39784-2021 电子档案管理系统通用功能要求),
run when the dossier is sealed (归档) and again when it is transferred (移交). docs/archive.md.

What is checked, per record item of the table of contents (卷内目录):

* **authenticity (真实性)**: the bytes re-hashed in one streaming pass: SHA-256 equal to the name
  the item was stored under and to the digest its creation event put in the ledger, SM3 (when
  computed) equal to the blob's and to the ledger's ``blob.sm3_computed`` event; the creation
  event's inclusion proof in the latest signed checkpoint (made first if the event is not yet
  covered); a PDF's electronic signatures valid (pyHanko, the platform's trusted roots);
* **integrity (完整性)**: every entry of the contents list names an item that exists, the entries
  are those the ledger's dossier events list (the count and the set), sizes agree, and each AV
  segment carries DA/T 63's fields (time, place, people, device, duration, format);
* **usability (可用性)**: every file opens (PDFs parse, images decode, media probe with PyAV),
  its format is on the long-term formats list, or the segment has a browser proxy;
* **security (安全性)**: the blobs sit on write-once storage, the events of the items and the
  dossier chain correctly (an altered or removed event breaks the chain), and at transfer
  nothing changed since sealing (the entries and the table of contents the ledger recorded).

Each check has an outcome: pass, warn (noted in the report, does not block: SM3 not yet computed,
a signer whose certificate is not among the trusted roots) or fail (blocks sealing and transfer
with its reason). The report is kept as a PDF blob of the dossier (:class:`FourChecksReport`) and
the run is the ledger event ``dossier.checked``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quancheng.documents.render import render_template_pdf
from quancheng.documents.validation import Status, validate_pdf_bytes
from quancheng.ledger import checkpoints
from quancheng.ledger.actions import Action
from quancheng.ledger.integrator import integrate_in_transaction
from quancheng.ledger.models import Checkpoint, Event
from quancheng.ledger.services import record_event
from quancheng.ledger.tree import inclusion_proof_for
from quancheng.lib import gmcrypto, merkle
from quancheng.lib.blobstore import BlobStore
from quancheng.lib.blobstore.local import LocalBlobStore
from quancheng.lib.blobstore.seekable import open_seekable
from quancheng.lib.canonical import canonical_bytes
from quancheng.records.models import DataRecord, Document, Segment
from quancheng.records.probe import Unreadable, probe
from quancheng.records.services import blob_store, put_record, register_blob

from .models import Dossier, FourChecksReport

if TYPE_CHECKING:
    from quancheng.orgs.models import User


Occasion = FourChecksReport.Occasion

AUTHENTICITY, INTEGRITY, USABILITY, SECURITY = "authenticity", "integrity", "usability", "security"
ASPECTS = {AUTHENTICITY: "真实性", INTEGRITY: "完整性", USABILITY: "可用性", SECURITY: "安全性"}
PASS, WARN, FAIL = "pass", "warn", "fail"
OUTCOMES = {PASS: "通过", WARN: "提示", FAIL: "未通过"}

CHUNK = 4 * 1024 * 1024
# PDFs up to this size have their signatures validated (pyHanko reads the signed ranges whole).
SIGNATURE_MAX_BYTES = 100 * 1024 * 1024

# Long-term preservation formats (长期保存格式), after GB/T 18894-2016 §7 (text: OFD, PDF, PDF/A;
# images: JPEG, TIFF, PNG; audio: WAV, MP3; video: MPEG-2, MP4 with H.264) and DA/T 63-2017 for
# audio-video. A segment in another format needs a proxy (浏览副本) in one of these.
LONG_TERM_IMAGES = {"JPEG", "TIFF", "PNG"}
LONG_TERM_MEDIA = {
    # container: (video codecs, audio codecs); "" = no such stream.
    "mp4": ({"h264", "hevc", ""}, {"aac", "mp3", ""}),
    "mpeg": ({"mpeg2video", "mpeg1video", ""}, {"mp2", "mp3", "ac3", ""}),
    "mpegts": ({"h264", "mpeg2video", "hevc", ""}, {"aac", "mp2", "mp3", "ac3", ""}),
    "wav": ({""}, {"pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_u8"}),
    "mp3": ({""}, {"mp3"}),
}
# DA/T 63-2017's audio-video fields the platform must hold for a segment (Chinese names).
AV_FIELDS = ("时间", "地点", "人物", "设备", "时长", "格式")


@dataclass(frozen=True)
class Result:
    aspect: str
    code: str
    item: str  # what was checked, e.g. "segment 12 a.mp4" or "案卷"
    outcome: str
    message: str

    @property
    def aspect_label(self) -> str:
        return ASPECTS[self.aspect]

    @property
    def outcome_label(self) -> str:
        return OUTCOMES[self.outcome]


class ChecksFailed(ValueError):
    """A failed 四性 check: sealing or transfer is refused; ``report`` says why."""

    code = "fourchecks_failed"

    def __init__(self, report: FourChecksReport):
        self.report = report
        failures = [r for r in report.results if r["outcome"] == FAIL]
        shown = "；".join(f"{r['item']}：{r['message']}" for r in failures[:5])
        more = f"等{len(failures)}项" if len(failures) > 5 else ""
        super().__init__(f"四性检测未通过（{shown}{more}），详见检测报告")


# --- the ledger: what it recorded about the dossier and its items -------------------------------


def _body(event: Event) -> dict:
    body = json.loads(event.body)
    return body if isinstance(body, dict) else {}


def recorded_entries(dossier: Dossier, *, until_frozen: bool = False) -> list[tuple[str, int]]:
    """The entries the ledger's dossier events list: the last assembly or refresh, then the
    supplements; with ``until_frozen``, as they stood when the dossier was frozen (plus later
    supplements, which are additions on the record)."""
    entries: list[tuple[str, int]] = []
    frozen_seen = False
    for event in Event.objects.for_object(dossier).order_by("seq"):
        body = _body(event)
        refs = [(str(k), int(i)) for k, i in body.get("entries", [])]
        if event.action in ("dossier.assembled", "dossier.refreshed") and not frozen_seen:
            entries = refs
        elif event.action == "dossier.supplemented":
            entries += [r for r in refs if r not in entries]
        elif event.action == "dossier.frozen":
            frozen_seen = True
            if until_frozen:
                entries = refs
    return entries


def current_toc_sha256(dossier: Dossier) -> str | None:
    """The table of contents as it stands: the last supplement's, else the sealed one (the same
    rule as dossiers.current_toc, which imports this module)."""
    last = dossier.supplements.exclude(toc_blob=None).order_by("-sequence").first()
    return last.toc_blob_id if last is not None else dossier.toc_blob_id


def _recorded_toc(dossier: Dossier) -> str | None:
    """The table of contents' SHA-256 the last freeze or supplement recorded."""
    toc = None
    for event in Event.objects.for_object(dossier).filter(
        action__in=("dossier.frozen", "dossier.supplemented")
    ):
        toc = _body(event).get("toc_sha256") or toc
    return toc


class _Proofs:
    """Inclusion proofs of events in one signed checkpoint, made first if needed."""

    def __init__(self, needed_seq: int):
        checkpoint = Checkpoint.objects.order_by("-size").first()
        if checkpoint is None or checkpoint.size < needed_seq:
            checkpoints._make_checkpoint()  # in check_dossier's transaction
            checkpoint = Checkpoint.objects.order_by("-size").first()
        if checkpoint is None:  # make_checkpoint signs none over an empty ledger
            raise RuntimeError("the ledger has no events: no checkpoint to prove items against")
        self.checkpoint = checkpoint
        self.error = ""
        try:
            checkpoints.verify_note(checkpoint.signed_note)
        except Exception as e:
            self.error = f"账本检查点签名无效：{e}"
        self.root = bytes.fromhex(checkpoint.root_hash)

    def verify(self, event: Event) -> str:
        """ "" when the event is in the signed tree, else why not."""
        if self.error:
            return self.error
        if event.seq > self.checkpoint.size:
            return f"账本事件#{event.seq}尚未被签名检查点覆盖"
        leaf = merkle.leaf_hash(event.entry_bytes())
        proof = inclusion_proof_for(event.seq, self.checkpoint.size)
        try:
            merkle.verify_inclusion(leaf, event.seq - 1, self.checkpoint.size, proof, self.root)
        except merkle.ProofError as e:
            return f"账本事件#{event.seq}的包含证明不成立：{e}"
        return ""


# --- storage -------------------------------------------------------------------------------------


def _write_once_reason(store: BlobStore, sha256: str) -> str:
    """ "" when the blob is on write-once storage, else why not."""
    # boto3 loads only where S3 is used, as lib.blobstore.make_store keeps it.
    from quancheng.lib.blobstore.s3 import S3BlobStore

    if isinstance(store, LocalBlobStore):
        try:
            mode = os.stat(store.path(sha256)).st_mode
        except OSError:
            return "存储中找不到该文件"
        if mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            return "文件可写，未处于只读（一次写入）状态"
        return ""
    if isinstance(store, S3BlobStore):
        try:
            store.check_bucket()  # Object Lock enabled on the bucket, else it raises
        except Exception as e:
            return f"对象存储未启用对象锁定（WORM）：{e}"
        return ""
    return f"未知的存储类型 {type(store).__name__}，无法确认一次写入"


def _stream_digests(store: BlobStore, sha256: str) -> tuple[str, str, int]:
    """SHA-256, SM3 and size of a blob, in one streaming pass."""
    sha, sm3, size = hashlib.sha256(), gmcrypto.sm3(), 0
    with store.open(sha256) as f:
        while chunk := f.read(CHUNK):
            sha.update(chunk)
            sm3.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), sm3.hexdigest(), size


# --- the checks ----------------------------------------------------------------------------------


class _Run:
    def __init__(self, dossier: Dossier, occasion: str, store: BlobStore | None):
        self.dossier = dossier
        self.occasion = occasion
        self.store = store or blob_store()
        self.results: list[Result] = []

    def add(self, aspect, code, item, outcome, message) -> None:
        self.results.append(Result(aspect, code, item, outcome, message))

    # 1. The contents list against the ledger and the database.
    def contents(self) -> list:
        entries = list(self.dossier.entries.order_by("position"))
        here = [(e.item_kind, e.item_id) for e in entries]
        recorded = recorded_entries(self.dossier)
        if sorted(here) == sorted(recorded) and len(here) == len(recorded):
            self.add(INTEGRITY, "contents", "卷内目录", PASS, f"共{len(here)}件，与账本记录一致")
        else:
            missing = sorted(set(recorded) - set(here))
            extra = sorted(set(here) - set(recorded))
            self.add(
                INTEGRITY,
                "contents_differ",
                "卷内目录",
                FAIL,
                f"卷内条目{len(here)}件，账本记录{len(recorded)}件；"
                f"缺少{_refs(missing)}；多出{_refs(extra)}",
            )
        items = []
        models: dict[str, type[Segment | Document | DataRecord]] = {
            "segment": Segment,
            "document": Document,
            "datarecord": DataRecord,
        }
        for entry in entries:
            model = models.get(entry.item_kind)
            if model is None:
                continue  # explanations and findings: rows of the database, not files
            related = () if model is DataRecord else ("blob",)
            item = model.objects.filter(pk=entry.item_id).select_related(*related).first()
            if item is None:
                self.add(INTEGRITY, "item_missing", entry.title, FAIL, "卷内目录所列材料不存在")
                continue
            items.append((entry, item))
        return items

    # 2. Each item.
    def item(self, entry, item, proofs: _Proofs) -> None:
        label = f"{entry.position}. {entry.title}"
        created = Event.objects.for_object(item).filter(action=f"{entry.item_kind}.created").first()
        if isinstance(item, DataRecord):
            self._data_record(label, item, created)
        else:
            self._stored_file(label, entry.item_kind, item, created)
        if created is None:
            self.add(AUTHENTICITY, "ledger_missing", label, FAIL, "账本中没有该材料的登记事件")
            return
        reason = proofs.verify(created)
        if reason:
            self.add(AUTHENTICITY, "proof_invalid", label, FAIL, reason)
        else:
            self.add(
                AUTHENTICITY,
                "proof",
                label,
                PASS,
                f"登记事件#{created.seq}包含于签名检查点（{proofs.checkpoint.size}）",
            )

    def _data_record(self, label, record: DataRecord, created) -> None:
        digest = hashlib.sha256(canonical_bytes(record.data)).hexdigest()
        if digest != record.sha256:
            self.add(AUTHENTICITY, "sha256_mismatch", label, FAIL, "数据内容与登记的SHA-256不符")
        elif created is not None and _body(created).get("sha256") != record.sha256:
            self.add(AUTHENTICITY, "ledger_mismatch", label, FAIL, "账本登记的SHA-256与数据不符")
        else:
            self.add(AUTHENTICITY, "sha256", label, PASS, f"SHA-256 {digest[:16]}…与账本一致")
        self._data_record_sm3(label, record, created)
        if isinstance(record.data, dict):
            self.add(USABILITY, "opens", label, PASS, "结构化数据可读取（JSON）")
        else:
            self.add(USABILITY, "unreadable", label, FAIL, "结构化数据不是JSON对象")

    def _data_record_sm3(self, label, record: DataRecord, created) -> None:
        """The SM3 of the canonical JSON against the record and the ledger: named by its
        creation event, or by the ``datarecord.sm3_computed`` event of the backfill."""
        if not record.sm3:
            self.add(AUTHENTICITY, "sm3_pending", label, WARN, "数据的SM3尚未登记")
            return
        if gmcrypto.sm3_hex(canonical_bytes(record.data)) != record.sm3:
            self.add(AUTHENTICITY, "sm3_mismatch", label, FAIL, "数据内容与登记的SM3不符")
            return
        named = [_body(created).get("sm3")] if created is not None else []
        named += [
            _body(e).get("sm3")
            for e in Event.objects.for_object(record).filter(action="datarecord.sm3_computed")
        ]
        named = [n for n in named if n]
        if not named:
            self.add(AUTHENTICITY, "sm3_not_in_ledger", label, FAIL, "账本中没有该数据的SM3记录")
        elif any(n != record.sm3 for n in named):
            self.add(AUTHENTICITY, "sm3_ledger_mismatch", label, FAIL, "账本登记的SM3与数据不符")
        else:
            self.add(AUTHENTICITY, "sm3", label, PASS, f"SM3 {record.sm3[:16]}…与账本一致")

    def _stored_file(self, label, kind, item, created) -> None:
        blob = item.blob
        try:
            sha, sm3, size = _stream_digests(self.store, blob.sha256)
        except (OSError, KeyError, LookupError) as e:
            self.add(INTEGRITY, "file_missing", label, FAIL, f"存储中读取不到文件：{e}")
            return
        # Authenticity: the bytes, their name and the ledger agree.
        recorded = _body(created).get("blob") if created is not None else None
        if sha != blob.sha256:
            self.add(AUTHENTICITY, "sha256_mismatch", label, FAIL, "文件的SHA-256与登记值不符")
        elif created is not None and recorded != blob.sha256:
            self.add(AUTHENTICITY, "ledger_mismatch", label, FAIL, "账本登记的SHA-256与文件不符")
        else:
            self.add(AUTHENTICITY, "sha256", label, PASS, f"SHA-256 {sha[:16]}…与账本一致")
        self._sm3(label, blob, sm3)
        if size == blob.size:
            self.add(INTEGRITY, "size", label, PASS, f"大小{size}字节，与登记一致")
        else:
            self.add(INTEGRITY, "size_mismatch", label, FAIL, f"大小{size}字节，登记为{blob.size}")
        reason = _write_once_reason(self.store, blob.sha256)
        if reason:
            self.add(SECURITY, "not_write_once", label, FAIL, reason)
        else:
            self.add(SECURITY, "write_once", label, PASS, "存储于一次写入（只读）介质")
        if kind == "document":
            self._document(label, item)
        else:
            self._segment(label, item)

    def _sm3(self, label, blob, sm3: str) -> None:
        if not blob.sm3:
            self.add(AUTHENTICITY, "sm3_pending", label, WARN, "SM3摘要尚未计算（SM3待计算）")
            return
        if sm3 != blob.sm3:
            self.add(AUTHENTICITY, "sm3_mismatch", label, FAIL, "文件的SM3与登记值不符")
            return
        in_ledger = any(
            _body(e).get("sm3") == blob.sm3
            for e in Event.objects.filter(
                object_type="records.blob", object_id=blob.sha256, action="blob.sm3_computed"
            )
        )
        if not in_ledger:
            self.add(AUTHENTICITY, "sm3_not_in_ledger", label, FAIL, "账本中没有该文件的SM3记录")
            return
        self.add(AUTHENTICITY, "sm3", label, PASS, f"SM3 {sm3[:16]}…与账本一致")

    def _document(self, label, document: Document) -> None:
        from pyhanko.pdf_utils.reader import PdfFileReader

        if document.file_kind == Document.FileKind.IMAGE:
            self._image(label, document)
            return
        try:
            with open_seekable(self.store, document.blob_id) as f:
                pages = int(PdfFileReader(f, strict=False).root["/Pages"]["/Count"])
        except Exception as e:
            self.add(USABILITY, "pdf_unreadable", label, FAIL, f"PDF无法解析：{e}")
            return
        self.add(USABILITY, "opens", label, PASS, f"PDF可解析，共{pages}页；PDF为长期保存格式")
        if document.blob.size > SIGNATURE_MAX_BYTES:
            self.add(AUTHENTICITY, "signature_not_checked", label, WARN, "文件过大，未验证电子签名")
            return
        with self.store.open(document.blob_id) as f:
            result = validate_pdf_bytes(f.read())
        if result.status in (Status.VALID, Status.UNSIGNED):
            self.add(AUTHENTICITY, "signature", label, PASS, result.label)
        elif result.status == Status.UNKNOWN_SIGNER:
            self.add(
                AUTHENTICITY, "signature_untrusted", label, WARN, result.detail or result.label
            )
        else:
            self.add(AUTHENTICITY, "signature_invalid", label, FAIL, result.detail or result.label)

    def _image(self, label, document: Document) -> None:
        from PIL import Image

        try:
            with open_seekable(self.store, document.blob_id) as f, Image.open(f) as image:
                fmt = image.format or ""
                image.verify()
        except Exception as e:
            self.add(USABILITY, "image_unreadable", label, FAIL, f"扫描图像无法解码：{e}")
            return
        if fmt in LONG_TERM_IMAGES:
            self.add(USABILITY, "opens", label, PASS, f"{fmt}图像可解码，为长期保存格式")
        else:
            self.add(USABILITY, "format", label, FAIL, f"{fmt or '未知'}格式不在长期保存格式之列")

    def _segment(self, label, segment: Segment) -> None:

        info = None
        try:
            with open_seekable(self.store, segment.blob_id) as f:
                info = probe(f)
        except Unreadable as e:
            self.add(USABILITY, "media_unreadable", label, FAIL, f"音视频无法解析：{e}")
        if info is not None:
            codecs = LONG_TERM_MEDIA.get(info.container)
            long_term = codecs is not None and (
                info.video_codec in codecs[0] and info.audio_codec in codecs[1]
            )
            fmt = "/".join(x for x in (info.container, info.video_codec, info.audio_codec) if x)
            if long_term:
                self.add(USABILITY, "opens", label, PASS, f"{fmt}可解析，为长期保存格式")
            elif segment.proxy_id:
                self.add(
                    USABILITY, "proxy", label, PASS, f"{fmt}不在长期保存格式之列，已有浏览副本"
                )
            else:
                self.add(
                    USABILITY,
                    "proxy_missing",
                    label,
                    FAIL,
                    f"{fmt}不在长期保存格式之列，且没有浏览副本",
                )
        missing = missing_av_fields(segment, info)
        if missing:
            self.add(
                INTEGRITY, "metadata_incomplete", label, FAIL, f"缺少元数据：{'、'.join(missing)}"
            )
        else:
            self.add(INTEGRITY, "metadata", label, PASS, "时间、地点、人物、设备、时长、格式齐全")

    # 3. The dossier as a whole.
    def ledger_chain(self, items) -> None:
        """The events of the items and the dossier hash and link correctly (their log is whole:
        an event altered, removed or inserted breaks the chain)."""
        events = list(Event.objects.for_object(self.dossier))
        for _, item in items:
            events += list(Event.objects.for_object(item))
        previous = dict(
            Event.objects.filter(seq__in={e.seq - 1 for e in events}).values_list("seq", "hash")
        )
        broken = [
            e.seq
            for e in events
            if e.compute_hash() != e.hash
            or e.prev_hash != previous.get(e.seq - 1, "0" * 64 if e.seq == 1 else None)
        ]
        if broken:
            shown = "、".join(f"#{s}" for s in sorted(broken)[:10])
            self.add(SECURITY, "ledger_broken", "访问与操作日志", FAIL, f"账本事件{shown}校验不符")
        else:
            self.add(
                SECURITY, "ledger", "访问与操作日志", PASS, f"{len(events)}条相关账本事件链接完整"
            )

    def since_sealing(self) -> None:
        if self.occasion == Occasion.SEALING:
            self.add(
                SECURITY, "baseline", "案卷", PASS, "封卷时建立基准（之后的改动由移交检测发现）"
            )
            return
        here = sorted(self.dossier.entries.values_list("item_kind", "item_id"))
        sealed = sorted(recorded_entries(self.dossier, until_frozen=True))
        toc = _recorded_toc(self.dossier)
        if here != sealed:
            self.add(SECURITY, "altered", "案卷", FAIL, "卷内条目与封卷（含补充归档）时的记录不符")
        elif toc and toc != current_toc_sha256(self.dossier):
            self.add(SECURITY, "altered", "案卷", FAIL, "卷内目录与封卷时记录的不符")
        else:
            self.add(SECURITY, "unaltered", "案卷", PASS, "封卷以来未被改动")

    def run(self) -> list[Result]:
        items = self.contents()
        needed = [
            e.seq
            for _, item in items
            for e in Event.objects.for_object(item).filter(action__endswith=".created")
        ]
        proofs = _Proofs(max(needed, default=1))
        for entry, item in items:
            self.item(entry, item, proofs)
        self.ledger_chain(items)
        self.since_sealing()
        self.checkpoint_size = proofs.checkpoint.size
        return self.results


def missing_av_fields(segment: Segment, info=None) -> list[str]:
    """DA/T 63's audio-video fields a segment lacks (time, place, people, device, duration,
    format), by their Chinese names."""
    act = segment.act
    present = {
        "时间": bool(segment.started_at and segment.ended_at),
        "地点": bool(segment.label_place or (act and act.place)),
        "人物": bool(segment.officer_id or (act and act.officers.exists())),
        "设备": bool(segment.device_id),
        "时长": bool(segment.duration_seconds or (info and info.duration_seconds)),
        "格式": bool(segment.container or info),
    }
    return [name for name in AV_FIELDS if not present[name]]


def _refs(refs: Iterable[tuple[str, int]]) -> str:
    refs = list(refs)
    return "、".join(f"{k}#{i}" for k, i in refs[:10]) if refs else "无"


# --- running and keeping the report --------------------------------------------------------------


def report_context(dossier: Dossier, report: FourChecksReport, results: list[Result]) -> dict:
    by_aspect = {aspect: [r for r in results if r.aspect == aspect] for aspect in ASPECTS}
    return {
        "dossier": dossier,
        "agency": dossier.agency,
        "report": report,
        "sections": [
            (label, by_aspect[aspect], all(r.outcome != FAIL for r in by_aspect[aspect]))
            for aspect, label in ASPECTS.items()
        ],
        "failures": [r for r in results if r.outcome == FAIL],
        "warnings": [r for r in results if r.outcome == WARN],
        "printed_at": timezone.localtime(report.checked_at),
    }


def _render(dossier, report, results) -> bytes:

    return render_template_pdf(
        "archive/fourchecks_pdf.html", report_context(dossier, report, results)
    )


def check_dossier(
    actor: User, dossier: Dossier, occasion: str, *, store: BlobStore | None = None
) -> FourChecksReport:
    """Run the 四性 checks on ``dossier`` and keep the report (PDF blob, ledger event).

    In a durable transaction of its own (freeze_dossier and the transfer's packaging job call it
    before theirs): a failed report is kept even though the sealing or transfer it was run for
    is refused.
    """
    if occasion not in Occasion.values:
        raise ValueError(f"unknown occasion {occasion!r}")
    with transaction.atomic(durable=True):
        # The proofs need every item's events in the tree, those this very transaction staged
        # included (a dossier made and sealed at once): integrate them here. Sealing is rare,
        # so holding the integrator's lease row until the commit costs other writers little.
        integrate_in_transaction()
        dossier = Dossier.objects.select_related("agency").get(pk=dossier.pk)
        run = _Run(dossier, occasion, store)
        results = run.run()
        report = FourChecksReport(
            dossier=dossier,
            occasion=occasion,
            passed=all(r.outcome != FAIL for r in results),
            checked_at=timezone.now(),
            checked_by=actor,
            results=[asdict(r) for r in results],
            checkpoint_size=run.checkpoint_size,
            entries=entry_refs(dossier),
        )
        info = put_record(io.BytesIO(_render(dossier, report, results)))
        report.pdf_blob = register_blob(info, dossier.agency)
        report.save()
        record_event(
            actor,
            Action.DOSSIER_CHECKED,
            dossier,
            {
                "report": report.pk,
                "occasion": occasion,
                "passed": report.passed,
                "failures": [[r.aspect, r.code, r.item] for r in results if r.outcome == FAIL],
                "warnings": sum(1 for r in results if r.outcome == WARN),
                "checks": len(results),
                "checkpoint_size": run.checkpoint_size,
                "entries": report.entries,
                "sha256": info.sha256,
            },
        )
    return report


def entry_refs(dossier: Dossier) -> list[list]:
    return sorted(map(list, dossier.entries.values_list("item_kind", "item_id")))


def blocks() -> bool:
    """Whether a failed check refuses sealing and transfer (QC_ARCHIVE_CHECKS_BLOCK)."""
    return bool(getattr(settings, "QC_ARCHIVE_CHECKS_BLOCK", True))


def latest_report(dossier: Dossier, occasion: str | None = None) -> FourChecksReport | None:
    qs = dossier.check_reports.all()
    if occasion:
        qs = qs.filter(occasion=occasion)
    return qs.order_by("-checked_at", "-pk").first()

"""Scanned documents read (扫描文书识别): the number (文号) and the written start and end times of
a paper document attached as a scan, proposed to the officer for confirmation.

1. The scan is turned into page images: a JPEG/PNG/TIFF as it is (every frame of a TIFF), an
   image-only PDF (no fonts: nothing but pictures of paper) rasterised at ``PDF_DPI`` by
   poppler's ``pdftoppm``. A PDF with text is no scan and is not read.
2. Every page is read with the shared OCR engine (content/ocr.py).
3. The number is the first text of the agency numbering form (…〔year〕serial号, documents/
   numbering.py); the times are found where the document catalogue puts them: the value beside
   the label of the type's ``started_at`` and ``ended_at`` fields (e.g. 开始时间 / 结束时间 of
   现场笔录), as the catalogue's rendering writes them (2026年11月16日 09时00分) or in the
   numeric forms written by hand (2026-11-16 09:00).
4. The reading is stored as a proposal (:class:`ScanReading`, ledger ``document.scan_read``);
   nothing is written on the document until a person confirms or corrects it
   (:func:`confirm_scan`, ledger ``document.scan_confirmed``), which checks the number against
   the register (documents/numbering.py: format, agency, unique) and queues the act's rules:
   A15-complete then compares the confirmed times with the AV (第十五条第（四）项).
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageSequence

from quancheng.compliance.hooks import schedule_evaluation
from quancheng.documents.models import DocumentType
from quancheng.documents.numbering import check_document_number
from quancheng.jobs.workdirs import work_dir
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.orgs import capabilities as caps
from quancheng.records.media import _readable_path
from quancheng.records.models import Document
from quancheng.records.sm3 import file_digests

from . import ocr
from .models import ScanReading

if TYPE_CHECKING:
    from quancheng.orgs.models import User


BEIJING = ZoneInfo("Asia/Shanghai")
PDF_DPI = 150  # A4 at 150 dpi: 1240 × 1754 pixels, enough for 10.5 pt text
MAX_PAGES = 20  # a scanned 执法文书 has a few pages; a bigger file is read in its first 20
PDFTOPPM_SECONDS = 300
# Labels of the time fields when the type is not in the catalogue.
DEFAULT_LABELS = {"started_at": ["开始时间"], "ended_at": ["结束时间"]}

# The number: region+sector+category+nature, 〔year〕, serial, 号. OCR reads the hexagonal
# brackets 〔〕 as [], （）, () or 【】 at times.
NUMBER_RE = re.compile(
    r"(?P<prefix>[\u4e00-\u9fff]{2,16})\s*[〔\[【（(]\s*(?P<year>(?:19|20)\d{2})\s*[〕\]】）)]"
    r"\s*(?P<serial>\d{1,6})\s*号"
)
TIME_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*[年\-/.]\s*(?P<mo>\d{1,2})\s*[月\-/.]\s*(?P<d>\d{1,2})\s*日?\s*"
    r"(?P<h>\d{1,2})\s*[时:：]\s*(?P<mi>\d{1,2})\s*(?:分|[:：]\s*(?P<s>\d{1,2})\s*秒?)?"
)


# --- pages ------------------------------------------------------------------------------------


def is_scan(document: Document) -> bool:
    """A scan image, or a PDF of the kind that might be one (checked for fonts when read)."""
    return document.source != "generated" and document.file_kind in (
        Document.FileKind.IMAGE,
        Document.FileKind.PDF,
    )


def pdf_has_text(path: Path) -> bool:
    """Whether a PDF carries fonts (text); an image-only PDF has none (poppler's pdffonts)."""
    out = subprocess.run(  # noqa: S603 (fixed program, our own file)
        ["pdffonts", str(path)],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=PDFTOPPM_SECONDS,
        check=True,
    ).stdout
    # Two header lines, then one line per font.
    return len([line for line in out.splitlines()[2:] if line.strip()]) > 0


def page_images(path: Path, file_kind: str, work: Path) -> Iterator[np.ndarray]:
    """RGB arrays of the scan's pages (at most MAX_PAGES)."""
    if file_kind == Document.FileKind.PDF:
        prefix = work / "page"
        subprocess.run(  # noqa: S603
            [  # noqa: S607
                "pdftoppm",
                "-r",
                str(PDF_DPI),
                "-gray",
                "-png",
                "-l",
                str(MAX_PAGES),
                str(path),
                str(prefix),
            ],
            check=True,
            capture_output=True,
            timeout=PDFTOPPM_SECONDS,
        )
        for page in sorted(work.glob("page*.png")):
            with Image.open(page) as image:
                yield np.asarray(image.convert("RGB"))
        return
    with Image.open(path) as image:
        for i, frame in enumerate(ImageSequence.Iterator(image)):
            if i >= MAX_PAGES:
                break
            yield np.asarray(frame.convert("RGB"))


# --- reading ----------------------------------------------------------------------------------


def parse_written_time(text: str) -> dt.datetime | None:
    match = TIME_RE.search(text)
    if match is None:
        return None
    try:
        return dt.datetime(
            int(match["y"]),
            int(match["mo"]),
            int(match["d"]),
            int(match["h"]),
            int(match["mi"]),
            int(match["s"] or 0),
            tzinfo=BEIJING,
        )
    except ValueError:
        return None


def find_number(lines: list[ocr.Line]) -> tuple[str, float] | None:
    for line in lines:
        match = NUMBER_RE.search(line.text.replace(" ", ""))
        if match:
            return f"{match['prefix']}〔{match['year']}〕{match['serial']}号", line.confidence
    return None


def time_labels(doc_type: str) -> dict[str, list[str]]:
    """Where the catalogue says the times appear: the labels of the type's time fields."""
    entry = DocumentType.objects.filter(name=doc_type).only("fields").first()
    if entry is None:
        return DEFAULT_LABELS
    labels = {
        f["name"]: [f["label"]]
        for f in entry.fields
        if f.get("name") in ("started_at", "ended_at") and f.get("label")
    }
    return {**DEFAULT_LABELS, **labels}


def find_labelled_time(
    lines: list[ocr.Line], labels: list[str]
) -> tuple[dt.datetime, float] | None:
    """The time written after one of the labels: in the label's own line, else in the line to
    its right on the same row (a table cell), else in the line just below."""
    for i, line in enumerate(lines):
        text = line.text.replace(" ", "")
        label = next((lb for lb in labels if lb in text), None)
        if label is None:
            continue
        moment = parse_written_time(text.split(label, 1)[1])
        if moment is not None:
            return moment, line.confidence
        row = [
            other
            for other in lines
            if other is not line
            and other.box[0] >= line.box[2] - 2
            and abs(other.middle_y - line.middle_y) < max(line.height, other.height) * 0.6
        ]
        for other in sorted(row, key=lambda o: o.box[0]):
            moment = parse_written_time(other.text)
            if moment is not None:
                return moment, min(line.confidence, other.confidence)
        below = lines[i + 1] if i + 1 < len(lines) else None
        if below is not None:
            moment = parse_written_time(below.text)
            if moment is not None:
                return moment, min(line.confidence, below.confidence)
    return None


def read_pages(pages: list[list[ocr.Line]], doc_type: str) -> dict:
    """The proposal from the pages' lines: number, started_at, ended_at and confidences."""
    labels = time_labels(doc_type)
    proposal: dict = {"number": "", "started_at": None, "ended_at": None, "confidences": {}}
    for lines in pages:
        if not proposal["number"]:
            number = find_number(lines)
            if number:
                proposal["number"], proposal["confidences"]["number"] = number
        for name in ("started_at", "ended_at"):
            if proposal[name] is None:
                found = find_labelled_time(lines, labels[name])
                if found:
                    proposal[name], proposal["confidences"][name] = found
    proposal["confidences"] = {k: round(v, 4) for k, v in proposal["confidences"].items()}
    return proposal


# --- scheduling and storing -------------------------------------------------------------------


def register_problem(document: Document, number: str) -> str:
    """What the register says against a number read or typed ("" when it may be used)."""
    if not number:
        return ""
    try:
        check_document_number(document.agency, number, exclude_pk=document.pk)
    except ValidationError as e:
        return e.messages[0]
    return ""


def schedule_scan_reading(document: Document) -> None:
    """Queue the reading of a new scanned document after its transaction has committed
    (``robust``: an unreachable queue does not undo the document; ``manage.py read_scans``
    picks it up)."""
    if not is_scan(document):
        return
    from .tasks import read_document_scan

    pk = document.pk
    transaction.on_commit(lambda: read_document_scan.enqueue(pk), robust=True)


def read_scan(document_id: int, *, force: bool = False) -> ScanReading | None:
    """Read a scanned document and store the proposal (ledger ``document.scan_read``). A PDF
    with text is not a scan: nothing is stored and None is returned."""
    document = Document.objects.select_related("blob").get(pk=document_id)
    existing = ScanReading.objects.filter(document=document).first()
    if existing is not None and existing.status != ScanReading.Status.PENDING and not force:
        return existing
    if existing is not None and existing.status == ScanReading.Status.CONFIRMED:
        return existing  # a person's confirmation is never overwritten by a machine
    pages: list[list[ocr.Line]] = []
    error = ""
    with work_dir("scan") as work, _readable_path(document.blob_id, work) as source:
        try:
            if document.file_kind == Document.FileKind.PDF and pdf_has_text(source):
                return None
            for image in page_images(source, document.file_kind, work):
                pages.append(ocr.read_lines(image))
        except (OSError, subprocess.SubprocessError, Image.DecompressionBombError) as e:
            error = f"无法读取扫描件：{e}"
    proposal = read_pages(pages, document.doc_type) if not error else None
    return _store(document, pages, proposal, error)


def _store(document, pages, proposal, error) -> ScanReading:
    # The reaper's transaction: jobs.leases._reap_one, which marks the job failed.
    # not durable: read_scan runs it alone; scan_abandoned, in the jobs reaper's transaction
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        reading, _ = ScanReading.objects.get_or_create(document=document)
        reading.engine = ocr.engine_version()
        reading.read_at = timezone.now()
        reading.error = error
        reading.pages = len(pages)
        reading.lines = [
            [n, line.text, round(line.confidence, 4)]
            for n, lines in enumerate(pages, 1)
            for line in lines
        ]
        if proposal is None:
            reading.status = ScanReading.Status.FAILED
        else:
            reading.proposed_number = proposal["number"]
            reading.proposed_started_at = proposal["started_at"]
            reading.proposed_ended_at = proposal["ended_at"]
            reading.confidences = proposal["confidences"]
            found = proposal["number"] or proposal["started_at"] or proposal["ended_at"]
            reading.status = ScanReading.Status.PROPOSED if found else ScanReading.Status.UNREADABLE
        reading.save()
        record_event(
            None,
            Action.DOCUMENT_SCAN_READ,
            document,
            {
                **file_digests(document.blob_id),
                "status": reading.status,
                "pages": reading.pages,
                "proposed_number": reading.proposed_number,
                "proposed_started_at": _iso(reading.proposed_started_at),
                "proposed_ended_at": _iso(reading.proposed_ended_at),
                "confidences": reading.confidences,
                "engine": reading.engine,
                "error": error,
            },
        )
    return reading


def scan_abandoned(document_id: int, reason: str) -> None:
    document = Document.objects.get(pk=document_id)
    _store(document, [], None, f"任务中止：{reason}")


def _iso(moment: dt.datetime | None) -> str | None:
    """UTC ISO 8601, so that equal moments read the same in the ledger."""
    return moment.astimezone(dt.UTC).isoformat() if moment else None


@transaction.atomic(durable=True)
def confirm_scan(
    actor: User,
    document: Document,
    *,
    number: str,
    started_at: dt.datetime | None,
    ended_at: dt.datetime | None,
) -> Document:
    """A person confirms or corrects what was read: the document's number and written times are
    set (ledger ``document.scan_confirmed`` with what was proposed and what was confirmed), the
    number checked against the register, the act's rules queued. Nothing is written on an error.
    """
    caps.require(actor, caps.SCAN_CONFIRM, document)
    document = (
        Document.objects.select_for_update(of=("self",))
        .select_related("agency")
        .get(pk=document.pk)
    )
    reading = ScanReading.objects.filter(document=document).first()
    if reading is None or reading.status in (ScanReading.Status.PENDING,):
        raise ValidationError("扫描件尚未识别，不能确认", code="not_read")
    number = (number or "").strip()
    if started_at and ended_at and ended_at < started_at:
        raise ValidationError({"ended_at": [ValidationError("结束时间早于开始时间", code="order")]})
    if number and number != document.number:
        check_document_number(document.agency, number, exclude_pk=document.pk)
    before = {
        "number": document.number,
        "written_started_at": _iso(document.written_started_at),
        "written_ended_at": _iso(document.written_ended_at),
    }
    document.number = number
    document.written_started_at = started_at
    document.written_ended_at = ended_at
    document.save(update_fields=["number", "written_started_at", "written_ended_at"])
    reading.status = ScanReading.Status.CONFIRMED
    reading.confirmed_by = actor
    reading.confirmed_at = timezone.now()
    reading.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    proposed = {
        "number": reading.proposed_number,
        "written_started_at": _iso(reading.proposed_started_at),
        "written_ended_at": _iso(reading.proposed_ended_at),
    }
    confirmed = {
        "number": number,
        "written_started_at": _iso(started_at),
        "written_ended_at": _iso(ended_at),
    }
    record_event(
        actor,
        Action.DOCUMENT_SCAN_CONFIRMED,
        document,
        {
            "proposed": proposed,
            "confirmed": confirmed,
            "before": before,
            "corrected": sorted(k for k in confirmed if confirmed[k] != proposed[k]),
        },
    )
    schedule_evaluation(document.act_id)  # A15-complete compares the times with the AV
    return document


def read_new_scan(sender, *, item: Document, **kwargs) -> None:
    """A new scanned document's number and times are read after its commit, proposed to
    confirm (records.signals.item_created)."""
    schedule_scan_reading(item)

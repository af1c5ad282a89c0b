"""Validating the electronic signatures of a stored PDF (验签) against the platform's roots.

Outcomes: valid (有效), altered (signed bytes changed, or changes after signing that the
signature does not allow), unknown signer (the chain does not reach a trusted root), unsigned,
invalid (the file or signature cannot be read). The file is only read, never changed.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils import timezone
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.records.models import Document
from quancheng.records.services import blob_store
from quancheng.records.sm3 import file_digests

from .models import SignatureCheck, TrustedCA
from .pdfsign import _pem_certs

if TYPE_CHECKING:
    from quancheng.orgs.models import User


logger = logging.getLogger(__name__)
Status = SignatureCheck.Status
# The worst outcome of several signatures decides.
_SEVERITY = [Status.VALID, Status.UNSIGNED, Status.UNKNOWN_SIGNER, Status.INVALID, Status.ALTERED]


@dataclass
class Result:
    status: str
    signers: list[dict] = field(default_factory=list)
    detail: str = ""

    @property
    def label(self) -> str:
        return Status(self.status).label


def _context() -> ValidationContext:
    roots = [c for ca in TrustedCA.objects.all() for c in _pem_certs(ca.certificate_pem)]
    return ValidationContext(trust_roots=roots, allow_fetching=False)


def _signer_name(cert) -> str:
    try:
        return cert.subject.native.get("common_name") or cert.subject.human_friendly
    except Exception:
        return ""


def validate_pdf_bytes(data: bytes) -> Result:
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = reader.embedded_signatures
    except PdfReadError as e:
        return Result(Status.INVALID, detail=f"无法读取 PDF：{e}")
    except Exception as e:
        logger.info("PDF unreadable for signature validation: %r", e)
        return Result(Status.INVALID, detail=f"无法读取 PDF：{e}")
    if not embedded:
        return Result(Status.UNSIGNED, detail="文件不含电子签名")
    context = _context()
    worst, signers, details = Status.VALID, [], []
    for sig in embedded:
        try:
            st = validate_pdf_signature(sig, context)
        except Exception as e:
            logger.info("signature %s unreadable: %s", sig.field_name, e)
            outcome, name, signed_at = Status.INVALID, "", None
            details.append(f"{sig.field_name}：无法验证（{e}）")
        else:
            name = _signer_name(st.signing_cert) if st.signing_cert else ""
            signed_at = st.signer_reported_dt.isoformat() if st.signer_reported_dt else None
            if not (st.intact and st.valid):
                outcome = Status.ALTERED
                details.append(f"{sig.field_name}：签名覆盖的内容与签名不符")
            elif not st.docmdp_ok:
                outcome = Status.ALTERED
                details.append(f"{sig.field_name}：签名后文件被修改")
            elif not st.trusted:
                outcome = Status.UNKNOWN_SIGNER
                details.append(f"{sig.field_name}：签名者证书不能追溯到平台信任的根证书")
            else:
                outcome = Status.VALID
        signers.append(
            {"field": sig.field_name, "signer": name, "signed_at": signed_at, "status": outcome}
        )
        if _SEVERITY.index(outcome) > _SEVERITY.index(worst):
            worst = outcome
    return Result(worst, signers, "；".join(details))


def validate_document(document) -> Result:
    """Validate a stored document's blob (a scan image is simply unsigned)."""

    if document.file_kind != "pdf":
        return Result(Status.UNSIGNED, detail="扫描图像不含电子签名")
    with blob_store().open(document.blob_id) as f:
        data = f.read()
    return validate_pdf_bytes(data)


def record_check(actor: User, document: Document, result: Result | None = None) -> SignatureCheck:
    """Store the result of validating a document at ingest (in the caller's transaction)."""
    require_own_transaction("documents.validation.record_check")
    result = result or validate_document(document)
    check, _ = SignatureCheck.objects.update_or_create(
        document=document,
        defaults={
            "status": result.status,
            "signers": result.signers,
            "detail": result.detail,
            "checked_at": timezone.now(),
        },
    )
    record_event(
        actor,
        Action.DOCUMENT_SIGNATURE_CHECKED,
        document,
        {"status": result.status, "signers": result.signers, **file_digests(document.blob_id)},
    )
    return check


def check_received_pdf(sender, *, item, actor: User, **kwargs) -> None:
    """A PDF from a terminal or an upload has its signatures validated when it is registered,
    the result kept beside the untouched file (records.signals.item_created); generated
    documents check themselves when signed."""
    if item.file_kind == Document.FileKind.PDF and item.source != "generated":
        record_check(actor, item)

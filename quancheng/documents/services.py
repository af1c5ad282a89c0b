"""Drafting, signing and finalising enforcement documents (文书制作、签名、定稿).

Every change is a ledger event in its own transaction: draft saved, signed by a party or an
officer (or the party's refusal, with reason and witness or photo/video), finalised. Finalising
(1) checks every required field and signature, naming each one missing (A15.4), (2) issues the
number from the locked counter, (3) renders the PDF, (4) signs it with the agency's certificate
(PAdES), (5) stores it as a records Document linked to the act. Steps 1-2 and step 5 are short
transactions of their own; rendering and signing run between them, outside any transaction, so
that they never hold the database's write lock (SQLite). A number reserved in step 2 stays with
its draft, explained by ``documentdraft.number_reserved``, until the draft is finalised with it;
a failure in between changes nothing else. A finalised document never changes; a
correction is a new draft linked to it, with a reason.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.cases.models import Act
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.lib.canonical import canonical_bytes
from quancheng.orgs import capabilities as caps
from quancheng.orgs.lockout import verify_secret
from quancheng.orgs.pins import verify_pin
from quancheng.records.items import _create_document
from quancheng.records.models import Document, RecordItem
from quancheng.records.services import put_record, register_blob
from quancheng.records.sm3 import file_digests

from . import certificates, numbering, sm2sign
from .fields import as_datetime, display_value, parse_value
from .models import AgencyCertificate, DocumentDraft, DocumentType, DraftSignature, PartyCopy
from .pdfsign import sign_pdf
from .render import render_pdf
from .validation import record_check, validate_pdf_bytes

if TYPE_CHECKING:
    from quancheng.orgs.models import User


MAX_SIGNATURE_BYTES = 512 * 1024
# Party-side signers a refusal, an absence or a witness can concern (行政强制法 第十八条;
# 卫生健康行政处罚程序规定 第五十五条: the recipient and those signing for them).
SIGNER_CAPACITIES = ["当事人", "被询问人", "被采样人", "受送达人", "签收人"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def data_sha256(data: dict) -> str:
    """SHA-256 (hex) of the RFC 8785 canonical JSON of a document's data."""
    return hashlib.sha256(canonical_bytes(data)).hexdigest()


def prefill(act: Act, doc_type: DocumentType) -> dict:
    """Values the act already knows (subject, officers, place, times, case)."""
    subject = act.subject
    officers = list(act.officers.all())
    known = {
        "party": subject.name,
        "party_address": subject.address,
        "credit_code": subject.credit_code,
        "legal_representative": subject.legal_representative,
        "phone": subject.phone,
        "place": act.place,
        "started_at": act.started_at.isoformat(),
        "ended_at": act.ended_at.isoformat(),
        "officers": "、".join(
            f"{o.full_name}（执法证号：{o.certificate_number}）"
            if o.certificate_number
            else o.full_name
            for o in officers
        ),
        "recorder": officers[-1].full_name if officers else "",
        # 70号 第十五条（一）: officers state who they are and show their credentials.
        "credentials_shown": "执法人员已向当事人表明身份并出示执法证件："
        + "、".join(
            f"{o.full_name}（{o.certificate_number}）" if o.certificate_number else o.full_name
            for o in officers
        )
        if officers
        else "",
        "interviewee": subject.legal_representative,
        "case_number": act.case.number if act.case else "",
        "cause": act.case.cause if act.case else "",
        "issued_on": timezone.localdate().isoformat(),
    }
    names = {f["name"] for f in doc_type.fields}
    return {k: v for k, v in known.items() if k in names and v}


def clean_data(doc_type: DocumentType, raw: dict) -> dict:
    """Parse submitted values by the type's fields; unknown names and bad values refused."""
    unknown = sorted(set(raw) - {f["name"] for f in doc_type.fields})
    if unknown:
        raise ValidationError({"data": f"未知的字段：{'、'.join(unknown)}"})
    data, problems = {}, []
    for f in doc_type.fields:
        try:
            value = parse_value(f, raw.get(f["name"]))
        except ValueError as e:
            problems.append(str(e))
            continue
        if value is not None:
            data[f["name"]] = value
    if problems:
        raise ValidationError({"data": problems})
    return data


def missing_fields(draft: DocumentDraft) -> list[str]:
    """Labels of the draft's required fields that are still empty."""
    return [
        f["label"]
        for f in draft.doc_type.fields
        if f.get("required") and draft.data.get(f["name"]) in (None, "", [])
    ]


def _current_signatures(draft: DocumentDraft):
    digest = data_sha256(draft.data)
    return [s for s in draft.signatures.all() if s.data_sha256 == digest]


def missing_signatures(draft: DocumentDraft) -> list[str]:
    """Who still has to sign the current content (a change of content needs new signatures)."""
    signed = _current_signatures(draft)
    missing = []
    signers = draft.doc_type.signers
    if "officers" in signers:
        done = {s.officer_id for s in signed if s.role == DraftSignature.Role.OFFICER}
        missing += [
            f"执法人员{o.full_name}的签名" for o in draft.act.officers.all() if o.pk not in done
        ]
    if "party" in signers and not any(s.role == DraftSignature.Role.PARTY for s in signed):
        missing.append("当事人签名（或拒签记录）")
    # 87号 第五条: a correction confirmed by the party needs the party's own signature (a
    # refusal does not confirm it; the agency's proofreading seal does instead).
    if draft.correction_confirmation == DocumentDraft.CorrectionConfirmation.PARTY and not any(
        s.role == DraftSignature.Role.PARTY and not s.refused for s in signed
    ):
        missing.append("当事人对更正的签名确认")
    if "witness" in signers and not any(s.role == DraftSignature.Role.WITNESS for s in signed):
        missing.append("见证人签名")
    return missing


def _check_type(act: Act, doc_type: DocumentType) -> None:
    if not doc_type.active or not doc_type.allows(act.kind):
        raise ValidationError(
            {
                "doc_type": ValidationError(
                    f"“{act.get_kind_display()}”不使用文书“{doc_type.name}”",
                    code="type_not_allowed",
                )
            }
        )


def create_draft(actor: User, act: Act, doc_type: DocumentType, data: dict | None = None):
    """Start a draft of a document type for an act, prefilled from the act (a ledger event)."""
    caps.require(actor, caps.DRAFT_EDIT, act)
    _check_type(act, doc_type)
    values = prefill(act, doc_type)
    if data:
        values.update(clean_data(doc_type, data))
    with transaction.atomic(durable=True):
        draft = DocumentDraft.objects.create(
            agency=act.agency, act=act, doc_type=doc_type, data=values, created_by=actor
        )
        record_event(
            actor,
            Action.DOCUMENTDRAFT_CREATED,
            draft,
            {"act": act.pk, "doc_type": doc_type.code, "data_sha256": data_sha256(values)},
        )
    return draft


def _refuse_if_final(draft: DocumentDraft) -> None:
    if draft.is_final:
        raise ValidationError(
            f"文书已定稿（{draft.number or draft.doc_type.name}），不能修改；"
            "如需更正请新建更正版本",
            code="already_final",
        )


def save_draft(actor: User, draft: DocumentDraft, data: dict) -> DocumentDraft:
    """Save a draft's data; refused once the draft is final (a ledger event when it changed)."""
    caps.require(actor, caps.DRAFT_EDIT, draft)
    values = clean_data(draft.doc_type, data)
    with transaction.atomic(durable=True):
        draft = DocumentDraft.objects.select_for_update().get(pk=draft.pk)
        _refuse_if_final(draft)
        if values == draft.data:
            return draft
        draft.data = values
        draft.updated_at = timezone.now()
        draft.save(update_fields=["data", "updated_at"])
        record_event(actor, Action.DOCUMENTDRAFT_SAVED, draft, {"data_sha256": data_sha256(values)})
    return draft


def decode_png(data_url: str) -> bytes:
    """The PNG bytes of a canvas's ``data:image/png;base64,…`` (or bare base64)."""
    text = (data_url or "").strip()
    if text.startswith("data:"):
        header, _, text = text.partition(",")
        if header != "data:image/png;base64":
            raise ValidationError({"image": "签名应为 PNG 图像"})
    try:
        png = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValidationError({"image": "签名图像编码无效"}) from e
    if not png.startswith(PNG_MAGIC):
        raise ValidationError({"image": "签名应为 PNG 图像"})
    if len(png) > MAX_SIGNATURE_BYTES:
        raise ValidationError({"image": "签名图像过大"})
    return png


def _signer(draft, role: str, officer, name: str) -> tuple[object, str]:
    if role == DraftSignature.Role.OFFICER:
        if officer is None or not draft.act.officers.filter(pk=officer.pk).exists():
            raise ValidationError({"officer": "签名的执法人员应是本次执法行为的执法人员"})
        return officer, officer.full_name
    if role not in DraftSignature.Role.values:
        raise ValidationError({"role": "签名人身份无效"})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "请填写签名人姓名"})
    return None, name


def signing_device(request) -> str:
    """Where a signature is captured: the terminal of an API token, or the browser session."""
    device = getattr(request, "device", None)
    if device is not None:
        return f"{device}"[:300]
    token = getattr(request, "api_token", None)
    if token is not None:
        return f"接口令牌 {token.pk}"
    address = request.META.get("REMOTE_ADDR", "")
    agent = request.META.get("HTTP_USER_AGENT", "")
    return f"浏览器 {address} {agent}"[:300]


def _authenticate_signer(actor: User, draft, officer, password: str, pin: str, request) -> str:
    """An officer's signature is given by that officer (电子签名法 art. 13): in their own session,
    or on the capturing officer's device (a shared terminal) with their password or their signing
    PIN (orgs/pins.py). A wrong one is logged and counts towards that officer's lockout (as a
    failed login from this address); while the lockout holds, none is checked."""
    if officer is None or officer.pk == actor.pk:
        caps.require(actor, caps.DRAFT_SIGN_AS_OFFICER, caps.SigningAs(draft, officer))
        return DraftSignature.Authentication.SESSION
    method: str
    if pin:
        method = DraftSignature.Authentication.PIN
        ok = officer.is_active and verify_pin(request, officer, pin)
    elif password:
        method = DraftSignature.Authentication.PASSWORD
        ok = officer.is_active and verify_secret(
            request, officer, lambda: officer.check_password(password)
        )
    else:
        method, ok = "", False
    if not ok:
        with transaction.atomic(durable=True):
            record_event(
                actor,
                Action.DOCUMENTDRAFT_SIGNER_REFUSED,
                draft,
                {"officer": officer.pk, "method": method or "none"},
            )
        raise PermissionDenied(
            f"执法人员{officer}的签名须由本人登录，或输入本人密码或签名PIN后签署"
        )
    caps.require(officer, caps.DRAFT_SIGN_AS_OFFICER, caps.SigningAs(draft, officer))
    return method


def add_signature(
    actor: User,
    draft,
    *,
    role: str,
    image: str,
    officer=None,
    name: str = "",
    password: str = "",
    pin: str = "",
    device: str = "",
    capacity: str = "",
    witness_identity: str = "",
    witness_id_number: str = "",
    request=None,
):
    """A handwritten signature captured on the signature page, kept as a PNG blob.

    1. whoever captures it is an officer of the act (the party signs on the officer's device,
       the officer's session recorded as witness);
    2. an officer's signature is authenticated as that officer's at this moment (a password or
       PIN is checked under the lockout rules of ``request``'s address);
    3. a witness (见证人, 行政强制法 第十八条) may sign any document, for any signer who refused
       or was absent (``capacity``: 当事人, 被询问人, 受送达人 …), with their identity recorded.
    """
    caps.require(actor, caps.DRAFT_SIGN_AS_PARTY, draft)
    _refuse_if_final(draft)
    officer, name = _signer(draft, role, officer, name)
    capacity, witness_identity, witness_id_number = (
        (capacity or "").strip()[:20],
        (witness_identity or "").strip()[:100],
        (witness_id_number or "").strip()[:40],
    )
    if role == DraftSignature.Role.WITNESS and not witness_identity:
        raise ValidationError({"witness_identity": "请填写见证人身份（如基层组织或所在单位代表）"})
    authentication: str = DraftSignature.Authentication.WITNESSED
    if role == DraftSignature.Role.OFFICER:
        authentication = _authenticate_signer(actor, draft, officer, password, pin, request)
    png = decode_png(image)
    info = put_record(io.BytesIO(png))
    with transaction.atomic(durable=True):
        draft = DocumentDraft.objects.select_for_update().get(pk=draft.pk)
        _refuse_if_final(draft)
        blob = register_blob(info, draft.agency)
        signature = DraftSignature.objects.create(
            draft=draft,
            role=role,
            officer=officer,
            name=name,
            image=blob,
            data_sha256=data_sha256(draft.data),
            recorded_by=actor,
            device=device[:300],
            authentication=authentication,
            capacity=capacity,
            witness_identity=witness_identity,
            witness_id_number=witness_id_number,
        )
        record_event(
            actor,
            Action.DOCUMENTDRAFT_SIGNED,
            draft,
            {
                "role": role,
                "officer": officer.pk if officer else None,
                "name": name,
                "capacity": capacity,
                "witness_identity": witness_identity,
                "witness_id_number": witness_id_number,
                "image_sha256": blob.sha256,
                "data_sha256": signature.data_sha256,
                "authentication": authentication,
                "device": signature.device,
            },
        )
    return signature


def record_refusal(
    actor: User,
    draft,
    *,
    name: str,
    reason: str,
    witness: str = "",
    evidence: str = "",
    witness_identity: str = "",
    witness_id_number: str = "",
    capacity: str = "当事人",
    absent: bool = False,
):
    """A party-side signer (当事人, 被询问人, 受送达人 …) refuses to sign or is absent: the reason,
    and a witness with their identity or a photo/video reference (行政强制法 第十八条（七）（八）;
    卫生健康行政处罚程序规定 第五十五条). It counts as the party's entry and is printed on the
    document."""
    caps.require(actor, caps.DRAFT_SIGN_AS_PARTY, draft)
    _refuse_if_final(draft)
    reason, witness, evidence, witness_identity, witness_id_number, capacity = (
        (reason or "").strip(),
        (witness or "").strip(),
        (evidence or "").strip(),
        (witness_identity or "").strip()[:100],
        (witness_id_number or "").strip()[:40],
        (capacity or "当事人").strip()[:20],
    )
    problems = {}
    if not (name or "").strip():
        problems["name"] = f"请填写{capacity}姓名"
    if not reason:
        problems["reason"] = "请填写不在场的情况" if absent else "请填写拒签原因"
    if not witness and not evidence:
        problems["witness"] = "拒签或不在场须有见证人，或注明拍照/录像记录"
    if witness and not witness_identity:
        problems["witness_identity"] = "请填写见证人身份（如基层组织或所在单位代表）"
    if problems:
        raise ValidationError(problems)
    with transaction.atomic(durable=True):
        draft = DocumentDraft.objects.select_for_update().get(pk=draft.pk)
        _refuse_if_final(draft)
        signature = DraftSignature.objects.create(
            draft=draft,
            role=DraftSignature.Role.PARTY,
            name=name.strip(),
            refused=True,
            absent=bool(absent),
            capacity=capacity,
            refusal_reason=reason,
            witness_name=witness,
            witness_identity=witness_identity,
            witness_id_number=witness_id_number,
            evidence_ref=evidence,
            data_sha256=data_sha256(draft.data),
            recorded_by=actor,
        )
        record_event(
            actor,
            Action.DOCUMENTDRAFT_PARTY_REFUSED,
            draft,
            {
                "name": signature.name,
                "capacity": capacity,
                "absent": signature.absent,
                "reason": reason,
                "witness": witness,
                "witness_identity": witness_identity,
                "witness_id_number": witness_id_number,
                "evidence": evidence,
            },
        )
    return signature


def finalisable(draft: DocumentDraft) -> bool:
    """Every required field and signature is there and the draft is not final yet."""
    return not draft.is_final and not missing_fields(draft) and not missing_signatures(draft)


def finalise_consequences(draft: DocumentDraft) -> list[str]:
    """What finalising (定稿) does, for the confirmation page and the API's refusal."""
    signed = "、".join(
        f"{s.get_role_display()}{s.name}{'（拒签）' if s.refused else ''}"
        for s in _current_signatures(draft)
    )
    number = (
        f"使用已预留的文号{draft.number}"
        if draft.number
        else "按本机构编号规则编定文号（编定后不收回）"
        if draft.doc_type.numbered
        else "不编文号"
    )
    stored = certificates.active_certificate(draft.agency)
    seal = f"加盖{draft.agency.name}的电子签章" + (f"（证书：{stored.subject}）" if stored else "")
    return [
        f"《{draft.doc_type.name}》{number}，生成 PDF 并{seal}",
        f"定稿的内容包括已有的签名：{signed or '无'}",
        "定稿后文书只读：不能修改内容或补签，错误只能另行制作更正版本，原文书保留",
        "定稿文书作为执法文书登记到本执法行为，记入不可篡改的操作日志",
    ]


def finalise(actor: User, draft: DocumentDraft) -> Document:
    """Finalise a complete draft: reserve its number, render and sign the PDF, then commit.

    Rendering and signing take seconds and hold no write transaction: on SQLite, where one
    writer at a time holds the database, other writers never wait for them. The number is
    reserved first (the counter and a ``documentdraft.number_reserved`` event in one short
    transaction) and stays with the draft: a crash or an error before the commit leaves it
    reserved, explained in the ledger, and the next finalisation of the draft uses it, so the
    numbering keeps no unexplained gap.
    """
    caps.require(actor, caps.DRAFT_FINALISE, draft)
    reservation = _reserve(actor, draft)
    signed = _render_signed(reservation)
    info = put_record(io.BytesIO(signed))
    # The detached SM2/SM3 signature beside PAdES, when the agency has an SM2 certificate.
    sm2 = sm2sign.sign_document_pdf(signed, draft.agency)
    sm2_info = put_record(io.BytesIO(sm2[1])) if sm2 is not None else None
    return _commit(actor, reservation, info, validate_pdf_bytes(signed), sm2, sm2_info)


@dataclass(frozen=True)
class _Reservation:
    draft: DocumentDraft
    number: str
    certificate: AgencyCertificate
    data_sha256: str
    signatures: tuple[int, ...]


def _reserve(actor: User, draft: DocumentDraft) -> _Reservation:
    """Steps 1-2, one short transaction: check completeness, reserve the number."""
    with transaction.atomic(durable=True):
        draft = DocumentDraft.objects.select_for_update().get(pk=draft.pk)
        _check_finalisable(draft)
        stored = certificates.active_certificate(draft.agency)
        if stored is None:
            raise ValidationError(f"{draft.agency.name}没有有效的签章证书", code="no_certificate")
        if draft.doc_type.numbered and not draft.number:
            year = timezone.localdate().year
            draft.number = numbering.issue_number(
                draft.agency, draft.doc_type, draft.act.subject, year
            )
            draft.save(update_fields=["number"])
            record_event(
                actor, Action.DOCUMENTDRAFT_NUMBER_RESERVED, draft, {"number": draft.number}
            )
        return _Reservation(
            draft,
            draft.number,
            stored,
            data_sha256(draft.data),
            tuple(s.pk for s in _current_signatures(draft)),
        )


def _check_finalisable(draft: DocumentDraft) -> None:
    _refuse_if_final(draft)
    # Every required field and signature (A15.4), each missing one named.
    problems = [f"缺少必填项：{label}" for label in missing_fields(draft)]
    problems += [f"缺少{who}" for who in missing_signatures(draft)]
    if problems:
        raise ValidationError([ValidationError(p, code="incomplete") for p in problems])


def _render_signed(reservation: _Reservation) -> bytes:
    """Steps 3-4, outside any transaction: render the final PDF and sign it (its signature is
    validated outside too, before the commit records the result)."""
    draft = reservation.draft
    pdf = render_pdf(draft, number=reservation.number, final=True)
    return sign_pdf(
        pdf,
        reservation.certificate,
        reason=f"{draft.doc_type.name}定稿",
        location=draft.agency.district or draft.agency.name,
    )


def _commit(
    actor: User, reservation: _Reservation, info, check, sm2=None, sm2_info=None
) -> Document:
    """Step 5, one short transaction: register the signed PDF as the act's document, provided
    the draft is still what was rendered."""
    with transaction.atomic(durable=True):
        draft = DocumentDraft.objects.select_for_update().get(pk=reservation.draft.pk)
        _refuse_if_final(draft)
        # Unchanged data and signatures: still complete, as checked at the reservation.
        signatures = tuple(s.pk for s in _current_signatures(draft))
        if data_sha256(draft.data) != reservation.data_sha256 or signatures != (
            reservation.signatures
        ):
            raise ValidationError("文书在定稿过程中被修改，请重新定稿", code="changed")
        number = reservation.number
        blob = register_blob(info, draft.agency)
        document = _create_document(
            actor,
            agency=draft.agency,
            blob=blob,
            source=RecordItem.Source.GENERATED,
            act=draft.act,
            file_kind=Document.FileKind.PDF,
            content_type="application/pdf",
            original_filename=f"{draft.doc_type.name}{number or draft.pk}.pdf",
            doc_type=draft.doc_type.name,
            number=number,
            written_started_at=as_datetime(draft.data.get("started_at")),
            written_ended_at=as_datetime(draft.data.get("ended_at")),
        )
        draft.status = DocumentDraft.Status.FINAL
        draft.document = document
        draft.finalised_at = timezone.now()
        draft.save(update_fields=["status", "document", "finalised_at"])
        record_event(
            actor,
            Action.DOCUMENTDRAFT_FINALISED,
            draft,
            {
                "number": number,
                "document": document.pk,
                **file_digests(blob.sha256),
                "data_sha256": reservation.data_sha256,
                "certificate": reservation.certificate.fingerprint,
                "signatures": list(signatures),
            },
        )
        record_check(actor, document, check)
        if sm2 is not None:
            stored, _, signed_at = sm2
            sm2_blob = register_blob(sm2_info, draft.agency)
            sm2sign.record_signature(actor, document, sm2_blob, stored, signed_at)
    return document


def start_correction(
    actor: User, draft: DocumentDraft, reason: str, confirmation: str = ""
) -> DocumentDraft:
    """A correction (更正): a new draft linked to the finalised one, which stays as it is.

    87号 第五条: what is corrected is struck through with the correction beside it, confirmed
    by the party's signature or the agency's proofreading seal (校对章). ``confirmation`` picks
    one; by default the party confirms when the type has a party signer, else the seal.
    """
    caps.require(actor, caps.DRAFT_EDIT, draft)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写更正原因"})
    draft = DocumentDraft.objects.select_related("doc_type").get(pk=draft.pk)
    if not draft.is_final:
        raise ValidationError("草稿可直接修改，无需更正")
    choices = DocumentDraft.CorrectionConfirmation
    if not confirmation:
        confirmation = choices.PARTY if "party" in draft.doc_type.signers else choices.SEAL
    if confirmation not in choices.values:
        raise ValidationError({"confirmation": "更正确认方式应为当事人签名或加盖校对章"})
    with transaction.atomic(durable=True):
        correction = DocumentDraft.objects.create(
            agency=draft.agency,
            act=draft.act,
            doc_type=draft.doc_type,
            data=dict(draft.data),
            previous=draft,
            correction_reason=reason,
            correction_confirmation=confirmation,
            created_by=actor,
        )
        record_event(
            actor,
            Action.DOCUMENTDRAFT_CORRECTION_STARTED,
            correction,
            {
                "previous": draft.pk,
                "previous_number": draft.number,
                "reason": reason,
                "confirmation": confirmation,
            },
        )
    return correction


def corrected_fields(draft: DocumentDraft) -> dict[str, dict]:
    """What a correction changed against the version it corrects: ``{name: {"old", "new"}}``
    as shown on the document (empty values as "/")."""
    previous = draft.previous
    if previous is None:
        return {}
    changes = {}
    for f in draft.doc_type.fields:
        old, new = previous.data.get(f["name"]), draft.data.get(f["name"])
        if old == new:
            continue
        changes[f["name"]] = {"old": display_value(f, old), "new": display_value(f, new)}
    return changes


def make_party_copy(actor: User, draft: DocumentDraft, layout: str = "a4") -> PartyCopy:
    """The party's copy (当事人联) of a finalised document, A4 or 80 mm thermal (87号 第五条:
    documents are made in two copies, one for the party).

    1. rendered from the finalised content and signatures, marked 当事人联, with the number
       the document carries, and signed with the agency's certificate (outside any
       transaction, like finalising);
    2. stored as a blob and recorded (``documentdraft.party_copy_made``) in one transaction.
    """
    caps.require(actor, caps.DRAFT_FINALISE, draft)
    if layout not in PartyCopy.Layout.values:
        raise ValidationError({"layout": "版式应为 A4 或 80毫米热敏打印"})
    draft = DocumentDraft.objects.select_related("doc_type", "agency").get(pk=draft.pk)
    if not draft.is_final:
        raise ValidationError("文书定稿后才能打印当事人联", code="not_final")
    stored = certificates.active_certificate(draft.agency)
    if stored is None:
        raise ValidationError(f"{draft.agency.name}没有有效的签章证书", code="no_certificate")
    pdf = render_pdf(
        draft,
        number=draft.number,
        final=True,
        layout=layout,
        copy_label="当事人联",
        signatures=_current_signatures(draft),
    )
    signed = sign_pdf(
        pdf,
        stored,
        reason=f"{draft.doc_type.name}当事人联",
        location=draft.agency.district or draft.agency.name,
    )
    info = put_record(io.BytesIO(signed))
    with transaction.atomic(durable=True):
        blob = register_blob(info, draft.agency)
        copy = PartyCopy.objects.create(
            agency=draft.agency, draft=draft, layout=layout, blob=blob, created_by=actor
        )
        record_event(
            actor,
            Action.DOCUMENTDRAFT_PARTY_COPY_MADE,
            draft,
            {
                "copy": copy.pk,
                "layout": layout,
                "number": draft.number,
                "sha256": blob.sha256,
                "document": draft.document_id,
            },
        )
    return copy


RECEIPT_CODE = "songda-huizhi"


def record_party_copy_served(actor: User, copy: PartyCopy, receipt: DocumentDraft) -> PartyCopy:
    """Record the party's copy as served against a finalised 送达回执 of the same party that
    names the document served (by its name or number)."""
    caps.require(actor, caps.DRAFT_FINALISE, copy.draft)
    with transaction.atomic(durable=True):
        copy = (
            PartyCopy.objects.select_for_update().select_related("draft__doc_type").get(pk=copy.pk)
        )
        receipt = DocumentDraft.objects.select_related("doc_type").get(pk=receipt.pk)
        draft = copy.draft
        problems = []
        if copy.receipt_id is not None:
            problems.append("该当事人联已登记送达")
        if receipt.doc_type.code != RECEIPT_CODE or not receipt.is_final:
            problems.append("应选择已定稿的送达回执")
        elif receipt.agency_id != draft.agency_id or receipt.act.subject_id != (
            draft.act.subject_id
        ):
            problems.append("送达回执与文书的当事人不一致")
        else:
            served = receipt.data.get("served_document", "")
            if draft.doc_type.name not in served and not (draft.number and draft.number in served):
                problems.append(f"送达回执未载明送达的文书“{draft.doc_type.name}”")
        if problems:
            raise ValidationError(problems, code="receipt_mismatch")
        copy.receipt = receipt
        copy.served_at = timezone.now()
        copy.save(update_fields=["receipt", "served_at"])
        record_event(
            actor,
            Action.DOCUMENTDRAFT_PARTY_COPY_SERVED,
            draft,
            {
                "copy": copy.pk,
                "layout": copy.layout,
                "receipt": receipt.pk,
                "receipt_document": receipt.document_id,
                "receipt_number": receipt.number,
            },
        )
    return copy

"""Document pages (文书): new document on an act, fill the draft, preview, signature page,
finalise, correct."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from quancheng.access.enforce import access_body, require
from quancheng.cases.models import Act
from quancheng.documents import services
from quancheng.documents.catalogue import types_for_act_kind
from quancheng.documents.fields import input_value
from quancheng.documents.models import (
    DocumentDraft,
    DocumentType,
    DraftSignature,
    PartyCopy,
    Sm2DocumentSignature,
)
from quancheng.documents.render import render_pdf
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_atomic
from quancheng.lib import confirm
from quancheng.orgs import capabilities as caps
from quancheng.orgs.lockout import SecretThrottled
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.records.http import serve_blob, served_range
from quancheng.records.models import Document
from quancheng.records.sm3 import file_digests

if TYPE_CHECKING:
    from quancheng.orgs.models import User


def _draft(request, pk) -> DocumentDraft:
    return get_visible_or_404(
        DocumentDraft.objects.select_related("act__subject", "doc_type", "agency", "document"),
        request.user,
        pk=pk,
    )


def _messages(error: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(error, PermissionDenied):
        return [str(error) or "无权执行该操作"]
    return error.messages


@require_http_methods(["GET", "POST"])
def draft_new(request, act_id):
    act = get_visible_or_404(
        Act.objects.select_related("subject", "agency"), request.user, pk=act_id
    )
    caps.require(request.user, caps.DRAFT_EDIT, act)
    types = types_for_act_kind(act.kind)
    if request.method == "POST":
        doc_type = get_object_or_404(DocumentType, code=request.POST.get("doc_type", ""))
        try:
            draft = services.create_draft(request.user, act, doc_type)
        except ValidationError as e:
            for m in _messages(e):
                messages.error(request, m)
        else:
            messages.success(request, f"已新建{doc_type.name}草稿，相关信息已从执法行为带入")
            return redirect(draft)
    return render(request, "documents/draft_new.html", {"act": act, "types": types})


def _field_rows(draft, values=None):
    rows = []
    for f in draft.doc_type.fields:
        if values is not None:
            value = values.get(f["name"], "")
        else:
            value = input_value(f, draft.data.get(f["name"]))
        rows.append({"field": f, "value": value, "input_type": _input_type(f)})
    return rows


def _input_type(field) -> str:
    return {"date": "date", "datetime": "datetime-local"}.get(field.get("type"), "text")


@require_http_methods(["GET", "POST"])
def draft_detail(request, pk):
    draft = _draft(request, pk)
    require(request, draft, "view")
    can_change = caps.can(request.user, caps.DRAFT_EDIT, draft)
    values = None
    if request.method == "POST":
        caps.require(request.user, caps.DRAFT_EDIT, draft)
        values = {f["name"]: request.POST.get(f["name"], "") for f in draft.doc_type.fields}
        try:
            services.save_draft(request.user, draft, values)
        except ValidationError as e:
            for m in _messages(e):
                messages.error(request, m)
        else:
            messages.success(request, "草稿已保存")
            return redirect(draft)
    return render(
        request,
        "documents/draft_detail.html",
        {
            "draft": draft,
            "act": draft.act,
            "rows": _field_rows(draft, values),
            "signatures": draft.signatures.select_related("officer", "recorded_by"),
            "missing_fields": services.missing_fields(draft),
            "missing_signatures": services.missing_signatures(draft),
            "can_change": can_change and not draft.is_final,
            "can_correct": can_change and draft.is_final,
            "corrections": draft.corrections.all(),
            "party_copies": draft.party_copies.select_related("receipt"),
            "receipts": _receipts(draft) if can_correct_or_copy(request.user, draft) else [],
            "copy_layouts": PartyCopy.Layout.choices,
        },
    )


def can_correct_or_copy(user: User, draft) -> bool:
    return draft.is_final and caps.can(user, caps.DRAFT_FINALISE, draft)


def _receipts(draft):
    """Finalised 送达回执 of the same agency and party, to record a party's copy against."""
    return DocumentDraft.objects.filter(
        agency=draft.agency,
        act__subject=draft.act.subject_id,
        doc_type__code=services.RECEIPT_CODE,
        status=DocumentDraft.Status.FINAL,
    ).order_by("-finalised_at")[:20]


def draft_preview(request, pk):
    """The draft as a PDF (unnumbered, marked 草稿), shown inline."""
    draft = _draft(request, pk)
    require(request, draft, "view")
    pdf = render_pdf(draft, number=draft.number, final=False)
    # Rendered first, so the write lock is not held while the PDF is laid out.
    record_atomic(
        request.user,
        Action.DOCUMENTDRAFT_PREVIEWED,
        draft,
        {"doc_type": draft.doc_type.code, **access_body(request)},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="preview.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def draft_sign(request, pk):
    """The signature page (签名页): party and officers sign on a canvas with pen, touch or mouse."""
    draft = _draft(request, pk)
    caps.require(request.user, caps.DRAFT_SIGN_AS_PARTY, draft)
    status = 200
    if request.method == "POST":
        officer = None
        if request.POST.get("role") == DraftSignature.Role.OFFICER:
            officer = draft.act.officers.filter(pk=request.POST.get("officer") or 0).first()
        try:
            signature = services.add_signature(
                request.user,
                draft,
                role=request.POST.get("role", ""),
                officer=officer,
                name=request.POST.get("name", ""),
                image=request.POST.get("image", ""),
                password=request.POST.get("password", ""),
                pin=request.POST.get("pin", ""),
                device=services.signing_device(request),
                capacity=request.POST.get("capacity", ""),
                witness_identity=request.POST.get("witness_identity", ""),
                witness_id_number=request.POST.get("witness_id_number", ""),
                request=request,
            )
        except (ValidationError, PermissionDenied) as e:
            # Refused: 400 bad input, 429 the signer's lockout holds, 403 not this signer.
            if isinstance(e, ValidationError):
                status = 400
            else:
                status = 429 if isinstance(e, SecretThrottled) else 403
            for m in _messages(e):
                messages.error(request, m)
        else:
            saved = f"已保存{signature.get_role_display()}{signature.name}的签名"
            still = services.missing_signatures(draft)
            if still:  # the next signer signs on the same page
                messages.success(request, f"{saved}；尚缺{'、'.join(still)}")
                return redirect("documents:draft_sign", pk=draft.pk)
            # Every signature is there: back to the act's checklist (定稿 is the next step).
            messages.success(request, f"{saved}；《{draft.doc_type.name}》签名已齐全，可以定稿")
            return redirect(_checklist_url(draft.act))
    return render(
        request,
        "documents/draft_sign.html",
        {
            "draft": draft,
            "officers": draft.act.officers.order_by("pk"),
            "party_name": draft.data.get("party") or draft.act.subject.name,
            "signatures": draft.signatures.select_related("officer", "recorded_by"),
            "missing_signatures": services.missing_signatures(draft),
            "capacities": services.SIGNER_CAPACITIES,
        },
        status=status,
    )


@require_POST
def draft_refuse(request, pk):
    draft = _draft(request, pk)
    caps.require(request.user, caps.DRAFT_SIGN_AS_PARTY, draft)
    try:
        services.record_refusal(
            request.user,
            draft,
            name=request.POST.get("name", ""),
            reason=request.POST.get("reason", ""),
            witness=request.POST.get("witness", ""),
            evidence=request.POST.get("evidence", ""),
            witness_identity=request.POST.get("witness_identity", ""),
            witness_id_number=request.POST.get("witness_id_number", ""),
            capacity=request.POST.get("capacity", "") or "当事人",
            absent=request.POST.get("absent") == "1",
        )
    except ValidationError as e:
        for m in _messages(e):
            messages.error(request, m)
    else:
        capacity = request.POST.get("capacity", "") or "当事人"
        state = "不在场" if request.POST.get("absent") == "1" else "拒绝签名"
        messages.success(request, f"已记录{capacity}{state}")
    return redirect("documents:draft_sign", pk=draft.pk)


@require_POST
def draft_finalise(request, pk):
    draft = _draft(request, pk)
    caps.require(request.user, caps.DRAFT_FINALISE, draft)
    # 定稿 cannot be undone: a complete draft first shows what finalising does (an incomplete or
    # final one goes straight to the service, which names what is missing).
    if services.finalisable(draft) and not confirm.confirmed(request, "draft.finalise", draft):
        return confirm.ask(
            request,
            "draft.finalise",
            draft,
            title=f"定稿《{draft.doc_type.name}》",
            consequences=services.finalise_consequences(draft),
            details=[("执法行为", str(draft.act)), ("当事人", draft.data.get("party", ""))],
            submit="确认定稿并签章",
            back_url=draft.get_absolute_url(),
        )
    try:
        document = services.finalise(request.user, draft)
    except ValidationError as e:
        messages.error(request, "不能定稿：" + "；".join(_messages(e)))
        return redirect(draft)
    # Back to the act's checklist: what the act still needs after this document.
    messages.success(request, f"已定稿并加盖电子签章：{document}（文号 {document.number or '无'}）")
    return redirect(_checklist_url(draft.act))


def _checklist_url(act) -> str:
    return act.get_absolute_url() + "#next-steps"


@require_POST
def draft_correct(request, pk):
    draft = _draft(request, pk)
    caps.require(request.user, caps.DRAFT_EDIT, draft)
    try:
        correction = services.start_correction(
            request.user,
            draft,
            request.POST.get("reason", ""),
            request.POST.get("confirmation", ""),
        )
    except ValidationError as e:
        for m in _messages(e):
            messages.error(request, m)
        return redirect(draft)
    messages.success(request, "已新建更正版本，原文书保持不变")
    return redirect(correction)


# --- the party's copy (当事人联) -------------------------------------------------------------


@require_POST
def party_copy_make(request, pk):
    """Print the party's copy of a finalised document, A4 or 80 mm thermal."""
    draft = _draft(request, pk)
    caps.require(request.user, caps.DRAFT_FINALISE, draft)
    try:
        copy = services.make_party_copy(request.user, draft, request.POST.get("layout", ""))
    except ValidationError as e:
        for m in _messages(e):
            messages.error(request, m)
        return redirect(draft)
    messages.success(request, f"已生成当事人联（{copy.get_layout_display()}），可下载打印")
    return redirect(draft)


@require_http_methods(["GET", "HEAD"])
def party_copy_file(request, pk):
    """The stored party's copy (a signed PDF), for the printer; each download is logged."""
    copy = get_visible_or_404(
        PartyCopy.objects.select_related("draft__act", "draft__doc_type", "blob"),
        request.user,
        pk=pk,
    )
    require(request, copy.draft, "view")
    response = serve_blob(
        request,
        copy.blob,
        content_type="application/pdf",
        filename=f"{copy.draft.doc_type.name}{copy.draft.number}当事人联.pdf",
        as_attachment=True,
    )
    if request.method == "GET" and response.status_code in (200, 206):
        record_atomic(
            request.user,
            Action.DOCUMENTDRAFT_PARTY_COPY_DOWNLOADED,
            copy.draft,
            {"copy": copy.pk, "sha256": copy.blob_id, **access_body(request)},
        )
    return response


@require_http_methods(["GET", "HEAD"])
def document_sm2_signature(request, pk):
    """The finalised document's detached SM2 signature (``<编号>.p7s``), downloaded under the
    same rules as the PDF it signs (A24); each download is logged."""
    document = get_visible_or_404(
        Document.objects.select_related("agency", "act", "case", "blob"), request.user, pk=pk
    )
    require(request, document, "download")
    record = Sm2DocumentSignature.objects.filter(document=document).select_related("blob").first()
    if record is None:
        raise Http404("该文书没有 SM2 签名")
    response = serve_blob(
        request,
        record.blob,
        content_type=P7S_CONTENT_TYPE,
        filename=p7s_filename(document),
        as_attachment=True,
    )
    if request.method == "GET" and response.status_code in (200, 206):
        record_atomic(
            request.user,
            Action.DOCUMENT_SM2_SIGNATURE_DOWNLOADED,
            document,
            {
                "document": file_digests(document.blob_id),
                "signature": file_digests(record.blob_id),
                "range": served_range(response),
                **access_body(request),
            },
        )
    return response


P7S_CONTENT_TYPE = "application/pkcs7-signature"  # RFC 8551 §3.2.1


def p7s_filename(document: Document) -> str:
    """``<编号>.p7s`` (the document's number), else the PDF's name with ``.p7s``."""
    stem = document.number or (document.original_filename or "").rsplit(".", 1)[0]
    stem = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in stem).strip()
    return f"{stem or f'document-{document.pk}'}.p7s"


@require_POST
def party_copy_serve(request, pk):
    """Record the party's copy as served against a finalised 送达回执."""
    copy = get_visible_or_404(PartyCopy.objects.select_related("draft"), request.user, pk=pk)
    caps.require(request.user, caps.DRAFT_FINALISE, copy.draft)
    receipt = get_visible_or_404(
        DocumentDraft.objects.all(), request.user, pk=request.POST.get("receipt") or 0
    )
    try:
        services.record_party_copy_served(request.user, copy, receipt)
    except ValidationError as e:
        for m in _messages(e):
            messages.error(request, m)
    else:
        messages.success(request, f"已登记当事人联随送达回执{receipt.number or receipt.pk}送达")
    return redirect(copy.draft)

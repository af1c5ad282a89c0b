"""Pages: new document on an act, fill the draft, preview, signature page, finalise, correct."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from quancheng.access.enforce import access_body, require
from quancheng.cases.models import Act
from quancheng.ledger.services import record_atomic
from quancheng.orgs import capabilities as caps
from quancheng.orgs.lockout import SecretThrottled
from quancheng.orgs.scoping import get_visible_or_404

from . import services
from .catalogue import types_for_act_kind
from .fields import input_value
from .models import DocumentDraft, DocumentType, DraftSignature
from .render import render_pdf


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
        },
    )


def draft_preview(request, pk):
    """The draft as a PDF (unnumbered, marked 草稿), shown inline."""
    draft = _draft(request, pk)
    require(request, draft, "view")
    pdf = render_pdf(draft, number=draft.number, final=False)
    # Rendered first, so the write lock is not held while the PDF is laid out.
    record_atomic(
        request.user,
        "documentdraft.previewed",
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
            messages.success(request, f"已保存{signature.get_role_display()}{signature.name}的签名")
            return redirect("documents:draft_sign", pk=draft.pk)
    return render(
        request,
        "documents/draft_sign.html",
        {
            "draft": draft,
            "officers": draft.act.officers.order_by("pk"),
            "party_name": draft.data.get("party") or draft.act.subject.name,
            "signatures": draft.signatures.select_related("officer", "recorded_by"),
            "missing_signatures": services.missing_signatures(draft),
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
        )
    except ValidationError as e:
        for m in _messages(e):
            messages.error(request, m)
    else:
        messages.success(request, "已记录当事人拒绝签名")
    return redirect("documents:draft_sign", pk=draft.pk)


@require_POST
def draft_finalise(request, pk):
    draft = _draft(request, pk)
    caps.require(request.user, caps.DRAFT_FINALISE, draft)
    try:
        document = services.finalise(request.user, draft)
    except ValidationError as e:
        messages.error(request, "不能定稿：" + "；".join(_messages(e)))
        return redirect(draft)
    messages.success(request, f"已定稿并加盖电子签章：{document}")
    return redirect(document)


@require_POST
def draft_correct(request, pk):
    draft = _draft(request, pk)
    caps.require(request.user, caps.DRAFT_EDIT, draft)
    try:
        correction = services.start_correction(request.user, draft, request.POST.get("reason", ""))
    except ValidationError as e:
        for m in _messages(e):
            messages.error(request, m)
        return redirect(draft)
    messages.success(request, "已新建更正版本，原文书保持不变")
    return redirect(correction)

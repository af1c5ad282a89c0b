from django import template

from quancheng.documents.models import DocumentDraft
from quancheng.documents.validation import validate_document
from quancheng.orgs import capabilities as caps

register = template.Library()


@register.inclusion_tag("documents/_act_documents.html", takes_context=True)
def act_documents(context, act):
    """The act page's panel: drafts and finalised documents made here, and 新建文书."""
    user = context["request"].user
    drafts = DocumentDraft.objects.filter(act=act).select_related("doc_type", "document")
    return {"act": act, "drafts": drafts, "can_change": caps.can(user, caps.DRAFT_EDIT, act)}


@register.inclusion_tag("documents/_case_documents.html")
def case_documents(case):
    """The case page's list of the documents made for its acts, with their versions."""
    drafts = (
        DocumentDraft.objects.filter(act__case=case)
        .select_related("doc_type", "document", "act")
        .order_by("created_at", "pk")
    )
    return {"drafts": drafts}


@register.inclusion_tag("documents/_signature_status.html")
def signature_status(document):
    """Validate the document's electronic signatures now (each time it is shown)."""
    result = validate_document(document)
    stored = getattr(document, "signature_check", None)
    return {"result": result, "stored": stored, "document": document}


@register.inclusion_tag("documents/_sm2_signature_status.html", takes_context=True)
def sm2_signature_status(context, document):
    """Verify the document's detached SM2/SM3 signature now (national algorithms); the
    download link of the .p7s is shown to whoever may download the document."""
    from quancheng.documents.sm2sign import check_document

    return {
        "result": check_document(document),
        "document": document,
        "request": context.get("request"),
    }

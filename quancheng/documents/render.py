"""Rendering a draft to PDF with WeasyPrint (HTML template, embedded Noto CJK subset)."""

from __future__ import annotations

import base64

from django.template.loader import render_to_string
from django.utils import timezone

from .fields import display_value


def _image_uri(blob_id: str) -> str:
    from quancheng.records.services import blob_store

    with blob_store().open(blob_id) as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode()


def render_context(draft, *, number: str = "", final: bool = False) -> dict:
    rows = []
    for f in draft.doc_type.fields:
        value = draft.data.get(f["name"])
        if f["type"] == "items-table":
            columns = f.get("columns", [])
            items = [[item.get(c, "") for c in columns] for item in value or []]
            rows.append({"field": f, "items": items, "columns": columns})
        else:
            rows.append({"field": f, "value": display_value(f, value)})
    signatures = []
    for s in draft.signatures.all():
        signatures.append(
            {
                "sig": s,
                "image": _image_uri(s.image_id) if s.image_id else None,
                "signed_at": timezone.localtime(s.signed_at),
            }
        )
    return {
        "draft": draft,
        "agency": draft.agency,
        "doc_type": draft.doc_type,
        "number": number,
        "final": final,
        "rows": rows,
        "signatures": signatures,
    }


def render_template_pdf(template_name: str, context: dict) -> bytes:
    """A PDF from an HTML template: the one WeasyPrint renderer of the platform's documents."""
    from weasyprint import HTML

    return HTML(string=render_to_string(template_name, context)).write_pdf()


def render_pdf(draft, *, number: str = "", final: bool = False) -> bytes:
    return render_template_pdf(
        "documents/pdf/document.html", render_context(draft, number=number, final=final)
    )

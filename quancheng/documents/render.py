"""Rendering a draft to PDF with WeasyPrint (HTML template, embedded Noto CJK subset).

Two layouts: A4 (the document and the party's A4 copy) and 80 mm (the party's copy printed on
the portable thermal printers used on site). Both print every empty optional item as "/"
(87号 第六条), a refusal or absence with its witness, and, on a correction, what was struck
and what replaced it (87号 第五条).
"""

from __future__ import annotations

import base64

from django.template.loader import render_to_string
from django.utils import timezone

from quancheng.records.services import blob_store

from .fields import EMPTY, display_value

TEMPLATES = {
    "a4": "documents/pdf/document.html",
    "thermal80": "documents/pdf/thermal80.html",
}


def _image_uri(blob_id: str) -> str:

    with blob_store().open(blob_id) as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode()


def render_context(
    draft, *, number: str = "", final: bool = False, copy_label: str = "", signatures=None
) -> dict:
    from .services import corrected_fields

    changes = corrected_fields(draft)
    rows = []
    for f in draft.doc_type.fields:
        value = draft.data.get(f["name"])
        change = changes.get(f["name"])
        if f["type"] == "items-table" and value and not change:
            columns = f.get("columns", [])
            items = [[item.get(c, "") or EMPTY for c in columns] for item in value]
            rows.append({"field": f, "items": items, "columns": columns})
        else:
            rows.append({"field": f, "value": display_value(f, value) or EMPTY, "change": change})
    if signatures is None:
        signatures = draft.signatures.all()
    entries = []
    for s in signatures:
        entries.append(
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
        "number_label": "编号" if draft.doc_type.number_style == "bianhao" else "文号",
        "final": final,
        "rows": rows,
        "signatures": entries,
        "changes": bool(changes),
        "copy_label": copy_label,
        "empty": EMPTY,
    }


def render_template_pdf(template_name: str, context: dict) -> bytes:
    """Any HTML template as a PDF (the one WeasyPrint entry point; reports use it too)."""
    from weasyprint import HTML

    return HTML(string=render_to_string(template_name, context)).write_pdf()


def render_pdf(
    draft,
    *,
    number: str = "",
    final: bool = False,
    layout: str = "a4",
    copy_label: str = "",
    signatures=None,
) -> bytes:
    context = render_context(
        draft, number=number, final=final, copy_label=copy_label, signatures=signatures
    )
    return render_template_pdf(TEMPLATES[layout], context)

"""The terminal API for documents, and signed PDFs uploaded by terminals validated at ingest."""

import io
import re

import pytest

from quancheng.conftest import PASSWORD
from quancheng.documents import services
from quancheng.documents.models import DocumentDraft, SignatureCheck, TrustedCA
from quancheng.documents.validation import validate_pdf_bytes
from quancheng.ledger.models import Event
from quancheng.records.models import Document
from quancheng.records.services import append, blob_store, create_upload

from .conftest import doc_type, signature_png, terminal


def finished(user, content: bytes, filename="f.pdf"):
    upload = create_upload(user, len(content), {"filename": filename})
    return append(upload, 0, io.BytesIO(content).read, len(content)).upload


def _signed_pdf(officer, colleague, act) -> bytes:
    draft = services.create_draft(officer, act, doc_type("卫生监督意见书"), {"opinion": "整改"})
    for o in (officer, colleague):
        services.add_signature(
            officer,
            draft,
            role="officer",
            officer=o,
            image=signature_png(),
            password=PASSWORD,
            request=terminal(),
        )
    services.add_signature(officer, draft, role="party", name="王建国", image=signature_png())
    document = services.finalise(officer, draft)
    return blob_store().open(document.blob_id).read()


@pytest.mark.django_db
def test_a_terminal_lists_types_drafts_signs_and_finalises(
    api_as, officer, colleague, act, certified
):
    api = api_as(officer)
    types = api.get("/document-types", {"act_kind": "inspection"}).json()
    assert "现场笔录" in {t["name"] for t in types} and "听证笔录" not in {t["name"] for t in types}

    r = api.post(
        f"/acts/{act.pk}/document-drafts",
        {"doc_type": "xianchang-bilu", "data": {"findings": "现场检查未见异常"}},
    )
    assert r.status_code == 201, r.content
    draft = r.json()
    assert draft["data"]["party"] == act.subject.name and draft["data"]["findings"]
    assert "缺少" not in "".join(draft["missing_fields"]) and len(draft["missing_signatures"]) == 3

    r = api.post(f"/document-drafts/{draft['id']}/finalise")
    assert r.status_code == 400 and r.json()["code"] == "incomplete"
    assert "缺少执法人员张伟的签名" in r.json()["fields"]["missing"]

    for o in (officer, colleague):
        r = api.post(
            f"/document-drafts/{draft['id']}/signatures",
            {"role": "officer", "officer_id": o.pk, "image": signature_png(), "password": PASSWORD},
        )
        assert r.status_code == 201, r.content
    r = api.post(
        f"/document-drafts/{draft['id']}/signatures",
        {"role": "party", "name": "王建国", "refused": True, "refusal_reason": "拒绝签字"},
    )
    assert r.status_code == 400  # neither a witness nor a photo/video
    r = api.post(
        f"/document-drafts/{draft['id']}/signatures",
        {
            "role": "party",
            "name": "王建国",
            "refused": True,
            "refusal_reason": "拒绝签字",
            "witness": "赵敏",
        },
    )
    assert r.status_code == 400 and "见证人身份" in r.content.decode()
    r = api.post(
        f"/document-drafts/{draft['id']}/signatures",
        {
            "role": "party",
            "name": "王建国",
            "refused": True,
            "refusal_reason": "拒绝签字",
            "witness": "赵敏",
            "witness_identity": "社区居委会工作人员",
        },
    )
    assert r.status_code == 201 and r.json()["missing_signatures"] == []

    # 定稿 asks once more: without "confirm": true nothing is numbered or signed.
    events = Event.objects.count()
    r = api.post(f"/document-drafts/{draft['id']}/finalise")
    assert r.status_code == 400 and r.json()["code"] == "confirmation_required"
    assert any("只读" in line for line in r.json()["fields"]["confirm"])
    assert Event.objects.count() == events and not Document.objects.exists()
    r = api.post(f"/document-drafts/{draft['id']}/finalise", {"confirm": True})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "final" and re.fullmatch(r"\d{4}—001", body["number"])
    assert Document.objects.get(pk=body["document_id"]).number == body["number"]

    r = api.post(f"/document-drafts/{draft['id']}/finalise", {"confirm": True})
    assert r.status_code == 409 and r.json()["code"] == "already_final"


@pytest.mark.django_db
def test_the_api_refuses_a_type_the_act_does_not_use(api_as, officer, act, catalogue):
    before = Event.objects.count()
    r = api_as(officer).post(f"/acts/{act.pk}/document-drafts", {"doc_type": "tingzheng-jilu"})
    assert r.status_code == 400 and r.json()["code"] == "type_not_allowed"
    assert Event.objects.count() == before and not DocumentDraft.objects.exists()


@pytest.mark.django_db
def test_an_outsider_gets_404(api_as, officer, outsider, act, catalogue):
    draft = services.create_draft(officer, act, doc_type("现场笔录"))
    api = api_as(outsider)
    assert (
        api.post(f"/acts/{act.pk}/document-drafts", {"doc_type": "xianchang-bilu"}).status_code
        == 404
    )
    assert api.get(f"/document-drafts/{draft.pk}").status_code == 404
    assert api.post(f"/document-drafts/{draft.pk}/finalise").status_code == 404


@pytest.mark.django_db
def test_uploaded_pdfs_are_validated_at_ingest_and_kept_unchanged(
    api_as,
    officer,
    colleague,
    act,
    certified,
):
    signed = _signed_pdf(officer, colleague, act)
    altered = bytearray(signed)
    at = signed.index(b"stream\n", signed.index(b"/Contents")) + 40
    altered[at] ^= 0x01
    api = api_as(officer)
    results = {}
    for label, content in {
        "signed": signed + b"",
        "altered": bytes(altered),
        "unsigned": b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n%%EOF\n",
    }.items():
        upload = finished(officer, content, f"{label}.pdf")
        r = api.post(
            f"/acts/{act.pk}/documents", {"upload_id": str(upload.pk), "doc_type": "卫生监督意见书"}
        )
        results[label] = r.json()
        assert r.status_code in (200, 201), r.content
    # The platform's own signed document is already a record: the upload is linked to it.
    assert results["signed"]["signature_status"] == "valid"
    assert results["altered"]["signature_status"] == "altered"
    assert results["unsigned"]["signature_status"] in ("unsigned", "invalid")
    stored = Document.objects.get(pk=results["altered"]["id"])
    assert blob_store().open(stored.blob_id).read() == bytes(altered)
    assert SignatureCheck.objects.get(document=stored).status == "altered"
    assert Event.objects.filter(action="document.signature_checked").count() >= 3


@pytest.mark.django_db
def test_a_scan_that_is_neither_pdf_nor_image_is_refused(api_as, officer, act, catalogue):
    upload = finished(officer, b"PK\x03\x04 a zip, not a scan", "scan.zip")
    before = (Event.objects.count(), Document.objects.count())
    r = api_as(officer).post(
        f"/acts/{act.pk}/documents", {"upload_id": str(upload.pk), "doc_type": "现场笔录"}
    )
    assert r.status_code == 415, r.content
    assert (Event.objects.count(), Document.objects.count()) == before


@pytest.mark.django_db
def test_a_signer_outside_the_trust_roots_is_unknown(officer, colleague, act, certified):
    signed = _signed_pdf(officer, colleague, act)
    assert validate_pdf_bytes(signed).status == "valid"
    TrustedCA.objects.all().delete()
    result = validate_pdf_bytes(signed)
    assert result.status == "unknown_signer" and result.label == "签名者证书不受信任"


@pytest.mark.django_db
def test_the_document_page_shows_the_validation(client, officer, colleague, act, certified):
    signed = _signed_pdf(officer, colleague, act)
    document = Document.objects.get(source="generated")
    client.force_login(officer)
    assert "签名有效" in client.get(document.get_absolute_url()).content.decode()
    TrustedCA.objects.all().delete()
    assert "签名者证书不受信任" in client.get(document.get_absolute_url()).content.decode()
    assert signed

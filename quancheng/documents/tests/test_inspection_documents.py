"""Done when (issue 5): a demo inspection gets a 现场笔录 and a 卫生监督意见书 filled, signed on
the signature page by both officers and the party, finalised, numbered and e-signed; pdfsig and
pyHanko report the signature valid, and one changed byte makes the platform, pyHanko and pdfsig
all report it altered; the CJK font is embedded and the Chinese text extractable."""

import io

import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from quancheng.conftest import PASSWORD
from quancheng.documents.fields import input_value
from quancheng.documents.models import DocumentDraft, SignatureCheck, TrustedCA
from quancheng.documents.validation import validate_pdf_bytes
from quancheng.ledger.models import Event
from quancheng.lib import confirm
from quancheng.records.services import blob_store

from .conftest import doc_type, poppler, signature_png

FILLED = {
    "现场笔录": {"findings": "现场检查发现：医疗废物暂存处未设置警示标识，消毒记录不全。"},
    "卫生监督意见书": {"opinion": "立即设置医疗废物警示标识，完善消毒记录，三日内整改完毕。"},
}


def _make_document(client, act, officer, colleague, name):
    code = doc_type(name).code
    r = client.post(f"/documents/acts/{act.pk}/new/", {"doc_type": code})
    assert r.status_code == 302, r.content.decode()
    draft = DocumentDraft.objects.get(act=act, doc_type__code=code)
    # The form comes pre-filled from the act; the officer adds what was found.
    form = {f["name"]: input_value(f, draft.data.get(f["name"])) for f in draft.doc_type.fields}
    assert form["party"] == act.subject.name
    form.update(FILLED[name])
    r = client.post(draft.get_absolute_url(), form)
    assert r.status_code == 302
    page = client.get(f"/documents/drafts/{draft.pk}/sign/")
    assert page.status_code == 200
    assert b"documents/signature.js" in page.content and b"<canvas" in page.content
    for signer in (officer, colleague):
        r = client.post(
            f"/documents/drafts/{draft.pk}/sign/",
            {
                "role": "officer",
                "officer": signer.pk,
                "name": "",
                "image": signature_png(),
                "password": PASSWORD,
            },
        )
        # Signatures still missing: the next signer signs on the same page.
        assert r.status_code == 302 and r["Location"] == f"/documents/drafts/{draft.pk}/sign/"
    r = client.post(
        f"/documents/drafts/{draft.pk}/sign/",
        {"role": "party", "officer": "", "name": "王建国", "image": signature_png()},
    )
    # The last signature ends on the act's checklist, where 定稿 is now the next step.
    assert r.status_code == 302 and r["Location"] == f"/acts/{act.pk}/#next-steps"
    url = f"/documents/drafts/{draft.pk}/finalise/"
    asked = client.post(url)  # the first submit only shows what finalising does
    assert asked.status_code == 200 and "请确认：定稿" in asked.content.decode()
    draft.refresh_from_db()
    assert not draft.is_final
    r = client.post(url, {"confirm": confirm.token(officer, "draft.finalise", draft)}, follow=True)
    assert r.status_code == 200
    draft.refresh_from_db()
    assert draft.is_final, [str(m) for m in r.context["messages"]]
    # Back on the act's checklist, with what was done.
    assert r.redirect_chain[-1][0] == f"/acts/{act.pk}/#next-steps"
    assert "已定稿并加盖电子签章" in r.content.decode()
    document = client.get(draft.document.get_absolute_url())
    assert "签名有效" in document.content.decode()  # the records document page's status box
    return draft


def _trusted_context():
    roots = []
    for ca in TrustedCA.objects.all():
        for _, _, der in pem.unarmor(ca.certificate_pem.encode(), multiple=True):
            roots.append(asn1_x509.Certificate.load(der))
    return ValidationContext(trust_roots=roots, allow_fetching=False)


def _pyhanko_status(data: bytes):
    reader = PdfFileReader(io.BytesIO(data))
    return validate_pdf_signature(reader.embedded_signatures[0], _trusted_context())


def _pdfsig_validation(path) -> str:
    """pdfsig exits 0 even on a digest mismatch: the verdict is in its output."""
    out = poppler("pdfsig", str(path))
    lines = [line.strip() for line in out.splitlines() if "Signature Validation:" in line]
    assert len(lines) == 1, out
    return lines[0].split(":", 1)[1].strip()


def _altered(data: bytes) -> bytes:
    """One byte changed inside the signed range (in the first page's content stream)."""
    at = data.index(b"stream\n", data.index(b"/Contents")) + 40
    assert at < data.rindex(b"/ByteRange")
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


@pytest.mark.django_db
def test_inspection_documents_filled_signed_finalised_and_verified(
    client, act, officer, colleague, certified, tmp_path
):
    client.force_login(officer)
    year = timezone.localdate().year
    # Both forms carry an 编号 (87号 第四条), one series per agency and year.
    expected_numbers = {"现场笔录": f"{year}—001", "卫生监督意见书": f"{year}—002"}
    for name, number in expected_numbers.items():
        draft = _make_document(client, act, officer, colleague, name)
        document = draft.document
        assert draft.number == number == document.number
        assert document.doc_type == name and document.act_id == act.pk
        assert document.source == "generated" and document.file_kind == "pdf"
        assert SignatureCheck.objects.get(document=document).status == "valid"
        if name == "现场笔录":  # the written times, ready for rule A15-complete
            assert document.written_started_at == act.started_at
            assert document.written_ended_at == act.ended_at

        data = blob_store().open(document.blob_id).read()
        path = tmp_path / f"{draft.pk}.pdf"
        path.write_bytes(data)

        # Valid for pdfsig, pyHanko (against the demo CA) and the platform.
        assert _pdfsig_validation(path) == "Signature is Valid."
        status = _pyhanko_status(data)
        assert status.intact and status.valid and status.trusted and status.bottom_line
        assert "渝中区" in status.signing_cert.subject.human_friendly
        assert validate_pdf_bytes(data).status == "valid"

        # The CJK font is embedded and the Chinese text (including the stamp) extractable.
        fonts = poppler("pdffonts", str(path))
        cjk = [line for line in fonts.splitlines() if "CJK" in line]
        assert cjk and all(" yes " in line for line in cjk), fonts
        text = poppler("pdftotext", str(path), "-")
        for expected in (name, number, act.subject.name, "电子签章", "渝中区卫生健康"):
            assert expected in text, text
        assert FILLED[name][next(iter(FILLED[name]))][:10] in text

        # One changed byte: altered for the platform, pyHanko and pdfsig.
        altered = _altered(data)
        altered_path = tmp_path / f"{draft.pk}-altered.pdf"
        altered_path.write_bytes(altered)
        assert validate_pdf_bytes(altered).status == "altered"
        assert not _pyhanko_status(altered).intact
        assert _pdfsig_validation(altered_path) == "Digest Mismatch."

    actions = list(
        Event.objects.filter(action__startswith="documentdraft.").values_list("action", flat=True)
    )
    assert actions.count("documentdraft.created") == 2
    assert actions.count("documentdraft.saved") == 2
    assert actions.count("documentdraft.signed") == 6
    assert actions.count("documentdraft.finalised") == 2

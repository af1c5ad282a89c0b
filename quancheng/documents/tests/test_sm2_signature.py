"""The detached SM2/SM3 CMS signature of finalised PDFs (documents/sm2sign.py, GM/T 0010)."""

import datetime as dt
import json
import shutil
import subprocess

import pytest
from asn1crypto import cms
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from quancheng.conftest import PASSWORD
from quancheng.demo.ca import DEMO_SM2_CA_NAME, issue_demo_sm2_certificate
from quancheng.documents import services, sm2sign
from quancheng.documents.models import Sm2Certificate, Sm2DocumentSignature
from quancheng.ledger.models import Event
from quancheng.lib.gmcrypto import SM2PrivateKey, sm3_hex
from quancheng.records.services import blob_store

from .conftest import doc_type, signature_png

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n% a finalised document\n%%EOF\n"


@pytest.fixture
def sm2_certificate(agency):
    return issue_demo_sm2_certificate(None, agency)


def _signed(stored, content=PDF, when=None):
    return sm2sign.sign_detached(content, stored, when or timezone.now().replace(microsecond=0))


def test_a_detached_signature_verifies_and_names_its_chain(sm2_certificate, agency):
    check = sm2sign.verify_detached(_signed(sm2_certificate), PDF)
    assert check.status == "valid", check.detail
    assert check.signer == agency.name[:64]
    assert check.chain == [agency.name[:64], DEMO_SM2_CA_NAME]
    # The structure GM/T 0010 describes: SM3 digest, SM2 signature, detached content.
    info = cms.ContentInfo.load(_signed(sm2_certificate))
    signed_data = info["content"]
    assert signed_data["encap_content_info"]["content"].native is None
    signer = signed_data["signer_infos"][0]
    assert signer["digest_algorithm"]["algorithm"].dotted == "1.2.156.10197.1.401"
    assert signer["signature_algorithm"]["algorithm"].dotted == "1.2.156.10197.1.301.1"


def test_an_altered_pdf_is_reported(sm2_certificate):
    check = sm2sign.verify_detached(_signed(sm2_certificate), PDF + b" ")
    assert check.status == "altered"
    assert check.label == "签名后文件已被修改"


def test_a_signature_by_another_key_is_reported(sm2_certificate):
    info = cms.ContentInfo.load(_signed(sm2_certificate))
    signer = info["content"]["signer_infos"][0]
    signer["signature"] = SM2PrivateKey.generate().sign(b"\x31" + signer["signed_attrs"].dump()[1:])
    check = sm2sign.verify_detached(info.dump(), PDF)
    assert check.status == "bad_signature"


def test_an_untrusted_root_or_an_expired_certificate_is_reported(sm2_certificate):
    signature = _signed(sm2_certificate)
    later = _signed(sm2_certificate, when=timezone.now() + dt.timedelta(days=6 * 365))
    assert sm2sign.verify_detached(later, PDF).status == "untrusted"
    Sm2Certificate.objects.filter(is_root=True).delete()
    check = sm2sign.verify_detached(signature, PDF)
    assert check.status == "untrusted"
    assert check.detail == "证书链未到达平台信任的 SM2 根证书"
    assert sm2sign.verify_detached(b"not a signature", PDF).status == "malformed"


def test_an_agency_imports_the_certificate_its_ca_issued(agency, tmp_path):
    """An SM2 certificate from the agency's own CA (here one made apart) and its key."""
    ca_key = SM2PrivateKey.generate()
    now = timezone.now()
    ca_name = sm2sign._name("某省数字证书认证中心", "测试 SM2 CA")
    ca_der = sm2sign.make_certificate(
        ca_name,
        ca_key.public_key(),
        ca_name,
        ca_key,
        ca=True,
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=30),
    )
    key = SM2PrivateKey.generate()
    der = sm2sign.make_certificate(
        sm2sign._name(agency.name, agency.name),
        key.public_key(),
        ca_name,
        ca_key,
        ca=False,
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=30),
    )
    sm2sign.trust_root(None, sm2sign._pem(ca_der))
    stored = sm2sign.import_certificate(
        None, agency, sm2sign._pem(der), key.pem(), chain_pem=sm2sign._pem(ca_der)
    )
    assert sm2sign.active_certificate(agency) == stored
    assert sm2sign.verify_detached(_signed(stored), PDF).ok
    assert Event.objects.filter(action="sm2certificate.imported").count() == 1
    body = json.loads(Event.objects.get(action="sm2certificate.imported").body)
    assert body["fingerprint_sm3"] == sm3_hex(der)  # issue 19: both digests
    with pytest.raises(Exception, match="不匹配"):
        sm2sign.import_certificate(None, agency, sm2sign._pem(der), SM2PrivateKey.generate().pem())


@pytest.mark.skipif(shutil.which("openssl") is None, reason="Debian's openssl")
def test_openssl_verifies_the_sm2_certificates(sm2_certificate, tmp_path):
    """Interoperability: OpenSSL 3 checks the agency certificate against the SM2 CA."""
    ca_pem = sm2sign._pem(sm2sign._ders(sm2_certificate.chain_pem)[0])
    (tmp_path / "ca.pem").write_text(ca_pem)
    (tmp_path / "cert.pem").write_text(sm2_certificate.certificate_pem)
    # OpenSSL 3.0 verifies SM2 certificate signatures with the identifier it is given.
    verify = [
        *("openssl", "verify", "-vfyopt", "distid:1234567812345678"),
        *("-CAfile", tmp_path / "ca.pem", tmp_path / "cert.pem"),
    ]
    result = subprocess.run(verify, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def _finalised(officer, colleague, act):
    draft = services.create_draft(officer, act, doc_type("卫生监督意见书"), {"opinion": "整改"})
    for who in (officer, colleague):
        password = "" if who == officer else PASSWORD
        services.add_signature(
            officer,
            draft,
            role="officer",
            officer=who,
            image=signature_png(),
            password=password,
            request=RequestFactory().post("/", REMOTE_ADDR="10.4.4.4"),  # the lockout's address
        )
    services.add_signature(officer, draft, role="party", name="王建国", image=signature_png())
    return services.finalise(officer, draft)


def test_finalising_signs_with_both_and_the_page_verifies_the_sm2_signature(
    client, officer, colleague, act, certified
):
    assert sm2sign.active_certificate(act.agency) is not None  # the demo certificates include it
    document = _finalised(officer, colleague, act)

    record = Sm2DocumentSignature.objects.get(document=document)
    with blob_store().open(record.blob_id) as f, blob_store().open(document.blob_id) as g:
        assert sm2sign.verify_detached(f.read(), g.read()).ok
    body = json.loads(Event.objects.get(action="document.sm2_signed").body)
    assert body["document"]["sha256"] == document.blob_id
    assert body["signature"]["sha256"] == record.blob_id
    client.force_login(officer)
    page = client.get(document.get_absolute_url()).content.decode()
    assert "国密签名验证（SM2/SM3）" in page and "SM2 签名有效" in page
    assert "电子签名验证" in page  # PAdES is still there
    assert "下载签名文件（.p7s）" in page


def test_the_p7s_downloads_under_the_pdfs_rules_and_is_logged(
    client, officer, colleague, act, certified, outsider, system_admin
):
    document = _finalised(officer, colleague, act)
    record = Sm2DocumentSignature.objects.get(document=document)
    url = reverse("documents:document_sm2_signature", args=[document.pk])
    client.force_login(officer)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pkcs7-signature"
    assert ".p7s" in response["Content-Disposition"]
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    with blob_store().open(record.blob_id) as f:
        assert body == f.read()
    event = Event.objects.get(action="document.sm2_signature_downloaded")
    logged = json.loads(event.body)
    assert logged["signature"]["sha256"] == record.blob_id
    assert logged["document"]["sha256"] == document.blob_id
    assert event.actor_id == officer.pk
    # Another district's officer and the system administrator (no record content) get nothing.
    for who in (outsider, system_admin):
        client.force_login(who)
        assert client.get(url).status_code in (403, 404)
    assert Event.objects.filter(action="document.sm2_signature_downloaded").count() == 1


def test_the_p7s_is_named_after_the_document_number(agency):
    from quancheng.records.models import Document
    from quancheng.web.views_documents import p7s_filename

    assert p7s_filename(Document(pk=3, number="渝卫监〔2026〕7号")) == "渝卫监〔2026〕7号.p7s"
    assert p7s_filename(Document(pk=3, original_filename="a/b.pdf")) == "a_b.p7s"
    assert p7s_filename(Document(pk=3)) == "document-3.p7s"


# --- who can verify the .p7s: OpenSSL's identifier, GM/T 0010's content types -----------------

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="Debian's openssl")


def _openssl_cms_verify(tmp_path, signature: bytes, content: bytes, ca_pem: str):
    (tmp_path / "doc.pdf").write_bytes(content)
    (tmp_path / "doc.p7s").write_bytes(signature)
    (tmp_path / "sm2-ca.pem").write_text(ca_pem)
    command = [
        *("openssl", "cms", "-verify", "-binary", "-inform", "DER"),
        *("-in", tmp_path / "doc.p7s", "-content", tmp_path / "doc.pdf"),
        *("-CAfile", tmp_path / "sm2-ca.pem", "-out", "/dev/null"),
    ]
    return subprocess.run(command, capture_output=True, text=True, check=False)


@needs_openssl
@pytest.mark.real_clock("openssl checks the certificates' validity against the machine's clock")
def test_openssl_cms_verify_accepts_the_openssl_compatible_signature(settings, agency, tmp_path):
    """With the empty SM2 identifier (what OpenSSL 1.1.1–3.x use, having no option to set one),
    ``openssl cms -verify -CAfile`` accepts the signature and its chain, and refuses it once one
    byte of the PDF has changed; the platform's verifier agrees on both."""
    settings.QC_SM2_CMS_IDENTIFIER = "empty"
    stored = issue_demo_sm2_certificate(None, agency)
    ca_pem = sm2sign._pem(sm2sign._ders(stored.chain_pem)[0])
    signature = _signed(stored)

    accepted = _openssl_cms_verify(tmp_path, signature, PDF, ca_pem)
    assert accepted.returncode == 0, accepted.stderr
    assert "Verification successful" in accepted.stderr
    check = sm2sign.verify_detached(signature, PDF)
    assert check.ok and check.user_id == b"" and check.identifier_label == "空（OpenSSL 兼容）"

    altered = PDF[:10] + bytes([PDF[10] ^ 1]) + PDF[11:]
    refused = _openssl_cms_verify(tmp_path, signature, altered, ca_pem)
    assert refused.returncode != 0
    assert "verification failure" in refused.stderr
    assert sm2sign.verify_detached(signature, altered).status == "altered"


@needs_openssl
@pytest.mark.real_clock("openssl checks the certificates' validity against the machine's clock")
def test_openssl_refuses_the_gmt0009_identifier_the_platform_accepts(sm2_certificate, tmp_path):
    """The default: GM/T 0009's identifier, which OpenSSL 3.0's cms does not use (documented)."""
    ca_pem = sm2sign._pem(sm2sign._ders(sm2_certificate.chain_pem)[0])
    signature = _signed(sm2_certificate)
    check = sm2sign.verify_detached(signature, PDF)
    assert check.ok and check.user_id == b"1234567812345678"
    assert _openssl_cms_verify(tmp_path, signature, PDF, ca_pem).returncode != 0


def test_gmt0010_content_types_are_written_on_request_and_verified(settings, sm2_certificate):
    settings.QC_SM2_CMS_CONTENT_TYPES = "gmt0010"
    signature = _signed(sm2_certificate)
    raw = cms.ContentInfo.load(signature)
    assert raw["content_type"].dotted == "1.2.156.10197.6.1.4.2.2"
    signed_data = raw["content"]
    assert signed_data["encap_content_info"]["content_type"].dotted == "1.2.156.10197.6.1.4.2.1"
    attrs = {
        a["type"].native: a["values"][0] for a in signed_data["signer_infos"][0]["signed_attrs"]
    }
    assert attrs["content_type"].dotted == "1.2.156.10197.6.1.4.2.1"
    check = sm2sign.verify_detached(signature, PDF)
    assert check.ok and check.content_types == "gmt0010"
    assert sm2sign.verify_detached(signature, PDF + b"x").status == "altered"
    # The RFC 5652 default stays what it was.
    settings.QC_SM2_CMS_CONTENT_TYPES = "rfc5652"
    assert cms.ContentInfo.load(_signed(sm2_certificate))["content_type"].dotted == (
        "1.2.840.113549.1.7.2"
    )

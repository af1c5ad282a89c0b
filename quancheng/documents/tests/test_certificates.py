"""Agencies' certificates: the demo CA, PKCS#12 import, keys kept encrypted."""

import datetime as dt
import json
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.management import CommandError, call_command
from django.utils import timezone

from quancheng.demo.ca import demo_ca_dir
from quancheng.documents.certificates import active_certificate, load_key
from quancheng.documents.models import AgencyCertificate, TrustedCA
from quancheng.ledger.models import Event
from quancheng.lib.gmcrypto import sm3_hex


def _self_signed(cn: str):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert


@pytest.mark.django_db
def test_make_demo_ca_certifies_the_named_agencies_once(agency, capsys):
    call_command("make_demo_ca", "d03-zf")
    call_command("make_demo_ca", "d03-zf")
    stored = AgencyCertificate.objects.get()
    assert stored.agency == agency and stored.subject == agency.name
    assert active_certificate(agency) == stored
    assert TrustedCA.objects.count() == 1
    assert "BEGIN ENCRYPTED PRIVATE KEY" in stored.encrypted_key_pem
    assert load_key(stored).public_key().public_numbers() is not None
    mode = stat.S_IMODE(os.stat(demo_ca_dir() / "ca.key").st_mode)
    assert mode == 0o600
    assert Event.objects.filter(action="agencycertificate.imported").count() == 1
    # Issue 19: the certificate's SM3 beside its SHA-256 fingerprint, computed from its DER.
    der = x509.load_pem_x509_certificate(stored.certificate_pem.encode()).public_bytes(
        serialization.Encoding.DER
    )
    body = json.loads(Event.objects.get(action="agencycertificate.imported").body)
    assert body["sha256"] == stored.fingerprint and body["sm3"] == sm3_hex(der)
    assert json.loads(Event.objects.get(action="trustedca.added").body)["sm3"] is not None
    with pytest.raises(CommandError):
        call_command("make_demo_ca", "nowhere")


@pytest.mark.django_db
def test_import_a_pkcs12_file(agency, tmp_path, monkeypatch, settings):
    settings.QC_DOCUMENT_KEY_PASSPHRASE = ""  # the passphrase file under VAR_DIR, mode 0600
    key, cert = _self_signed("渝中区卫生健康综合行政执法支队")
    path = tmp_path / "agency.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"agency", key, cert, None, serialization.BestAvailableEncryption(b"p12-secret")
        )
    )
    ca_path = tmp_path / "ca.pem"
    ca_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    monkeypatch.setenv("QC_P12_PASSWORD", "wrong")
    with pytest.raises(CommandError):
        call_command("import_agency_certificate", "d03-zf", str(path))
    assert not AgencyCertificate.objects.exists()
    monkeypatch.setenv("QC_P12_PASSWORD", "p12-secret")
    call_command("import_agency_certificate", "d03-zf", str(path), "--trust-ca", str(ca_path))
    stored = active_certificate(agency)
    assert stored.subject == "渝中区卫生健康综合行政执法支队"
    passphrase = settings.VAR_DIR / "document_key_passphrase"
    assert stat.S_IMODE(os.stat(passphrase).st_mode) == 0o600
    assert load_key(stored).public_key().public_numbers() == key.public_key().public_numbers()
    assert TrustedCA.objects.filter(name="渝中区卫生健康综合行政执法支队").exists()

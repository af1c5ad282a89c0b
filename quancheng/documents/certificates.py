"""Agencies' signing certificates (机构签章证书) and the platform's trust roots.

Keys are kept in the database as PKCS#8 PEM encrypted with the document-key passphrase: from
``QC_DOCUMENT_KEY_PASSPHRASE`` (or ``QC_DOCUMENT_KEY_PASSPHRASE_FILE``) when set, else a random
one made once in ``VAR_DIR/document_key_passphrase`` with mode 0600. A database dump alone does
not give away the keys.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.ledger.services import record_event
from quancheng.lib import gmcrypto, keyseal
from quancheng.orgs.models import Agency

from .models import AgencyCertificate, TrustedCA

PEM = serialization.Encoding.PEM
DEMO_CA_NAME = "全程演示根证书（仅供演示）"


def _passphrase() -> bytes:
    return keyseal.key_passphrase(
        getattr(settings, "QC_DOCUMENT_KEY_PASSPHRASE", ""), settings.VAR_DIR
    )


def _fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _subject_text(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return names[0].value if names else cert.subject.rfc4514_string()


def trust_root(actor, cert: x509.Certificate) -> TrustedCA:
    """Add a CA certificate to the platform's trust roots (idempotent, a ledger event)."""
    fingerprint = _fingerprint(cert)
    with transaction.atomic():
        existing = TrustedCA.objects.filter(fingerprint=fingerprint).first()
        if existing:
            return existing
        root = TrustedCA.objects.create(
            name=_subject_text(cert),
            certificate_pem=cert.public_bytes(PEM).decode(),
            fingerprint=fingerprint,
        )
        record_event(actor, "trustedca.added", root, {"name": root.name, "sha256": fingerprint})
    return root


def store_certificate(actor, agency: Agency, key, cert: x509.Certificate, chain=()):
    """Keep an agency's certificate with its key (encrypted); earlier ones are retired."""
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        raise ValidationError("证书与私钥不匹配")
    encrypted = key.private_bytes(
        PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase()),
    )
    with transaction.atomic():
        AgencyCertificate.objects.filter(agency=agency, active=True).update(active=False)
        stored = AgencyCertificate.objects.create(
            agency=agency,
            subject=_subject_text(cert),
            serial=format(cert.serial_number, "x"),
            fingerprint=_fingerprint(cert),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            certificate_pem=cert.public_bytes(PEM).decode(),
            chain_pem="".join(c.public_bytes(PEM).decode() for c in chain),
            encrypted_key_pem=encrypted.decode(),
        )
        record_event(
            actor,
            "agencycertificate.imported",
            stored,
            {
                "agency": agency.pk,
                "subject": stored.subject,
                "serial": stored.serial,
                "sha256": stored.fingerprint,
                "not_after": stored.not_after.isoformat(),
            },
        )
    return stored


def import_pkcs12(actor, agency: Agency, data: bytes, password: bytes | None):
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, password)
    except ValueError as e:
        raise ValidationError(f"无法读取 PKCS#12 文件（密码错误或文件损坏）：{e}") from e
    if key is None or cert is None:
        raise ValidationError("PKCS#12 文件中没有证书和私钥")
    return store_certificate(actor, agency, key, cert, chain or ())


def active_certificate(agency: Agency) -> AgencyCertificate | None:
    now = timezone.now()
    return (
        AgencyCertificate.objects.filter(
            agency=agency, active=True, not_before__lte=now, not_after__gt=now
        )
        .order_by("-created_at")
        .first()
    )


def load_key(stored: AgencyCertificate):
    return serialization.load_pem_private_key(stored.encrypted_key_pem.encode(), _passphrase())


# --- the demo CA (演示用根证书) ---------------------------------------------------------------


def _name(org: str, cn: str) -> x509.Name:
    # ub-common-name is 64; cryptography counts UTF-8 bytes, so a long Chinese agency name is
    # cut in the CN (the organisation keeps it whole).
    while len(cn.encode()) > 64:
        cn = cn[:-1]
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _usage(*, sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=sign,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not sign,
        crl_sign=not sign,
        encipher_only=False,
        decipher_only=False,
    )


def demo_ca_dir() -> Path:
    return Path(settings.VAR_DIR) / "demo_ca"


def demo_ca(actor=None):
    """The demo CA's key and certificate, made once under ``VAR_DIR/demo_ca`` (key mode 0600)."""
    directory = demo_ca_dir()
    key_path, cert_path = directory / "ca.key", directory / "ca.pem"
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), _passphrase())
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    else:
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        now = timezone.now()
        name = _name("全程 卫生健康行政执法全过程记录平台", DEMO_CA_NAME)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(sign=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        encrypted = key.private_bytes(
            PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(_passphrase()),
        )
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(encrypted)
        cert_path.write_bytes(cert.public_bytes(PEM))
    trust_root(actor, cert)
    return key, cert


def issue_demo_certificate(actor, agency: Agency, ca_key, ca_cert) -> AgencyCertificate:
    key = ec.generate_private_key(ec.SECP256R1())
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(agency.name, agency.name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign=True), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    return store_certificate(actor, agency, key, cert, [ca_cert])


def make_demo_certificates(actor=None, agencies=None) -> list[AgencyCertificate]:
    """A demo certificate for each given agency (default: enforcement agencies) lacking one."""
    from . import sm2sign

    ca_key, ca_cert = demo_ca(actor)
    if agencies is None:
        agencies = Agency.objects.filter(kind=Agency.Kind.ENFORCEMENT)
    made = [
        issue_demo_certificate(actor, agency, ca_key, ca_cert)
        for agency in agencies
        if active_certificate(agency) is None
    ]
    # And an SM2 certificate from the demo SM2 CA, for the detached national-algorithm
    # signature beside PAdES (sm2sign.py), where SM2 is available.
    if gmcrypto.SM2_AVAILABLE:
        for agency in agencies:
            if sm2sign.active_certificate(agency) is None:
                sm2sign.issue_demo_certificate(actor, agency)
    return made

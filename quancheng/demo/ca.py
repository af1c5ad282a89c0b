"""The demo CA (演示用根证书): a CA trusted by this platform only, and a signing certificate
under it for each enforcement agency, so that the demo's documents can be finalised and sealed
(e-seal, docs/documents.md). Not for production: ``import_agency_certificate`` loads a real one.

Where SM2 is available, also a demo SM2 CA and an SM2 certificate under it for each agency, for
the detached national-algorithm signature beside PAdES (``documents/sm2sign.py``); made with
sm2sign's certificate builder and stored through its ``trust_root`` and ``import_certificate``,
as a real CA's would be.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

from asn1crypto import pem
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils import timezone

from quancheng.documents import sm2sign
from quancheng.documents.certificates import (
    PEM,
    _passphrase,
    active_certificate,
    store_certificate,
    trust_root,
)
from quancheng.documents.models import AgencyCertificate, Sm2Certificate
from quancheng.lib import gmcrypto
from quancheng.orgs.models import Agency

if TYPE_CHECKING:
    from quancheng.orgs.models import User


DEMO_CA_NAME = "全程演示根证书（仅供演示）"
DEMO_SM2_CA_NAME = "全程演示 SM2 根证书（仅供演示）"


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


def demo_ca(actor: User | None = None):
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


def issue_demo_certificate(
    actor: User | None, agency: Agency, ca_key, ca_cert
) -> AgencyCertificate:
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


def make_demo_certificates(actor: User | None = None, agencies=None) -> list[AgencyCertificate]:
    """A demo certificate for each given agency (default: enforcement agencies) lacking one."""
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
                issue_demo_sm2_certificate(actor, agency)
    return made


# --- the demo SM2 CA ----------------------------------------------------------------------------


def _sm2_name(org: str, cn: str) -> ax509.Name:
    return ax509.Name.build(
        {"country_name": "CN", "organization_name": org[:64], "common_name": cn[:64]}
    )


def _armor(der: bytes) -> str:
    return pem.armor("CERTIFICATE", der).decode()


def demo_sm2_ca(actor: User | None = None) -> tuple[gmcrypto.SM2PrivateKey, bytes]:
    """The demo SM2 CA's key and certificate (DER), made once under ``VAR_DIR/demo_ca`` (the
    key sealed as sm2sign seals agencies' keys) and trusted."""
    directory = demo_ca_dir()
    key_path, cert_path = directory / "sm2-ca.key", directory / "sm2-ca.pem"
    if key_path.exists() and cert_path.exists():
        key = sm2sign.decrypt_key(key_path.read_text())
        _, _, der = pem.unarmor(cert_path.read_bytes())
    else:
        directory.mkdir(parents=True, exist_ok=True)
        key = gmcrypto.SM2PrivateKey.generate()
        now = timezone.now()
        name = _sm2_name("全程 卫生健康行政执法全过程记录平台", DEMO_SM2_CA_NAME)
        der = sm2sign.make_certificate(
            name,
            key.public_key(),
            name,
            key,
            ca=True,
            not_before=now - dt.timedelta(days=1),
            not_after=now + dt.timedelta(days=3650),
        )
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(sm2sign.encrypt_key(key))
        cert_path.write_text(_armor(der))
    sm2sign.trust_root(actor, _armor(der))
    return key, der


def issue_demo_sm2_certificate(actor: User | None, agency: Agency) -> Sm2Certificate:
    """An SM2 signing certificate for ``agency`` from the demo SM2 CA, signed with the
    identifier new CMS signatures use (so that ``openssl cms -verify -CAfile`` accepts the
    chain when that is the empty one)."""
    ca_key, ca_der = demo_sm2_ca(actor)
    ca = ax509.Certificate.load(ca_der)
    key = gmcrypto.SM2PrivateKey.generate()
    now = timezone.now()
    der = sm2sign.make_certificate(
        _sm2_name(agency.name, agency.name),
        key.public_key(),
        ca.subject,
        ca_key,
        ca=False,
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=1825),
        identifier=settings.QC_SM2_CMS_IDENTIFIER,
    )
    return sm2sign.import_certificate(
        actor, agency, _armor(der), key.pem(), chain_pem=_armor(ca_der)
    )

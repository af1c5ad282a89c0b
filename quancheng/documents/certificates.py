"""Agencies' signing certificates (机构签章证书) and the platform's trust roots.

Keys are kept in the database as PKCS#8 PEM encrypted with the document-key passphrase: from
``QC_DOCUMENT_KEY_PASSPHRASE`` (or ``QC_DOCUMENT_KEY_PASSPHRASE_FILE``) when set, else a random
one made once in ``VAR_DIR/document_key_passphrase`` with mode 0600. A database dump alone does
not give away the keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.lib import keyseal
from quancheng.lib.gmcrypto import sm3_hex
from quancheng.orgs.models import Agency

from .models import AgencyCertificate, TrustedCA

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

    from quancheng.orgs.models import User


PEM = serialization.Encoding.PEM


def _passphrase() -> bytes:
    return keyseal.key_passphrase(
        getattr(settings, "QC_DOCUMENT_KEY_PASSPHRASE", ""), settings.VAR_DIR
    )


def _fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _sm3_fingerprint(cert: x509.Certificate) -> str:
    """The certificate's SM3 beside its SHA-256 fingerprint (issue 19: both digests)."""
    return sm3_hex(cert.public_bytes(serialization.Encoding.DER))


def _subject_text(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        return cert.subject.rfc4514_string()
    value = names[0].value  # str for a common name; bytes only for bit-string attributes
    return value if isinstance(value, str) else value.decode()


def trust_root(actor: User | None, cert: x509.Certificate) -> TrustedCA:
    """Add a CA certificate to the platform's trust roots (idempotent, a ledger event)."""
    fingerprint = _fingerprint(cert)
    with transaction.atomic(durable=True):
        existing = TrustedCA.objects.filter(fingerprint=fingerprint).first()
        if existing:
            return existing
        root = TrustedCA.objects.create(
            name=_subject_text(cert),
            certificate_pem=cert.public_bytes(PEM).decode(),
            fingerprint=fingerprint,
        )
        record_event(
            actor,
            Action.TRUSTEDCA_ADDED,
            root,
            {"name": root.name, "sha256": fingerprint, "sm3": _sm3_fingerprint(cert)},
        )
    return root


def _spki(public_key) -> bytes:
    """A public key as its DER SubjectPublicKeyInfo, to compare keys of any type."""
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def store_certificate(
    actor: User | None,
    agency: Agency,
    key: PrivateKeyTypes,
    cert: x509.Certificate,
    chain: Iterable[x509.Certificate] = (),
) -> AgencyCertificate:
    """Keep an agency's certificate with its key (encrypted); earlier ones are retired."""
    if _spki(cert.public_key()) != _spki(key.public_key()):
        raise ValidationError("证书与私钥不匹配")
    encrypted = key.private_bytes(
        PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase()),
    )
    with transaction.atomic(durable=True):
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
            Action.AGENCYCERTIFICATE_IMPORTED,
            stored,
            {
                "agency": agency.pk,
                "subject": stored.subject,
                "serial": stored.serial,
                "sha256": stored.fingerprint,
                "sm3": _sm3_fingerprint(cert),
                "not_after": stored.not_after.isoformat(),
            },
        )
    return stored


def import_pkcs12(actor: User, agency: Agency, data: bytes, password: bytes | None):
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

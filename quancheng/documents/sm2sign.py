"""The detached SM2/SM3 signature of finalised PDFs (国密签名, GM/T 0010), beside PAdES.

A finalised PDF keeps its PAdES signature (pyHanko, ECDSA P-256). When its agency has an SM2
certificate (from its CA, imported with ``manage.py import_sm2_certificate``, or the demo CA's,
``make_demo_ca``),
the platform also signs the finished PDF with it: a detached CMS ``SignedData`` (SM3 digest, SM2
signature, signed attributes, the signer's chain) made and checked by ``quancheng.lib.sm2cms``.

The SM2 distinguishing identifier and the content-type OIDs of new signatures are settings
(``QC_SM2_CMS_IDENTIFIER``: ``default``, GM/T 0009's 1234567812345678, or ``empty``, what
``openssl cms -verify`` uses; ``QC_SM2_CMS_CONTENT_TYPES``: ``rfc5652`` or ``gmt0010``); the
checks accept all of them (docs/national-crypto.md). The signature is stored as a blob of its own
(``.p7s``), offered for download on the document page, put beside the PDF in extraction packages,
and verified each time the document page shows it: message digest, signature, and the
certificate chain up to an SM2 root the platform trusts, each certificate valid at the signing
time.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from asn1crypto import keys
from asn1crypto import x509 as ax509
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event, require_own_transaction
from quancheng.lib import gmcrypto, keyseal, sm2cms
from quancheng.lib.sm2cms import OID_SM2_SIGN, SIGNATURE_OIDS, Status  # noqa: F401 (API)
from quancheng.orgs.models import Agency
from quancheng.records.services import blob_store
from quancheng.records.sm3 import file_digests

from .certificates import _passphrase
from .models import Sm2Certificate, Sm2DocumentSignature

if TYPE_CHECKING:
    from quancheng.orgs.models import User
    from quancheng.records.models import Blob, Document


_KEY_LABEL = b"quancheng sm2 key"
_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.DOTALL)


LABELS = {
    Status.VALID: "SM2 签名有效",
    Status.ALTERED: "签名后文件已被修改",
    Status.BAD_SIGNATURE: "SM2 签名值无效",
    Status.UNTRUSTED: "签名者证书不受信任或不在有效期内",
    Status.MALFORMED: "SM2 签名格式错误",
    Status.MISSING: "无 SM2 签名",
}


@dataclass
class Sm2Check:
    status: str
    signer: str = ""
    signed_at: dt.datetime | None = None
    detail: str = ""
    chain: list[str] = field(default_factory=list)
    user_id: bytes | None = None  # the SM2 identifier the signature verified with
    content_types: str = ""  # "rfc5652" or "gmt0010"

    @property
    def identifier_label(self) -> str:
        if self.user_id is None:
            return ""
        return self.user_id.decode() if self.user_id else "空（OpenSSL 兼容）"

    @property
    def label(self) -> str:
        return LABELS[self.status]

    @property
    def ok(self) -> bool:
        return self.status == Status.VALID


# --- certificates ------------------------------------------------------------------------------


def _pem(der: bytes) -> str:
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def _ders(pem: str | bytes) -> list[bytes]:
    if isinstance(pem, str):
        pem = pem.encode()
    out = []
    for block in _PEM_CERT.findall(pem):
        body = b"".join(block.split(b"\n")[1:-1])
        out.append(base64.b64decode(body))
    return out


_common_name = sm2cms.common_name
_sm2_public_key = sm2cms.public_key


def _name(org: str, cn: str) -> ax509.Name:
    return ax509.Name.build(
        {"country_name": "CN", "organization_name": org[:64], "common_name": cn[:64]}
    )


def make_certificate(
    subject: ax509.Name,
    public_key: gmcrypto.SM2PublicKey,
    issuer: ax509.Name,
    issuer_key: gmcrypto.SM2PrivateKey,
    *,
    ca: bool,
    not_before: dt.datetime,
    not_after: dt.datetime,
    identifier: str = "default",
) -> bytes:
    """An X.509 v3 certificate signed with SM2-with-SM3 (GB/T 20518), as DER.

    ``identifier``: the SM2 distinguishing identifier of the issuer's signature, GM/T 0009's
    default (as Chinese CAs sign) or ``empty`` (what OpenSSL 3.0 checks certificates with when
    given none, e.g. in ``openssl cms -verify -CAfile``).
    """
    extensions = [
        {
            "extn_id": "basic_constraints",
            "critical": True,
            "extn_value": {"ca": ca, "path_len_constraint": 0 if ca else None},
        },
        {
            "extn_id": "key_usage",
            "critical": True,
            "extn_value": {"key_cert_sign", "crl_sign"} if ca else {"digital_signature"},
        },
        {
            "extn_id": "key_identifier",
            "critical": False,
            "extn_value": hashlib.sha1(public_key.raw()).digest(),  # noqa: S324 - RFC 5280 4.2.1.2
        },
    ]
    tbs = ax509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": int.from_bytes(os.urandom(16), "big") >> 1,
            "signature": {"algorithm": gmcrypto.OID_SM2_WITH_SM3},
            "issuer": issuer,
            "validity": {
                "not_before": ax509.Time({"utc_time": not_before}),
                "not_after": ax509.Time({"utc_time": not_after}),
            },
            "subject": subject,
            "subject_public_key_info": keys.PublicKeyInfo.load(public_key.der()),
            "extensions": extensions,
        }
    )
    return ax509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": {"algorithm": gmcrypto.OID_SM2_WITH_SM3},
            "signature_value": issuer_key.sign(tbs.dump(), sm2cms.IDENTIFIERS[identifier]),
        }
    ).dump()


def encrypt_key(key: gmcrypto.SM2PrivateKey) -> str:
    """``sm2-aesgcm:`` base64(salt || nonce || AES-256-GCM(scalar)), key from the passphrase."""
    return keyseal.seal(key.raw(), _passphrase(), label=_KEY_LABEL, prefix="sm2-aesgcm:")


def decrypt_key(text: str) -> gmcrypto.SM2PrivateKey:
    return gmcrypto.SM2PrivateKey.from_raw(
        keyseal.unseal(text, _passphrase(), label=_KEY_LABEL, prefix="sm2-aesgcm:")
    )


def _store(actor: User | None, der: bytes, *, agency=None, key=None, chain=(), is_root=False):
    cert = ax509.Certificate.load(der)
    fingerprint = hashlib.sha256(der).hexdigest()
    existing = Sm2Certificate.objects.filter(fingerprint=fingerprint).first()
    if existing is not None:
        return existing
    with transaction.atomic(durable=True):
        if agency is not None:
            Sm2Certificate.objects.filter(agency=agency, active=True).update(active=False)
        stored = Sm2Certificate.objects.create(
            agency=agency,
            is_root=is_root,
            subject=_common_name(cert),
            serial=format(cert.serial_number, "x"),
            fingerprint=fingerprint,
            not_before=cert.not_valid_before,
            not_after=cert.not_valid_after,
            certificate_pem=_pem(der),
            chain_pem="".join(_pem(c) for c in chain),
            encrypted_key=encrypt_key(key) if key is not None else "",
        )
        record_event(
            actor,
            Action.SM2ROOT_TRUSTED if is_root else Action.SM2CERTIFICATE_IMPORTED,
            stored,
            {
                "agency": agency.pk if agency else None,
                "subject": stored.subject,
                "serial": stored.serial,
                "fingerprint": fingerprint,
                "fingerprint_sm3": gmcrypto.sm3_hex(der),  # issue 19: both digests
                "not_after": stored.not_after.isoformat(),
            },
            agency=agency,
        )
    return stored


def trust_root(actor: User | None, pem: str | bytes) -> Sm2Certificate:
    """Trust an SM2 CA certificate (a ledger event); it must be self-signed with SM2."""
    (der, *_) = _ders(pem) or [b""]
    try:
        cert = ax509.Certificate.load(der)
        ok = sm2cms.issued_by(cert, cert)
    except (ValueError, TypeError, gmcrypto.GmCryptoError) as e:
        raise ValidationError(f"不是有效的 SM2 证书：{e}") from None
    if not ok:
        raise ValidationError("根证书的 SM2 自签名无效")
    return _store(actor, der, is_root=True)


def import_certificate(
    actor: User | None,
    agency: Agency,
    cert_pem: str | bytes,
    key_pem: str | bytes,
    chain_pem: str = "",
) -> Sm2Certificate:
    """Keep an agency's SM2 certificate and key from its CA (earlier ones retired)."""
    ders = _ders(cert_pem)
    if not ders:
        raise ValidationError("没有找到证书（PEM）")
    try:
        key = gmcrypto.SM2PrivateKey.from_pem(key_pem)
        cert = ax509.Certificate.load(ders[0])
        public = _sm2_public_key(cert)
    except (ValueError, TypeError, gmcrypto.GmCryptoError) as e:
        raise ValidationError(f"无法读取 SM2 证书或私钥：{e}") from None
    if public != key.public_key():
        raise ValidationError("证书与私钥不匹配")
    return _store(actor, ders[0], agency=agency, key=key, chain=[*ders[1:], *_ders(chain_pem)])


def active_certificate(agency: Agency) -> Sm2Certificate | None:
    now = timezone.now()
    return (
        Sm2Certificate.objects.filter(
            agency=agency, active=True, is_root=False, not_before__lte=now, not_after__gt=now
        )
        .exclude(encrypted_key="")
        .order_by("-created_at")
        .first()
    )


# --- signing and verifying ---------------------------------------------------------------------


def cms_options() -> dict[str, str]:
    """The identifier and content-type OIDs of new signatures (docs/national-crypto.md)."""
    return {
        "identifier": settings.QC_SM2_CMS_IDENTIFIER,
        "content_types": settings.QC_SM2_CMS_CONTENT_TYPES,
    }


def sign_detached(
    content: bytes, stored: Sm2Certificate, signing_time: dt.datetime, **options
) -> bytes:
    """The DER CMS ContentInfo of a detached SM2/SM3 SignedData over ``content``."""
    (cert_der,) = _ders(stored.certificate_pem)
    return sm2cms.sign_detached(
        gmcrypto.sm3(content).digest(),
        decrypt_key(stored.encrypted_key),
        ax509.Certificate.load(cert_der),
        [ax509.Certificate.load(d) for d in _ders(stored.chain_pem)],
        signing_time,
        **{**cms_options(), **options},
    )


def _roots() -> dict[bytes, ax509.Certificate]:
    """Trusted SM2 roots by the DER of their subject."""
    roots = {}
    for pem in Sm2Certificate.objects.filter(is_root=True).values_list(
        "certificate_pem", flat=True
    ):
        cert = ax509.Certificate.load(_ders(pem)[0])
        roots[cert.subject.dump()] = cert
    return roots


def verify_detached(signature: bytes, content: bytes) -> Sm2Check:
    """Check a detached SM2/SM3 CMS signature over ``content`` against the trusted SM2 roots."""
    return verify_detached_sm3(signature, gmcrypto.sm3(content).digest())


def verify_detached_sm3(signature: bytes, content_sm3: bytes) -> Sm2Check:
    """Like :func:`verify_detached`, given the content's SM3 (read in a streaming pass)."""
    found = sm2cms.check_detached(signature, content_sm3)
    if found.certificate is None:
        return Sm2Check(found.status, detail=found.detail)
    check = Sm2Check(
        found.status,
        sm2cms.common_name(found.certificate),
        found.signed_at,
        found.detail,
        user_id=found.user_id,
        content_types=found.content_types,
    )
    if found.status != Status.VALID:
        return check
    # A VALID check has read the signer's certificate and its signing time.
    assert found.certificate is not None and found.signed_at is not None
    problem, check.chain = sm2cms.chain_problem(
        found.certificate, found.certificates, _roots(), found.signed_at
    )
    if problem:
        check.status, check.detail = Status.UNTRUSTED, problem
    return check


def sign_document_pdf(pdf: bytes, agency: Agency):
    """(certificate, detached signature, signing time) for a finalised PDF, or None when the
    agency has no SM2 certificate (the PDF then carries its PAdES signature alone)."""
    stored = active_certificate(agency)
    if stored is None:
        return None
    signed_at = timezone.now().replace(microsecond=0)
    return stored, sign_detached(pdf, stored, signed_at), signed_at


def record_signature(
    actor: User, document: Document, blob: Blob, stored: Sm2Certificate, signed_at: dt.datetime
) -> None:
    """Keep the signature with its document (in the finalisation's transaction)."""
    require_own_transaction("documents.sm2sign.record_signature")
    Sm2DocumentSignature.objects.create(
        document=document, blob=blob, certificate=stored, signed_at=signed_at
    )
    record_event(
        actor,
        Action.DOCUMENT_SM2_SIGNED,
        document,
        {
            "document": file_digests(document.blob_id),
            "signature": file_digests(blob.sha256),
            "certificate": stored.fingerprint,
            "signed_at": signed_at.astimezone(dt.UTC).isoformat(),
        },
    )


def check_document(document) -> Sm2Check:
    """Verify a document's SM2 signature now (the document page shows it each time)."""

    record = Sm2DocumentSignature.objects.filter(document=document).select_related("blob").first()
    if record is None:
        return Sm2Check(Status.MISSING)
    store = blob_store()
    with store.open(record.blob_id) as f:
        signature = f.read()
    with store.open(document.blob_id) as f:
        content_sm3 = bytes.fromhex(gmcrypto.sm3_file(f))
    return verify_detached_sm3(signature, content_sm3)

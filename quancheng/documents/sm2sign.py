"""The detached SM2/SM3 signature of finalised PDFs (国密签名, GM/T 0010), beside PAdES.

A finalised PDF keeps its PAdES signature (pyHanko, ECDSA P-256). When its agency has an SM2
certificate (from its CA, imported with ``manage.py import_sm2_certificate``, or the demo CA's),
the platform also signs the finished PDF with it: a CMS ``SignedData`` (RFC 5652 / PKCS#7,
built with ``asn1crypto``) without the content (detached), with

- digest algorithm SM3 (1.2.156.10197.1.401), signature algorithm SM2 (GM/T 0010's
  1.2.156.10197.1.301.1; 1.2.156.10197.1.501, SM2-with-SM3, is accepted when verifying);
- signed attributes contentType (data), signingTime and messageDigest (the PDF's SM3); the SM2
  signature, with the default identifier 1234567812345678 (GM/T 0009), is over their DER SET;
- the signer's certificate and its chain.

The content types are RFC 5652's (id-data, id-signedData), as OpenSSL writes and reads them;
GM/T 0010's own content-type OIDs (1.2.156.10197.6.1.4.2.x) are not written. The signature is
stored as a blob of its own (``.p7s``) and verified each time the document page shows it:
message digest, signature, and the certificate chain up to an SM2 root the platform trusts, each
certificate valid at the signing time.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import algos, cms, keys
from asn1crypto import x509 as ax509
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.ledger.services import record_event
from quancheng.lib import gmcrypto
from quancheng.orgs.models import Agency

from .certificates import _passphrase
from .models import Sm2Certificate, Sm2DocumentSignature

OID_SM2_SIGN = "1.2.156.10197.1.301.1"  # GM/T 0010: SM2 digital signature (sm2-1)
SIGNATURE_OIDS = {OID_SM2_SIGN, gmcrypto.OID_SM2_WITH_SM3}
DEMO_SM2_CA_NAME = "全程演示 SM2 根证书（仅供演示）"
_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.DOTALL)


class Status:
    VALID = "valid"
    ALTERED = "altered"  # the PDF is not what was signed
    BAD_SIGNATURE = "bad_signature"
    UNTRUSTED = "untrusted"  # no chain to a trusted SM2 root, or a certificate out of validity
    MALFORMED = "malformed"
    MISSING = "missing"  # the document has no SM2 signature


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


def _common_name(cert: ax509.Certificate) -> str:
    return cert.subject.native.get("common_name") or cert.subject.human_friendly


def _sm2_public_key(cert: ax509.Certificate) -> gmcrypto.SM2PublicKey:
    return gmcrypto.SM2PublicKey.from_der(cert.public_key.dump())


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
) -> bytes:
    """An X.509 v3 certificate signed with SM2-with-SM3 (GB/T 20518), as DER."""
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
            "signature_value": issuer_key.sign(tbs.dump()),
        }
    ).dump()


def _key_cipher(salt: bytes) -> AESGCM:
    kdf = Scrypt(salt=salt, length=32, n=2**14, r=8, p=1)
    return AESGCM(kdf.derive(_passphrase()))


def encrypt_key(key: gmcrypto.SM2PrivateKey) -> str:
    """``sm2-aesgcm:`` base64(salt || nonce || AES-256-GCM(scalar)), key from the passphrase."""
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = _key_cipher(salt).encrypt(nonce, key.raw(), b"quancheng sm2 key")
    return "sm2-aesgcm:" + base64.b64encode(salt + nonce + sealed).decode()


def decrypt_key(text: str) -> gmcrypto.SM2PrivateKey:
    raw = base64.b64decode(text.removeprefix("sm2-aesgcm:"))
    salt, nonce, sealed = raw[:16], raw[16:28], raw[28:]
    return gmcrypto.SM2PrivateKey.from_raw(
        _key_cipher(salt).decrypt(nonce, sealed, b"quancheng sm2 key")
    )


def _store(actor, der: bytes, *, agency=None, key=None, chain=(), is_root=False):
    cert = ax509.Certificate.load(der)
    fingerprint = hashlib.sha256(der).hexdigest()
    existing = Sm2Certificate.objects.filter(fingerprint=fingerprint).first()
    if existing is not None:
        return existing
    with transaction.atomic():
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
            "sm2root.trusted" if is_root else "sm2certificate.imported",
            stored,
            {
                "agency": agency.pk if agency else None,
                "subject": stored.subject,
                "serial": stored.serial,
                "fingerprint": fingerprint,
                "not_after": stored.not_after.isoformat(),
            },
            agency=agency,
        )
    return stored


def trust_root(actor, pem: str | bytes) -> Sm2Certificate:
    """Trust an SM2 CA certificate (a ledger event); it must be self-signed with SM2."""
    (der, *_) = _ders(pem) or [b""]
    try:
        cert = ax509.Certificate.load(der)
        ok = _sm2_public_key(cert).verify(
            cert["signature_value"].native, cert["tbs_certificate"].dump()
        )
    except (ValueError, TypeError, gmcrypto.GmCryptoError) as e:
        raise ValidationError(f"不是有效的 SM2 证书：{e}") from None
    if not ok:
        raise ValidationError("根证书的 SM2 自签名无效")
    return _store(actor, der, is_root=True)


def import_certificate(
    actor, agency: Agency, cert_pem: str | bytes, key_pem: str | bytes, chain_pem: str = ""
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


def demo_ca(actor=None) -> tuple[gmcrypto.SM2PrivateKey, bytes]:
    """The demo SM2 CA's key and certificate, made once under ``VAR_DIR/demo_ca`` and trusted."""
    directory = Path(settings.VAR_DIR) / "demo_ca"
    key_path, cert_path = directory / "sm2-ca.key", directory / "sm2-ca.pem"
    if key_path.exists() and cert_path.exists():
        key = decrypt_key(key_path.read_text())
        der = _ders(cert_path.read_bytes())[0]
    else:
        directory.mkdir(parents=True, exist_ok=True)
        key = gmcrypto.SM2PrivateKey.generate()
        now = timezone.now()
        name = _name("全程 卫生健康行政执法全过程记录平台", DEMO_SM2_CA_NAME)
        der = make_certificate(
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
            f.write(encrypt_key(key))
        cert_path.write_text(_pem(der))
    trust_root(actor, _pem(der))
    return key, der


def issue_demo_certificate(actor, agency: Agency) -> Sm2Certificate:
    """An SM2 signing certificate for ``agency`` from the demo SM2 CA."""
    ca_key, ca_der = demo_ca(actor)
    ca = ax509.Certificate.load(ca_der)
    key = gmcrypto.SM2PrivateKey.generate()
    now = timezone.now()
    der = make_certificate(
        _name(agency.name, agency.name),
        key.public_key(),
        ca.subject,
        ca_key,
        ca=False,
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=1825),
    )
    return _store(actor, der, agency=agency, key=key, chain=[ca_der])


# --- signing and verifying ---------------------------------------------------------------------


def sign_detached(content: bytes, stored: Sm2Certificate, signing_time: dt.datetime) -> bytes:
    """The DER CMS ContentInfo of a detached SM2/SM3 SignedData over ``content``."""
    key = decrypt_key(stored.encrypted_key)
    (cert_der,) = _ders(stored.certificate_pem)
    cert = ax509.Certificate.load(cert_der)
    chain = [ax509.Certificate.load(d) for d in _ders(stored.chain_pem)]
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute(
                {"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]}
            ),
            cms.CMSAttribute(
                {"type": "message_digest", "values": [gmcrypto.sm3(content).digest()]}
            ),
        ]
    )
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                name="issuer_and_serial_number",
                value={"issuer": cert.issuer, "serial_number": cert.serial_number},
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": gmcrypto.OID_SM3}),
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": OID_SM2_SIGN}),
            # GM/T 0009: the signature over the DER SET OF the signed attributes.
            "signature": key.sign(signed_attrs.dump()),
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": gmcrypto.OID_SM3})],
            "encap_content_info": {"content_type": "data"},  # detached: no content
            "certificates": [cert, *chain],
            "signer_infos": [signer_info],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


def _roots() -> dict[str, ax509.Certificate]:
    """Trusted SM2 roots by the DER of their subject."""
    roots = {}
    for pem in Sm2Certificate.objects.filter(is_root=True).values_list(
        "certificate_pem", flat=True
    ):
        cert = ax509.Certificate.load(_ders(pem)[0])
        roots[cert.subject.dump()] = cert
    return roots


def _valid_at(cert: ax509.Certificate, when: dt.datetime) -> bool:
    return cert.not_valid_before <= when <= cert.not_valid_after


def _chain_problem(cert, others, roots, when) -> tuple[str, list[str]]:
    """Why the certificate does not chain to a trusted root at ``when`` ("" when it does)."""
    chain = [_common_name(cert)]
    current = cert
    for _ in range(8):
        if not _valid_at(current, when):
            return f"证书“{_common_name(current)}”在签名时不在有效期内", chain
        root = roots.get(current.issuer.dump())
        issuer = root or others.get(current.issuer.dump())
        if issuer is None:
            return f"找不到“{current.issuer.human_friendly}”的证书", chain
        signed = current["tbs_certificate"].dump()
        if current["signature_algorithm"]["algorithm"].dotted not in SIGNATURE_OIDS or not (
            _sm2_public_key(issuer).verify(current["signature_value"].native, signed)
        ):
            return f"证书“{_common_name(current)}”的签发者签名无效", chain
        if root is not None:
            if not _valid_at(root, when):
                return f"根证书“{_common_name(root)}”在签名时不在有效期内", chain
            chain.append(_common_name(root))
            return "", chain
        if issuer is current:
            break
        chain.append(_common_name(issuer))
        current = issuer
    return "证书链未到达平台信任的 SM2 根证书", chain


def verify_detached(signature: bytes, content: bytes) -> Sm2Check:
    """Check a detached SM2/SM3 CMS signature over ``content`` against the trusted SM2 roots."""
    try:
        info = cms.ContentInfo.load(signature)
        if info["content_type"].native != "signed_data":
            return Sm2Check(Status.MALFORMED, detail="不是 SignedData")
        signed_data = info["content"]
        (signer,) = list(signed_data["signer_infos"])
        certs = [c.chosen for c in signed_data["certificates"]]
        sid = signer["sid"].chosen
        cert = next(
            c
            for c in certs
            if c.issuer == sid["issuer"] and c.serial_number == sid["serial_number"].native
        )
        if signer["digest_algorithm"]["algorithm"].dotted != gmcrypto.OID_SM3:
            return Sm2Check(Status.MALFORMED, detail="摘要算法不是 SM3")
        if signer["signature_algorithm"]["algorithm"].dotted not in SIGNATURE_OIDS:
            return Sm2Check(Status.MALFORMED, detail="签名算法不是 SM2")
        attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
        digest = attrs["message_digest"].native
        signed_at = attrs["signing_time"].native
        signed_bytes = b"\x31" + signer["signed_attrs"].dump()[1:]  # [0] IMPLICIT → SET OF
        public = _sm2_public_key(cert)
    except (ValueError, TypeError, KeyError, StopIteration, gmcrypto.GmCryptoError) as e:
        return Sm2Check(Status.MALFORMED, detail=f"{type(e).__name__}: {e}")
    signer_name = _common_name(cert)
    if gmcrypto.sm3(content).digest() != digest:
        return Sm2Check(Status.ALTERED, signer_name, signed_at, "文件的 SM3 与签名时不同")
    if not public.verify(signer["signature"].native, signed_bytes):
        return Sm2Check(Status.BAD_SIGNATURE, signer_name, signed_at, "SM2 签名值不符")
    others = {c.subject.dump(): c for c in certs}
    problem, chain = _chain_problem(cert, others, _roots(), signed_at)
    if problem:
        return Sm2Check(Status.UNTRUSTED, signer_name, signed_at, problem, chain)
    return Sm2Check(Status.VALID, signer_name, signed_at, "", chain)


def sign_document_pdf(pdf: bytes, agency: Agency):
    """(certificate, detached signature, signing time) for a finalised PDF, or None when the
    agency has no SM2 certificate (the PDF then carries its PAdES signature alone)."""
    stored = active_certificate(agency)
    if stored is None:
        return None
    signed_at = timezone.now().replace(microsecond=0)
    return stored, sign_detached(pdf, stored, signed_at), signed_at


def record_signature(actor, document, blob, stored: Sm2Certificate, signed_at) -> None:
    """Keep the signature with its document (in the finalisation's transaction)."""
    from quancheng.records.sm3 import file_digests

    Sm2DocumentSignature.objects.create(
        document=document, blob=blob, certificate=stored, signed_at=signed_at
    )
    record_event(
        actor,
        "document.sm2_signed",
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
    from quancheng.records.services import blob_store

    record = Sm2DocumentSignature.objects.filter(document=document).select_related("blob").first()
    if record is None:
        return Sm2Check(Status.MISSING)
    store = blob_store()
    with store.open(record.blob_id) as f:
        signature = f.read()
    content = io.BytesIO()
    with store.open(document.blob_id) as f:
        while chunk := f.read(1024 * 1024):
            content.write(chunk)
    return verify_detached(signature, content.getvalue())

"""Detached SM2/SM3 CMS signatures (GM/T 0010), Django-free: made and checked by the platform
(documents/sm2sign.py) and checked by the offline verifier (quancheng/offline).

A ``ContentInfo`` / ``SignedData`` (RFC 5652, the PKCS#7 v1.5 layout GM/T 0010 describes)
without the content, digest algorithm SM3, signature algorithm SM2 (GM/T 0010's
1.2.156.10197.1.301.1; 1.2.156.10197.1.501, SM2-with-SM3, is accepted when reading), signed
attributes contentType, signingTime and messageDigest (the content's SM3), the SM2 signature over
their DER ``SET OF``, the signer's certificate and its chain.

Two choices are the signer's (docs/national-crypto.md, "Who can verify the .p7s"):

- the **distinguishing identifier** that goes into the SM2 ``Z`` value: GM/T 0009's default
  ``1234567812345678`` (Chinese CAs and toolkits), or the empty identifier, which is what
  OpenSSL 1.1.1–3.x use in ``openssl cms -verify`` (they set none and offer no option to set
  one; the OpenSSL team declined a default, openssl/openssl#23162);
- the **content-type OIDs**: RFC 5652's ``id-data`` / ``id-signedData`` (OpenSSL, Bouncy Castle
  and asn1crypto read only these), or GM/T 0010's ``1.2.156.10197.6.1.4.2.1`` / ``.2`` (GmSSL 3
  reads only these).

The checks accept either identifier and either set of OIDs, and say which they found.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from asn1crypto import algos, cms
from asn1crypto import x509 as ax509

from quancheng.lib import gmcrypto

OID_SM2_SIGN = "1.2.156.10197.1.301.1"  # GM/T 0010: SM2 digital signature (sm2-1)
SIGNATURE_OIDS = {OID_SM2_SIGN, gmcrypto.OID_SM2_WITH_SM3}
# GM/T 0010-2012's content types (the sm2-cms arc 1.2.156.10197.6.1.4.2).
OID_GM_DATA = "1.2.156.10197.6.1.4.2.1"
OID_GM_SIGNED_DATA = "1.2.156.10197.6.1.4.2.2"
IDENTIFIERS = {"default": gmcrypto.DEFAULT_USER_ID, "empty": b""}
CONTENT_TYPES = {"rfc5652": ("signed_data", "data"), "gmt0010": ("gm_signed_data", "gm_data")}

# asn1crypto resolves content types by name: teach it GM/T 0010's two, with their structures.
cms.ContentType._map.setdefault(OID_GM_DATA, "gm_data")
cms.ContentType._map.setdefault(OID_GM_SIGNED_DATA, "gm_signed_data")
cms.ContentType._reverse_map = None
cms.ContentInfo._oid_specs.setdefault("gm_data", cms.OctetString)
cms.ContentInfo._oid_specs.setdefault("gm_signed_data", cms.SignedData)


class Status:
    VALID = "valid"
    ALTERED = "altered"  # the content is not what was signed
    BAD_SIGNATURE = "bad_signature"
    UNTRUSTED = "untrusted"  # no chain to a trusted SM2 root, or a certificate out of validity
    MALFORMED = "malformed"
    MISSING = "missing"  # nothing to check


@dataclass
class Parsed:
    """What a check found in a signature (the signer's certificate and the others it carries)."""

    status: str
    detail: str = ""
    certificate: ax509.Certificate | None = None
    certificates: list[ax509.Certificate] = field(default_factory=list)
    signed_at: dt.datetime | None = None
    user_id: bytes | None = None  # the identifier the signature verified with
    content_types: str = ""  # "rfc5652" or "gmt0010"


def common_name(cert: ax509.Certificate) -> str:
    return cert.subject.native.get("common_name") or cert.subject.human_friendly


def public_key(cert: ax509.Certificate) -> gmcrypto.SM2PublicKey:
    return gmcrypto.SM2PublicKey.from_der(cert.public_key.dump())


def verify_with_either_id(key: gmcrypto.SM2PublicKey, signature: bytes, data: bytes):
    """The identifier ``signature`` verifies with (GM/T 0009's default first), or None."""
    for user_id in (gmcrypto.DEFAULT_USER_ID, b""):
        if key.verify(signature, data, user_id):
            return user_id
    return None


def issued_by(cert: ax509.Certificate, issuer: ax509.Certificate) -> bool:
    """Whether ``issuer``'s key signed ``cert`` with SM2 (either identifier)."""
    if cert["signature_algorithm"]["algorithm"].dotted not in SIGNATURE_OIDS:
        return False
    signed = cert["tbs_certificate"].dump()
    return (
        verify_with_either_id(public_key(issuer), cert["signature_value"].native, signed)
        is not None
    )


def sign_detached(
    content_sm3: bytes,
    key: gmcrypto.SM2PrivateKey,
    cert: ax509.Certificate,
    chain: list[ax509.Certificate],
    signing_time: dt.datetime,
    *,
    identifier: str = "default",
    content_types: str = "rfc5652",
) -> bytes:
    """The DER ContentInfo of a detached SM2/SM3 SignedData over content whose SM3 is given."""
    signed_type, data_type = CONTENT_TYPES[content_types]
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": [data_type]}),
            cms.CMSAttribute(
                {"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]}
            ),
            cms.CMSAttribute({"type": "message_digest", "values": [content_sm3]}),
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
            "signature": key.sign(signed_attrs.dump(), IDENTIFIERS[identifier]),
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": gmcrypto.OID_SM3})],
            "encap_content_info": {"content_type": data_type},  # detached: no content
            "certificates": [cert, *chain],
            "signer_infos": [signer_info],
        }
    )
    return cms.ContentInfo({"content_type": signed_type, "content": signed_data}).dump()


def check_detached(signature: bytes, content_sm3: bytes) -> Parsed:
    """Check the signature's message digest and SM2 value (not its certificate chain)."""
    try:
        info = cms.ContentInfo.load(signature)
        kind = info["content_type"].native
        if kind not in ("signed_data", "gm_signed_data"):
            return Parsed(Status.MALFORMED, "不是 SignedData")
        content_types = "rfc5652" if kind == "signed_data" else "gmt0010"
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
            return Parsed(Status.MALFORMED, "摘要算法不是 SM3")
        if signer["signature_algorithm"]["algorithm"].dotted not in SIGNATURE_OIDS:
            return Parsed(Status.MALFORMED, "签名算法不是 SM2")
        attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
        digest = attrs["message_digest"].native
        signed_at = attrs["signing_time"].native
        signed_bytes = b"\x31" + signer["signed_attrs"].dump()[1:]  # [0] IMPLICIT → SET OF
        key = public_key(cert)
    except (ValueError, TypeError, KeyError, StopIteration, gmcrypto.GmCryptoError) as e:
        return Parsed(Status.MALFORMED, f"{type(e).__name__}: {e}")
    found = Parsed(
        Status.VALID,
        certificate=cert,
        certificates=certs,
        signed_at=signed_at,
        content_types=content_types,
    )
    if content_sm3 != digest:
        found.status, found.detail = Status.ALTERED, "文件的 SM3 与签名时不同"
        return found
    found.user_id = verify_with_either_id(key, signer["signature"].native, signed_bytes)
    if found.user_id is None:
        found.status, found.detail = Status.BAD_SIGNATURE, "SM2 签名值不符"
    return found


def chain_problem(
    cert: ax509.Certificate,
    others: list[ax509.Certificate],
    roots: dict[bytes, ax509.Certificate],
    when: dt.datetime,
) -> tuple[str, list[str]]:
    """Why ``cert`` does not chain to one of ``roots`` (by subject DER) at ``when`` ("" when it
    does), and the names along the chain."""
    by_subject = {c.subject.dump(): c for c in others}
    chain = [common_name(cert)]
    current = cert
    for _ in range(8):
        if not current.not_valid_before <= when <= current.not_valid_after:
            return f"证书“{common_name(current)}”在签名时不在有效期内", chain
        root = roots.get(current.issuer.dump())
        issuer = root or by_subject.get(current.issuer.dump())
        if issuer is None:
            return f"找不到“{current.issuer.human_friendly}”的证书", chain
        if not issued_by(current, issuer):
            return f"证书“{common_name(current)}”的签发者签名无效", chain
        if root is not None:
            if not root.not_valid_before <= when <= root.not_valid_after:
                return f"根证书“{common_name(root)}”在签名时不在有效期内", chain
            chain.append(common_name(root))
            return "", chain
        if issuer is current:
            break
        chain.append(common_name(issuer))
        current = issuer
    return "证书链未到达平台信任的 SM2 根证书", chain

"""The transfer package's 电子文件封装包 (``eep.xml``, DA/T 48, docs/archive.md) checked offline:
the project's XSD (lxml), both SM2 signatures (电子签名 over 被签名对象, 锁定签名 over it and the
signature block) with their SM3 摘要值, the signer's key against the platform's SM2 key when
one is known, and every 文件实体 and 附件 against its SHA-256, SM3 and size.

Django-free: used by the offline verifier (``verify_bundle``, which then verifies ``ledger/``
as a bundle) and by ``archive.transfer.read_package``."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from lxml import etree

from quancheng.lib import gmcrypto

SCHEMA = Path(__file__).resolve().parents[1] / "archive" / "schemas" / "eep-quancheng-1.xsd"
EEP = "eep.xml"
CHUNK = 1024 * 1024


def c14n(element) -> bytes:
    """Canonical XML 1.0 of an element (what the signatures cover)."""
    return etree.tostring(element, method="c14n")


def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def validate(document) -> None:
    """Raise ValueError with the schema's messages when ``document`` does not validate."""
    xsd = schema()
    if not xsd.validate(document):
        raise ValueError("; ".join(str(e) for e in xsd.error_log))


def _signature(element, data: bytes, problems: list[str], what: str):
    try:
        public = gmcrypto.SM2PublicKey.from_der(base64.b64decode(element.findtext("证书块/证书")))
    except Exception as e:
        problems.append(f"{what}：签名公钥无法读取（{e}）")
        return None
    if element.findtext("摘要值") != gmcrypto.sm3_hex(data):
        problems.append(f"{what}：摘要值与内容的SM3不符")
    try:
        valid = public.verify(base64.b64decode(element.findtext("签名结果") or ""), data)
    except Exception:
        valid = False
    if not valid:
        problems.append(f"{what}：SM2签名无效")
    return public


def check_eep(root: Path, sm2_public_der: bytes | None = None):
    """Check ``root/eep.xml`` and the files it names; returns (document or None, problems in
    Chinese, files checked). ``sm2_public_der``: the platform's SM2 key, obtained apart (or
    from the ledger bundle's verifier-sm2.key), that both signatures must be made with."""
    problems: list[str] = []
    try:
        eep = etree.parse(str(root / EEP))
        validate(eep)
    except (OSError, etree.XMLSyntaxError, ValueError) as e:
        return None, [f"eep.xml不符合XSD：{e}"], 0
    doc = eep.getroot()
    signed, signatures = doc.find("被签名对象"), doc.find("电子签名块")
    keys = []
    for signature in signatures.findall("电子签名"):
        keys.append(_signature(signature, c14n(signed), problems, "电子签名"))
    locking = c14n(signed) + c14n(signatures)
    keys.append(_signature(doc.find("锁定签名"), locking, problems, "锁定签名"))
    if sm2_public_der is not None:
        for public in keys:
            if public is not None and public.der() != sm2_public_der:
                problems.append("签名公钥不是平台的SM2公钥")
                break
    files = 0
    entries = signed.findall("封装内容/文件实体块/文件实体") + signed.findall("封装内容/附件")
    for entity in entries:
        name = entity.findtext("计算机文件名")
        target = (root / name).resolve()
        if root.resolve() not in target.parents or not target.is_file():
            problems.append(f"{name}：文件不在移交包中")
            continue
        sha, sm3, size = hashlib.sha256(), gmcrypto.sm3(), 0
        with open(target, "rb") as f:
            while chunk := f.read(CHUNK):
                sha.update(chunk)
                sm3.update(chunk)
                size += len(chunk)
        if sha.hexdigest() != entity.findtext("SHA256"):
            problems.append(f"{name}：SHA-256不符")
        if sm3.hexdigest() != entity.findtext("SM3"):
            problems.append(f"{name}：SM3不符")
        expected_size = entity.findtext("计算机文件大小")
        if expected_size is not None and int(expected_size) != size:
            problems.append(f"{name}：大小不符")
        files += 1
    return eep, problems, files

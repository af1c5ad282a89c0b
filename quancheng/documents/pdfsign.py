"""PAdES signing of finished documents with the agency's certificate (电子签章), via pyHanko.

pyHanko's default stamp font cannot draw Chinese, so the visible stamp is a text stamp set in
Noto Sans CJK SC through pyHanko's OpenType support (HarfBuzz shaping, embedded subset). Debian
ships the font only inside a TrueType collection, which pyHanko does not read: the SC face is
extracted once into ``VAR_DIR/fonts``.
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers, timestamps
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .certificates import load_key
from .models import AgencyCertificate

FIELD_NAME = "AgencySeal"
STAMP_BOX = (330, 40, 560, 110)  # bottom right of the last page, in PDF points
_font_lock = threading.Lock()


def _pem_certs(text: str) -> list[asn1_x509.Certificate]:
    data = text.encode()
    if not data.strip():
        return []
    return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]


def stamp_font_path() -> Path:
    """The CJK face for the stamp, extracted from the collection on first use."""
    target = Path(settings.VAR_DIR) / "fonts" / f"{settings.QC_CJK_FONT_NAME}.otf"
    if target.exists():
        return target
    from fontTools.ttLib import TTCollection

    with _font_lock:
        if not target.exists():
            collection = TTCollection(settings.QC_CJK_FONT_COLLECTION)
            face = next(
                f
                for f in collection.fonts
                if f["name"].getDebugName(6) == settings.QC_CJK_FONT_NAME
            )
            target.parent.mkdir(parents=True, exist_ok=True)
            # A name of this process's own: the lock holds threads apart, not the server's
            # worker processes, and two writers of one ".part" file renamed it from under
            # each other (FileNotFoundError, a 500 on concurrent finalisations).
            partial = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part")
            face.save(partial)
            partial.replace(target)
    return target


def _signer(stored: AgencyCertificate) -> signers.SimpleSigner:
    key = load_key(stored)
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return signers.SimpleSigner(
        signing_cert=_pem_certs(stored.certificate_pem)[0],
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs(_pem_certs(stored.chain_pem)),
    )


def sign_pdf(pdf: bytes, stored: AgencyCertificate, *, reason: str, location: str) -> bytes:
    """The PDF with the agency's PAdES signature and a visible Chinese stamp appended."""
    style = TextStampStyle(
        stamp_text=f"电子签章：{stored.agency.name}\n签章时间：%(ts)s\n证书序列号：{stored.serial}",
        text_box_style=TextBoxStyle(
            font=GlyphAccumulatorFactory(str(stamp_font_path())), font_size=8
        ),
        background=None,
        border_width=1,
        timestamp_format="%Y-%m-%d %H:%M:%S %Z",
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        name=stored.agency.name,
    )
    timestamper = None
    if settings.QC_TSA_URL:
        timestamper = timestamps.HTTPTimeStamper(settings.QC_TSA_URL)
    pdf_signer = signers.PdfSigner(
        meta,
        signer=_signer(stored),
        stamp_style=style,
        timestamper=timestamper,
        new_field_spec=fields.SigFieldSpec(FIELD_NAME, on_page=-1, box=STAMP_BOX),
    )
    out = io.BytesIO()
    pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out)
    return out.getvalue()

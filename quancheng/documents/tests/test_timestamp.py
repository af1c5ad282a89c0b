"""With QC_TSA_URL set, the PAdES signature carries an RFC 3161 timestamp from that authority.

The authority is a real HTTP server in a thread, answering with pyHanko's DummyTimeStamper under
a throw-away TSA certificate (extended key usage timeStamping).
"""

import datetime as dt
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import DummyTimeStamper
from weasyprint import HTML

from quancheng.documents.pdfsign import sign_pdf
from quancheng.documents.validation import validate_pdf_bytes


def _tsa_credentials():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # the dummy is RSA-only
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "测试时间戳服务")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return (
        asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        keys.PrivateKeyInfo.load(der_key),
    )


@pytest.fixture
def tsa_url():
    cert, key = _tsa_credentials()
    stamper = DummyTimeStamper(tsa_cert=cert, tsa_key=key)
    requests_seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            requests_seen.append(self.headers["Content-Type"])
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa", requests_seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_configured_tsa_timestamps_the_signature(settings, certified, tsa_url):
    url, requests_seen = tsa_url
    settings.QC_TSA_URL = url
    pdf = HTML(string="<html><body><p>现场笔录（测试）</p></body></html>").write_pdf()

    signed = sign_pdf(pdf, certified, reason="定稿", location="渝中区")

    # pyHanko asks once to size the signature, then for the real token.
    assert requests_seen and set(requests_seen) == {"application/timestamp-query"}
    [signature] = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    unsigned = signature.signer_info["unsigned_attrs"]
    assert "signature_time_stamp_token" in [a["type"].native for a in unsigned]
    assert validate_pdf_bytes(signed).status == "valid"

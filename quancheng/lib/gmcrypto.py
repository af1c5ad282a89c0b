"""The national commercial algorithms (国密): SM3 digests and SM2 signatures, Django-free.

They come in beside SHA-256 and Ed25519, never instead of them (GB/T 39786-2021 cryptography
assessment; docs/national-crypto.md).

- **SM3** (GB/T 32905-2016): ``hashlib.new("sm3")``, i.e. the OpenSSL that Python's ``hashlib``
  is built on; when that OpenSSL leaves SM3 out (some distributions build it without), the
  ``cryptography`` package's own OpenSSL (``hashes.SM3``) does it. :func:`sm3` returns a
  hashlib-like object with ``update``/``digest``/``hexdigest``/``copy`` in both cases.
- **SM2** signatures (GB/T 32918.2-2016, with SM3 and the distinguishing identifier of
  GB/T 35276-2017 / GM/T 0009-2012: ``1234567812345678`` unless told otherwise): OpenSSL's
  libcrypto (Debian's libssl3, the library ``hashlib`` and ``ssl`` use) through ``ctypes``.

Why libcrypto rather than a PyPI package (the comparison, docs/national-crypto.md):

- ``cryptography`` 50 has SM3 (``hashes.SM3``) and SM4 but no SM2: it refuses SM2 keys ("Curve
  1.2.156.10197.1.301 is not supported"); SM2 support was asked for and declined until someone
  designs the API (pyca/cryptography #5888, #6857, #9658, PR #9350).
- ``gmssl`` 3.2.2 (pure Python, last release February 2023) draws the SM2 nonce ``k`` with
  ``random.choice`` (Python's Mersenne Twister, ``gmssl/func.py``), which is predictable: a
  predictable ``k`` gives the private key away from one signature. Its arithmetic is not
  constant-time either. It is not used.
- OpenSSL has had SM2 since 1.1.1 and is the maintained implementation every Linux distribution
  ships; OpenSSL 3's ``EVP_PKEY_CTX_set1_id`` sets the distinguishing identifier, and its SM2
  signatures are DER ``SEQUENCE { r INTEGER, s INTEGER }`` as GM/T 0009 specifies.

Keys are serialised as PEM/DER PKCS#8 (private) and SubjectPublicKeyInfo (public) with the
``id-ecPublicKey`` algorithm and the SM2 curve OID 1.2.156.10197.1.301, the form OpenSSL and
Chinese CAs use, or raw: the 32-byte private scalar and the 65-byte uncompressed point
``04 || x || y``. ``ctypes`` releases the GIL during each call.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import hashlib
import re
from typing import Protocol, cast

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

# GM/T 0009-2012 §10 / GB/T 35276-2017 §10: the default distinguishing identifier of a signer.
DEFAULT_USER_ID = b"1234567812345678"
SM3_DIGEST_SIZE = 32

# OIDs (GM/T 0006-2012): the SM2 curve, SM3, and the SM2-with-SM3 signature algorithm.
OID_SM2_CURVE = "1.2.156.10197.1.301"
OID_SM3 = "1.2.156.10197.1.401"
OID_SM2_WITH_SM3 = "1.2.156.10197.1.501"

_ID_EC_PUBLIC_KEY_DER = bytes.fromhex("06072a8648ce3d0201")  # 1.2.840.10045.2.1
_SM2_CURVE_DER = bytes.fromhex("06082a811ccf5501822d")  # 1.2.156.10197.1.301
_ALGORITHM_DER = b"\x30\x13" + _ID_EC_PUBLIC_KEY_DER + _SM2_CURVE_DER
# SubjectPublicKeyInfo of an uncompressed point: SEQUENCE { AlgorithmIdentifier, BIT STRING }.
_SPKI_PREFIX = b"\x30\x59" + _ALGORITHM_DER + b"\x03\x42\x00"
SPKI_SIZE = len(_SPKI_PREFIX) + 65


class GmCryptoError(Exception):
    """An SM2 operation failed, or the key or signature is malformed."""


class GmUnavailableError(GmCryptoError):
    """This machine's OpenSSL has no SM2 (built without it, or older than 1.1.1)."""


# --- SM3 -------------------------------------------------------------------------------------


class Hasher(Protocol):
    name: str
    digest_size: int

    def update(self, data, /) -> None: ...

    def digest(self) -> bytes: ...

    def hexdigest(self) -> str: ...

    def copy(self) -> Hasher: ...


class _CryptographySm3:
    """SM3 through ``cryptography`` with hashlib's interface (digest() can be taken repeatedly)."""

    name = "sm3"
    digest_size = SM3_DIGEST_SIZE
    block_size = 64

    def __init__(self, data=b"", _context=None):
        self._context = _context if _context is not None else hashes.Hash(hashes.SM3())
        if data:
            self.update(data)

    def update(self, data, /) -> None:
        self._context.update(data)

    def copy(self) -> _CryptographySm3:
        return _CryptographySm3(_context=self._context.copy())

    def digest(self) -> bytes:
        return self._context.copy().finalize()

    def hexdigest(self) -> str:
        return self.digest().hex()


def _hashlib_has_sm3() -> bool:
    try:
        hashlib.new("sm3")
    except ValueError:
        return False
    return True


HASHLIB_SM3 = _hashlib_has_sm3()


def sm3(data=b"") -> Hasher:
    """A new streaming SM3 hasher, fed ``data`` first (hashlib's interface)."""
    if HASHLIB_SM3:
        return cast("Hasher", hashlib.new("sm3", data))  # hashlib's object has Hasher's methods
    return _CryptographySm3(data)


def sm3_hex(data) -> str:
    """The SM3 digest of ``data``, as 64 lowercase hex digits."""
    return sm3(data).hexdigest()


def sm3_file(stream, chunk_size: int = 1024 * 1024) -> str:
    """The SM3 hex digest of what a binary stream holds from its position on, read in chunks."""
    hasher = sm3()
    while block := stream.read(chunk_size):
        hasher.update(block)
    return hasher.hexdigest()


# --- libcrypto --------------------------------------------------------------------------------

_c = ctypes.c_void_p


def _load():
    for name in (ctypes.util.find_library("crypto"), "libcrypto.so.3", "libcrypto.so"):
        if name is None:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.EVP_PKEY_CTX_set1_id  # noqa: B018 - OpenSSL 3's SM2 identifier setter
        except (OSError, AttributeError):
            continue
        break
    else:
        return None
    signatures = {
        "ERR_get_error": (ctypes.c_ulong, []),
        "ERR_error_string_n": (None, [ctypes.c_ulong, ctypes.c_char_p, ctypes.c_size_t]),
        "ERR_clear_error": (None, []),
        "EVP_PKEY_CTX_new_from_name": (_c, [_c, ctypes.c_char_p, ctypes.c_char_p]),
        "EVP_PKEY_CTX_new": (_c, [_c, _c]),
        "EVP_PKEY_CTX_free": (None, [_c]),
        "EVP_PKEY_CTX_set1_id": (ctypes.c_int, [_c, ctypes.c_char_p, ctypes.c_int]),
        "EVP_PKEY_keygen_init": (ctypes.c_int, [_c]),
        "EVP_PKEY_generate": (ctypes.c_int, [_c, ctypes.POINTER(_c)]),
        "EVP_PKEY_free": (None, [_c]),
        "EVP_PKEY_is_a": (ctypes.c_int, [_c, ctypes.c_char_p]),
        "EVP_PKEY_get_bn_param": (ctypes.c_int, [_c, ctypes.c_char_p, ctypes.POINTER(_c)]),
        "BN_bn2binpad": (ctypes.c_int, [_c, ctypes.c_char_p, ctypes.c_int]),
        "BN_clear_free": (None, [_c]),
        "d2i_AutoPrivateKey": (_c, [_c, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long]),
        "d2i_PUBKEY": (_c, [_c, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long]),
        "i2d_PUBKEY": (ctypes.c_int, [_c, ctypes.POINTER(_c)]),
        "EVP_sm3": (_c, []),
        "EVP_MD_CTX_new": (_c, []),
        "EVP_MD_CTX_free": (None, [_c]),
        "EVP_MD_CTX_set_pkey_ctx": (None, [_c, _c]),
        "EVP_DigestSignInit": (ctypes.c_int, [_c, _c, _c, _c, _c]),
        "EVP_DigestSign": (
            ctypes.c_int,
            [
                _c,
                ctypes.c_char_p,
                ctypes.POINTER(ctypes.c_size_t),
                ctypes.c_char_p,
                ctypes.c_size_t,
            ],
        ),
        "EVP_DigestVerifyInit": (ctypes.c_int, [_c, _c, _c, _c, _c]),
        "EVP_DigestVerify": (
            ctypes.c_int,
            [_c, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t],
        ),
    }
    try:
        for name, (restype, argtypes) in signatures.items():
            function = getattr(lib, name)
            function.restype = restype
            function.argtypes = argtypes
    except AttributeError:
        return None
    return lib


_lib = _load()


def _errors() -> str:
    """OpenSSL's queued errors (and the queue emptied: hashlib and ssl share it)."""
    messages = []
    buffer = ctypes.create_string_buffer(256)
    while code := _lib.ERR_get_error():
        _lib.ERR_error_string_n(code, buffer, len(buffer))
        messages.append(buffer.value.decode("ascii", "replace"))
    return "; ".join(messages) or "unknown OpenSSL error"


def _fail(what: str):
    raise GmCryptoError(f"{what}: {_errors()}")


def _self_test() -> bool:
    """Whether this libcrypto does SM2: a key pair is generated, signs and verifies."""
    if _lib is None:
        return False
    try:
        key = SM2PrivateKey.generate()
        return key.public_key().verify(key.sign(b"self-test"), b"self-test")
    except GmCryptoError:
        _lib.ERR_clear_error()
        return False


def _require():
    if not SM2_AVAILABLE:
        raise GmUnavailableError(
            "this machine's OpenSSL libcrypto has no SM2 (OpenSSL 3 with SM2 is needed; "
            "Debian's libssl3 has it)"
        )


# --- DER helpers (the fixed shapes of SM2 keys) ------------------------------------------------


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(body)) + body


def _pem(label: str, der: bytes) -> bytes:
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        b"\n".join([f"-----BEGIN {label}-----".encode(), *lines, f"-----END {label}-----".encode()])
        + b"\n"
    )


_PEM_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)


def _unpem(data: bytes, labels: tuple[str, ...]) -> bytes:
    match = _PEM_RE.search(data)
    if match is None:
        raise GmCryptoError("not a PEM block")
    label = match.group(1).decode("ascii")
    if label not in labels:
        raise GmCryptoError(f"a PEM {label}, expected {' or '.join(labels)}")
    try:
        return base64.b64decode(b"".join(match.group(2).split()), validate=True)
    except ValueError:
        raise GmCryptoError("the PEM block is not valid base64") from None


# --- SM2 keys ---------------------------------------------------------------------------------


class _Key:
    def __init__(self, pkey: int):
        self._pkey = pkey

    def __del__(self):
        if getattr(self, "_pkey", None) and _lib is not None:
            _lib.EVP_PKEY_free(self._pkey)
            self._pkey = None

    @staticmethod
    def _checked(pkey, what: str) -> int:
        if not pkey:
            _fail(what)
        if _lib.EVP_PKEY_is_a(pkey, b"SM2") != 1:
            _lib.EVP_PKEY_free(pkey)
            raise GmCryptoError(f"{what}: not an SM2 key (the curve must be {OID_SM2_CURVE})")
        return pkey

    def _public_der(self) -> bytes:
        out = _c(None)
        size = _lib.i2d_PUBKEY(self._pkey, ctypes.byref(out))
        if size <= 0:
            _fail("i2d_PUBKEY")
        try:
            return ctypes.string_at(out.value or 0, size)  # i2d_PUBKEY succeeded: set
        finally:
            # OPENSSL_free is a macro for CRYPTO_free(ptr, file, line).
            _lib.CRYPTO_free(out, None, 0)

    def _digest_context(self, user_id: bytes):
        """A digest context for SM2 with SM3 and the signer's distinguishing identifier."""
        mctx = _lib.EVP_MD_CTX_new()
        pctx = _lib.EVP_PKEY_CTX_new(self._pkey, None)
        if not mctx or not pctx:
            _lib.EVP_MD_CTX_free(mctx)
            _lib.EVP_PKEY_CTX_free(pctx)
            _fail("EVP context")
        if _lib.EVP_PKEY_CTX_set1_id(pctx, user_id, len(user_id)) <= 0:
            _lib.EVP_MD_CTX_free(mctx)
            _lib.EVP_PKEY_CTX_free(pctx)
            _fail("EVP_PKEY_CTX_set1_id")
        _lib.EVP_MD_CTX_set_pkey_ctx(mctx, pctx)
        return mctx, pctx


class SM2PublicKey(_Key):
    """An SM2 public key."""

    @classmethod
    def from_der(cls, der: bytes) -> SM2PublicKey:
        """From a DER SubjectPublicKeyInfo."""
        _require()
        pointer = ctypes.c_char_p(der)
        pkey = _lib.d2i_PUBKEY(None, ctypes.byref(pointer), len(der))
        return cls(cls._checked(pkey, "not an SM2 public key"))

    @classmethod
    def from_pem(cls, pem: bytes | str) -> SM2PublicKey:
        if isinstance(pem, str):
            pem = pem.encode("ascii")
        return cls.from_der(_unpem(pem, ("PUBLIC KEY",)))

    @classmethod
    def from_raw(cls, raw: bytes) -> SM2PublicKey:
        """From the uncompressed point ``04 || x || y`` (65 bytes) or ``x || y`` (64 bytes)."""
        if len(raw) == 64:
            raw = b"\x04" + raw
        if len(raw) != 65 or raw[0] != 4:
            raise GmCryptoError("an SM2 public key is 04 || x || y: 65 bytes (or x || y: 64)")
        return cls.from_der(_SPKI_PREFIX + raw)

    def der(self) -> bytes:
        """The DER SubjectPublicKeyInfo."""
        return self._public_der()

    def pem(self) -> bytes:
        return _pem("PUBLIC KEY", self.der())

    def raw(self) -> bytes:
        """The uncompressed point ``04 || x || y`` (65 bytes)."""
        der = self.der()
        if len(der) != SPKI_SIZE or not der.startswith(_SPKI_PREFIX):
            raise GmCryptoError("unexpected SubjectPublicKeyInfo for an SM2 key")
        return der[len(_SPKI_PREFIX) :]

    def __eq__(self, other) -> bool:
        return isinstance(other, SM2PublicKey) and self.raw() == other.raw()

    def __hash__(self) -> int:
        return hash(self.raw())

    def verify(self, signature: bytes, data: bytes, user_id: bytes = DEFAULT_USER_ID) -> bool:
        """Whether ``signature`` (DER, GM/T 0009) is this key's SM2-with-SM3 signature of ``data``.

        ``user_id``: the signer's distinguishing identifier (GM/T 0009's default unless named).
        """
        _require()
        mctx, pctx = self._digest_context(user_id)
        try:
            if _lib.EVP_DigestVerifyInit(mctx, None, _lib.EVP_sm3(), None, self._pkey) != 1:
                _fail("EVP_DigestVerifyInit")
            result = _lib.EVP_DigestVerify(mctx, signature, len(signature), data, len(data))
        finally:
            _lib.EVP_MD_CTX_free(mctx)
            _lib.EVP_PKEY_CTX_free(pctx)
        _lib.ERR_clear_error()  # a refused signature queues errors; leave none for hashlib/ssl
        return result == 1

    def verify_raw(self, signature: bytes, data: bytes, user_id: bytes = DEFAULT_USER_ID) -> bool:
        """Like :meth:`verify` for a 64-byte ``r || s`` signature."""
        try:
            der = raw_to_der(signature)
        except GmCryptoError:
            return False
        return self.verify(der, data, user_id)


class SM2PrivateKey(_Key):
    """An SM2 private key (signing with SM3 and a distinguishing identifier)."""

    @classmethod
    def generate(cls) -> SM2PrivateKey:
        if _lib is None:
            raise GmUnavailableError("OpenSSL's libcrypto was not found")
        ctx = _lib.EVP_PKEY_CTX_new_from_name(None, b"SM2", None)
        if not ctx:
            _fail("EVP_PKEY_CTX_new_from_name(SM2)")
        try:
            pkey = _c(None)
            if (
                _lib.EVP_PKEY_keygen_init(ctx) != 1
                or _lib.EVP_PKEY_generate(ctx, ctypes.byref(pkey)) != 1
            ):
                _fail("SM2 key generation")
        finally:
            _lib.EVP_PKEY_CTX_free(ctx)
        return cls(cls._checked(pkey.value, "SM2 key generation"))

    @classmethod
    def from_der(cls, der: bytes) -> SM2PrivateKey:
        """From DER PKCS#8 (unencrypted) or SEC 1 ``ECPrivateKey`` naming the SM2 curve."""
        _require()
        pointer = ctypes.c_char_p(der)
        pkey = _lib.d2i_AutoPrivateKey(None, ctypes.byref(pointer), len(der))
        return cls(cls._checked(pkey, "not an SM2 private key"))

    @classmethod
    def from_pem(cls, pem: bytes | str) -> SM2PrivateKey:
        if isinstance(pem, str):
            pem = pem.encode("ascii")
        return cls.from_der(_unpem(pem, ("PRIVATE KEY", "EC PRIVATE KEY")))

    @classmethod
    def from_raw(cls, raw: bytes) -> SM2PrivateKey:
        """From the 32-byte private scalar d (big-endian)."""
        if len(raw) != 32:
            raise GmCryptoError("an SM2 private key is 32 bytes")
        return cls.from_der(_pkcs8(raw, None))

    def raw(self) -> bytes:
        """The 32-byte private scalar d."""
        bn = _c(None)
        if _lib.EVP_PKEY_get_bn_param(self._pkey, b"priv", ctypes.byref(bn)) != 1:
            _fail("EVP_PKEY_get_bn_param(priv)")
        try:
            out = ctypes.create_string_buffer(32)
            if _lib.BN_bn2binpad(bn, out, 32) != 32:
                _fail("BN_bn2binpad")
            return out.raw
        finally:
            _lib.BN_clear_free(bn)

    def der(self) -> bytes:
        """Unencrypted DER PKCS#8, with the public key (the layout of ``openssl genpkey``)."""
        return _pkcs8(self.raw(), self.public_key().raw())

    def pem(self) -> bytes:
        return _pem("PRIVATE KEY", self.der())

    def public_key(self) -> SM2PublicKey:
        return SM2PublicKey.from_der(self._public_der())

    def sign(self, data: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        """The SM2-with-SM3 signature of ``data``: DER ``SEQUENCE { r, s }`` (GM/T 0009)."""
        mctx, pctx = self._digest_context(user_id)
        try:
            if _lib.EVP_DigestSignInit(mctx, None, _lib.EVP_sm3(), None, self._pkey) != 1:
                _fail("EVP_DigestSignInit")
            size = ctypes.c_size_t(0)
            if _lib.EVP_DigestSign(mctx, None, ctypes.byref(size), data, len(data)) != 1:
                _fail("EVP_DigestSign")
            out = ctypes.create_string_buffer(size.value)
            if _lib.EVP_DigestSign(mctx, out, ctypes.byref(size), data, len(data)) != 1:
                _fail("EVP_DigestSign")
            return out.raw[: size.value]
        finally:
            _lib.EVP_MD_CTX_free(mctx)
            _lib.EVP_PKEY_CTX_free(pctx)

    def sign_raw(self, data: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        """Like :meth:`sign`, as 64 bytes ``r || s``."""
        return der_to_raw(self.sign(data, user_id))


def _pkcs8(d: bytes, public: bytes | None) -> bytes:
    # RFC 5915 ECPrivateKey { version 1, privateKey, [1] publicKey } inside RFC 5208 PKCS#8.
    ec_private = b"\x02\x01\x01" + _tlv(0x04, d)
    if public is not None:
        ec_private += _tlv(0xA1, _tlv(0x03, b"\x00" + public))
    return _tlv(0x30, b"\x02\x01\x00" + _ALGORITHM_DER + _tlv(0x04, _tlv(0x30, ec_private)))


# --- signature encodings ----------------------------------------------------------------------


def der_to_raw(signature: bytes) -> bytes:
    """DER ``SEQUENCE { r, s }`` → 64 bytes ``r || s``."""
    try:
        r, s = decode_dss_signature(signature)
    except ValueError:
        raise GmCryptoError("not a DER SM2 signature") from None
    if not (0 < r < 2**256 and 0 < s < 2**256):
        raise GmCryptoError("SM2 signature values out of range")
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def raw_to_der(signature: bytes) -> bytes:
    """64 bytes ``r || s`` → DER ``SEQUENCE { r, s }``."""
    if len(signature) != 64:
        raise GmCryptoError("a raw SM2 signature is 64 bytes")
    return encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )


if _lib is not None:
    try:
        _lib.CRYPTO_free.restype = None
        _lib.CRYPTO_free.argtypes = [_c, ctypes.c_char_p, ctypes.c_int]
    except AttributeError:
        _lib = None

SM2_AVAILABLE = True  # _self_test() runs with the checks in place, then says.
SM2_AVAILABLE = _self_test()

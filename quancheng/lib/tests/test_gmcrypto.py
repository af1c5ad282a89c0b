"""SM3 and SM2 (quancheng.lib.gmcrypto) against the published vectors of the standards."""

import io

import pytest

from quancheng.lib import gmcrypto
from quancheng.lib.gmcrypto import (
    DEFAULT_USER_ID,
    GmCryptoError,
    SM2PrivateKey,
    SM2PublicKey,
    sm3,
    sm3_file,
    sm3_hex,
)

# GB/T 32905-2016 appendix A (SM3): A.1 "abc", A.2 "abcd" sixteen times (512 bits).
SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
SM3_512 = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"

# GB/T 32918.5-2017 appendix A / GM/T 0003.5-2012 A.2: signature with the recommended curve,
# ID "1234567812345678", message "message digest".
CURVE_A = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC"
CURVE_B = "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"
GX = "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"
GY = "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"
PRIVATE = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"
PUBLIC_X = "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
PUBLIC_Y = "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
Z_A = "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"
E = "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640"
R = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
S = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
MESSAGE = b"message digest"


@pytest.fixture(scope="module")
def key():
    return SM2PrivateKey.generate()


def test_this_machine_has_both():
    assert gmcrypto.HASHLIB_SM3  # Debian's OpenSSL 3 through hashlib
    assert gmcrypto.SM2_AVAILABLE  # and SM2 through libcrypto


@pytest.mark.parametrize("fallback", [False, True])
def test_sm3_published_vectors(monkeypatch, fallback):
    if fallback:
        monkeypatch.setattr(gmcrypto, "HASHLIB_SM3", False)
    assert sm3_hex(b"abc") == SM3_ABC
    assert sm3_hex(b"abcd" * 16) == SM3_512
    # Streaming: the same digest whatever the cut, and digest() does not end the hash.
    hasher = sm3()
    hasher.update(b"abcd" * 5)
    copy = hasher.copy()
    assert hasher.hexdigest() == sm3_hex(b"abcd" * 5)
    hasher.update(b"abcd" * 11)
    assert hasher.hexdigest() == SM3_512
    assert hasher.digest() == bytes.fromhex(SM3_512)
    copy.update(b"abcd" * 11)
    assert copy.hexdigest() == SM3_512
    assert sm3_file(io.BytesIO(b"abcd" * 16), chunk_size=7) == SM3_512


def test_sm3_gives_the_standards_z_and_e():
    """Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA), e = SM3(Z_A || M)."""
    z_input = (
        (len(DEFAULT_USER_ID) * 8).to_bytes(2, "big")
        + DEFAULT_USER_ID
        + bytes.fromhex(CURVE_A + CURVE_B + GX + GY + PUBLIC_X + PUBLIC_Y)
    )
    z = sm3(z_input).digest()
    assert z.hex().upper() == Z_A
    assert sm3_hex(z + MESSAGE).upper() == E


def test_sm2_published_signature_verifies():
    public = SM2PublicKey.from_raw(bytes.fromhex("04" + PUBLIC_X + PUBLIC_Y))
    signature = bytes.fromhex(R + S)
    assert public.verify_raw(signature, MESSAGE)
    assert public.verify(gmcrypto.raw_to_der(signature), MESSAGE)
    # Every change is refused: message, identifier, r, s, key.
    assert not public.verify_raw(signature, b"message digesT")
    assert not public.verify_raw(signature, MESSAGE, user_id=b"1234567812345679")
    assert not public.verify_raw(bytes.fromhex(R) + bytes.fromhex(S)[::-1], MESSAGE)
    tampered_r = bytearray(signature)
    tampered_r[0] ^= 1
    assert not public.verify_raw(bytes(tampered_r), MESSAGE)
    assert not SM2PrivateKey.generate().public_key().verify_raw(signature, MESSAGE)


def test_sm2_published_private_key_gives_the_published_public_key():
    private = SM2PrivateKey.from_raw(bytes.fromhex(PRIVATE))
    assert private.public_key().raw().hex().upper() == "04" + PUBLIC_X + PUBLIC_Y
    # Its fresh signatures (random k) verify under the published public key.
    public = SM2PublicKey.from_raw(bytes.fromhex(PUBLIC_X + PUBLIC_Y))
    assert public.verify(private.sign(MESSAGE), MESSAGE)


def test_sign_and_verify(key):
    public = key.public_key()
    signature = key.sign(b"checkpoint")
    assert signature[0] == 0x30  # DER SEQUENCE { r, s }
    assert public.verify(signature, b"checkpoint")
    assert not public.verify(signature, b"checkpoinT")
    assert not public.verify(signature[:-1], b"checkpoint")
    assert not public.verify(b"", b"checkpoint")
    raw = key.sign_raw(b"checkpoint", user_id=b"quancheng")
    assert len(raw) == 64
    assert public.verify_raw(raw, b"checkpoint", user_id=b"quancheng")
    assert not public.verify_raw(raw, b"checkpoint")  # the default identifier differs
    assert not public.verify_raw(raw[:63], b"checkpoint")


def test_key_serialisation_round_trips(key):
    pem = key.pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert SM2PrivateKey.from_pem(pem).raw() == key.raw()
    assert SM2PrivateKey.from_der(key.der()).raw() == key.raw()
    assert SM2PrivateKey.from_raw(key.raw()).public_key() == key.public_key()
    public = key.public_key()
    assert SM2PublicKey.from_pem(public.pem()) == public
    assert SM2PublicKey.from_der(public.der()) == public
    assert SM2PublicKey.from_raw(public.raw()) == public
    assert SM2PublicKey.from_raw(public.raw()[1:]) == public
    assert len(public.der()) == gmcrypto.SPKI_SIZE


def test_openssl_layout_of_a_private_key_is_read():
    """A key as ``openssl genpkey -algorithm SM2`` writes it (PKCS#8, public key included)."""
    private = SM2PrivateKey.from_raw(bytes.fromhex(PRIVATE))
    der = private.der()
    # 30 81 87 02 01 00 30 13 <id-ecPublicKey> <sm2 curve> 04 6d 30 6b 02 01 01 04 20 <d> a1 44 ...
    assert der[:27].hex() == "308187020100301306072a8648ce3d020106082a811ccf5501822d"
    assert bytes.fromhex(PRIVATE) in der
    assert SM2PrivateKey.from_der(der).raw().hex().upper() == PRIVATE


def test_bad_keys_are_refused():
    with pytest.raises(GmCryptoError):
        SM2PublicKey.from_raw(b"\x04" + b"\x01" * 64)  # not on the curve
    with pytest.raises(GmCryptoError):
        SM2PublicKey.from_raw(b"\x05" + b"\x01" * 64)
    with pytest.raises(GmCryptoError):
        SM2PrivateKey.from_raw(b"\x01" * 31)
    with pytest.raises(GmCryptoError, match="PUBLIC KEY"):
        SM2PublicKey.from_pem(SM2PrivateKey.generate().pem())
    with pytest.raises(GmCryptoError, match="not an SM2"):  # noqa: PT012 - the P-256 key is made for this check only
        # A P-256 key is an EC key, not SM2.
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        p256 = ec.generate_private_key(ec.SECP256R1()).public_key()
        SM2PublicKey.from_der(
            p256.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


def test_signature_encodings():
    raw = bytes.fromhex(R + S)
    der = gmcrypto.raw_to_der(raw)
    assert gmcrypto.der_to_raw(der) == raw
    with pytest.raises(GmCryptoError):
        gmcrypto.der_to_raw(b"\x30\x00")
    with pytest.raises(GmCryptoError):
        gmcrypto.raw_to_der(raw[:-1])

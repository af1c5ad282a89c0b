"""The add-checkpoint body and cosignature/v1 lines, without Django or a database."""

import base64
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from quancheng.lib import note
from quancheng.witness import cosignature
from quancheng.witness.protocol import (
    MalformedRequest,
    format_add_checkpoint,
    parse_add_checkpoint,
    parse_size,
)

from .conftest import FakeLog


def test_a_request_round_trips():
    log = FakeLog(leaves=7)
    body = log.request(3)
    parsed = parse_add_checkpoint(body)
    assert parsed.old_size == 3
    assert parsed.proof == log.proof(3)
    assert parsed.checkpoint == note.Checkpoint(log.origin, 7, log.root())
    assert parsed.signed_note == log.checkpoint()
    assert body.startswith(b"old 3\n" + base64.b64encode(log.proof(3)[0]))


def test_the_spec_example_layout_parses():
    log = FakeLog(leaves=2)
    body = f"old 0\n\n{log.checkpoint()}".encode()
    assert parse_add_checkpoint(body).proof == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "no empty line"),
        (b"old 1\n", "no empty line"),
        (b"new 1\n\nx\n", "'old <size>'"),
        (b"old 01\n\nx\n", "leading zeroes"),
        (b"old -1\n\nx\n", "decimal"),
        (b"old 1\nnot base64!\n\nx\n", "not base64"),
        (b"old 1\nAAAA\n\nx\n", "not 32"),
        (b"old 0\n\norigin\n5\n", "malformed checkpoint"),
        (b"\xff\xfe\n\n", "not UTF-8"),
    ],
)
def test_malformed_bodies_are_refused(body, message):
    with pytest.raises(MalformedRequest, match=message):
        parse_add_checkpoint(body)


def test_more_than_63_proof_lines_are_refused():
    log = FakeLog(leaves=3)
    proof = [bytes(32)] * 64
    with pytest.raises(MalformedRequest, match="more than 63"):
        parse_add_checkpoint(format_add_checkpoint(2, proof, log.checkpoint()))


def test_a_huge_body_is_refused():
    with pytest.raises(MalformedRequest, match="larger than"):
        parse_add_checkpoint(b"old 0\n" + b"A" * 70_000)


def test_the_409_size_body():
    assert parse_size(b"20852014\n") == 20852014
    for bad in (b"12", b"012\n", b"x\n"):
        with pytest.raises(MalformedRequest):
            parse_size(bad)


def test_a_cosignature_follows_tlog_cosignature_v1():
    log = FakeLog(leaves=4)
    key = Ed25519PrivateKey.generate()
    text, _ = cosignature.split_note(log.checkpoint())
    line = cosignature.cosign(text, "city.example/witness", key, 1679315147)
    name, encoded = line.removeprefix("\u2014 ").split(" ")
    assert name == "city.example/witness"
    blob = base64.b64decode(encoded)
    raw = key.public_key().public_bytes_raw()
    assert blob[:4] == cosignature.key_id(name, raw)
    assert blob[:4] != note.key_id(name, raw)  # type 0x04, not the checkpoint's 0x01
    assert struct.unpack(">Q", blob[4:12]) == (1679315147,)
    message = b"cosignature/v1\ntime 1679315147\n" + text.encode()
    key.public_key().verify(blob[12:], message)  # raises when wrong

    vkey = cosignature.witness_vkey(name, key.public_key())
    found = cosignature.verify_cosignatures(text, [line], vkey)
    assert (found.name, found.timestamp, found.line) == (name, 1679315147, line)
    # The log's own signature line is ignored, the note still verifies with the log's key.
    note.verify_note(log.checkpoint() + line + "\n", log.vkey)


def test_a_cosignature_over_another_checkpoint_or_key_fails():
    log = FakeLog(leaves=4)
    key = Ed25519PrivateKey.generate()
    text, _ = cosignature.split_note(log.checkpoint())
    line = cosignature.cosign(text, "w", key, 1)
    vkey = cosignature.witness_vkey("w", key.public_key())
    other_text, _ = cosignature.split_note(log.checkpoint(size=3))
    with pytest.raises(cosignature.CosignatureError, match="does not verify"):
        cosignature.verify_cosignatures(other_text, [line], vkey)
    other = cosignature.witness_vkey("w", Ed25519PrivateKey.generate().public_key())
    with pytest.raises(cosignature.CosignatureError, match="no cosignature"):
        cosignature.verify_cosignatures(text, [line], other)


@pytest.mark.parametrize(
    "vkey",
    [
        "nothing",
        "w+zzzzzzzz+AQ==",
        "w+00000000+" + base64.b64encode(b"\x01" + bytes(32)).decode(),  # a checkpoint key
    ],
)
def test_malformed_witness_vkeys(vkey):
    with pytest.raises(cosignature.CosignatureError):
        cosignature.parse_witness_vkey(vkey)


def _signed(text: str) -> tuple[str, str]:
    key = Ed25519PrivateKey.generate()
    return note.sign_note(text, "x.example/log", key), note.verifier_key(
        "x.example/log", key.public_key()
    )


def test_the_note_parser_refuses_control_characters_in_the_origin():
    # signed-note: "Signed notes ... MUST NOT contain any ASCII control characters (those
    # below U+0020) other than newline."
    root = base64.b64encode(bytes(32)).decode()
    signed, vkey = _signed(f"x.example/log\x1b[31m\n5\n{root}\n")
    with pytest.raises(note.NoteError, match="control character"):
        note.verify_checkpoint(signed, vkey)
    with pytest.raises(note.NoteError, match="control character"):
        note.checkpoint_text("x.example/log\t", 5, bytes(32))
    signed, vkey = _signed(f"x.example/log\n5\n{root}\n")
    assert note.verify_checkpoint(signed, vkey).size == 5


def test_the_note_parser_refuses_an_empty_extension_line():
    # tlog-checkpoint: "Extension lines, if any, MUST be non-empty."
    root = base64.b64encode(bytes(32)).decode()
    with pytest.raises(note.NoteError, match="extension line"):
        note.parse_checkpoint(f"x.example/log\n5\n{root}\n\nextension\n")
    assert note.parse_checkpoint(f"x.example/log\n5\n{root}\nextension\n").size == 5

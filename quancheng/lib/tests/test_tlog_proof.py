"""The C2SP tlog-proof text format: written as the spec shows, parsed strictly."""

import base64

import pytest

from quancheng.lib.tlog_proof import TlogProofError, format_proof, parse_proof

ROOT = base64.b64encode(bytes(32)).decode()
NOTE = f"example.com/log\n5\n{ROOT}\n\n— example.com/log AAAA\n"
HASHES = [bytes([i]) * 32 for i in range(3)]


def test_a_proof_round_trips_in_the_spec_layout():
    text = format_proof(4, HASHES, NOTE, extra=b"ctx")
    lines = text.split("\n")
    assert lines[:3] == ["c2sp.org/tlog-proof@v1", "extra Y3R4", "index 4"]
    assert lines[3:6] == [base64.b64encode(h).decode() for h in HASHES]
    assert text.endswith("\n\n" + NOTE)
    assert parse_proof(text) == (4, HASHES, NOTE, b"ctx")
    assert parse_proof(format_proof(0, [], NOTE)) == (0, [], NOTE, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("c2sp.org/tlog-proof@v2\nindex 1\n\n" + NOTE, "first line"),
        ("c2sp.org/tlog-proof@v1\n\n" + NOTE, "no 'index' line"),
        ("c2sp.org/tlog-proof@v1\nindex 01\n\n" + NOTE, "leading zeros"),
        ("c2sp.org/tlog-proof@v1\nindex -1\n\n" + NOTE, "decimal"),
        ("c2sp.org/tlog-proof@v1\nindex 1\nnot*base64\n\n" + NOTE, "not base64"),
        ("c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\n" + NOTE, "has 3 bytes"),
        ("c2sp.org/tlog-proof@v1\nindex 1\n", "no blank line"),
    ],
)
def test_malformed_proofs_are_refused(text, message):
    with pytest.raises(TlogProofError, match=message):
        parse_proof(text)

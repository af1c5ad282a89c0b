"""The four alterations of issue 19's "Done when" (either digest, either signature), applied to
any export the offline verifier reads: a ledger bundle, the ``data/`` of an extraction package
(a BagIt bag), the ``ledger/`` of a transfer package. Each returns what the report must say."""

import base64
import hashlib
import json
from pathlib import Path

ALTERATIONS = ("sha256", "sm3", "ed25519", "sm2")


def rewrite_checkpoints(bundle: Path, change) -> None:
    """Apply ``change`` to the signed checkpoint and to the copy in every proof."""
    path = bundle / "checkpoint"
    old = path.read_text()
    new = change(old)
    path.write_text(new)
    for proof in (bundle / "proofs").iterdir():
        proof.write_text(proof.read_text().replace(old, new))


def flip_signature_line(signed: str, index: int) -> str:
    text, signatures = signed.split("\n\n", 1)
    lines = signatures.removesuffix("\n").split("\n")
    prefix, encoded = lines[index].rsplit(" ", 1)
    blob = bytearray(base64.b64decode(encoded))
    blob[-1] ^= 1
    lines[index] = f"{prefix} {base64.b64encode(bytes(blob)).decode()}"
    return text + "\n\n" + "\n".join(lines) + "\n"


def alter(bundle: Path, what: str) -> str:
    """Alter one thing of the bundle at ``bundle``; returns a phrase the English report holds."""
    if what in ("sha256", "sm3"):
        manifest = json.loads((bundle / "manifest.json").read_text())
        entry = manifest["files"][0]
        entry[what] = hashlib.sha256(b"another file").hexdigest() if what == "sha256" else "0" * 64
        (bundle / "manifest.json").write_text(json.dumps(manifest))
        return "differs from the manifest's" if what == "sm3" else "differs from the manifest:"
    if what == "ed25519":
        rewrite_checkpoints(bundle, lambda signed: flip_signature_line(signed, 0))
        return "checkpoint signature invalid or not by this key"
    rewrite_checkpoints(bundle, lambda signed: flip_signature_line(signed, 1))
    return "checkpoint SM2 signature invalid or missing"

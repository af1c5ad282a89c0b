"""The ledger part of an export bundle (证据包), verifiable offline by quancheng.offline.

Layout (docs/offline-verification.md)::

    manifest.json            format, origin, checkpoint size, the events by seq, and each file
                             with its path, SHA-256, SM3 and size
    files/<name>             the exported files, copied from the blob store
    events.jsonl             each event's hashed entry, exactly its canonical JSON bytes, a line
                             each, in seq order
    proofs/<seq>.tlog-proof  each event's inclusion proof in the checkpoint (C2SP tlog-proof)
    checkpoint               the signed checkpoint (C2SP signed note)
    verifier.key             the log's verifier key
    verifier-sm2.key         the log's SM2 verifier key (the checkpoint's second signature line)

The archive/access work builds export packages around it (approval, BagIt, extraction notes).

The ledger knows the exported files by their SHA-256 only; which blobs the platform stores, and
the SM3 registered for each, come from the blob registry of quancheng.records, above the ledger:
records registers a :class:`BlobSource` at ready() (:func:`register_blob_source`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quancheng.lib import gmcrypto
from quancheng.lib.blobstore import BlobStore, blob_store_from_url

from .actions import Action
from .checkpoints import origin, sm2_verifier_key, verifier_key
from .models import Checkpoint, Event
from .proofs import tlog_proof_text
from .services import record_event

if TYPE_CHECKING:
    from quancheng.orgs.models import User  # type-only: the ledger stores people by label


FORMAT = "quancheng-ledger-bundle/1"
COPY_CHUNK = 4 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
# The event that binds a blob's SM3 to its SHA-256 (records/sm3.py): a bundle carries it for each
# of its files, so that the offline verifier checks the SM3 against the ledger too.
SM3_ACTION = "blob.sm3_computed"


class BundleError(ValueError):
    pass


@dataclass(frozen=True)
class BundleFile:
    """A file to export: its name under files/ and its SHA-256.

    Its bytes come from the blob store, or from ``content`` for a record kept in the database
    (a data record's canonical JSON); either way they must hash to ``sha256``. A detached
    signature (a document's SM2 ``.p7s``) names the file it signs in ``signs``; the manifest
    says so (``signature_of``) and the offline verifier checks the signature against that file.
    """

    name: str
    sha256: str
    content: bytes | None = None
    signs: str = ""
    sm3: str = ""  # the SM3 ``content`` must have (a data record's recorded one)


def safe_name(name: str) -> str:
    """A file name usable under files/: no directories, no dot names, no control characters."""
    name = re.sub(r"[\x00-\x1f/\\]", "_", name).strip()
    if name in ("", ".", ".."):
        raise BundleError(f"unusable file name {name!r}")
    return name[:200]


def _copy_blob(store: BlobStore, sha256: str, target: Path) -> tuple[int, str]:
    """Copy a blob, re-hashing it on the way (SHA-256 and SM3); its size and SM3.

    A blob that is not what its name says is refused.
    """
    digest = hashlib.sha256()
    sm3 = gmcrypto.sm3()
    size = 0
    with store.open(sha256) as source, open(target, "xb") as out:
        while chunk := source.read(COPY_CHUNK):
            digest.update(chunk)
            sm3.update(chunk)
            out.write(chunk)
            size += len(chunk)
    if digest.hexdigest() != sha256:
        target.unlink()
        raise BundleError(f"blob {sha256} no longer has that SHA-256 (got {digest.hexdigest()})")
    return size, sm3.hexdigest()


def _write_content(f: BundleFile, target: Path) -> tuple[int, str]:
    content = f.content
    assert content is not None  # called for the files that carry their bytes
    if hashlib.sha256(content).hexdigest() != f.sha256:
        raise BundleError(f"{f.name}: its content does not have the SHA-256 {f.sha256}")
    with open(target, "xb") as out:
        out.write(content)
    return len(content), gmcrypto.sm3_hex(content)


@dataclass(frozen=True)
class BlobSource:
    """What a blob registry knows about files named by their SHA-256 (records fills it in)."""

    # Which of these SHA-256 are blobs the platform stores.
    stored: Callable[[list[str]], set[str]]
    # The SM3 registered for those of these SHA-256 that have one.
    registered_sm3: Callable[[list[str]], dict[str, str]]


_blob_sources: dict[str, BlobSource] = {}


def register_blob_source(name: str, source: BlobSource) -> None:
    """Let bundles ask ``source`` about their files (called from an AppConfig.ready())."""
    _blob_sources[name] = source


def _stored(sha256s: list[str]) -> set[str]:
    return set().union(*(source.stored(sha256s) for source in _blob_sources.values()))


def _registered_sm3(sha256s: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for source in _blob_sources.values():
        found.update(source.registered_sm3(sha256s))
    return found


def _sm3_events(sha256s: list[str], upto: int) -> list[Event]:
    """The events binding the files' SM3 to their SHA-256, as far as the checkpoint covers."""
    return list(
        Event.objects.filter(
            action=SM3_ACTION, object_type="records.blob", object_id__in=sha256s, seq__lte=upto
        )
    )


def make_ledger_bundle(  # noqa: C901 - the bundle's files written in their documented order
    out: str | Path,
    events: Iterable[Event],
    files: Iterable[BundleFile] = (),
    *,
    actor: User | None = None,
    object_type: str = "",
    object_id: str = "",
    store: BlobStore | None = None,
    record: bool = True,
) -> Path:
    """Write the ledger part of a bundle for ``events`` and ``files`` into the new folder ``out``.

    Every event must be covered by the latest signed checkpoint (make one first otherwise).
    Exporting the files is an access to record content, so it is recorded as the ledger event
    ``ledger.bundle_made``, in a durable transaction of its own once the files are written; that
    event itself comes after the bundle's checkpoint.

    Each file is listed with both digests. The ``blob.sm3_computed`` events of the files (as
    far as the checkpoint covers them) join the bundle's events, so the SM3 of a stored file is
    proven by the ledger as its SHA-256 is; a file whose SM3 the registry holds must still have
    it, else the bundle is refused like a SHA-256 mismatch.
    """
    files = list(files)
    checkpoint = Checkpoint.objects.order_by("-size").first()
    if checkpoint is not None:
        events = [*events, *_sm3_events([f.sha256 for f in files], checkpoint.size)]
    events = sorted({e.seq: e for e in events}.values(), key=lambda e: e.seq)
    if not events:
        raise BundleError("a bundle needs at least one event")
    if checkpoint is None or checkpoint.size < events[-1].seq:
        raise BundleError(
            f"event #{events[-1].seq} is not yet covered by a signed checkpoint; make one first"
        )
    names = [safe_name(f.name) for f in files]
    if len(set(names)) != len(names):
        raise BundleError("two files of the bundle have the same name")
    for f in files:
        if not _SHA256.fullmatch(f.sha256):
            raise BundleError(f"not a SHA-256: {f.sha256!r}")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise BundleError(f"{out} exists and is not empty")
    store = store or blob_store_from_url(settings.QC_BLOB_STORE)

    registered_sm3 = _registered_sm3([f.sha256 for f in files])

    # 1. The files, re-hashed while copied.
    (out / "files").mkdir(parents=True, exist_ok=True)
    listed = []
    for f, name in zip(files, names, strict=True):
        if f.content is None:
            size, sm3 = _copy_blob(store, f.sha256, out / "files" / name)
        else:
            size, sm3 = _write_content(f, out / "files" / name)
        expected_sm3 = registered_sm3.get(f.sha256) or f.sm3 or None
        if expected_sm3 is not None and sm3 != expected_sm3:
            raise BundleError(f"blob {f.sha256} no longer has its SM3 {expected_sm3} (got {sm3})")
        entry = {"path": f"files/{name}", "sha256": f.sha256, "sm3": sm3, "size": size}
        if f.signs:
            entry["signature_of"] = f"files/{safe_name(f.signs)}"
        listed.append(entry)
    # 2. The events, their proofs, the checkpoint and the key.
    with open(out / "events.jsonl", "wb") as lines:
        for event in events:
            lines.write(event.entry_bytes() + b"\n")
    (out / "proofs").mkdir()
    for event in events:
        (out / "proofs" / f"{event.seq}.tlog-proof").write_text(
            tlog_proof_text(event.seq, checkpoint.size), encoding="utf-8"
        )
    (out / "checkpoint").write_text(checkpoint.signed_note, encoding="utf-8")
    (out / "verifier.key").write_text(verifier_key() + "\n", encoding="utf-8")
    if sm2_vkey := sm2_verifier_key():
        (out / "verifier-sm2.key").write_text(sm2_vkey + "\n", encoding="utf-8")
    # 3. The manifest.
    manifest = {
        "format": FORMAT,
        "origin": origin(),
        "created_at": timezone.now().astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "checkpoint_size": checkpoint.size,
        "events": [e.seq for e in events],
        "files": listed,
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    # 4. The export is itself on the record (``record=False``: the caller records
    # :func:`bundle_made_body` itself when the bundle leaves, e.g. at the end of a job that may
    # be retried).
    if not record:
        return out
    with transaction.atomic(durable=True):  # after the copying: the event alone
        record_event(
            actor,
            Action.LEDGER_BUNDLE_MADE,
            None,
            {
                "events": [e.seq for e in events],
                "files": listed,
                "checkpoint_size": checkpoint.size,
            },
            object_type=object_type or "ledger",
            object_id=object_id or "bundle",
        )
    return out


def bundle_made_body(out: Path) -> dict:
    """The body of ``ledger.bundle_made`` for the bundle written in ``out``."""
    manifest = json.loads((Path(out) / "manifest.json").read_text(encoding="utf-8"))
    return {
        "events": manifest["events"],
        "files": manifest["files"],
        "checkpoint_size": manifest["checkpoint_size"],
    }


def files_named_in(events: Iterable[Event]) -> list[BundleFile]:
    """The stored blobs whose SHA-256 the events name, with a file name where they give one.

    A ``sha256`` key in an event body names a blob, its ``filename`` key (if any) the name.
    """
    found: dict[str, str] = {}
    for event in events:
        body = json.loads(event.body)
        sha256 = body.get("sha256") if isinstance(body, dict) else None
        if isinstance(sha256, str) and _SHA256.fullmatch(sha256):
            filename = body.get("filename") or found.get(sha256) or ""
            found[sha256] = filename
    stored = _stored(list(found))
    result = []
    for sha256, filename in found.items():
        if sha256 not in stored:
            continue
        name = f"{sha256[:12]}-{filename}" if filename else sha256
        result.append(BundleFile(safe_name(name), sha256))
    return result

"""The offline verifier (离线核验工具) of a Quancheng ledger bundle: no database, no network.

Usage::

    python -m quancheng.offline.verify_bundle BUNDLE [--key VKEY_OR_FILE] [--sm2-key VKEY_OR_FILE]
    quancheng-verify BUNDLE [--key VKEY_OR_FILE] [--sm2-key VKEY_OR_FILE]

BUNDLE is a directory or a .zip of one, holding (see docs/offline-verification.md)::

    manifest.json          {"format", "origin", "checkpoint_size", "events": [seq, ...],
                            "files": [{"path", "sha256", "sm3", "size"}, ...]}
    files/...              the exported files
    events.jsonl           one event a line: its hashed entry, exactly as canonical JSON bytes
    proofs/<seq>.tlog-proof  inclusion proof of each event (C2SP tlog-proof)
    checkpoint             the log's signed checkpoint (C2SP signed note)
    verifier.key           the log's verifier key (a court should rather be given it apart)
    verifier-sm2.key       the log's SM2 verifier key (the checkpoint's second signature)

An evidence extraction package (证据提取包) is a BagIt bag (RFC 8493) whose ``data/`` is such a
bundle: the bag is validated in full first (every payload file against the SHA-256 and SHA-512
manifests, the tag manifests, Payload-Oxum; the ``bagit`` library), then ``data/`` as a bundle.
An archival transfer package (移交包, docs/archive.md) is a folder or .zip holding ``eep.xml``
(DA/T 48: checked with ``verify_eep``, lxml) and ``ledger/``, such a bundle.

It checks every file's size, SHA-256 and SM3 against the manifest, that an event of the bundle
names that SHA-256 and that the events naming it with an SM3 name this one (the national
algorithms beside the international ones, docs/national-crypto.md); every event's inclusion in
a checkpoint signed by the key; the links between consecutive events; and the checkpoint's
signatures: Ed25519 always, SM2 too when an SM2 key is given or bundled (either one altered
fails the bundle). A bag's ``manifest-sm3.txt`` is checked beside the manifests ``bagit``
checks. It prints a report in Chinese and English and exits 0 when everything holds, 1
otherwise.

Only the standard library, ``cryptography``, ``bagit`` (for bags), ``lxml`` (for transfer
packages) and Django-free Quancheng modules
are imported.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path, PurePosixPath
from typing import BinaryIO, cast

from quancheng.lib import gmcrypto, merkle, note, sm2cms, tlog_proof
from quancheng.lib.canonical import canonical_bytes

FORMAT = "quancheng-ledger-bundle/1"
CHUNK = 1024 * 1024
# The manifests an extraction package carries (docs/export-packages.md).
BAG_ALGORITHMS = ("sha256", "sha512")
# The national-algorithm payload manifest beside them (docs/national-crypto.md); ``bagit`` does
# not know SM3, so this module checks it.
SM3_MANIFEST = "manifest-sm3.txt"


class BundleError(Exception):
    """The bundle cannot be read at all."""


class _Source:
    """Read-only access to the bundle's members, in a directory or a zip file."""

    def __init__(self, path: Path):
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.prefix = ""
        if path.is_dir():
            return
        if not zipfile.is_zipfile(path):
            raise BundleError(f"{path} is neither a directory nor a zip file")
        self.zip = zipfile.ZipFile(path)
        names = self.zip.namelist()
        if "manifest.json" not in names:
            # A zip of the directory itself: everything under one top folder.
            tops = {name.split("/", 1)[0] + "/" for name in names}
            if len(tops) == 1 and (top := tops.pop()) + "manifest.json" in names:
                self.prefix = top

    def exists(self, name: str) -> bool:
        if self.zip is not None:
            try:
                self.zip.getinfo(self.prefix + name)
            except KeyError:
                return False
            return True
        return (self.path / name).is_file()

    def open(self, name: str) -> BinaryIO:
        if self.zip is not None:
            return cast(BinaryIO, self.zip.open(self.prefix + name))  # ZipExtFile is a binary file
        return open(self.path / name, "rb")

    def read(self, name: str) -> bytes:
        with self.open(name) as f:
            return f.read()

    def files(self) -> Iterator[str]:
        """Every member under files/, as a relative POSIX path."""
        if self.zip is not None:
            for info in self.zip.infolist():
                name = info.filename
                if name.startswith(self.prefix + "files/") and not info.is_dir():
                    yield name[len(self.prefix) :]
            return
        root = self.path / "files"
        if root.is_dir():
            for item in sorted(root.rglob("*")):
                if item.is_file():
                    yield item.relative_to(self.path).as_posix()


class Report:
    def __init__(self, out):
        self.out = out
        self.failures = 0

    def line(self, text: str = "") -> None:
        print(text, file=self.out)

    def ok(self, zh: str, en: str) -> None:
        self.line(f"[通过 OK  ] {zh} / {en}")

    def fail(self, zh: str, en: str) -> None:
        self.failures += 1
        self.line(f"[失败 FAIL] {zh} / {en}")

    def note(self, zh: str, en: str) -> None:
        self.line(f"[注意 NOTE] {zh} / {en}")


def _safe_member(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return (
        len(parts) >= 2
        and parts[0] == "files"
        and "\\" not in path
        and not path.startswith("/")
        and all(p not in ("", ".", "..") for p in parts)
    )


def _hash_member(source: _Source, name: str) -> tuple[str, int, str]:
    """SHA-256, size and SM3 of a member, in one read."""
    digest = hashlib.sha256()
    sm3 = gmcrypto.sm3()
    size = 0
    with source.open(name) as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            sm3.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size, sm3.hexdigest()


def _digest_pairs(value, found: set[tuple[str, str]]) -> None:
    """Every (sha256, sm3) an object of a JSON value names together (nested text opened too)."""
    if isinstance(value, str):
        if value[:1] == "{":
            try:
                _digest_pairs(json.loads(value), found)
            except ValueError:
                return
    elif isinstance(value, dict):
        sha256, sm3 = value.get("sha256"), value.get("sm3")
        if isinstance(sha256, str) and isinstance(sm3, str):
            found.add((sha256.lower(), sm3.lower()))
        for item in value.values():
            _digest_pairs(item, found)
    elif isinstance(value, list):
        for item in value:
            _digest_pairs(item, found)


def _strings(value) -> Iterator[str]:
    """Every string inside a JSON value (an event body nested as text is opened too)."""
    if isinstance(value, str):
        yield value
        if value[:1] in ("{", "["):
            try:
                inner = json.loads(value)
            except ValueError:
                return
            yield from _strings(inner)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _given_keys(key_arg) -> list[str]:
    """The keys given with --key (repeatable; each a key or a file of keys, one a line: the
    ledger page lists every key the log has signed with, old ones included)."""
    given = []
    for arg in key_arg if isinstance(key_arg, list | tuple) else [key_arg]:
        candidate = Path(arg)
        text = candidate.read_text("utf-8") if candidate.is_file() else arg
        given += [line.strip() for line in text.splitlines() if line.strip()]
    return given


def _pick_key(vkeys: list[str], source: _Source) -> str:
    """Of several keys (before and after a key rotation), the one that signed the bundle's
    checkpoint, by the key ids of its signature lines; else the first."""
    if len(vkeys) > 1 and source.exists("checkpoint"):
        text = source.read("checkpoint").decode("utf-8", "replace")
        signatures = text.split("\n\n", 1)[-1].splitlines()
        for vkey in vkeys:
            parts = vkey.split("+", 2)  # the name has no "+", the base64 may
            if len(parts) != 3:
                continue
            name, kid_hex, _ = parts
            for line in signatures:
                if not line.startswith(f"— {name} "):
                    continue
                try:
                    kid = base64.b64decode(line.rsplit(" ", 1)[-1], validate=True)[:4].hex()
                except ValueError:
                    continue
                if kid == kid_hex:
                    return vkey
    return vkeys[0]


def _load_key(key_arg: str | None, source: _Source, report: Report) -> str | None:
    bundled = None
    if source.exists("verifier.key"):
        bundled = source.read("verifier.key").decode("utf-8", "replace").strip()
    if key_arg:
        vkey = _pick_key(_given_keys(key_arg), source)
        origin = "--key"
    elif bundled:
        vkey = bundled
        origin = "verifier.key"
    else:
        report.fail("没有验证公钥（请用 --key 提供）", "no verifier key (give one with --key)")
        return None
    try:
        note.parse_verifier_key(vkey)
    except note.NoteError as e:
        report.fail("验证公钥格式错误", f"malformed verifier key: {e}")
        return None
    report.line(f"验证公钥 / verifier key: {vkey}")
    if origin == "verifier.key":
        report.note(
            "公钥取自证据包本身：只证明包内自洽；应另经可信渠道取得公钥并用 --key 核验",
            "the key was taken from the bundle itself, which proves only self-consistency; "
            "obtain the key through a trusted channel and pass it with --key",
        )
    elif bundled and bundled != vkey:
        report.note(
            "证据包内的 verifier.key 与所给公钥不同，以所给公钥为准",
            "the bundle's verifier.key differs from the key given; the given key is used",
        )
    return vkey


def _load_sm2_key(key_arg: str | None, source: _Source, report: Report) -> str | None:
    """The SM2 verifier key (--sm2-key, else the bundle's verifier-sm2.key), or None."""
    if key_arg:
        vkey = _pick_key(_given_keys(key_arg), source)
    elif source.exists("verifier-sm2.key"):
        vkey = source.read("verifier-sm2.key").decode("utf-8", "replace").strip()
    else:
        report.note(
            "没有 SM2 验证公钥：只核验 Ed25519 签名（旧格式证据包，或用 --sm2-key 提供）",
            "no SM2 verifier key: only the Ed25519 signature is checked "
            "(a bundle from before SM2, or give one with --sm2-key)",
        )
        return None
    try:
        note.parse_sm2_verifier_key(vkey)
    except note.NoteError as e:
        report.fail("SM2 验证公钥格式错误", f"malformed SM2 verifier key: {e}")
        return None
    report.line(f"SM2 验证公钥 / SM2 verifier key: {vkey}")
    return vkey


def _check_checkpoint(
    source: _Source, vkey: str, manifest: dict, report: Report, sm2_vkey: str | None = None
):
    if not source.exists("checkpoint"):
        report.fail("缺少检查点文件 checkpoint", "the checkpoint file is missing")
        return None
    text = source.read("checkpoint").decode("utf-8", "replace")
    try:
        checkpoint = note.verify_checkpoint(text, vkey)
    except note.NoteError as e:
        report.fail(
            "检查点签名无效，或不是由该公钥签名（伪造或被替换）",
            f"checkpoint signature invalid or not by this key (forged or replaced): {e}",
        )
        return None
    report.ok(
        f"检查点签名有效：{checkpoint.origin}，树大小 {checkpoint.size}",
        f"checkpoint signature valid: {checkpoint.origin}, tree size {checkpoint.size}, "
        f"root {checkpoint.root_hash.hex()}",
    )
    if sm2_vkey is not None:
        try:
            note.verify_checkpoint(text, sm2_vkey)
        except note.NoteError as e:
            report.fail(
                "检查点的 SM2 签名无效，或没有该 SM2 公钥的签名（伪造或被替换）",
                f"checkpoint SM2 signature invalid or missing (forged or replaced): {e}",
            )
            return None
        report.ok("检查点 SM2 签名有效（SM2/SM3）", "checkpoint SM2 signature valid (SM2/SM3)")
    if manifest.get("origin") not in (None, checkpoint.origin):
        report.fail(
            "清单中的日志名称与检查点不符",
            f"manifest origin {manifest.get('origin')!r} differs from the checkpoint's",
        )
    return checkpoint


def _read_events(source: _Source, manifest: dict, report: Report) -> dict[int, bytes]:
    """seq → the entry's canonical bytes, as listed in events.jsonl."""
    if not source.exists("events.jsonl"):
        report.fail("缺少事件文件 events.jsonl", "events.jsonl is missing")
        return {}
    events: dict[int, bytes] = {}
    raw = source.read("events.jsonl")
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        try:
            entry = json.loads(line)
            canonical = canonical_bytes(entry)
        except (ValueError, TypeError) as e:
            report.fail(
                f"events.jsonl 第 {number} 行不是有效的规范 JSON",
                f"events.jsonl line {number} is not valid canonical JSON: {e}",
            )
            continue
        if canonical != line:
            report.fail(
                f"events.jsonl 第 {number} 行不是规范 JSON 字节（被改动过）",
                f"events.jsonl line {number} is not in canonical JSON form (altered)",
            )
            continue
        seq = entry.get("seq") if isinstance(entry, dict) else None
        if not isinstance(seq, int) or seq < 1:
            report.fail(f"第 {number} 行事件没有序号", f"line {number}: event has no seq")
            continue
        if seq in events:
            report.fail(f"事件 #{seq} 出现两次", f"event #{seq} appears twice")
            continue
        events[seq] = line
    listed = manifest.get("events", [])
    if sorted(events) != sorted(listed):
        report.fail(
            "events.jsonl 中的事件与清单不符",
            f"events.jsonl holds events {sorted(events)}, the manifest lists {sorted(listed)}",
        )
    return events


def _check_inclusion(
    source: _Source,
    vkey: str,
    seq: int,
    line: bytes,
    report: Report,
    checkpoint,
    sm2_vkey: str | None = None,
) -> None:
    name = f"proofs/{seq}.tlog-proof"
    if not source.exists(name):
        report.fail(f"事件 #{seq} 缺少包含证明", f"event #{seq}: {name} is missing")
        return
    try:
        proof = tlog_proof.parse_proof(source.read(name).decode("utf-8"))
        signed = note.verify_checkpoint_by_all(proof.checkpoint, [vkey, *filter(None, [sm2_vkey])])
    except (tlog_proof.TlogProofError, UnicodeDecodeError) as e:
        report.fail(f"事件 #{seq} 的包含证明格式错误", f"event #{seq}: malformed {name}: {e}")
        return
    except note.NoteError as e:
        report.fail(
            f"事件 #{seq} 的证明所附检查点签名无效",
            f"event #{seq}: the checkpoint in {name} does not verify: {e}",
        )
        return
    if proof.index != seq - 1:
        report.fail(
            f"事件 #{seq} 的证明指向另一位置",
            f"event #{seq}: {name} proves index {proof.index}, the event is leaf {seq - 1}",
        )
        return
    if checkpoint is not None and signed.origin != checkpoint.origin:
        report.fail(
            f"事件 #{seq} 的证明来自另一日志", f"event #{seq}: {name} is for log {signed.origin}"
        )
        return
    try:
        merkle.verify_inclusion(
            merkle.leaf_hash(line), proof.index, signed.size, proof.hashes, signed.root_hash
        )
    except merkle.ProofError as e:
        report.fail(
            f"事件 #{seq} 不在已签名的日志中（事件或证明被改动）",
            f"event #{seq} is not proven included in the signed log (event or proof altered): {e}",
        )
        return
    report.ok(
        f"事件 #{seq} 包含于签名检查点（树大小 {signed.size}）",
        f"event #{seq} is included in the signed checkpoint of tree size {signed.size}",
    )


def _check_links(events: dict[int, bytes], report: Report) -> None:
    """Consecutive events must link: entry n+1's prev is SHA-256 of entry n."""
    for seq in sorted(events):
        following = events.get(seq + 1)
        if following is None:
            continue
        expected = hashlib.sha256(events[seq]).hexdigest()
        if json.loads(following).get("prev") != expected:
            report.fail(
                f"事件 #{seq + 1} 未链接到事件 #{seq}",
                f"event #{seq + 1} does not link to event #{seq} (prev hash differs)",
            )


def _check_files(source: _Source, manifest: dict, events: dict[int, bytes], report: Report):
    named: dict[str, list[int]] = {}
    # (sha256, sm3) → the events naming both together (blob.sm3_computed and later events).
    paired: dict[tuple[str, str], list[int]] = {}
    for seq, line in events.items():
        entry = json.loads(line)
        for text in _strings(entry):
            if len(text) == 64:
                named.setdefault(text, []).append(seq)
        pairs: set[tuple[str, str]] = set()
        _digest_pairs(entry, pairs)
        for pair in pairs:
            paired.setdefault(pair, []).append(seq)
    listed = set()
    verified: dict[str, str] = {}  # path → SM3, of the files whose digests hold
    for item in manifest.get("files", []):
        path = item.get("path", "") if isinstance(item, dict) else ""
        expected = str(item.get("sha256", "")).lower() if isinstance(item, dict) else ""
        size = item.get("size") if isinstance(item, dict) else None
        listed.add(path)
        if not _safe_member(path):
            report.fail(f"清单中的路径不安全：{path!r}", f"unsafe path in the manifest: {path!r}")
            continue
        if not source.exists(path):
            report.fail(f"文件缺失：{path}", f"file missing: {path}")
            continue
        actual, actual_size, actual_sm3 = _hash_member(source, path)
        if actual_size != size or actual != expected:
            report.fail(
                f"文件 {path} 与清单不符（内容被改动）",
                f"file {path} differs from the manifest: size {actual_size} (expected {size}), "
                f"SHA-256 {actual} (expected {expected})",
            )
            continue
        _check_sm3(path, item, actual, actual_sm3, paired, report)
        verified[path] = actual_sm3
        seqs = named.get(actual)
        if not seqs:
            report.fail(
                f"文件 {path} 的哈希未出现在包内任何事件中",
                f"the SHA-256 of {path} is named by no event of the bundle",
            )
            continue
        report.ok(
            f"文件 {path} 大小与 SHA-256 一致，见事件 #{', #'.join(map(str, sorted(seqs)))}",
            f"file {path}: size {actual_size} and SHA-256 {actual} match, named by event(s) "
            f"#{', #'.join(map(str, sorted(seqs)))}",
        )
    for path in source.files():
        if path not in listed:
            report.fail(f"清单未列出的文件：{path}", f"file not listed in the manifest: {path}")
    _check_detached_signatures(source, manifest, verified, report)


def _check_detached_signatures(source: _Source, manifest: dict, verified: dict, report: Report):
    """Each detached SM2 signature (a document's ``.p7s``, GM/T 0010) against the file it signs:
    the SM3 in its messageDigest, and the SM2 value by the certificate it carries."""
    for item in manifest.get("files", []):
        if not isinstance(item, dict) or not item.get("signature_of"):
            continue
        path, target = item.get("path", ""), str(item["signature_of"])
        if path not in verified:
            continue  # the signature file itself failed above
        if target not in verified:
            report.fail(
                f"签名文件 {path} 所签署的文件 {target} 缺失或未通过核验",
                f"detached signature {path}: the file it signs, {target}, is missing or failed",
            )
            continue
        found = sm2cms.check_detached(source.read(path), bytes.fromhex(verified[target]))
        if found.status == sm2cms.Status.ALTERED:
            report.fail(
                f"SM2 签名 {path}：{target} 的 SM3 与签名时不同（文件被改动）",
                f"SM2 signature {path}: the SM3 of {target} is not the signed messageDigest",
            )
            continue
        if found.status != sm2cms.Status.VALID:
            report.fail(
                f"SM2 签名 {path} 无效：{found.detail}",
                f"SM2 signature {path} does not verify ({found.status}: {found.detail})",
            )
            continue
        cert = found.certificate
        # A VALID check has read the signer's certificate and its signing time.
        assert cert is not None and found.signed_at is not None
        roots = {c.subject.dump(): c for c in found.certificates if c.subject == c.issuer}
        problem, chain = sm2cms.chain_problem(cert, found.certificates, roots, found.signed_at)
        identifier = found.user_id.decode() if found.user_id else "(empty / OpenSSL)"
        fingerprint = hashlib.sha256(cert.dump()).hexdigest()
        report.ok(
            f"SM2 签名 {path} 有效：签署 {target}，签名者“{sm2cms.common_name(cert)}”，"
            f"证书 SHA-256 {fingerprint}",
            f"SM2 signature {path} verifies over {target}: signer {sm2cms.common_name(cert)!r}, "
            f"signed {found.signed_at:%Y-%m-%dT%H:%M:%SZ}, identifier {identifier}, "
            f"certificate SHA-256 {fingerprint}",
        )
        if problem:
            report.note(
                f"SM2 签名 {path} 所附证书链不完整：{problem}（须另行核验签名者证书）",
                f"SM2 signature {path}: the certificates it carries do not form a chain "
                f"({problem}); check the signer's certificate separately",
            )
        else:
            report.note(
                f"SM2 签名 {path} 的证书链：{' → '.join(chain)}；根证书是否可信须另行确认",
                f"SM2 signature {path}: chain {' → '.join(chain)}; whether its root is "
                f"trusted must be established separately",
            )


def _check_sm3(path: str, item: dict, sha256: str, actual_sm3: str, paired, report: Report):
    """The file's SM3 against the manifest and against the events naming both digests."""
    expected = item.get("sm3")
    if expected is None:
        report.note(
            f"清单未给出文件 {path} 的 SM3（旧格式证据包）",
            f"the manifest gives no SM3 for {path} (a bundle from before SM3)",
        )
        return
    if str(expected).lower() != actual_sm3:
        report.fail(
            f"文件 {path} 的 SM3 与清单不符（内容或清单被改动）",
            f"file {path}: SM3 {actual_sm3} differs from the manifest's {expected}",
        )
        return
    attested = paired.get((sha256, actual_sm3))
    others = [sm3 for (sha, sm3) in paired if sha == sha256 and sm3 != actual_sm3]
    if others:
        report.fail(
            f"文件 {path} 的 SM3 与账本事件所记不符",
            f"file {path}: the ledger names SM3 {others[0]} for this SHA-256, not {actual_sm3}",
        )
        return
    if not attested:
        report.note(
            f"文件 {path} 的 SM3 与清单一致，但包内没有同时记载两个摘要的事件",
            f"file {path}: SM3 matches the manifest, but no event of the bundle names it "
            f"with the SHA-256 (computed at export; the SHA-256 is proven)",
        )
        return
    report.ok(
        f"文件 {path} 的 SM3 一致，见事件 #{', #'.join(map(str, sorted(attested)))}",
        f"file {path}: SM3 {actual_sm3} matches, named with its SHA-256 by event(s) "
        f"#{', #'.join(map(str, sorted(attested)))}",
    )


def _bag_root(path: Path, stack: ExitStack) -> Path | None:
    """The bag's directory when ``path`` is a BagIt bag (a zip of one is extracted to a
    temporary directory, removed afterwards); None for a plain bundle."""
    if path.is_dir():
        return path if (path / "bagit.txt").is_file() else None
    if not zipfile.is_zipfile(path):
        return None
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        tops = {name.split("/", 1)[0] for name in names}
        if "bagit.txt" in names:
            prefix = ""
        elif len(tops) == 1 and f"{next(iter(tops))}/bagit.txt" in names:
            prefix = next(iter(tops))
        else:
            return None
        target = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qc-bag-")))
        # extractall() drops "..", drive and absolute parts of member names (zip slip).
        zf.extractall(target)
    return target / prefix if prefix else target


def _check_bag(root: Path, report: Report) -> bool:
    """Full BagIt validation: every payload file re-hashed with every manifest's algorithm."""
    import bagit

    try:
        bag = bagit.Bag(str(root))
        bag.validate(fast=False)
    except bagit.BagValidationError as e:
        for detail in e.details or [e.message]:
            report.fail("BagIt 校验失败（文件或清单被改动）", f"BagIt validation failed: {detail}")
        return False
    except (bagit.BagError, OSError, ValueError, LookupError) as e:
        # A tag file too damaged to parse (an unknown encoding, undecodable bytes) lands here.
        report.fail("不是有效的 BagIt 包", f"not a valid BagIt bag: {e}")
        return False
    missing = [a for a in BAG_ALGORITHMS if a not in bag.algorithms]
    if missing:
        report.fail(
            f"BagIt 包缺少 {'、'.join(missing)} 清单", f"the bag lacks manifest(s) {missing}"
        )
        return False
    report.ok(
        f"BagIt 包完整：{len(bag.entries)} 个文件的 {'、'.join(bag.algorithms)} 均一致",
        f"BagIt bag valid (full validation): {len(bag.entries)} entries, "
        f"{', '.join(bag.algorithms)} manifests match",
    )
    return _check_bag_sm3(root, set(bag.payload_files()), report)


def _check_bag_sm3(root: Path, payload: set[str], report: Report) -> bool:
    """``manifest-sm3.txt``: every payload file listed once, each with its SM3."""
    manifest = root / SM3_MANIFEST
    if not manifest.is_file():
        report.note(
            "BagIt 包没有 SM3 清单 manifest-sm3.txt（旧格式）",
            "the bag has no manifest-sm3.txt (a package from before SM3)",
        )
        return True
    listed: dict[str, str] = {}
    failures = 0
    for number, line in enumerate(manifest.read_text("utf-8").splitlines(), start=1):
        digest, _, name = line.partition("  ")
        name = name.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
        if len(digest) != 64 or not name or name in listed:
            report.fail(
                f"manifest-sm3.txt 第 {number} 行格式错误",
                f"{SM3_MANIFEST} line {number} malformed",
            )
            failures += 1
            continue
        listed[name] = digest.lower()
    for name in sorted(payload - set(listed)):
        report.fail(f"SM3 清单未列出 {name}", f"{SM3_MANIFEST} does not list {name}")
        failures += 1
    for name, digest in sorted(listed.items()):
        path = root / name
        if name not in payload or not path.is_file():
            report.fail(f"SM3 清单所列文件不存在：{name}", f"{SM3_MANIFEST}: no file {name}")
            failures += 1
            continue
        with open(path, "rb") as f:
            actual = gmcrypto.sm3_file(f, CHUNK)
        if actual != digest:
            report.fail(
                f"文件 {name} 的 SM3 与 manifest-sm3.txt 不符（内容或清单被改动）",
                f"{name}: SM3 {actual} differs from {SM3_MANIFEST}'s {digest}",
            )
            failures += 1
    if failures:
        return False
    report.ok(
        f"BagIt 包的 SM3 清单一致：{len(listed)} 个文件",
        f"the bag's SM3 manifest matches: {len(listed)} payload files",
    )
    return True


def verify_bundle(
    path: str | Path, key: str | None = None, out=None, sm2_key: str | None = None
) -> bool:
    """Verify a bundle and print the report to ``out`` (default stdout); True when it holds."""
    report = Report(out or sys.stdout)
    report.line("全程 账本证据包离线核验 / Quancheng ledger bundle verification")
    report.line(f"证据包 / bundle: {path}")
    with ExitStack() as stack:
        try:
            bag = _bag_root(Path(path), stack)
        except (OSError, zipfile.BadZipFile) as e:
            report.fail("无法读取证据包", f"cannot read the bundle: {e}")
            return _conclude(report)
        if bag is None:
            try:
                transfer = _transfer_root(Path(path), stack)
            except (OSError, zipfile.BadZipFile) as e:
                report.fail("无法读取证据包", f"cannot read the bundle: {e}")
                return _conclude(report)
            if transfer is not None:
                return _verify_transfer(transfer, key, report, sm2_key)
            return _verify_ledger_part(Path(path), key, report, sm2_key)
        report.line("BagIt 证据提取包 / BagIt extraction package")
        _check_bag(bag, report)
        return _verify_ledger_part(bag / "data", key, report, sm2_key)


def _transfer_root(path: Path, stack: ExitStack) -> Path | None:
    """The package's directory when ``path`` is an archival transfer package (移交包: a folder,
    or a .zip of one, holding ``eep.xml`` and ``ledger/``); None otherwise."""
    if path.is_dir():
        if (path / "eep.xml").is_file():
            return path
        inner = [p for p in path.iterdir() if (p / "eep.xml").is_file()]
        return inner[0] if len(inner) == 1 else None
    if not zipfile.is_zipfile(path):
        return None
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        tops = {name.split("/", 1)[0] for name in names}
        if "eep.xml" in names:
            prefix = ""
        elif len(tops) == 1 and f"{next(iter(tops))}/eep.xml" in names:
            prefix = next(iter(tops))
        else:
            return None
        target = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qc-eep-")))
        zf.extractall(target)  # drops "..", drive and absolute parts of member names
    return target / prefix if prefix else target


def _verify_transfer(root: Path, key, report: Report, sm2_key) -> bool:
    """A transfer package: eep.xml (XSD, both SM2 signatures, every file's SHA-256, SM3 and
    size; verify_eep.py), its signer the platform's SM2 key (--sm2-key, else the ledger
    bundle's verifier-sm2.key), then ``ledger/`` as a bundle."""
    from quancheng.offline.verify_eep import check_eep

    report.line("DA/T 48 电子文件移交包 / archival transfer package (eep.xml)")
    ledger = root / "ledger"
    source = _Source(ledger) if ledger.is_dir() else None
    public_der = None
    if source is not None and (sm2_key or source.exists("verifier-sm2.key")):
        vkey = (
            _pick_key(_given_keys(sm2_key), source)
            if sm2_key
            else source.read("verifier-sm2.key").decode("utf-8", "replace").strip()
        )
        try:
            public_der = note.parse_sm2_verifier_key(vkey)[2].der()
        except note.NoteError as e:
            report.fail("SM2 验证公钥格式错误", f"malformed SM2 verifier key: {e}")
    eep, problems, files = check_eep(root, public_der)
    for problem in problems:
        report.fail(f"封装包 eep.xml：{problem}", f"eep.xml: {problem}")
    if eep is not None and not problems:
        report.ok(
            f"封装包 eep.xml 符合 XSD，电子签名与锁定签名（SM2/SM3）有效，{files} 个文件的"
            "SHA-256、SM3 与大小一致",
            f"eep.xml valid against the XSD, both SM2 signatures valid, {files} files' SHA-256, "
            "SM3 and size match",
        )
    if source is None:
        report.fail("移交包中没有账本证据包 ledger/", "the package has no ledger/ bundle")
        return _conclude(report)
    return _verify_ledger_part(ledger, key, report, sm2_key)


def _verify_ledger_part(
    path: Path, key: str | None, report: Report, sm2_key: str | None = None
) -> bool:
    try:
        source = _Source(Path(path))
        manifest = json.loads(source.read("manifest.json"))
        if not isinstance(manifest, dict):
            raise ValueError("manifest.json is not a JSON object")
    except (OSError, KeyError, ValueError, BundleError, zipfile.BadZipFile) as e:
        report.fail("无法读取证据包或其清单 manifest.json", f"cannot read the bundle: {e}")
        return _conclude(report)
    if manifest.get("format") != FORMAT:
        report.fail("未知的证据包格式", f"unknown bundle format {manifest.get('format')!r}")
        return _conclude(report)
    vkey = _load_key(key, source, report)
    if vkey is None:
        return _conclude(report)
    sm2_vkey = _load_sm2_key(sm2_key, source, report)
    checkpoint = _check_checkpoint(source, vkey, manifest, report, sm2_vkey)
    events = _read_events(source, manifest, report)
    for seq, line in sorted(events.items()):
        _check_inclusion(source, vkey, seq, line, report, checkpoint, sm2_vkey)
    _check_links(events, report)
    _check_files(source, manifest, events, report)
    return _conclude(report)


def _conclude(report: Report) -> bool:
    report.line()
    if report.failures:
        report.line(
            f"结论：未通过，{report.failures} 项检查失败 / "
            f"RESULT: NOT VERIFIED, {report.failures} check(s) failed"
        )
        return False
    report.line("结论：通过，证据包完整且由该公钥签名的日志所记录 / RESULT: VERIFIED")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="quancheng-verify",
        description="离线核验全程账本证据包 / verify a Quancheng ledger bundle offline",
    )
    parser.add_argument("bundle", help="证据包目录或 .zip / bundle directory or .zip")
    parser.add_argument(
        "--key",
        action="append",
        help="验证公钥或其文件（应另经可信渠道取得；可多次给出，如密钥轮换前后的公钥）/ "
        "verifier key, or a file holding it (repeatable: the keys before and after a rotation)",
    )
    parser.add_argument(
        "--sm2-key",
        action="append",
        help="SM2 验证公钥或其文件（国密签名；缺省用包内 verifier-sm2.key）/ SM2 verifier key",
    )
    args = parser.parse_args(argv)
    return 0 if verify_bundle(args.bundle, args.key, sm2_key=args.sm2_key) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Whole-ledger verification (账本校验): the hash chain, the Merkle tree and every checkpoint.

One streaming pass over the events in seq order, a chunk at a time (constant memory):

1. each event's seq follows the previous one (a gap is a deleted row), its stored ``hash`` is
   SHA-256 of its own entry (else the row was edited, or holds another event's content: rows
   reordered), and its ``prev_hash`` is the previous event's hash;
2. the leaves go into a compact range, so the root at any size is at hand without a second pass,
   and every aligned subtree the appends complete must be stored (``SubtreeHash``, levels >= 1,
   read a range per chunk) with the hash recomputed here: proofs are served from those rows, so
   a node altered or missing is a problem (it names its level and index), as is an event
   changed and re-hashed (its leaf, computed from the entry and never stored, no longer gives
   the stored nodes above it);
3. when the pass reaches the size of a stored checkpoint, the checkpoint's signed note must carry
   a valid signature by the configured verifier key, say what its row says, be consistent with
   the previous checkpoint (its stored proof), and its root must be the recomputed root at that
   size (else the log no longer produces it: a fork, or a rewritten history); the stored subtree
   hashes, from which proofs are served, must give the same root;
4. at the end the head (``LedgerHead``) must agree with the last event and the recomputed
   frontier, and no checkpoint may cover more events than the log holds.

Problems are reported in log order; the first one names the first bad sequence number and its
kind. Events appended while the pass runs are left to the next verification.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from quancheng.lib import merkle, note
from quancheng.lib.merkle import CompactRange, leaf_hash

from . import fastverify, keys
from .actions import Action
from .checkpoints import origin, sm2_verifier_key, verifier_key
from .models import GENESIS_HASH, Checkpoint, Event, LedgerHead
from .services import record_event
from .signals import verification_failed
from .tree import MissingSubtree, fetch_nodes, tree_root

if TYPE_CHECKING:
    from quancheng.orgs.models import User  # type-only: the ledger stores people by label


CHUNK = 2000
MAX_PROBLEMS = 50


class Kind:
    """What is wrong (the ``kind`` of a :class:`Problem`)."""

    EDITED = "edited"  # an event's content no longer matches its hash
    DELETED = "deleted"  # events missing: a seq gap, or fewer events than head/checkpoint
    REORDERED = "reordered"  # a row holds another seq's event (rows swapped or renumbered)
    BAD_SIGNATURE = "bad_signature"  # the configured key's signature does not verify (forged)
    WRONG_KEY = "wrong_key"  # signed by another key (e.g. the signing key was replaced)
    FORK = "fork"  # a checkpoint whose root the log no longer produces
    CHECKPOINT = "checkpoint"  # a checkpoint row that disagrees with its own signed note
    TREE = "tree"  # stored subtree hashes or head that disagree with the events


KIND_LABELS = {
    Kind.EDITED: "事件被修改",
    Kind.DELETED: "事件被删除",
    Kind.REORDERED: "事件顺序被调换",
    Kind.BAD_SIGNATURE: "签名无效（伪造）",
    Kind.WRONG_KEY: "非本平台密钥签名",
    Kind.FORK: "日志分叉",
    Kind.CHECKPOINT: "检查点记录被修改",
    Kind.TREE: "默克尔树存储不一致",
}


@dataclass
class Problem:
    kind: str
    message: str
    seq: int | None = None  # the first bad event, when one can be named
    checkpoint: int | None = None  # the tree size of the checkpoint concerned, if any

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def location(self) -> str:
        parts = []
        if self.seq is not None:
            parts.append(f"event #{self.seq}")
        if self.checkpoint is not None:
            parts.append(f"checkpoint {self.checkpoint}")
        return ", ".join(parts) or "ledger"


@dataclass
class VerificationReport:
    size: int = 0  # events verified: 1 .. size
    checkpoints: int = 0  # checkpoints verified
    verifier_key: str = ""
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False  # more problems than MAX_PROBLEMS were found
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    @property
    def first_bad_seq(self) -> int | None:
        return min((p.seq for p in self.problems if p.seq is not None), default=None)

    def add(self, problem: Problem) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.truncated = True
            return
        self.problems.append(problem)

    def summary(self) -> str:
        if self.ok:
            return (
                f"ledger intact: {self.size} events, {self.checkpoints} checkpoints verified "
                f"with {self.verifier_key}"
            )
        first = self.first
        assert first is not None  # not ok: there is a problem
        return f"ledger TAMPERED: {first.kind} at {first.location()}: {first.message}"

    def to_dict(self) -> dict:
        """The JSON-safe form kept in the ``ledger.verified`` event and returned by the task."""
        first = self.first
        return {
            "outcome": "ok" if self.ok else "failed",
            "size": self.size,
            "checkpoints": self.checkpoints,
            "verifier_key": self.verifier_key,
            "first_bad_seq": self.first_bad_seq,
            "kind": first.kind if first else None,
            "message": first.message if first else "",
            "problems": [asdict(p) for p in self.problems[:10]],
            "problem_count": len(self.problems),
            "truncated": self.truncated,
        }


Progress = Callable[[int, int], None]


def _events(upto: int) -> Iterator[list[Event]]:
    """Events with seq <= upto in seq order, a chunk at a time (keyset pagination)."""
    last = 0
    while True:
        chunk = list(Event.objects.filter(seq__gt=last, seq__lte=upto).order_by("seq")[:CHUNK])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].seq


def _stored_nodes(first_seq: int, last_seq: int) -> dict[int, bytes]:
    """The stored subtree hashes (levels >= 1) that events first_seq..last_seq complete, by
    ``merkle.node_key(level, index)``: one range query."""
    with connection.cursor() as cursor:
        return fastverify.stored_nodes(cursor, first_seq, last_seq)


def _entry_with_seq(event: Event, seq: int) -> bytes:
    original = event.seq
    event.seq = seq
    try:
        return event.entry_bytes()
    finally:
        event.seq = original


def _real_seq(event: Event) -> int | None:
    """Which seq the event in this row was written as, if its hash says it was another one.

    Candidates come from the chain's neighbours: the event after the one whose hash this row
    names as ``prev``, and the event before the one that names this row's hash as its ``prev``.
    """
    candidates = {event.seq - 1, event.seq + 1}
    before = Event.objects.filter(hash=event.prev_hash).values_list("seq", flat=True).first()
    if before is not None:
        candidates.add(before + 1)
    after = Event.objects.filter(prev_hash=event.hash).values_list("seq", flat=True).first()
    if after is not None:
        candidates.add(after - 1)
    candidates.discard(event.seq)
    for seq in sorted(c for c in candidates if c > 0):
        if hashlib.sha256(_entry_with_seq(event, seq)).hexdigest() == event.hash:
            return seq
    return None


class _Pass:
    def __init__(self, report: VerificationReport, vkey: str, upto: int, progress, vkeys=()):
        self.report = report
        self.vkey = vkey
        self.upto = upto
        self.progress = progress
        self.key_name, self.key_id, _ = note.parse_verifier_key(vkey)
        # Every key the log has signed with (key rotation, ledger/keys.py): a checkpoint must
        # carry a valid signature by one of them; the keys of its lines that are known are all
        # checked.
        self.vkeys = {note.parse_verifier_key(k)[:2]: k for k in (vkeys or [vkey])}
        # The second (国密) line is checked where a checkpoint carries one by this log's SM2 key;
        # checkpoints made before SM2 was switched on have none, and need none.
        self.sm2_vkey = sm2_verifier_key()
        self.sm2_key_id = note.parse_sm2_verifier_key(self.sm2_vkey)[:2] if self.sm2_vkey else None
        sm2_vkeys = keys.verifier_keys_of("sm2") if vkeys else [self.sm2_vkey]
        self.sm2_vkeys = {note.parse_sm2_verifier_key(k)[:2]: k for k in sm2_vkeys if k}
        self.tree = CompactRange()
        self.prev_hash = GENESIS_HASH
        self.expected = 1
        self.previous_checkpoint: tuple[int, bytes] | None = None
        self.checkpoints = self._checkpoints()
        self.next_checkpoint = next(self.checkpoints, None)
        # Set when the previous row was already reported: its successor's link is then
        # expected to break too, and saying so again would only repeat the finding.
        self.previous_reported = False
        # Seq ranges of deleted events: their leaves are unknown, so the stored nodes over them
        # cannot be recomputed (the deletion itself is reported).
        self.gaps: list[tuple[int, int]] = []
        self.reported: list[int] = []  # seqs of the events reported, ascending

    def _checkpoints(self) -> Iterator[Checkpoint]:
        last = -1
        while True:
            chunk = list(Checkpoint.objects.filter(size__gt=last).order_by("size")[:CHUNK])
            if not chunk:
                return
            yield from chunk
            last = chunk[-1].size

    # 1. The events.

    def run(self) -> None:
        self._checkpoints_at(0)
        for chunk in _events(self.upto):
            nodes = _stored_nodes(chunk[0].seq, chunk[-1].seq)
            for event in chunk:
                self._event(event, nodes)
            self.report.size = chunk[-1].seq
            if self.progress:
                self.progress(self.report.size, self.upto)
        self._end()

    def _event(self, event: Event, nodes: dict[int, bytes]) -> None:
        report = self.report
        if event.seq != self.expected:
            report.add(
                Problem(
                    Kind.DELETED,
                    f"events #{self.expected}..#{event.seq - 1} are missing (seq gap)",
                    seq=self.expected,
                )
            )
            # The tree cannot be recomputed over missing leaves; the stored nodes stand in so
            # that later checkpoints are still checked against the rest of the log.
            self._stand_in(self.expected, event.seq - 1)
        entry = event.entry_bytes()
        own_hash = hashlib.sha256(entry).hexdigest()
        problems_before = len(report.problems)
        if own_hash != event.hash:
            real = _real_seq(event)
            if real is not None:
                has_predecessor = Event.objects.filter(hash=event.prev_hash).exists()
                kind = Kind.REORDERED if has_predecessor or real < event.seq else Kind.DELETED
                report.add(
                    Problem(
                        kind,
                        f"the row at seq {event.seq} holds event #{real}"
                        + ("" if kind == Kind.REORDERED else "; the rows before it were deleted"),
                        seq=event.seq,
                    )
                )
            else:
                report.add(
                    Problem(
                        Kind.EDITED,
                        f"event #{event.seq} ({event.action}) was changed: its content no longer "
                        f"hashes to its stored hash {event.hash[:16]}…",
                        seq=event.seq,
                    )
                )
        elif event.prev_hash != self.prev_hash and not (
            self.previous_reported or len(report.problems) > problems_before
        ):
            report.add(
                Problem(
                    Kind.REORDERED
                    if Event.objects.filter(hash=event.prev_hash).exists()
                    else Kind.EDITED,
                    f"event #{event.seq} does not link to event #{event.seq - 1}: its prev_hash "
                    f"{event.prev_hash[:16]}… is not that event's hash",
                    seq=event.seq,
                )
            )
        self.previous_reported = len(report.problems) > problems_before
        if self.previous_reported:
            self.reported.append(event.seq)
        self.prev_hash = event.hash
        self.expected = event.seq + 1
        # The stored nodes this leaf completes (over it and the events before it).
        self._nodes(self.tree.append(leaf_hash(entry))[1:], nodes)
        self._checkpoints_at(self.tree.size)

    def _nodes(self, completed: list[merkle.Subtree], stored: dict[int, bytes]) -> None:
        """Each stored node an append completed must be the hash recomputed from the entries."""
        for node in completed:
            first, last = (node.index << node.level) + 1, (node.index + 1) << node.level
            if any(a <= last and first <= b for a, b in self.gaps):
                continue  # over deleted events: not recomputable (the deletion is reported)
            reported = bisect.bisect_left(self.reported, first)
            if reported < len(self.reported) and self.reported[reported] <= last:
                # Over an event already reported (edited, moved): its leaf is not the one
                # logged, so every node above it differs; the event's problem says why.
                continue
            where = f"level {node.level}, index {node.index} (events #{first}..#{last})"
            digest = stored.get(merkle.node_key(node.level, node.index))
            if digest is None:
                message = f"no Merkle node is stored at {where}: proofs that need it fail"
            elif digest != node.hash:
                message = (
                    f"the stored Merkle node at {where} is not the hash of those events' "
                    "entries: the node was altered, or one of the events was changed and "
                    "re-hashed; proofs served from it would not verify"
                )
            else:
                continue
            self.report.add(Problem(Kind.TREE, message, seq=first))

    def _stand_in(self, first: int, last: int) -> None:
        """Fill the tree over deleted events first..last with the stored nodes inside the gap
        (levels >= 1; a lone leaf, never stored, is zeros), so that the checkpoints after it
        are still checked against the rest of the log."""
        self.gaps.append((first, last))
        pieces = merkle.aligned_ranges(first - 1, last)
        addresses = [((e - s).bit_length() - 1, s >> ((e - s).bit_length() - 1)) for s, e in pieces]
        stored = {
            (level, index): digest
            for level, index, digest in fetch_nodes(a for a in addresses if a[0] > 0)
        }
        for address in addresses:
            self.tree.append_subtree(address[0], stored.get(address, bytes(merkle.HASH_SIZE)))
            self._checkpoints_at(self.tree.size)

    # 2. The checkpoints, as the pass reaches their sizes.

    def _checkpoints_at(self, size: int) -> None:
        while self.next_checkpoint is not None and self.next_checkpoint.size <= size:
            checkpoint = self.next_checkpoint
            self.next_checkpoint = next(self.checkpoints, None)
            if checkpoint.size == size:
                self._checkpoint(checkpoint, self.tree.root())

    def _signature_problem(self, checkpoint: Checkpoint) -> Problem | None:
        key_ids = _signature_key_ids(checkpoint.signed_note)
        known = [vkey for kid, vkey in self.vkeys.items() if kid in key_ids] or [self.vkey]
        for vkey in known:
            try:
                note.verify_note(checkpoint.signed_note, vkey)
            except note.NoteError as e:
                kind = Kind.BAD_SIGNATURE
                message = f"signature does not verify: {e}"
                if key_ids and not any(kid in key_ids for kid in self.vkeys):
                    kind = Kind.WRONG_KEY
                    signers = ", ".join(f"{name} ({kid.hex()})" for name, kid in key_ids)
                    message = (
                        f"signed by {signers}, not by the configured key "
                        f"{self.key_name} ({self.key_id.hex()})"
                    )
                return Problem(kind, message, checkpoint=checkpoint.size)
        for kid, sm2_vkey in self.sm2_vkeys.items():
            if kid not in key_ids:
                continue
            try:
                note.verify_note(checkpoint.signed_note, sm2_vkey)
            except note.NoteError as e:
                message = f"SM2 signature does not verify: {e}"
                return Problem(Kind.BAD_SIGNATURE, message, checkpoint=checkpoint.size)
        return None

    def _checkpoint(self, checkpoint: Checkpoint, root: bytes) -> None:
        report = self.report
        report.checkpoints += 1
        if problem := self._signature_problem(checkpoint):
            report.add(problem)
        # What the note says is what was signed; the row's columns must agree with it.
        try:
            signed = note.parse_checkpoint(_note_text(checkpoint.signed_note))
        except note.NoteError as e:
            report.add(
                Problem(Kind.CHECKPOINT, f"unreadable signed note: {e}", checkpoint=checkpoint.size)
            )
            return
        if (
            signed.size != checkpoint.size
            or signed.root_hash.hex() != checkpoint.root_hash
            or signed.origin != origin()
        ):
            report.add(
                Problem(
                    Kind.CHECKPOINT,
                    f"the checkpoint row (size {checkpoint.size}, root "
                    f"{checkpoint.root_hash[:16]}…) differs from its signed note (origin "
                    f"{signed.origin}, size {signed.size}, root {signed.root_hash.hex()[:16]}…)",
                    checkpoint=checkpoint.size,
                )
            )
        if signed.root_hash != root:
            first = self.previous_checkpoint[0] + 1 if self.previous_checkpoint else 1
            already = self.report.first_bad_seq
            if already is None or already > checkpoint.size:
                report.add(
                    Problem(
                        Kind.FORK,
                        f"the log no longer produces checkpoint {checkpoint.size}'s root "
                        f"{signed.root_hash.hex()[:16]}… (it gives {root.hex()[:16]}…): it "
                        f"diverges somewhere in events #{first}..#{checkpoint.size}",
                        seq=first,
                        checkpoint=checkpoint.size,
                    )
                )
        else:
            self._stored_root(checkpoint.size, root)
        self._consistency(checkpoint, signed)
        self.previous_checkpoint = (signed.size, signed.root_hash)

    def _stored_root(self, size: int, root: bytes) -> None:
        """The stored subtree hashes, from which proofs are served, must give the same root."""
        try:
            stored = tree_root(size)
        except (MissingSubtree, ValueError) as e:
            self.report.add(Problem(Kind.TREE, f"stored subtree hashes: {e}", checkpoint=size))
            return
        if stored != root:
            self.report.add(
                Problem(
                    Kind.TREE,
                    f"the stored subtree hashes give another root at size {size}: proofs "
                    "served from them would not verify",
                    checkpoint=size,
                )
            )

    def _consistency(self, checkpoint: Checkpoint, signed: note.Checkpoint) -> None:
        if self.previous_checkpoint is None:
            return
        old_size, old_root = self.previous_checkpoint
        try:
            proof = [bytes.fromhex(h) for h in checkpoint.consistency_proof]
            merkle.verify_consistency(old_size, signed.size, proof, old_root, signed.root_hash)
        except (ValueError, TypeError, merkle.ProofError) as e:
            self.report.add(
                Problem(
                    Kind.FORK,
                    f"checkpoint {signed.size} is not consistent with checkpoint {old_size}: {e}",
                    seq=old_size + 1,
                    checkpoint=checkpoint.size,
                )
            )

    # 3. The head and what lies beyond the last event.

    def _end(self) -> None:
        report = self.report
        last = self.expected - 1
        # Checkpoints beyond the events verified: fine if the log grew meanwhile, else deleted.
        now_max = Event.objects.aggregate(m=Max("seq"))["m"] or 0
        remaining = [self.next_checkpoint, *self.checkpoints] if self.next_checkpoint else []
        for checkpoint in remaining:
            if checkpoint.size > now_max:
                report.add(
                    Problem(
                        Kind.DELETED,
                        f"checkpoint {checkpoint.size} signed {checkpoint.size} events, the log "
                        f"holds {now_max}: events #{now_max + 1}..#{checkpoint.size} were deleted",
                        seq=now_max + 1,
                        checkpoint=checkpoint.size,
                    )
                )
                break
        head = LedgerHead.objects.filter(id=1).first()
        if head is None:
            return
        if head.seq > now_max:
            report.add(
                Problem(
                    Kind.DELETED,
                    f"the head counts {head.seq} events, the log holds {now_max}: events "
                    f"#{now_max + 1}..#{head.seq} were deleted",
                    seq=now_max + 1,
                )
            )
        elif head.seq == last and last == self.upto:
            frontier = [s.hash.hex() for s in self.tree.frontier]
            if head.hash != self.prev_hash or head.frontier != frontier:
                report.add(
                    Problem(
                        Kind.TREE,
                        f"the head (event #{head.seq}) does not match the last event and the "
                        "recomputed tree",
                    )
                )


def _note_text(signed_note: str) -> str:
    split = signed_note[:-1].rfind("\n\n")
    return signed_note[: split + 1] if split >= 0 else signed_note


def _signature_key_ids(signed_note: str) -> list[tuple[str, bytes]]:
    """(key name, key id) of each well-formed signature line of a note."""
    split = signed_note[:-1].rfind("\n\n")
    if split < 0:
        return []
    found = []
    for line in signed_note[split + 2 :].splitlines():
        if not line.startswith(note.SIGNATURE_PREFIX):
            continue
        name, _, encoded = line[len(note.SIGNATURE_PREFIX) :].rpartition(" ")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            continue
        if len(blob) >= 4:
            found.append((name, blob[:4]))
    return found


def verify_ledger(progress: Progress | None = None, vkey: str | None = None) -> VerificationReport:
    """Verify the whole ledger against the configured verifier key (or ``vkey``)."""
    report = VerificationReport(started_at=timezone.now())
    report.verifier_key = vkey or verifier_key()
    # Without a key given: every key the log has signed with (key rotation, ledger/keys.py).
    vkeys = [vkey] if vkey else keys.verifier_keys_of("ed25519")
    upto = Event.objects.aggregate(m=Max("seq"))["m"] or 0
    sizes = list(Checkpoint.objects.filter(size__lte=upto).values_list("size", flat=True))
    fast = fastverify.run(upto, sizes, progress)
    if fast.ok:
        _checkpoints_after_fast_pass(report, upto, fast, vkeys)
    if not report.ok or not fast.ok:
        # Something is wrong: the thorough pass names and classifies every problem.
        report = VerificationReport(started_at=report.started_at, verifier_key=report.verifier_key)
        _Pass(report, report.verifier_key, upto, progress, vkeys).run()
    report.finished_at = timezone.now()
    return report


def _checkpoints_after_fast_pass(report, upto: int, fast: fastverify.FastPass, vkeys=()) -> None:
    """The checkpoints and the head, against the roots and frontier the fast pass computed."""
    checker = _Pass(report, report.verifier_key, upto, None, vkeys)
    checker.tree, checker.prev_hash, checker.expected = fast.tree, fast.last_hash, upto + 1
    while checker.next_checkpoint is not None and checker.next_checkpoint.size <= upto:
        checkpoint = checker.next_checkpoint
        checker.next_checkpoint = next(checker.checkpoints, None)
        root = fast.roots.get(checkpoint.size, merkle.EMPTY_ROOT)
        checker._checkpoint(checkpoint, root)
    report.size = upto
    checker._end()


def record_verification(report: VerificationReport, actor: User | None = None) -> None:
    """Keep the outcome as a ``ledger.verified`` event; a failure is announced
    (:data:`~quancheng.ledger.signals.verification_failed`: the alerts app raises a critical
    alert) in the same durable transaction."""
    body = report.to_dict()
    with transaction.atomic(durable=True):
        record_event(
            actor, Action.LEDGER_VERIFIED, None, body, object_type="ledger", object_id="log"
        )
        if not report.ok:
            verification_failed.send(VerificationReport, report=report, detail=body, actor=actor)


def latest_verifications(limit: int = 10) -> list[dict]:
    """The latest ``ledger.verified`` events, newest first, as dicts for display."""
    import json

    rows = []
    for event in Event.objects.filter(action="ledger.verified").order_by("-seq")[:limit]:
        body = json.loads(event.body)
        body["seq"] = event.seq
        body["time"] = event.time
        body["actor"] = event.actor_label
        body["kind_label"] = KIND_LABELS.get(body.get("kind") or "", "")
        rows.append(body)
    return rows

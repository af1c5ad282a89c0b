"""Inclusion and consistency proof times and whole-log verification time on a large ledger.

Usage: .venv/bin/python bench/ledger_proofs.py [--events N] [--samples S] [--checkpoints C]
                                              [--db sqlite|postgres|both]

1. Builds a ledger of N events (1,000,000 by default) with a bulk path that computes exactly
   what record_event would store - entry bytes, chain hashes, SubtreeHash rows and the
   LedgerHead frontier - without one transaction per event; C signed checkpoints (10 by
   default) are made along the way with the real make_checkpoint().
2. Checks it with the real code: tree_root() equals the root computed independently with
   quancheng.lib.merkle over the leaves, and sampled inclusion and consistency proofs from
   quancheng.ledger.tree equal the in-memory ones and verify.
3. Times S inclusion proofs (random seq, tree of N) and S consistency proofs (random sizes),
   median and p99, and counts the SQL queries and stored rows each proof reads.
4. Times whole-log verification - the full quancheng.ledger.verify.verify_ledger() (chain,
   stored nodes, tree, checkpoints, head) and, for comparison, the lighter verify_chain() +
   Merkle root - against `openssl dgst -sha256` over a file of all the events' entry bytes, in
   the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    DATABASES,
    Timer,
    django_for_bench,
    machine_note,
    median,
    percentile,
    run_each_database,
)

CHUNK = 5000
# Catalogue values (quancheng.ledger.actions), taken in turn.
ACTIONS = ("segment.viewed", "case.updated", "upload.completed", "case.created", "auth.login")


def _body(i: int) -> dict:
    return {"field": "status", "from": "办理中", "to": "已办结", "by": "执法人员", "n": i}


def build_ledger(
    events: int, entries_file: Path | None = None, checkpoints: int = 0
) -> list[bytes]:
    """Append ``events`` events to an empty ledger in bulk; return their leaf hashes.

    Each row is what record_event would write for it (the same Event.entry_bytes(), hash chain,
    CompactRange subtrees and head): the ledger's bulk append (``ledger.bulk.append_events``)
    writes CHUNK events per transaction. When ``entries_file`` is given, the entry bytes are
    also written there, back to back.

    ``checkpoints`` signed checkpoints are made along the way, evenly spaced, with the real
    ``make_checkpoint()``: the head is brought up to date, the checkpoint signed, and its own
    ``ledger.checkpoint`` event (appended by record_event) counts among the ``events``.
    """
    from django.db import transaction
    from django.utils import timezone

    from quancheng.ledger.actions import Action
    from quancheng.ledger.bulk import EventSpec, append_events
    from quancheng.ledger.checkpoints import make_checkpoint
    from quancheng.ledger.models import Event
    from quancheng.lib.merkle import leaf_hash

    if Event.objects.exists():
        raise RuntimeError("build_ledger needs an empty ledger")
    # Sign at these sizes; the checkpoint's own event is the next seq, so it must fit.
    marks = sorted({events * k // checkpoints - 1 for k in range(1, checkpoints + 1)} - {0, -1})
    leaves: list[bytes] = []
    start_time = timezone.now().astimezone(dt.UTC) - dt.timedelta(days=30)
    out = entries_file.open("wb") if entries_file else None

    def add_leaf(entry: bytes) -> None:
        leaves.append(leaf_hash(entry))
        if out:
            out.write(entry)

    try:
        first = 1
        while first <= events:
            last = min(first + CHUNK - 1, events, *(m for m in marks if m >= first))
            specs = [
                EventSpec(
                    Action(ACTIONS[seq % len(ACTIONS)]),
                    "cases.case",
                    str(seq % 5000),
                    _body(seq),
                    time=start_time + dt.timedelta(milliseconds=seq),
                )
                for seq in range(first, last + 1)
            ]
            with transaction.atomic():
                append_events(specs, chunk=CHUNK)
            for event in Event.objects.filter(seq__gte=first, seq__lte=last).iterator():
                add_leaf(event.entry_bytes())
            first = last + 1
            if last in marks:
                make_checkpoint()  # appends event last + 1 through record_event
                event = Event.objects.get(seq=last + 1)
                add_leaf(event.entry_bytes())
                first = last + 2
    finally:
        if out:
            out.close()
    return leaves


def check_ledger(leaves: list[bytes], samples: int, rng: random.Random) -> None:
    """The stored tree agrees with quancheng.lib.merkle over the leaves; proofs verify."""
    from quancheng.ledger.models import Event
    from quancheng.ledger.tree import (
        consistency_proof_between,
        inclusion_proof_for,
        leaf_hash_of,
        tree_root,
    )
    from quancheng.lib import merkle

    size = len(leaves)
    if tree_root() != merkle.root_hash(leaves):
        raise AssertionError("tree_root() differs from merkle.root_hash over the leaves")
    memory = merkle.InMemorySource(leaves)
    for _ in range(samples):
        seq = rng.randint(1, size)
        proof = inclusion_proof_for(seq, size)
        if proof != merkle.inclusion_proof(memory, seq - 1, size):
            raise AssertionError(f"inclusion proof of #{seq} differs from the in-memory one")
        leaf = leaf_hash_of(Event.objects.get(seq=seq))
        merkle.verify_inclusion(leaf, seq - 1, size, proof, tree_root())
        if size > 1:
            old = rng.randint(1, size - 1)
            new = rng.randint(old + 1, size)
            old_root = tree_root(old)
            if old_root != merkle.root_from_source(memory, old):
                raise AssertionError(f"tree_root({old}) differs from the in-memory root")
            proof = consistency_proof_between(old, new)
            merkle.verify_consistency(old, new, proof, old_root, tree_root(new))


class _Recorder:
    """A merkle.SubtreeSource that only notes which stored subtrees a proof reads."""

    def __init__(self) -> None:
        self.addresses: set[tuple[int, int]] = set()

    def subtree_hash(self, start: int, end: int) -> bytes:
        level = (end - start).bit_length() - 1
        self.addresses.add((level, start >> level))
        return bytes(32)


def _proof_cases(size: int, samples: int, rng: random.Random):
    inclusion = [(rng.randint(1, size), size) for _ in range(samples)]
    consistency = []
    for _ in range(samples if size > 1 else 0):
        old = rng.randint(1, size - 1)
        consistency.append((old, rng.randint(old + 1, size)))
    return inclusion, consistency


def measure_proofs(size: int, samples: int, rng: random.Random) -> dict:
    """Median and p99 seconds, SQL queries and stored rows per proof, for both kinds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from quancheng.ledger.tree import consistency_proof_between, inclusion_proof_for
    from quancheng.lib import merkle

    kinds = {
        "inclusion": (
            lambda seq, n: inclusion_proof_for(seq, n),
            lambda source, seq, n: merkle.inclusion_proof(source, seq - 1, n),
        ),
        "consistency": (
            lambda old, new: consistency_proof_between(old, new),
            lambda source, old, new: merkle.consistency_proof(source, old, new),
        ),
    }
    inclusion, consistency = _proof_cases(size, samples, rng)
    results = {}
    for kind, cases in (("inclusion", inclusion), ("consistency", consistency)):
        if not cases:
            continue
        prove, dry_run = kinds[kind]
        prove(*cases[0])  # warm-up
        seconds = []
        for case in cases:
            with Timer() as timer:
                prove(*case)
            seconds.append(timer.seconds)
        # Queries and rows counted in a separate pass, so that capturing does not skew times.
        queries, rows, hashes = [], [], []
        for case in cases[:100]:
            with CaptureQueriesContext(connection) as captured:
                proof = prove(*case)
            queries.append(len(captured.captured_queries))
            recorder = _Recorder()
            dry_run(recorder, *case)
            rows.append(len(recorder.addresses))
            hashes.append(len(proof))
        results[kind] = {
            "samples": len(cases),
            "median_s": median(seconds),
            "p99_s": percentile(seconds, 0.99),
            "max_queries": max(queries),
            "max_rows": max(rows),
            "max_hashes": max(hashes),
        }
    return results


def verify_whole_log() -> dict:
    """The full verification, ``quancheng.ledger.verify.verify_ledger()``.

    One streaming pass: every event re-serialised and re-hashed, its link checked, the tree
    recomputed and every stored Merkle node (levels >= 1) compared with it, every checkpoint's
    signature, root, stored-subtree root and consistency proof checked, and the head compared at
    the end.
    """
    from quancheng.ledger.verify import verify_ledger

    report = verify_ledger()
    return {
        "events": report.size,
        "checkpoints": report.checkpoints,
        "ok": report.ok,
        "summary": report.summary(),
    }


def verify_chain_and_root() -> dict:
    """The earlier, lighter check, kept for comparison: verify_chain() plus the Merkle root.

    quancheng.ledger.services.verify_chain() over every event, then the Merkle root recomputed
    from every event's entry bytes and compared with the stored tree's root.
    """
    from quancheng.ledger.models import Event
    from quancheng.ledger.services import verify_chain
    from quancheng.ledger.tree import leaf_hash_of, tree_root
    from quancheng.lib import merkle

    broken = verify_chain()
    leaves = [leaf_hash_of(e) for e in Event.objects.order_by("seq").iterator(chunk_size=2000)]
    return {
        "events": len(leaves),
        "first_broken_seq": broken,
        "root_matches": merkle.root_hash(leaves) == tree_root(),
    }


def plain_streaming_verify() -> dict:
    """The baseline a verifier is held to: the database cursor and hashlib, nothing else.

    One process streams the rows with the driver's cursor, rebuilds each entry with json.dumps,
    checks its hash and its link, folds the leaves into the root and checks each stored node
    (levels >= 1; leaves are not stored) the fold completes.
    """
    import json

    from django.db import connection

    from quancheng.ledger.models import GENESIS_HASH
    from quancheng.lib import merkle

    tree = merkle.CompactRange()
    # The hash columns hold the digests' 32 bytes (ledger/fields.py); entries name them in hex.
    prev, count = bytes.fromhex(GENESIS_HASH), 0
    with connection.cursor() as rows, connection.cursor() as nodes:
        rows.execute(
            "SELECT seq, time, actor_label, agency_id, action, object_type, object_id, body, "
            "prev_hash, hash FROM ledger_event ORDER BY seq"
        )
        # In the order the fold completes them: by completing seq ((index + 1) << level), then
        # level.
        nodes.execute(
            'SELECT level, "index", hash FROM ledger_subtreehash '
            'ORDER BY ("index" + 1) * (1 << level), level'
        )
        pending: list = []
        while batch := rows.fetchmany(5000):
            for seq, time, actor, agency, action, otype, oid, body, prev_hash, own in batch:
                # Django's SQLite connection parses the column into a naive UTC datetime.
                stamp = time.isoformat(timespec="microseconds")
                stamp = stamp + "Z" if time.tzinfo is None else stamp.replace("+00:00", "Z")
                entry = json.dumps(
                    {
                        "seq": seq,
                        "time": stamp,
                        "actor": actor,
                        "agency": agency,
                        "action": action,
                        "object_type": otype,
                        "object_id": oid,
                        "body": body,
                        "prev": prev_hash.hex(),
                    },
                    sort_keys=True,
                    separators=(",", ":"),
                    ensure_ascii=False,
                ).encode()
                leaf = merkle.leaf_hash(entry)
                if hashlib.sha256(entry).digest() != own or prev_hash != prev:
                    raise AssertionError(f"plain verifier: event #{seq} does not verify")
                for node in tree.append(leaf)[1:]:
                    if not pending:
                        pending = list(reversed(nodes.fetchmany(5000)))
                    if not pending or pending.pop() != (node.level, node.index, node.hash):
                        raise AssertionError(f"plain verifier: a node over #{seq} differs")
                prev = own
                count += 1
    return {"events": count, "root": tree.root()}


def openssl_seconds(path: Path) -> float:
    """Wall time of `openssl dgst -sha256 path` (the baseline: hashing the same bytes once)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is not on PATH")
    with Timer() as timer:
        subprocess.run([openssl, "dgst", "-sha256", str(path)], check=True, capture_output=True)  # noqa: S603
    return timer.seconds


def run(events: int, samples: int, checkpoints: int = 10, seed: int = 6962) -> dict:
    """Build, check and measure; return every figure main() prints."""
    rng = random.Random(seed)  # noqa: S311 - sampling, not security
    workdir = Path(tempfile.mkdtemp(prefix="qc_bench_entries_"))
    try:
        entries = workdir / "entries.bin"
        with Timer() as build:
            leaves = build_ledger(events, entries, checkpoints)
        check_ledger(leaves, min(samples, 200), rng)
        del leaves
        proofs = measure_proofs(events, samples, rng)
        with Timer() as verification:
            verified = verify_whole_log()
        if not verified["ok"] or verified["events"] != events:
            raise AssertionError(f"whole-log verification failed: {verified['summary']}")
        with Timer() as plain:
            baseline_verify = plain_streaming_verify()
        if baseline_verify["events"] != events:
            raise AssertionError(f"plain verifier saw {baseline_verify['events']} events")
        with Timer() as light:
            chain = verify_chain_and_root()
        if chain["first_broken_seq"] is not None or not chain["root_matches"]:
            raise AssertionError(f"verify_chain + root failed: {chain}")
        baseline = openssl_seconds(entries)
        return {
            "events": events,
            "build_s": build.seconds,
            "entry_bytes": entries.stat().st_size,
            "proofs": proofs,
            "checkpoints": verified["checkpoints"],
            "verify_s": verification.seconds,
            "chain_root_s": light.seconds,
            "plain_s": plain.seconds,
            "openssl_s": baseline,
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="ledger size (1,000,000)")
    parser.add_argument("--samples", type=int, default=1000, help="proofs timed per kind (1000)")
    parser.add_argument(
        "--checkpoints", type=int, default=10, help="signed checkpoints made during the build (10)"
    )
    parser.add_argument("--db", choices=[*DATABASES, "both"], default="sqlite")
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be at least 1")
    if args.checkpoints < 0:
        parser.error("--checkpoints must not be negative")
    if args.db == "both":
        rest = ["--events", str(args.events), "--samples", str(args.samples)]
        rest += ["--checkpoints", str(args.checkpoints)]
        return run_each_database(__file__, rest, list(DATABASES))

    label = django_for_bench("proofs", args.db)
    r = run(args.events, args.samples, args.checkpoints)
    mb = r["entry_bytes"] / 1e6
    print(f"ledger_proofs on {label}, {r['events']:,} events ({mb:.1f} MB of entry bytes)")
    print(
        f"bulk build {r['build_s']:.1f} s with {r['checkpoints']} signed checkpoints; "
        "tree_root and sampled proofs checked against merkle"
    )
    for kind, p in r["proofs"].items():
        print(
            f"{kind} proof: median {_ms(p['median_s'])}, p99 {_ms(p['p99_s'])} over "
            f"{p['samples']} proofs; at most {p['max_queries']} SQL queries, "
            f"{p['max_rows']} subtree rows, {p['max_hashes']} hashes per proof"
        )
    ratio = r["verify_s"] / r["openssl_s"]
    print(
        f"whole-log verification (quancheng.ledger.verify: chain, nodes, tree, "
        f"{r['checkpoints']} checkpoints, head): {r['verify_s']:.1f} s, "
        f"{r['events'] / r['verify_s']:,.0f} events/s, {mb / r['verify_s']:.1f} MB/s"
    )
    print(
        f"plain streaming verifier (cursor + hashlib, one process; the baseline): "
        f"{r['plain_s']:.1f} s, {r['events'] / r['plain_s']:,.0f} events/s; verify_ledger "
        f"takes {r['verify_s'] / r['plain_s']:.2f}x its time (target: at least 150,000 "
        f"events/s, i.e. {r['events'] / r['verify_s'] / 150_000:.2f}x the target rate)"
    )
    print(
        f"for comparison, verify_chain + root over all events: {r['chain_root_s']:.1f} s, "
        f"{r['events'] / r['chain_root_s']:,.0f} events/s"
    )
    print(
        f"openssl dgst -sha256 over the {mb:.1f} MB of entry bytes: {r['openssl_s']:.3f} s; "
        f"verification takes {ratio:,.0f}x as long"
    )
    print(machine_note())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The benchmark scripts under bench/ run their whole core at tiny sizes (no timing checked)."""

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction

from bench import ledger_proofs
from quancheng.ledger.actions import Action
from quancheng.ledger.models import Checkpoint, Event, LedgerHead, SubtreeHash
from quancheng.ledger.services import record_event, verify_chain
from quancheng.ledger.tree import leaf_hash_of, tree_root
from quancheng.lib import merkle

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.db_independent("the benchmark runs on a SQLite database of its own")
def test_append_benchmark_runs_writers_and_an_integrator_and_verifies(tmp_path):
    """The script end to end at a tiny size, as its own process (its writer threads and its
    integrator process need a committed database of their own)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QC_")}
    result = subprocess.run(
        [
            sys.executable,
            "bench/ledger_append.py",
            "--events",
            "12",
            "--writers",
            "1",
            "3",
            "--rounds",
            "2",
            "--db",
            "sqlite",
        ],
        cwd=ROOT,
        env={**env, "QC_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    rows = [line.split() for line in lines if line.split()[:1] in (["1"], ["3"])]
    assert [row[0] for row in rows] == ["1", "3"]
    assert all(float(row[5]) > 0 for row in rows)  # the ratio ledger / plain
    assert any(line.startswith("agency B committed an event in") for line in lines)
    # Warm-up 20, 2 rounds × 12 for each of 2 writer counts, the wait check's 2: all verified.
    assert "verify_ledger: 70 events" in result.stdout
    assert "load average" in result.stdout
    # The machine, and the load before and after, printed once by bench/_common for every bench.
    assert "CPUs" in result.stdout and "Python 3." in result.stdout and "SQLite 3." in result.stdout
    assert "load before: load average" in result.stdout
    assert "load after: load average" in result.stdout


def test_the_spread_of_rounds_is_printed_as_median_min_max_and_stdev():
    from bench._common import spread

    assert spread([3.0, 1.0, 2.0], " s") == (
        "median 2.00 s (min 1.00 s, max 3.00 s, stdev 1.00 s; 3 rounds)"
    )
    assert spread([5.0]) == "median 5.00 (min 5.00, max 5.00; 1 rounds)"


def test_bulk_built_ledger_is_what_record_event_would_have_written(tmp_path):
    entries = tmp_path / "entries.bin"
    leaves = ledger_proofs.build_ledger(11, entries)

    assert len(leaves) == 11
    assert verify_chain() is None
    assert tree_root() == merkle.root_hash(leaves)
    assert SubtreeHash.objects.count() == 5 + 2 + 1  # levels 1, 2, 3: no leaf rows
    assert LedgerHead.objects.get().seq == 11
    stored = b"".join(e.entry_bytes() for e in Event.objects.order_by("seq"))
    assert entries.read_bytes() == stored
    # The real append continues the bulk-built chain and tree.
    with transaction.atomic():
        record_event(None, Action.JOB_RETRIED, object_type="cases.case", object_id="1")
    assert verify_chain() is None
    all_leaves = [leaf_hash_of(e) for e in Event.objects.order_by("seq")]
    assert tree_root() == merkle.root_hash(all_leaves)


def test_bulk_build_refuses_a_ledger_that_has_events():
    with transaction.atomic():
        record_event(None, Action.JOB_FAILED, object_type="cases.case", object_id="1")

    with pytest.raises(RuntimeError, match="empty ledger"):
        ledger_proofs.build_ledger(3)


def test_proofs_benchmark_reads_few_queries_and_verifies_the_log():
    result = ledger_proofs.run(events=37, samples=5)

    assert result["events"] == 37
    assert result["checkpoints"] == 10
    assert result["verify_s"] > 0 and result["chain_root_s"] > 0
    for kind in ("inclusion", "consistency"):
        figures = result["proofs"][kind]
        assert figures["samples"] == 5
        assert figures["max_queries"] <= 2
        assert 0 < figures["max_rows"] <= 2 * (37).bit_length()
    assert result["entry_bytes"] > 37 * 100
    assert result["openssl_s"] > 0


def test_bulk_build_signs_checkpoints_that_the_full_verification_checks():
    leaves = ledger_proofs.build_ledger(20, checkpoints=3)

    assert len(leaves) == 20
    # Signed at 5, 12 and 19 events; each checkpoint's own event is the next seq.
    assert list(Checkpoint.objects.order_by("size").values_list("size", flat=True)) == [5, 12, 19]
    assert Event.objects.filter(action="ledger.checkpoint").count() == 3
    assert tree_root() == merkle.root_hash(leaves)
    verified = ledger_proofs.verify_whole_log()
    assert (verified["ok"], verified["events"], verified["checkpoints"]) == (True, 20, 3)


def test_whole_log_verification_notices_a_head_that_disagrees():
    ledger_proofs.build_ledger(5)
    assert ledger_proofs.verify_whole_log()["ok"] is True
    assert ledger_proofs.verify_chain_and_root() == {
        "events": 5,
        "first_broken_seq": None,
        "root_matches": True,
    }
    LedgerHead.objects.filter(id=1).update(hash="0" * 64)

    verified = ledger_proofs.verify_whole_log()
    assert verified["ok"] is False
    assert "tree" in verified["summary"]


def test_lighter_check_notices_a_wrong_root(monkeypatch):
    ledger_proofs.build_ledger(5)
    monkeypatch.setattr("quancheng.ledger.tree.tree_root", lambda: bytes(32))

    assert ledger_proofs.verify_chain_and_root()["root_matches"] is False


def test_check_ledger_refuses_leaves_that_are_not_the_stored_ones():
    leaves = ledger_proofs.build_ledger(6)
    leaves[2] = merkle.leaf_hash(b"not the stored entry")

    with pytest.raises(AssertionError, match="tree_root"):
        ledger_proofs.check_ledger(leaves, 3, random.Random(1))

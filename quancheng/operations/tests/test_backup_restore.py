"""Backup, destroy, restore, verify (issue 16, point 5), on the suite's database kind: a real
installation backed up with `manage.py backup`, deleted, and restored into an empty one with
`manage.py restore`, which verifies the ledger and runs a fixity sweep."""

import json
import shutil

from quancheng.jobs.tests.instance import (
    Instance,
    _admin,
    _with_database,
    new_instance,
    suite_postgres_url,
)

STATE = """
import json
from quancheng.documents.models import DocumentDraft
from quancheng.ledger.models import Event
from quancheng.records.services import blob_store
d = DocumentDraft.objects.get(status="final")
with blob_store().open(d.document.blob_id) as f:
    pdf = f.read()
print(json.dumps({"number": d.number, "sha256": d.document.blob_id, "pdf": len(pdf),
                  "events": Event.objects.count()}))
"""

SEED = """
import json
from quancheng.documents import services
from quancheng.documents.models import DocumentDraft
from quancheng.documents.tests.test_finalise_writers import seed_drafts
ids = seed_drafts()
draft = DocumentDraft.objects.get(pk=ids["draft"])
services.finalise(draft.created_by, draft)
from quancheng.ledger.checkpoints import make_checkpoint
make_checkpoint()  # signed with the key that restore must be given
print(json.dumps(ids))
"""


def empty_installation(source: Instance, var) -> Instance:
    """A new installation with no database yet (SQLite) or an empty one (PostgreSQL)."""
    var.mkdir()
    pg = suite_postgres_url()
    if pg is None:
        return Instance(var, f"sqlite:///{var / 'db.sqlite3'}")
    name = f"{source.database_name}_restored"
    _admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(pg, f'CREATE DATABASE "{name}"')
    return Instance(var, _with_database(pg, name))


def test_backup_destroy_restore_verify(migrated_template, tmp_path):
    original = new_instance(migrated_template, tmp_path / "original")
    original.python(SEED)
    before = original.python(STATE)
    dest = tmp_path / "backups"

    first = original.manage("backup", str(dest)).stdout
    assert "copied now: 0" not in first
    second = original.manage("backup", str(dest)).stdout
    assert "copied now: 0" in second  # incremental: the blobs are in DEST already
    backups = sorted(dest.glob("backup-*"))
    assert len(backups) == 2
    manifest = json.loads((backups[-1] / "manifest.json").read_text())
    assert not (backups[-1] / "var" / "ledger_signing_key").exists()  # kept apart
    key = tmp_path / "custody" / "ledger_signing_key"
    key.parent.mkdir()
    shutil.copyfile(original.var / "ledger_signing_key", key)

    original.drop()
    shutil.rmtree(original.var)  # the machine is gone

    restored = empty_installation(original, tmp_path / "restored")
    try:
        refused = restored.manage("restore", str(dest), check=False)
        assert refused.returncode != 0 and "--signing-key" in refused.stderr
        out = restored.manage("restore", str(dest), "--signing-key", str(key)).stdout
        assert "OK: restored and verified" in out
        assert f"{manifest['blobs']} blobs put back" in out
        after = restored.python(STATE)
        assert after["number"] == before["number"] and after["sha256"] == before["sha256"]
        assert after["pdf"] == before["pdf"]
        # The restore's own events (verification, sweep, restored) come after the backup's.
        assert after["events"] > manifest["ledger_size"]
        again = restored.manage("restore", str(dest), "--signing-key", str(key), check=False)
        assert again.returncode != 0 and "not empty" in again.stderr  # never over live data
    finally:
        restored.drop()

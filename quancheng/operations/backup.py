"""Backups of an installation and their restore into an empty one (docs/operations.md).

A backup folder DEST holds one ``backup-<UTC time>/`` per run and one shared ``blobs/`` tree:

    backup-20261206T201500123456Z/
        manifest.json            what, when, which database, the ledger's size, the blob count
        quancheng.sqlite3        SQLite: a consistent copy by SQLite's online backup API
        database.pgdump          PostgreSQL: pg_dump --format=custom
        var/secret_key, var/document_key_passphrase     keys and settings kept with the data
        blobs.tsv                every registered blob: sha256, size (the store's listing)
    blobs/ab/cd/<sha256>         blob copies, content-addressed: a blob already there is not
                                 copied again, so each run adds only new files

The ledger's signing key is not in it: it is backed up apart from the data (key custody), and
``restore`` is given it with ``--signing-key``.

Blobs are written once and never change, and become visible before any row names them: copied
after the database snapshot, every blob the snapshot names is there.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from quancheng.fixity.models import FixitySweep
from quancheng.fixity.sweep import run_sweep
from quancheng.ledger.actions import Action
from quancheng.ledger.checkpoints import KEY_FILE_NAME, make_checkpoint
from quancheng.ledger.models import LedgerHead
from quancheng.ledger.services import record_event
from quancheng.ledger.verify import record_verification, verify_ledger
from quancheng.records.models import Blob
from quancheng.records.services import blob_store, put_record

VAR_FILES = ("secret_key", "document_key_passphrase")
CHUNK = 4 * 1024 * 1024


class BackupError(Exception):
    pass


def _database() -> dict:
    return dict(settings.DATABASES["default"])  # a copy: callers may change it


def _is_sqlite() -> bool:
    return _database()["ENGINE"].endswith("sqlite3")


def _pg_env() -> dict[str, str]:
    """libpq's variables for pg_dump and pg_restore (no password on their command line)."""
    db = _database()
    names = {"HOST": "PGHOST", "PORT": "PGPORT", "USER": "PGUSER", "PASSWORD": "PGPASSWORD"}
    env = {**os.environ, "PGDATABASE": db["NAME"]}
    env.update({var: str(db[key]) for key, var in names.items() if db.get(key)})
    return env


def blob_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / sha256


# --- backup -----------------------------------------------------------------------------------


def make_backup(dest: Path, *, copy_blobs: bool = True) -> dict:
    """Back the installation up into ``dest``; the manifest written."""

    target = dest / f"backup-{timezone.now():%Y%m%dT%H%M%S%fZ}"
    target.mkdir(parents=True)
    # The copy then ends with a signed checkpoint of its ledger, as a restore will verify.
    make_checkpoint()
    database = _dump_database(target)
    var = _copy_var_files(target / "var")
    listing = _write_listing(target / "blobs.tsv")
    copied = _copy_blobs(listing, dest / "blobs") if copy_blobs else 0
    head = LedgerHead.objects.filter(id=1).first()
    manifest = {
        "made_at": timezone.now().isoformat(),
        "database": database,
        "var_files": var,
        "ledger_size": head.seq if head else 0,
        "blobs": len(listing),
        "blobs_copied": copied,
        "blob_store": settings.QC_BLOB_STORE.split("?")[0],
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    with transaction.atomic(durable=True):
        record_event(
            None, Action.INSTALLATION_BACKED_UP, None, manifest, object_type="installation"
        )
    return {**manifest, "path": str(target)}


def _dump_database(target: Path) -> str:
    if _is_sqlite():
        source = sqlite3.connect(_database()["NAME"])
        copy = sqlite3.connect(target / "quancheng.sqlite3")
        try:
            source.backup(copy)  # a consistent snapshot while others keep writing
        finally:
            copy.close()
            source.close()
        return "sqlite"
    _run(["pg_dump", "--format=custom", "--file", str(target / "database.pgdump")], "pg_dump")
    return "postgresql"


def _run(command: list[str], name: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{name} not found: install Debian's postgresql-client")
    result = subprocess.run(  # noqa: S603 - Debian's tools, our arguments
        command, env=_pg_env(), capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise BackupError(f"{name} failed: {result.stderr.strip()}")


def _copy_var_files(target: Path) -> list[str]:
    target.mkdir()
    copied = []
    for name in VAR_FILES:
        source = Path(settings.VAR_DIR) / name
        if source.is_file():
            shutil.copy2(source, target / name)
            copied.append(name)
    return copied


def _write_listing(path: Path) -> list[tuple[str, int]]:

    listing = list(Blob.objects.order_by("sha256").values_list("sha256", "size"))
    path.write_text("".join(f"{sha}\t{size}\n" for sha, size in listing))
    return listing


def _copy_blobs(listing, root: Path) -> int:
    """Copy the blobs not yet in ``root``, each re-hashed on the way; how many were copied."""

    store = blob_store()
    copied = 0
    for sha256, _size in listing:
        final = blob_path(root, sha256)
        if final.exists():
            continue
        final.parent.mkdir(parents=True, exist_ok=True)
        part = final.with_suffix(".part")
        with store.open(sha256) as source, open(part, "wb") as out:
            digest = _copy_hashing(source, out)
            os.fsync(out.fileno())
        if digest != sha256:
            part.unlink()
            raise BackupError(f"blob {sha256} read back as {digest}: run a fixity sweep")
        part.rename(final)
        copied += 1
    return copied


def _copy_hashing(source, out) -> str:
    digest = hashlib.sha256()
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        out.write(chunk)
    return digest.hexdigest()


# --- restore ----------------------------------------------------------------------------------


@dataclass
class Restored:
    backup: str
    blobs: int
    ledger_ok: bool
    ledger_summary: str
    fixity_problems: int


def latest_backup(source: Path) -> Path:
    backups = sorted(source.glob("backup-*/manifest.json"))
    if not backups:
        raise BackupError(f"{source} holds no backup")
    return backups[-1].parent


def restore(source: Path, backup: Path, signing_key: Path | None) -> Restored:
    """Put a backup back into this empty installation, then verify ledger and blobs."""
    manifest = json.loads((backup / "manifest.json").read_text())
    _require_empty()
    _restore_signing_key(signing_key)
    _restore_database(backup, manifest["database"])
    _restore_var_files(backup / "var")
    blobs = _restore_blobs(backup / "blobs.tsv", source / "blobs")
    return _verify(backup, blobs)


def _require_empty() -> None:
    if _is_sqlite():
        path = Path(_database()["NAME"])
        if path.exists() and path.stat().st_size:
            with sqlite3.connect(path) as db:
                tables = db.execute("SELECT count(*) FROM sqlite_master WHERE type='table'")
                if tables.fetchone()[0]:
                    raise BackupError(f"the database {path} is not empty: restore needs a new one")
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        if cursor.fetchone()[0]:
            raise BackupError("the database is not empty: restore needs a new, empty database")
    connections.close_all()


def _restore_signing_key(signing_key: Path | None) -> None:
    if os.environ.get("QC_SIGNING_KEY") or os.environ.get("QC_SIGNING_KEY_FILE"):
        return  # configured apart from the var directory
    if signing_key is None:
        raise BackupError("the ledger's signing key is kept apart from the data: --signing-key")
    target = Path(settings.VAR_DIR) / KEY_FILE_NAME
    shutil.copyfile(signing_key, target)
    target.chmod(0o600)


def _restore_database(backup: Path, kind: str) -> None:
    connections.close_all()
    if kind == "sqlite":
        if not _is_sqlite():
            raise BackupError("the backup is of SQLite; this installation uses PostgreSQL")
        path = Path(_database()["NAME"])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        with sqlite3.connect(backup / "quancheng.sqlite3") as copy, sqlite3.connect(path) as db:
            copy.backup(db)
        return
    if _is_sqlite():
        raise BackupError("the backup is of PostgreSQL; this installation uses SQLite")
    dump = str(backup / "database.pgdump")
    database = _database()["NAME"]
    _run(["pg_restore", "--no-owner", "--no-privileges", "--dbname", database, dump], "pg_restore")


def _restore_var_files(source: Path) -> None:
    # secret_key is replaced (an empty installation's fresh one protects nothing yet); the
    # document-key passphrase is needed to use the agencies' signing keys in the database.
    for path in source.iterdir():
        target = Path(settings.VAR_DIR) / path.name
        shutil.copy2(path, target)
        target.chmod(0o600)


def _restore_blobs(listing: Path, root: Path) -> int:
    """Put every listed blob into this installation's store (re-hashed by the store)."""

    store = blob_store()
    restored = 0
    for line in listing.read_text().splitlines():
        sha256 = line.split("\t")[0]
        if store.exists(sha256):
            continue
        copy = blob_path(root, sha256)
        if not copy.exists():
            raise BackupError(f"blob {sha256} is missing from the backup")
        with open(copy, "rb") as f:
            info = put_record(f, store=store)  # locked again from its first byte
        if info.sha256 != sha256:
            raise BackupError(f"the backup's copy of {sha256} is altered")
        restored += 1
    return restored


def _verify(backup: Path, blobs: int) -> Restored:

    report = verify_ledger()
    record_verification(report)
    sweep = run_sweep(resume=False, trigger=FixitySweep.Trigger.COMMAND)
    with transaction.atomic(durable=True):
        record_event(
            None,
            Action.INSTALLATION_RESTORED,
            None,
            {"backup": backup.name, "blobs": blobs, "ledger_ok": report.ok},
            object_type="installation",
        )
    return Restored(backup.name, blobs, report.ok, report.summary(), sweep.problems)

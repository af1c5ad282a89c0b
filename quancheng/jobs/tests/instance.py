"""A separate installation of the platform in subprocesses, on SQLite or PostgreSQL like the
suite: real workers (and real backups) run against it, and can be killed.

The database is migrated once per test session into a template (a SQLite file, or a PostgreSQL
template database) and copied for each instance. Imported by the tests that need it; the
``seed_*`` and ``stalling_worker`` functions run inside the instance's processes.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[3]
WAIT_STEPS = 1200  # × 0.1 s: every wait is bounded
PASSPHRASE = "instance-test-passphrase"
_numbers = itertools.count()


def suite_postgres_url() -> str | None:
    url = os.environ.get("QC_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def base_env(var: Path, database_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QC_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="quancheng.settings",
        QC_VAR_DIR=str(var),
        QC_DATABASE_URL=database_url,
        QC_BLOB_STORE=f"file://{var / 'blobs'}",
        QC_DOCUMENT_KEY_PASSPHRASE=PASSPHRASE,
        QC_TSA_URL="",
        QC_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Instance:
    """One installation: its var directory, its database, and ways to run its commands."""

    def __init__(self, var: Path, database_url: str, **env):
        self.var = var
        self.database_url = database_url
        self.env = base_env(var, database_url, **env)

    def manage(self, *args, check=True, env=None, timeout=600) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env={**self.env, **(env or {})},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check:
            assert result.returncode == 0, f"manage.py {args}: {result.stdout}{result.stderr}"
        return result

    def python(self, code: str):
        """Run Python in the instance (Django set up); the JSON it prints last."""
        out = self.manage("shell", "-c", code).stdout
        return json.loads(out.strip().splitlines()[-1])

    def popen(self, code: str, log: Path) -> subprocess.Popen:
        """Start Python in the instance as its own process (output to ``log``)."""
        with open(log, "ab") as out:
            return subprocess.Popen(
                [sys.executable, "-c", f"import django; django.setup(); {code}"],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def drop(self) -> None:
        if self.database_url.startswith("postgres"):
            _admin(
                self.database_url, f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)'
            )

    @property
    def database_name(self) -> str:
        return urlsplit(self.database_url).path.lstrip("/")


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """A migrated database to copy: (kind, path or template database name)."""
    var = tmp_path_factory.mktemp("instance-template")
    pg = suite_postgres_url()
    if pg is None:
        Instance(var, f"sqlite:///{var / 'db.sqlite3'}").manage("migrate", "-v", "0")
        yield ("sqlite", var / "db.sqlite3")
        return
    name = f"{urlsplit(pg).path.lstrip('/')}_inst_tpl_{os.getpid()}"
    _admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(pg, f'CREATE DATABASE "{name}"')
    Instance(var, _with_database(pg, name)).manage("migrate", "-v", "0")
    yield ("postgres", name)
    _admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_instance(template, var: Path, **env) -> Instance:
    """A fresh installation in ``var`` with a copy of the migrated database."""
    var.mkdir(parents=True, exist_ok=True)
    kind, source = template
    if kind == "sqlite":
        shutil.copyfile(source, var / "db.sqlite3")
        return Instance(var, f"sqlite:///{var / 'db.sqlite3'}", **env)
    pg = suite_postgres_url()
    assert pg is not None  # a PostgreSQL template came from it
    name = f"{source.removesuffix(f'_inst_tpl_{os.getpid()}')}_inst_{os.getpid()}_{next(_numbers)}"
    _admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(pg, f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    return Instance(var, _with_database(pg, name), **env)


def wait_for(predicate, what: str) -> None:
    for _ in range(WAIT_STEPS):
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"gave up waiting for {what}")


def kill(proc: subprocess.Popen) -> None:
    """kill -9, as a crash or the OOM killer would."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


# --- run inside the instance ------------------------------------------------------------------


def seed_extraction(document_bytes: int) -> int:
    """People, a certificate, an act with a document of that size, and an approved extraction
    (queued for production); the extraction's id."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from quancheng.access.extraction import decide_extraction, request_extraction
    from quancheng.cases.services import create_act
    from quancheng.conftest import credit_code, make_person
    from quancheng.demo.ca import make_demo_certificates
    from quancheng.orgs.models import Agency, Role
    from quancheng.orgs.seed import load_organisation
    from quancheng.records.items import create_document
    from quancheng.records.services import blob_store, register_blob
    from quancheng.subjects.services import create_subject

    load_organisation()
    agency = Agency.objects.get(code="d03-zf")
    officer = make_person("zhangwei", "张伟", agency)
    colleague = make_person("lina", "李娜", agency)
    head = make_person("liuyang", "刘洋", agency, Role.HEAD)
    make_demo_certificates(None, [agency])
    subject = create_subject(
        officer, agency, name="重庆市渝中区解放碑口腔诊所", kind="medical",
        address="渝中区邹容路100号", credit_code=credit_code(1),
    )  # fmt: skip
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    act = create_act(
        officer, agency, [officer, colleague], kind="inspection", started_at=start,
        ended_at=start + dt.timedelta(minutes=45), place=subject.address, subject=subject,
    )  # fmt: skip
    with open("/dev/urandom", "rb") as random:
        content = random.read(document_bytes)
    import io

    info = blob_store().put(io.BytesIO(content))
    with transaction.atomic():
        blob = register_blob(info, agency)
    document = create_document(
        officer, agency=agency, blob=blob, source="upload", act=act, file_kind="image",
        content_type="image/png", original_filename="现场照片.png",
        doc_type="现场笔录",
    )  # fmt: skip
    extraction = request_extraction(
        officer, purpose="行政复议机关调取证据", act=act,
        items=[{"kind": "document", "id": document.pk}],
    )  # fmt: skip
    decide_extraction(head, extraction, approve=True)
    return extraction.pk


def stalling_worker(marker: str) -> None:
    """A real worker whose package build stops for good once the bag's files are copied (at
    60 %), after touching ``marker``: the moment the test kills it."""
    import threading

    from django.core.management import call_command

    from quancheng.access import package

    def stall(*args, **kwargs):
        Path(marker).write_text(str(args[0]))
        threading.Event().wait()

    package.bagit.make_bag = stall
    call_command("db_worker", "--no-startup-delay", "--interval", "0.1", "--no-reload")

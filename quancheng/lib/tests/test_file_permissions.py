"""Files under the var directory are for the platform's user alone (issue 15, point 4).

A fresh process with an empty QC_VAR_DIR creates the SQLite database, the secret key and a blob;
none of them, nor any directory, may be readable or writable by the group or by others.
"""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import io, django
django.setup()
from django.db import connection
from quancheng.records.services import blob_store
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE probe (id integer)")
blob_store().put(io.BytesIO(b"evidence"))
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_everything_under_the_var_directory_is_private(tmp_path):
    var = tmp_path / "var"
    env = {
        **os.environ,
        "QC_VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "quancheng.settings",
        "QC_DATABASE_URL": f"sqlite:///{var / 'quancheng.sqlite3'}",
    }
    env.pop("QC_BLOB_STORE", None)
    root = Path(__file__).resolve().parents[3]
    # Started with the usual umask (022), not the one this test process's settings set.
    subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=root,
        check=True,
        preexec_fn=lambda: os.umask(0o022),
    )
    paths = [var, *var.rglob("*")]
    names = {p.name for p in paths}
    assert {"quancheng.sqlite3", "secret_key"} <= names
    assert any(p.is_file() and "blobs" in p.parts for p in paths)
    shared = {
        str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in paths if p.stat().st_mode & 0o077
    }
    assert shared == {}

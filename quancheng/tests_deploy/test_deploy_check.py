"""docs/deployment.md produces a working install on its own: scripts/deploy-check proves it.

The script performs the page's marked steps on loopback (a temporary directory, a fresh
PostgreSQL database, SeaweedFS from the pip package, gunicorn, a worker, the scheduler and nginx
on free ports), then logs in through nginx, uploads with tuspy, checks that the stored object
cannot be deleted through the S3 API, that the scheduler's job ran on the worker and that the
ledger verifies (quancheng/tests_deploy/deploy_check.py). Runs in the PostgreSQL pass only: it
makes its own database, so the SQLite pass would only repeat it.
"""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from quancheng.tests_deploy.site import DOC, doc_blocks, exec_start

# A guard against a hang, not a performance limit: an install takes a few minutes on a loaded
# two-core machine (migrate and collectstatic dominate).
HANG_GUARD = 1800


@pytest.mark.postgres
def test_the_documented_install_works():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QC_", "DJANGO_"))}
    if "QC_TEST_POSTGRES_URL" in os.environ:
        env["QC_TEST_POSTGRES_URL"] = os.environ["QC_TEST_POSTGRES_URL"]
    env["QC_PYTHON"] = sys.executable

    result = subprocess.run(  # noqa: S603 - our own script
        [str(settings.BASE_DIR / "scripts" / "deploy-check")],
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    assert result.stdout.rstrip().endswith("deploy-check: OK")


def test_every_step_the_check_runs_is_marked_in_the_page():
    """The script reads its commands from the page: a renamed or lost block fails here."""
    blocks = doc_blocks(DOC)

    expected = {
        "database",
        "s3-identities",
        "seaweedfs",
        "keys",
        "env",
        "check",
        "initialise",
        "certificates",
        "people",
        "web",
        "worker",
        "scheduler",
        "nginx",
        "nginx-http",
    }
    assert set(blocks) == expected
    for unit in ("seaweedfs", "web", "worker", "scheduler"):
        assert exec_start(blocks[unit])
    assert "QC_BLOB_STORE='s3://" in blocks["env"]  # quoted: the URL has & between options

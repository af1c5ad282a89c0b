"""A worker killed (kill -9) in the middle of an evidence package: another worker takes the job
over once the lease has run out, builds the package from the start, and the dead worker's
temporary files are removed. Real worker processes on a separate installation."""

import pytest

from .instance import kill, new_instance, wait_for

LEASE_SECONDS = 2
DOCUMENT_BYTES = 8 * 1024 * 1024

STATE = """
import json
from quancheng.access.models import Extraction
from quancheng.ledger.models import Event
e = Extraction.objects.get(pk={pk})
events = list(Event.objects.filter(object_type="access.extraction", object_id=str(e.pk))
              .order_by("seq").values_list("action", flat=True))
jobs = list(Event.objects.filter(object_type="job").values_list("action", flat=True))
print(json.dumps({{"status": e.status, "package": e.package_id, "error": e.error,
                  "events": events, "jobs": jobs}}))
"""


@pytest.fixture
def instance(migrated_template, tmp_path):
    instance = new_instance(migrated_template, tmp_path / "var", QC_JOB_LEASE_SECONDS=LEASE_SECONDS)
    yield instance
    instance.drop()


def work_folders(instance) -> list:
    tmp = instance.var / "tmp"
    return (
        sorted(p for p in tmp.iterdir() if p.name.startswith("extraction-")) if tmp.exists() else []
    )


def test_a_package_whose_worker_is_killed_is_finished_by_another(instance, tmp_path):
    pk = instance.python(
        "import json; from quancheng.jobs.tests.instance import seed_extraction; "
        f"print(json.dumps(seed_extraction({DOCUMENT_BYTES})))"
    )
    marker = tmp_path / "stalled"
    code = "from quancheng.jobs.tests.instance import stalling_worker; stalling_worker({!r})"
    victim = instance.popen(code.format(str(marker)), tmp_path / "victim.log")
    try:
        wait_for(lambda: marker.exists() or victim.poll() is not None, "the package build")
        assert marker.exists(), (tmp_path / "victim.log").read_text()
    finally:
        kill(victim)
    # The dead worker's folder holds the copied document (the "149 MB left behind").
    [left] = work_folders(instance)
    assert sum(f.stat().st_size for f in left.rglob("*") if f.is_file()) >= DOCUMENT_BYTES
    assert instance.python(STATE.format(pk=pk))["status"] == "approved"

    instance.manage(
        "db_worker", "--no-startup-delay", "--interval", "0.1", "--max-tasks", "1", "--no-reload"
    )

    state = instance.python(STATE.format(pk=pk))
    assert state["status"] == "produced", state["error"]
    assert state["package"]
    assert state["jobs"] == ["job.retried"]
    assert state["events"].count("extraction.production_started") == 2
    assert state["events"][-1] == "extraction.produced"
    assert not left.exists()
    assert work_folders(instance) == []
    instance.manage("verify_ledger")  # exits non-zero unless chain, tree and checkpoints verify

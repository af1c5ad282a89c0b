"""Leases (jobs/leases.py): a running task whose lease ran out is queued again, and after the
last attempt fails with the reason, visibly on its own object (an extraction the head may
retry). Time is controlled; no worker process is needed to decide what a dead worker leaves."""

import datetime as dt
import json
import os

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from quancheng.access.extraction import decide_extraction, request_extraction, retry_production
from quancheng.access.models import Extraction
from quancheng.access.package import claim
from quancheng.access.tasks_extraction import produce_extraction_package
from quancheng.access.tests.extraction_setup import refs
from quancheng.jobs import leases, workdirs, worker
from quancheng.jobs.models import JobLease
from quancheng.ledger.models import Event
from quancheng.records.models import Segment
from quancheng.records.tasks import make_segment_derivatives
from quancheng.records.tests.media_fixtures import store_segment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("extraction_stores")]

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def running_task(task=produce_extraction_package, args=(), started_at=T0) -> DBTaskResult:
    return DBTaskResult.objects.create(
        args_kwargs={"args": list(args), "kwargs": {}},
        task_path=task.module_path,
        backend_name="default",
        run_after=get_date_max(),
        status=TaskResultStatus.RUNNING,
        started_at=started_at,
        worker_ids=["w1"],
    )


def job_events(action):
    return Event.objects.filter(object_type="job", action=action)


@pytest.fixture
def approved(officer, head, act, act_items, certified):
    extraction = request_extraction(officer, purpose="法院调取", act=act, items=refs(act_items))
    decide_extraction(head, extraction, approve=True)  # the queued task is not run here
    return extraction


def test_a_live_lease_is_kept_and_an_expired_one_is_queued_again(settings):
    settings.QC_JOB_LEASE_SECONDS = 60
    task = running_task()
    with time_machine.travel(T0, tick=False):
        leases.take(task, "w1")
    with time_machine.travel(T0 + dt.timedelta(seconds=59), tick=False):
        assert leases.reap() == {}
        assert leases.renew(str(task.pk), "w1")  # the heartbeat moves the expiry on
    with time_machine.travel(T0 + dt.timedelta(seconds=100), tick=False):
        assert leases.reap() == {}
    with time_machine.travel(T0 + dt.timedelta(seconds=120), tick=False):
        assert leases.reap() == {str(task.pk): "retried"}
    task.refresh_from_db()
    assert task.status == TaskResultStatus.READY
    body = json.loads(job_events("job.retried").get(object_id=str(task.pk)).body)
    assert body["attempt"] == 1 and body["worker"] == "w1"
    assert not leases.renew(str(task.pk), "w1")  # the dead worker's lease is gone


def test_a_task_claimed_but_never_leased_is_reaped_after_a_lease_period(settings):
    settings.QC_JOB_LEASE_SECONDS = 60
    task = running_task(started_at=T0)
    with time_machine.travel(T0 + dt.timedelta(seconds=30), tick=False):
        assert leases.reap() == {}
    with time_machine.travel(T0 + dt.timedelta(seconds=61), tick=False):
        assert leases.reap() == {str(task.pk): "retried"}
    assert JobLease.objects.get(task=task).attempts == 1


def test_after_the_last_attempt_the_extraction_fails_with_the_reason_and_the_head_retries(
    settings, approved, head, django_capture_on_commit_callbacks
):
    settings.QC_JOB_MAX_ATTEMPTS = 2
    task = running_task(args=[approved.pk])
    for attempt in (1, 2):
        with time_machine.travel(T0 + dt.timedelta(minutes=10 * attempt), tick=False):
            job = leases.take(task, f"w{attempt}")
            token = leases._current.set(job)
            try:
                assert claim(approved.pk) is not None  # the same job takes it back
            finally:
                leases._current.reset(token)
        with time_machine.travel(T0 + dt.timedelta(minutes=10 * attempt + 5), tick=False):
            outcome = leases.reap()[str(task.pk)]
        assert outcome == ("retried" if attempt == 1 else "failed")
        task.refresh_from_db()
        if attempt == 1:
            task.status = TaskResultStatus.RUNNING  # the next worker claims it
            task.save()
    assert task.status == TaskResultStatus.FAILED
    assert task.exception_class_path == "quancheng.jobs.leases.WorkerLost"
    assert "w2" in task.traceback
    approved.refresh_from_db()
    assert approved.status == Extraction.Status.FAILED
    assert "失联" in approved.error and "重新制作" in approved.error
    failed = job_events("job.failed").get(object_id=str(task.pk))
    assert json.loads(failed.body)["attempt"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        retry_production(head, approved)
    approved.refresh_from_db()
    assert approved.status == Extraction.Status.PRODUCED, approved.error


def test_another_job_cannot_take_an_extraction_claimed_by_a_job(approved):
    first = running_task(args=[approved.pk])
    token = leases._current.set(leases.Job(str(first.pk), 1))
    try:
        assert claim(approved.pk) is not None
    finally:
        leases._current.reset(token)
    second = running_task(args=[approved.pk])
    token = leases._current.set(leases.Job(str(second.pk), 1))
    try:
        assert claim(approved.pk) is None
    finally:
        leases._current.reset(token)
    assert claim(approved.pk) is None  # nor a run outside a worker


def test_work_folders_of_dead_jobs_are_removed_and_live_ones_kept(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    dead, live = running_task(), running_task()
    leases.take(live, "w2")
    folders = {}
    for name, task in (("dead", dead), ("live", live)):
        token = leases._current.set(leases.Job(str(task.pk), 1))
        try:
            with workdirs.work_dir("extraction") as path:
                (path / "copy.bin").write_bytes(b"x" * 1000)
                folders[name] = path
                # A kill -9 leaves the folder behind: keep it past the block.
                path.rename(path.with_name(path.name + "-kept"))
                folders[name] = path.with_name(path.name + "-kept")
        finally:
            leases._current.reset(token)
    outside = tmp_path / "tmp" / "extraction-manual"
    outside.mkdir()
    removed = workdirs.remove_abandoned()
    assert removed == [folders["dead"]]
    assert folders["live"].exists() and outside.exists()


def test_a_work_folder_is_removed_when_its_block_ends_even_on_failure(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    with pytest.raises(RuntimeError), workdirs.work_dir("media") as path:  # noqa: PT012 - the failure inside the block is what is tested
        (path / "part").write_bytes(b"x")
        raise RuntimeError("disk full")
    assert not path.exists()


def test_finished_tasks_release_their_lease(settings):
    task = running_task()
    leases.take(task, "w1")
    leases.release(str(task.pk), "w1")
    assert JobLease.objects.get(task=task).expires_at is None
    task.status = TaskResultStatus.SUCCESSFUL
    task.finished_at = timezone.now()
    task.save()
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        assert leases.reap() == {}


def test_a_starting_worker_removes_stale_partial_blob_writes(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    partial = tmp_path / "blobs" / "tmp" / "put-crashed.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"x" * 1000)
    old = (T0 - dt.timedelta(days=2)).timestamp()
    os.utime(partial, (old, old))
    fresh = partial.with_name("put-writing.part")
    fresh.write_bytes(b"y")  # a put in progress elsewhere
    worker.recover()
    assert not partial.exists() and fresh.exists()


def test_derivatives_given_up_show_as_failed_instead_of_pending(settings, officer, agency, clips):
    settings.QC_JOB_MAX_ATTEMPTS = 1
    segment = store_segment(officer, clips["h264"], agency=agency)
    assert segment.media_status == Segment.MediaStatus.PENDING
    task = running_task(make_segment_derivatives, args=[segment.pk])
    with time_machine.travel(T0, tick=False):
        leases.take(task, "w1")
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        assert leases.reap() == {str(task.pk): "failed"}
    segment.refresh_from_db()
    assert segment.media_status == Segment.MediaStatus.FAILED
    event = Event.objects.get(action="segment.derivatives_failed", object_id=str(segment.pk))
    assert "w1" in json.loads(event.body)["reason"]


def test_the_admin_lists_leases_read_only(client, system_admin):
    # The system administrator (三员分立) runs the platform's jobs; no superuser exists.
    client.force_login(system_admin)
    admin_client = client
    task = running_task()
    leases.take(task, "w1")
    page = admin_client.get("/admin/jobs/joblease/")
    assert page.status_code == 200 and "w1" in page.content.decode()
    assert admin_client.get(f"/admin/jobs/joblease/{task.pk}/delete/").status_code == 403

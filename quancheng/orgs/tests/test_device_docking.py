"""Last docking time (最近对接时间): set by the dock ingest and by uploads with a device token."""

import json
import secrets

import pytest
from django.test import Client

from quancheng.ledger.models import Event
from quancheng.orgs.models import ApiToken
from quancheng.orgs.services import create_device
from quancheng.records.ingest import ingest_folder

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"


@pytest.fixture
def cameras(custodian, agency):
    return {
        serial: create_device(custodian, agency=agency, kind="body_camera", serial_number=serial)
        for serial in ("DSJ-001", "DSJ-002")
    }


def _docked(device):
    return [
        json.loads(e.body) for e in Event.objects.for_object(device).filter(action="device.docked")
    ]


def test_the_dock_ingest_sets_the_docking_time_of_the_cameras_whose_files_came_in(
    custodian, cameras, tmp_path
):
    dock = tmp_path / "dock"
    dock.mkdir()
    # Not media: kept as unreadable segments, still attributed to the camera by the file name.
    (dock / "DSJ-001_20261127093000.mp4").write_bytes(b"not a video 1")
    (dock / "DSJ-001_20261127100000.mp4").write_bytes(b"not a video 2")
    report = ingest_folder(custodian, dock)
    assert len(report.ingested) == 2
    one, two = cameras["DSJ-001"], cameras["DSJ-002"]
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.last_docked_at is not None
    assert two.last_docked_at is None
    run = Event.objects.filter(action="records.ingest_run").get()
    events = _docked(one)
    assert len(events) == 1  # one event per device and run, after the run's event
    assert events[0]["source"] == "ingest" and events[0]["before"] is None
    assert Event.objects.for_object(one).get(action="device.docked").seq > run.seq
    # A second run over the same files brings nothing new: no new docking.
    ingest_folder(custodian, dock)
    assert len(_docked(one)) == 1


def _token(user, device=None) -> str:
    secret = f"qc_test-{user.username}-{secrets.token_urlsafe(8)}"
    ApiToken.objects.create(
        name="终端",
        user=user,
        device=device,
        token_hash=ApiToken.hash_secret(secret),
        prefix=secret[:10],
        created_by=user,
    )
    return secret


def _upload(secret, data: bytes) -> int:
    client = Client()
    auth = {"Authorization": f"Bearer {secret}", "Tus-Resumable": "1.0.0"}
    created = client.generic(
        "POST", "/api/v1/uploads/", b"", headers={**auth, "Upload-Length": str(len(data))}
    )
    assert created.status_code == 201
    patched = client.patch(
        created["Location"],
        data,
        content_type="application/offset+octet-stream",
        headers={**auth, "Upload-Offset": "0"},
    )
    return patched.status_code


def test_an_upload_with_a_device_token_docks_the_device(officer, agency, custodian):
    terminal = create_device(custodian, agency=agency, kind="terminal", serial_number="ZD-1")
    assert _upload(_token(officer, terminal), b"terminal file") == 204
    terminal.refresh_from_db()
    assert terminal.last_docked_at is not None
    assert _docked(terminal)[0]["source"] == "upload"


def test_an_upload_without_a_device_docks_nothing(officer, cameras):
    assert _upload(_token(officer), b"browser file") == 204
    assert not Event.objects.filter(action="device.docked").exists()

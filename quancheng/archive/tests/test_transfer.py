"""Transfer to the archives (issue 19 point 5): requested by the custodian, approved by the head
(never the requester), checked again, produced as a DA/T 48 package that validates against the
project's XSD and re-reads (signatures, digests, the ledger bundle); the dossier is marked."""

import base64
import datetime as dt
import io
import json
import zipfile

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from lxml import etree

from quancheng.archive import dossiers
from quancheng.archive import transfer as transfers
from quancheng.archive.models import DossierEntry, Transfer
from quancheng.ledger.checkpoints import sm2_signing_key
from quancheng.ledger.models import Event
from quancheng.offline.tests.alterations import ALTERATIONS, alter
from quancheng.orgs.models import Device
from quancheng.records.services import blob_store

from .dossier_scene import NOW
from .fourchecks_scene import inspection_dossier

pytestmark = pytest.mark.django_db
ARCHIVES = "重庆市渝中区档案馆"


@pytest.fixture(autouse=True)
def _checks_block(settings):
    settings.QC_ARCHIVE_CHECKS_BLOCK = True
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def approve(django_capture_on_commit_callbacks):
    """The head approves; the queued packaging job runs when the decision commits."""

    def _approve(head, transfer, note=""):
        with django_capture_on_commit_callbacks(execute=True):
            decided = transfers.decide_transfer(head, transfer, approve=True, note=note)
        assert decided.status == Transfer.Status.PACKAGING
        transfer.refresh_from_db()
        return transfer

    return _approve


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def sealed(clock, officer, custodian, act, real_files):
    device = Device.objects.create(agency=act.agency, kind="body_camera", serial_number="B1")
    dossier, records = inspection_dossier(officer, custodian, act, device, real_files)
    return dossiers.freeze_dossier(custodian, dossier), records


def _package(transfer, tmp_path):
    path = tmp_path / "package.zip"
    with blob_store().open(transfer.package_blob_id) as f, open(path, "wb") as out:
        out.write(f.read())
    return path


def test_request_approve_and_re_read_the_package(sealed, custodian, head, tmp_path, approve):
    dossier, records = sealed
    transfer = transfers.request_transfer(custodian, dossier, recipient=ARCHIVES)
    with pytest.raises(PermissionDenied):
        transfers.decide_transfer(custodian, transfer, approve=True)
    transfer = approve(head, transfer, note="同意移交")
    assert transfer.status == Transfer.Status.TRANSFERRED
    dossier.refresh_from_db()
    assert dossier.transferred_at == transfer.transferred_at is not None
    assert transfer.report.occasion == "transfer" and transfer.report.passed
    # The package validates against the XSD and re-reads whole.
    path = _package(transfer, tmp_path)
    public = sm2_signing_key().public_key().der()
    check = transfers.read_package(path, sm2_public_der=public)
    assert check.ok, check.problems
    assert check.files == 3 + 2  # the three records, the table of contents, the 四性 report
    assert "RESULT: VERIFIED" in check.ledger_report
    eep = check.eep.getroot()
    assert eep.findtext("被签名对象/封装内容/案卷/案卷号") == dossier.number
    av = eep.find("被签名对象/封装内容/文件实体块/文件实体/音像元数据")
    assert av.findtext("设备") and av.findtext("地点") and av.findtext("格式").startswith("mp4")
    sha = records["video"].blob_id
    assert sha in {e.findtext("SHA256") for e in eep.iter("文件实体")}
    # Recorded: requested, approved, packaging started, checked, packaged, the dossier transferred.
    actions = set(Event.objects.for_object(transfer).values_list("action", flat=True))
    assert {
        "transfer.requested",
        "transfer.approved",
        "transfer.packaging_started",
        "transfer.checked",
        "ledger.bundle_made",
        "transfer.packaged",
    } <= actions
    moved = Event.objects.for_object(dossier).get(action="dossier.transferred")
    assert json.loads(moved.body)["sm3"] == transfer.package_sm3
    # A transferred dossier is not transferred twice.
    with pytest.raises(ValidationError) as again:
        transfers.request_transfer(custodian, dossier, recipient=ARCHIVES)
    assert again.value.code == "already_transferred"


def test_an_altered_package_does_not_re_read(sealed, custodian, head, tmp_path, approve):
    dossier, _ = sealed
    transfer = transfers.request_transfer(custodian, dossier, recipient=ARCHIVES)
    transfer = approve(head, transfer)
    path = _package(transfer, tmp_path)
    altered = tmp_path / "altered.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(altered, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("eep.xml"):
                doc = etree.fromstring(data)
                doc.find("被签名对象/封装内容/案卷/移交接收单位").text = "别处"
                data = etree.tostring(doc, xml_declaration=True, encoding="UTF-8")
            out.writestr(info, data)
    problems = transfers.read_package(altered).problems
    assert any("电子签名" in p for p in problems) and any("锁定签名" in p for p in problems)
    # A document that breaks the schema is refused before anything else.
    broken = etree.fromstring(
        b"<\xe7\x94\xb5\xe5\xad\x90\xe6\x96\x87\xe4\xbb\xb6\xe5\xb0\x81\xe8\xa3\x85\xe5\x8c\x85/>"
    )
    with pytest.raises(ValueError, match="电子文件封装包"):
        transfers.validate(broken)


def test_refusal_needs_a_note_and_failed_checks_stop_the_transfer(sealed, custodian, head, approve):
    dossier, _ = sealed
    transfer = transfers.request_transfer(custodian, dossier, recipient=ARCHIVES)
    with pytest.raises(ValidationError):
        transfers.decide_transfer(head, transfer, approve=False)
    transfer = transfers.decide_transfer(head, transfer, approve=False, note="材料需补正")
    assert transfer.status == Transfer.Status.REFUSED
    # Asked again, after someone removed an entry behind the platform's back.
    transfer = transfers.request_transfer(custodian, dossier, recipient=ARCHIVES)
    DossierEntry.objects.filter(dossier=dossier, item_kind="datarecord").delete()
    transfer = approve(head, transfer)
    assert transfer.status == Transfer.Status.FAILED and not transfer.report.passed
    assert transfer.error.startswith("四性检测未通过")
    failed = Event.objects.for_object(transfer).get(action="transfer.failed")
    assert json.loads(failed.body)["reason"] == transfer.error
    dossier.refresh_from_db()
    assert dossier.transferred_at is None


def test_pages_from_request_to_download(
    sealed, client, custodian, head, outsider, django_capture_on_commit_callbacks
):
    dossier, _ = sealed
    client.force_login(custodian)
    response = client.post(
        reverse("archive:transfer_request", args=[dossier.pk]), {"recipient": ARCHIVES}
    )
    transfer = Transfer.objects.get()
    assert response.status_code == 302 and response["Location"] == transfer.get_absolute_url()
    client.force_login(head)
    inbox = client.get(reverse("access:inbox")).content.decode()
    assert "档案移交申请" in inbox and dossier.number in inbox
    page = client.get(transfer.get_absolute_url()).content.decode()
    assert "提交审批" in page
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(reverse("archive:transfer_decide", args=[transfer.pk]), {"approve": "1"})
    # Approved: the page says 打包中 with the progress until the job has run.
    page = client.get(transfer.get_absolute_url()).content.decode()
    assert "打包中" in page and "等待打包（0%）" in page
    for callback in queued:
        callback()
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.TRANSFERRED
    detail = client.get(dossier.get_absolute_url()).content.decode()
    assert "已移交" in detail and "四性检测" in detail
    # The head approves; the custodian downloads (a ledger event); an outsider sees nothing.
    assert client.get(reverse("archive:transfer_package", args=[transfer.pk])).status_code == 403
    client.force_login(custodian)
    download = client.get(reverse("archive:transfer_package", args=[transfer.pk]))
    assert download.status_code == 200
    assert Event.objects.for_object(transfer).filter(action="transfer.package_downloaded")
    client.force_login(outsider)
    assert client.get(transfer.get_absolute_url()).status_code == 404
    report = reverse("archive:fourchecks_report", args=[transfer.report_id])
    assert client.get(report).status_code == 404


class WorkerKilled(BaseException):
    """A worker dying mid-job (kill -9): nothing of the job's own error handling runs."""


def test_a_crash_in_the_middle_of_packaging_then_the_retry_gives_one_package(
    sealed, custodian, head, monkeypatch, tmp_path
):
    from quancheng.archive.models import FourChecksReport
    from quancheng.jobs import leases

    dossier, _ = sealed
    transfer = transfers.request_transfer(custodian, dossier, recipient=ARCHIVES)
    transfer = transfers.decide_transfer(head, transfer, approve=True)  # the job is queued
    zip_for_real = transfers._zip

    def killed(root, target):
        raise WorkerKilled  # the ledger bundle and eep.xml are written, the ZIP is not

    monkeypatch.setattr(transfers, "_zip", killed)
    token = leases._current.set(leases.Job("task-1", 1))
    try:
        with pytest.raises(WorkerKilled):
            transfers.package_transfer(transfer.pk)
    finally:
        leases._current.reset(token)
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.PACKAGING and transfer.report is not None
    # Another job may not take it over; the same job's retry (jobs/leases.py) does.
    token = leases._current.set(leases.Job("task-2", 1))
    try:
        assert transfers.package_transfer(transfer.pk) is None
    finally:
        leases._current.reset(token)
    monkeypatch.setattr(transfers, "_zip", zip_for_real)
    token = leases._current.set(leases.Job("task-1", 2))
    try:
        transfer = transfers.package_transfer(transfer.pk)
    finally:
        leases._current.reset(token)
    assert transfer.status == Transfer.Status.TRANSFERRED and transfer.package_blob_id
    # One package, one set of events, one 四性 report at transfer.
    events = list(Event.objects.for_object(transfer).values_list("action", flat=True))
    for action in (
        "transfer.approved",
        "transfer.packaging_started",
        "transfer.checked",
        "ledger.bundle_made",
        "transfer.packaged",
    ):
        assert events.count(action) == 1, (action, events)
    assert Event.objects.for_object(dossier).filter(action="dossier.transferred").count() == 1
    assert FourChecksReport.objects.filter(dossier=dossier, occasion="transfer").count() == 1
    public = sm2_signing_key().public_key().der()
    assert transfers.read_package(_package(transfer, tmp_path), sm2_public_der=public).ok
    # Run again (a duplicate delivery of the job): nothing more happens.
    assert transfers.package_transfer(transfer.pk) is None


def test_a_packaging_job_given_up_by_the_reaper_fails_the_transfer_in_its_transaction(
    sealed, custodian, head, settings
):
    """jobs.leases.reap calls the abandonment hook inside its own transaction: the transfer is
    failed there (transfer._mark_failed), where the durable mark_failed would refuse."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    from quancheng.archive.tasks import package_transfer_job
    from quancheng.jobs import leases

    settings.QC_JOB_MAX_ATTEMPTS = 1
    dossier, _ = sealed
    transfer = transfers.request_transfer(custodian, dossier, recipient=ARCHIVES)
    transfer = transfers.decide_transfer(head, transfer, approve=True)  # the job is queued
    task = DBTaskResult.objects.create(
        args_kwargs={"args": [transfer.pk], "kwargs": {}},
        task_path=package_transfer_job.module_path,
        backend_name="default",
        run_after=get_date_max(),
        status=TaskResultStatus.RUNNING,
        started_at=NOW,
        worker_ids=["w1"],
    )
    leases.take(task, "w1")
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        assert leases.reap() == {str(task.pk): "failed"}
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.FAILED
    assert transfer.error.startswith("打包中断") and "w1" in transfer.error
    failed = Event.objects.for_object(transfer).get(action="transfer.failed")
    assert json.loads(failed.body)["reason"] == transfer.error
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        transfers.mark_failed(transfer.pk, "失败")


@pytest.fixture
def sealed_with_p7s(clock, officer, custodian, act, real_files):
    """The sealed dossier whose PDF document carries a detached SM2 signature (.p7s)."""
    from django.db import transaction

    from quancheng.demo.ca import make_demo_certificates
    from quancheng.documents import sm2sign
    from quancheng.records.services import register_blob

    make_demo_certificates(None, [act.agency])
    device = Device.objects.create(agency=act.agency, kind="body_camera", serial_number="B1")
    dossier, records = inspection_dossier(officer, custodian, act, device, real_files)
    document = records["document"]
    stored = sm2sign.active_certificate(document.agency)
    with blob_store().open(document.blob_id) as f:
        signature = sm2sign.sign_detached(f.read(), stored, NOW)
    with transaction.atomic():
        blob = register_blob(blob_store().put(io.BytesIO(signature)), document.agency)
        sm2sign.record_signature(None, document, blob, stored, NOW)
    return dossiers.freeze_dossier(custodian, dossier), document


def test_the_p7s_travels_beside_its_document_and_re_reads(
    sealed_with_p7s, custodian, head, tmp_path, approve
):
    dossier, document = sealed_with_p7s
    transfer = approve(head, transfers.request_transfer(custodian, dossier, recipient=ARCHIVES))
    assert transfer.status == Transfer.Status.TRANSFERRED
    path = _package(transfer, tmp_path)
    check = transfers.read_package(path, sm2_public_der=sm2_signing_key().public_key().der())
    assert check.ok, check.problems
    with zipfile.ZipFile(path) as zf:
        (manifest_name,) = [n for n in zf.namelist() if n.endswith("ledger/manifest.json")]
        manifest = json.loads(zf.read(manifest_name))
        (entry,) = [f for f in manifest["files"] if f["path"].endswith(".p7s")]
        assert entry["sha256"] == document.sm2_signature.blob_id
        assert entry["signature_of"] == entry["path"].removesuffix(".p7s")
    assert "SM2 signature" in check.ledger_report and "RESULT: VERIFIED" in check.ledger_report


# --- the offline verifier reads a transfer package: both families, four alterations ----------


def _unzipped(transfer, tmp_path):
    with zipfile.ZipFile(_package(transfer, tmp_path)) as zf:
        zf.extractall(tmp_path / "unzipped")
        top = zf.namelist()[0].split("/", 1)[0]
    return tmp_path / "unzipped" / top


def _verify(path, **kwargs):
    from quancheng.ledger.checkpoints import verifier_key
    from quancheng.offline.verify_bundle import verify_bundle

    out = io.StringIO()
    return verify_bundle(path, verifier_key(), out, **kwargs), out.getvalue()


def _alter_eep(root, change):
    path = root / "eep.xml"
    doc = etree.parse(str(path))
    change(doc.getroot())
    doc.write(str(path), xml_declaration=True, encoding="UTF-8")


def _flip_b64(element):
    data = bytearray(base64.b64decode(element.text))
    data[-1] ^= 1
    element.text = base64.b64encode(bytes(data)).decode()


def _set(path: str, text: str):
    def change(doc):
        doc.find(path).text = text

    return change


EEP_ALTERATIONS = {
    # a file entity's SHA-256 or SM3 as the package declares it
    "eep_sha256": (_set(".//文件实体/SHA256", "0" * 64), "SHA-256不符"),
    "eep_sm3": (_set(".//文件实体/SM3", "0" * 64), "SM3不符"),
    # the SM2 signature of the 电子签名块, and the 锁定签名's
    "eep_sm2": (
        lambda doc: _flip_b64(doc.find("电子签名块/电子签名/签名结果")),
        "电子签名：SM2签名无效",
    ),
    "eep_lock_sm2": (
        lambda doc: _flip_b64(doc.find("锁定签名/签名结果")),
        "锁定签名：SM2签名无效",
    ),
}


@pytest.fixture
def transferred(sealed, custodian, head, approve):
    dossier, _ = sealed
    return approve(head, transfers.request_transfer(custodian, dossier, recipient=ARCHIVES))


def test_the_offline_verifier_accepts_the_transfer_package_with_both_families(
    transferred, tmp_path
):
    for path in (_package(transferred, tmp_path), _unzipped(transferred, tmp_path)):
        ok, report = _verify(path)
        assert ok, report
        assert "eep.xml valid against the XSD, both SM2 signatures valid, 5 files'" in report
        assert "checkpoint SM2 signature valid (SM2/SM3)" in report
        assert "checkpoint signature valid" in report


@pytest.mark.parametrize("what", [*ALTERATIONS, *EEP_ALTERATIONS])
def test_the_offline_verifier_refuses_a_transfer_package_altered(transferred, tmp_path, what):
    """Either digest or either signature, of the ledger bundle inside and of eep.xml."""
    root = _unzipped(transferred, tmp_path)
    if what in EEP_ALTERATIONS:
        change, expected = EEP_ALTERATIONS[what]
        _alter_eep(root, change)
    else:
        expected = alter(root / "ledger", what)
    ok, report = _verify(root)
    assert not ok
    assert expected in report, report


def test_the_offline_verifier_refuses_eep_signed_by_another_sm2_key(transferred, tmp_path):
    from quancheng.ledger.checkpoints import origin
    from quancheng.lib import note
    from quancheng.lib.gmcrypto import SM2PrivateKey

    other = note.sm2_verifier_key(origin(), SM2PrivateKey.generate().public_key())
    ok, report = _verify(_unzipped(transferred, tmp_path), sm2_key=other)
    assert not ok
    assert "签名公钥不是平台的SM2公钥" in report


def test_a_package_check_starts_without_the_last_checks_problems():
    # A stray @cache once made PackageCheck() one shared object: after a package with a
    # problem, every later read_package reported that problem too.
    failed = transfers.PackageCheck()
    failed.problems.append("签名无效")
    assert transfers.PackageCheck() is not failed
    assert transfers.PackageCheck().ok

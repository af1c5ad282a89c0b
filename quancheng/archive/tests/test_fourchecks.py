"""四性检测 (issue 19 point 4, DA/T 70): run at sealing with real files, a failure refuses the
freeze with its reason and keeps the report, and the transfer's run finds what changed since."""

import json

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader

from quancheng.archive import dossiers, fourchecks
from quancheng.archive.models import Dossier, DossierEntry, FourChecksReport
from quancheng.ledger.models import Event
from quancheng.lib import confirm
from quancheng.orgs.models import Device
from quancheng.records.services import blob_store

from .dossier_scene import NOW
from .fourchecks_scene import (
    inspection_dossier,
    segment_of,
    spoil_blob,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _checks_block(settings):
    settings.QC_ARCHIVE_CHECKS_BLOCK = True  # the archive tests' conftest turns it off


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def device(agency):
    return Device.objects.create(agency=agency, kind="body_camera", serial_number="BC-500103-1")


@pytest.fixture
def scene(clock, officer, custodian, act, device, real_files):
    return inspection_dossier(officer, custodian, act, device, real_files)


def outcomes(report, outcome=fourchecks.FAIL) -> set[tuple[str, str]]:
    return {(r["aspect"], r["code"]) for r in report.results if r["outcome"] == outcome}


def test_a_sound_dossier_is_sealed_with_its_report(scene, custodian):
    dossier, _records = scene
    dossier = dossiers.freeze_dossier(custodian, dossier)
    assert dossier.status == Dossier.Status.FROZEN
    report = FourChecksReport.objects.get(dossier=dossier)
    assert report.passed and report.occasion == "sealing" and not outcomes(report)
    passed = outcomes(report, fourchecks.PASS)
    for check in [
        ("authenticity", "sha256"),
        ("authenticity", "sm3"),
        ("authenticity", "proof"),
        ("authenticity", "signature"),
        ("integrity", "contents"),
        ("integrity", "size"),
        ("integrity", "metadata"),
        ("usability", "opens"),
        ("security", "write_once"),
        ("security", "ledger"),
    ]:
        assert check in passed, check
    # The report is a PDF blob of the dossier, named in the ledger with the freeze.
    with blob_store().open(report.pdf_blob_id) as f:
        assert int(PdfFileReader(f, strict=False).root["/Pages"]["/Count"]) >= 1
    checked = Event.objects.for_object(dossier).get(action="dossier.checked")
    assert json.loads(checked.body)["sha256"] == report.pdf_blob_id
    frozen = Event.objects.for_object(dossier).get(action="dossier.frozen")
    assert json.loads(frozen.body)["fourchecks_report"] == report.pk
    assert checked.seq < frozen.seq


def test_a_failed_check_refuses_sealing_with_the_reason_and_keeps_the_report(
    scene,
    custodian,
    officer,
    act,
    device,
    real_files,
):
    dossier, _ = scene
    # An AVI (MPEG-4 Part 2) without a proxy, recorded by no known device.
    segment_of(officer, act, None, real_files["avi"], container="avi")
    dossier = dossiers.refresh_dossier(custodian, dossier)
    with pytest.raises(ValidationError) as refused:
        dossiers.freeze_dossier(custodian, dossier)
    assert refused.value.code == "fourchecks_failed"
    message = refused.value.messages[0]
    assert "浏览副本" in message and "设备" in message
    dossier.refresh_from_db()
    assert dossier.status == Dossier.Status.ASSEMBLING
    report = FourChecksReport.objects.get(dossier=dossier)
    assert not report.passed
    assert outcomes(report) == {
        ("usability", "proxy_missing"),
        ("integrity", "metadata_incomplete"),
    }


def test_the_api_gives_the_failures_codes(scene, custodian, officer, act, real_files):
    from .test_dossiers_api import api_as

    dossier, _ = scene
    segment_of(officer, act, None, real_files["avi"], container="avi")
    dossier = dossiers.refresh_dossier(custodian, dossier)
    with pytest.raises(ValidationError):
        dossiers.freeze_dossier(custodian, dossier)
    response = api_as(custodian).get(f"/dossiers/{dossier.pk}")
    assert response.status_code == 200
    (check,) = response.json()["checks"]
    assert check["occasion"] == "sealing" and check["passed"] is False
    assert check["pdf_sha256"] == FourChecksReport.objects.get(dossier=dossier).pdf_blob_id
    failed = {(r["code"], r["outcome"]) for r in check["results"] if r["outcome"] == "fail"}
    assert failed == {("proxy_missing", "fail"), ("metadata_incomplete", "fail")}


def test_the_page_shows_the_failure_in_chinese(
    scene,
    client,
    custodian,
    officer,
    act,
    device,
    real_files,
):
    dossier, _ = scene
    segment_of(officer, act, device, real_files["avi"], started_at=None, ended_at=None)
    dossier = dossiers.refresh_dossier(custodian, dossier)
    client.force_login(custodian)
    response = client.post(
        reverse("archive:dossier_freeze", args=[dossier.pk]),
        {"confirm": confirm.token(custodian, "dossier.freeze", dossier)},
        follow=True,
    )
    page = response.content.decode()
    assert "四性检测未通过" in page and "缺少元数据：时间" in page
    dossier.refresh_from_db()
    assert dossier.status == Dossier.Status.ASSEMBLING


def test_altered_bytes_fail_authenticity_and_write_once(scene, custodian):
    dossier, records = scene
    spoil_blob(records["video"].blob_id)
    report = fourchecks.check_dossier(custodian, dossier, "sealing")
    assert {
        ("authenticity", "sha256_mismatch"),
        ("authenticity", "sm3_mismatch"),
        ("security", "not_write_once"),
    } <= outcomes(report)


def test_an_altered_ledger_event_fails_the_proof_and_the_chain(scene, custodian):
    dossier, records = scene
    created = Event.objects.for_object(records["document"]).get(action="document.created")
    # Past the model and the append-only trigger, in the test's transaction, as someone with
    # the database could.
    drop = "DROP TRIGGER ledger_event_no_update"
    if connection.vendor == "postgresql":
        drop += " ON ledger_event"
    with connection.cursor() as cursor:
        cursor.execute(drop)
        cursor.execute(
            "UPDATE ledger_event SET body = %s WHERE seq = %s",
            [created.body.replace('"pdf"', '"image"'), created.seq],
        )
    report = fourchecks.check_dossier(custodian, dossier, "sealing")
    assert {("authenticity", "proof_invalid"), ("security", "ledger_broken")} <= outcomes(report)


def test_the_transfer_run_finds_an_entry_removed_since_sealing(scene, custodian):
    dossier, _records = scene
    dossier = dossiers.freeze_dossier(custodian, dossier)
    report = fourchecks.check_dossier(custodian, dossier, "transfer")
    assert report.passed and ("security", "unaltered") in outcomes(report, fourchecks.PASS)
    # Someone with the database drops the video's entry.
    DossierEntry.objects.filter(dossier=dossier, item_kind="segment").delete()
    report = fourchecks.check_dossier(custodian, dossier, "transfer")
    assert {("integrity", "contents_differ"), ("security", "altered")} <= outcomes(report)


def test_sm3_not_yet_computed_is_a_warning_not_a_failure(scene, custodian):
    dossier, records = scene
    blob = records["video"].blob
    type(blob).objects.filter(pk=blob.pk).update(sm3="")
    report = fourchecks.check_dossier(custodian, dossier, "sealing")
    assert report.passed
    assert ("authenticity", "sm3_pending") in outcomes(report, fourchecks.WARN)


def test_a_supplement_after_sealing_is_no_alteration(
    scene,
    custodian,
    head,
    officer,
    act,
    device,
    real_files,
):
    """A head-approved supplement (补充归档) is on the record: the transfer's run accepts its
    entries and its table of contents."""
    dossier, _ = scene
    dossier = dossiers.freeze_dossier(custodian, dossier)
    later = segment_of(officer, act, device, real_files["avi"], container="avi")
    request = dossiers.request_supplement(
        custodian, dossier, "补录现场录像", [("segment", later.pk)]
    )
    dossiers.decide_supplement(head, request, approve=True)
    report = fourchecks.check_dossier(custodian, dossier, "transfer")
    assert ("security", "unaltered") in outcomes(report, fourchecks.PASS)
    assert ("integrity", "contents") in outcomes(report, fourchecks.PASS)
    # The AVI still needs its proxy before the transfer can pass.
    assert outcomes(report) == {("usability", "proxy_missing")}


def test_a_data_records_sm3_is_checked_against_the_record_and_the_ledger(scene, custodian):
    """Authenticity of a data record covers its SM3 too: named by its creation event."""
    dossier, records = scene
    data = records["data"]
    report = fourchecks.check_dossier(custodian, dossier, "sealing")
    assert ("authenticity", "sm3") in outcomes(report, fourchecks.PASS)
    # A stored SM3 that is not the data's (someone with the database changed it).
    type(data).objects.filter(pk=data.pk).update(sm3="0" * 64)
    report = fourchecks.check_dossier(custodian, dossier, "sealing")
    assert ("authenticity", "sm3_mismatch") in outcomes(report)


def _fail_authenticity(scene, **_):
    """The registered SM3 is not the file's (only SM3 catches it: the SHA-256 still matches)."""
    blob = scene[1]["video"].blob
    type(blob).objects.filter(pk=blob.pk).update(sm3="0" * 64)
    return ("authenticity", "sm3_mismatch"), "文件的SM3与登记值不符"


def _fail_integrity(scene, **_):
    """The recording's device unknown (as if never recorded): DA/T 63's 设备 is missing."""
    video = scene[1]["video"]
    type(video).objects.filter(pk=video.pk).update(device=None)
    return ("integrity", "metadata_incomplete"), "缺少元数据：设备"


def _fail_usability(scene, officer, act, device, real_files, **_):
    """An AVI (not a long-term format) without a proxy."""
    segment_of(officer, act, device, real_files["avi"], container="avi")
    return ("usability", "proxy_missing"), "不在长期保存格式之列，且没有浏览副本"


def _fail_security(scene, **_):
    """The stored file made writable again (no longer on write-once storage)."""
    blob_store().path(scene[1]["video"].blob_id).chmod(0o600)
    return ("security", "not_write_once"), "文件可写，未处于只读（一次写入）状态"


@pytest.mark.parametrize(
    "spoil", [_fail_authenticity, _fail_integrity, _fail_usability, _fail_security]
)
def test_a_failure_of_each_group_blocks_sealing_with_its_reason_in_chinese(
    spoil,
    scene,
    client,
    custodian,
    officer,
    act,
    device,
    real_files,
):
    """DA/T 70's four groups: any one failing refuses the freeze, and the page and the API say
    why (the page in Chinese, the API with the check's code)."""
    from .test_dossiers_api import api_as

    dossier, _ = scene
    check, reason = spoil(
        scene=scene, officer=officer, act=act, device=device, real_files=real_files
    )
    dossier = dossiers.refresh_dossier(custodian, dossier)
    with pytest.raises(ValidationError) as refused:
        dossiers.freeze_dossier(custodian, dossier)
    assert refused.value.code == "fourchecks_failed"
    assert reason in refused.value.messages[0]
    report = FourChecksReport.objects.filter(dossier=dossier).latest("pk")
    assert check in outcomes(report) and {c[0] for c in outcomes(report)} == {check[0]}
    # The page: the freeze refused, the reason in Chinese.
    client.force_login(custodian)
    response = client.post(
        reverse("archive:dossier_freeze", args=[dossier.pk]),
        {"confirm": confirm.token(custodian, "dossier.freeze", dossier)},
        follow=True,
    )
    page = response.content.decode()
    assert "四性检测未通过" in page and reason in page
    dossier.refresh_from_db()
    assert dossier.status == Dossier.Status.ASSEMBLING
    # The API: the failed report with the check's code.
    checks = api_as(custodian).get(f"/dossiers/{dossier.pk}").json()["checks"]
    assert checks[0]["passed"] is False
    assert (check[1], "fail") in {(r["code"], r["outcome"]) for r in checks[0]["results"]}

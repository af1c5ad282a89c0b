"""Issue 19, "Done when": a sealed dossier of the DEFAULT demo (one district's year as
`seed_demo` loads it without --small: 300 acts, seed 2026) has its 四性 report as a PDF, and its
transfer package validates against the project's XSD and re-reads; and, over everything the
year recorded, each ledger event body that names a file names both digests. One build of the
year (minutes) serves all three checks: the default demo itself is the honest way there."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from pyhanko.pdf_utils.reader import PdfFileReader

from quancheng.archive import transfer as transfers
from quancheng.archive.models import Dossier, FourChecksReport, Transfer
from quancheng.demo.clock import at, local
from quancheng.ledger.checkpoints import sm2_signing_key
from quancheng.ledger.models import Event
from quancheng.ledger.tests.test_both_digests import missing_sm3
from quancheng.orgs.models import User
from quancheng.records.services import blob_store

TODAY = dt.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _stores(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    settings.QC_DOCUMENT_KEY_PASSPHRASE = "test-passphrase"
    settings.QC_TSA_URL = ""
    # The packaging job runs when the head's decision "commits" (the test's transaction
    # never does: its on-commit callbacks are run by hand), as a worker would run it.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.django_db
def test_the_default_demo_seals_with_a_report_and_transfers_a_valid_package(
    tmp_path, django_capture_on_commit_callbacks
):
    call_command("seed_demo", "--today", TODAY.isoformat())

    # A sealed dossier, its 四性 report a PDF of the dossier.
    sealed = Dossier.objects.filter(status=Dossier.Status.FROZEN)
    assert sealed.exists()
    for dossier in sealed:
        report = FourChecksReport.objects.filter(dossier=dossier, occasion="sealing").latest("pk")
        assert report.passed, report.results
        with blob_store().open(report.pdf_blob_id) as f:
            assert int(PdfFileReader(f, strict=False).root["/Pages"]["/Count"]) >= 1

    # The demo's pending transfer, approved by the head: a package that validates and re-reads.
    transfer = Transfer.objects.get(status=Transfer.Status.REQUESTED)
    head = User.objects.get(username="liuyang")
    with at(local(TODAY, 10)), django_capture_on_commit_callbacks(execute=True):
        transfers.decide_transfer(head, transfer, approve=True, note="同意移交")
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.TRANSFERRED, transfer.error
    assert transfer.dossier.transferred_at is not None
    path = tmp_path / "package.zip"
    with blob_store().open(transfer.package_blob_id) as f, open(path, "wb") as out:
        out.write(f.read())
    check = transfers.read_package(path, sm2_public_der=sm2_signing_key().public_key().der())
    assert check.ok, check.problems
    transfers.validate(check.eep)  # the project's XSD, with lxml, once more explicitly
    assert "RESULT: VERIFIED" in check.ledger_report

    # Every event of the year (and of the transfer) that names a file names both digests.
    missing = []
    for seq, action, body in Event.objects.order_by("seq").values_list("seq", "action", "body"):
        missing += [f"#{seq} {action} {w}" for w in missing_sm3(json.loads(body))]
    assert missing == []

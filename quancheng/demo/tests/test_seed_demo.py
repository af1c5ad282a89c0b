"""The demo: the small set the tests load, and one district's year, both pinned to a given day."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from quancheng.access.inbox import inbox_count
from quancheng.archive.models import Dossier
from quancheng.cases.models import Act, Case
from quancheng.compliance.models import Finding
from quancheng.demo.year import seed_year
from quancheng.ledger.models import Event
from quancheng.orgs.models import User
from quancheng.records.models import Document, Segment
from quancheng.registration.models import ActRegistration
from quancheng.supervision.models_spot import Evaluation, SpotCheck

TODAY = dt.date(2026, 6, 30)  # a Tuesday


@pytest.fixture(autouse=True)
def _stores(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    settings.QC_DOCUMENT_KEY_PASSPHRASE = "test-passphrase"
    settings.QC_TSA_URL = ""


@pytest.mark.django_db
def test_the_small_set_is_an_option_and_is_dated_from_the_given_day():
    call_command("seed_demo", "--small", "--today", TODAY.isoformat())
    assert User.objects.filter(username="zhangwei").exists()
    days = {timezone.localdate(a.started_at) for a in Act.objects.all()}
    assert days == {TODAY - dt.timedelta(days=1), TODAY - dt.timedelta(days=3)}
    assert {timezone.localdate(e.time) for e in Event.objects.all()} == {TODAY}  # CA too
    assert Dossier.objects.filter(status=Dossier.Status.FROZEN).count() == 1


@pytest.mark.django_db
def test_a_bad_today_is_refused():
    with pytest.raises(Exception, match="not a date"):
        call_command("seed_demo", "--small", "--today", "30.06.2026")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_districts_year_has_something_of_everything():
    summary = seed_year(TODAY, acts=30, seed=7)
    acts = Act.objects.all()
    assert summary.acts == acts.count() >= 30
    first, last = (
        timezone.localdate(acts.order_by(f)[0].started_at) for f in ("started_at", "-started_at")
    )
    assert TODAY - dt.timedelta(days=366) <= first and last < TODAY
    # Cases at every stage, 归档 with its sealed dossier.
    assert set(Case.objects.values_list("stage", flat=True)) == set(Case.Stage.values)
    # Recordings of real clips, documents (two of them generated, signed and final), findings.
    assert Segment.objects.filter(act__isnull=False).count() >= 25
    assert Document.objects.filter(source="generated").count() == 2
    assert Finding.objects.exists()
    assert Finding.objects.filter(status=Finding.Status.ANSWERED).count() == 1
    # Registrations mostly on time, a few late with the head's approval, a few missing.
    registered = ActRegistration.objects.all()
    assert registered.filter(on_time=True).count() > registered.filter(on_time=False).count()
    # Sealed dossiers, their spot check reported, the district's evaluation final.
    assert Dossier.objects.filter(status=Dossier.Status.FROZEN).count() == 2
    assert SpotCheck.objects.get().status == SpotCheck.Status.REPORTED
    assert Evaluation.objects.get().status == Evaluation.Status.FINAL
    # Requests wait for the head.
    head = User.objects.get(username="liuyang")
    assert inbox_count(head) >= 5
    assert set(summary.pending) >= {
        "调阅申请",
        "证据提取申请",
        "对外提供申请",
        "补充归档申请",
        "移交申请",
    }
    # The ledger follows the year in order: its times never go back.
    times = list(Event.objects.order_by("seq").values_list("time", flat=True))
    assert times == sorted(times)
    assert timezone.localdate(times[0]) < TODAY - dt.timedelta(days=365)

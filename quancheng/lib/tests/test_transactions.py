"""Transactions that say what they mean (docs/transactions.md): durable public services, private
helpers that open none, the demo's batch, and the ledger's guard, checked in tests as in
production."""

import pytest
from django.db import transaction

from quancheng.conftest import credit_code
from quancheng.ledger.models import Event
from quancheng.ledger.services import LedgerOutsideTransaction
from quancheng.lib import transactions
from quancheng.orgs.models import Agency
from quancheng.orgs.services import _create_agency, create_agency
from quancheng.subjects.models import Subject
from quancheng.subjects.services import create_subject

pytestmark = pytest.mark.django_db

AGENCY = {
    "code": "t-zf",
    "name": "测试执法支队",
    "short_name": "测试",
    "level": Agency.Level.DISTRICT,
    "kind": Agency.Kind.ENFORCEMENT,
    "district": "测试区",
}


def _subject(officer, agency, serial=1):
    return create_subject(
        officer,
        agency,
        name=f"测试诊所{serial}",
        kind="medical",
        address="渝中区测试路1号",
        credit_code=credit_code(serial),
    )


def test_a_durable_service_refuses_to_run_inside_a_callers_transaction(officer, agency):
    # The test's own wrapping transaction does not hide it: Django lets a durable block nest
    # only in a test case's block, so the check is the one production makes.
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        _subject(officer, agency)
    assert not Subject.objects.exists()


def test_a_durable_service_runs_and_commits_on_its_own(officer, agency):
    subject = _subject(officer, agency)
    assert Event.objects.filter(action="subject.created", object_id=str(subject.pk)).exists()


def test_a_private_helper_that_records_an_event_needs_the_callers_transaction(city_admin):
    # In production there is no transaction around it; the test's wrapping one does not count.
    with pytest.raises(LedgerOutsideTransaction):
        _create_agency(city_admin, **AGENCY)


def test_a_private_helper_joins_the_callers_transaction(city_admin):
    with transaction.atomic():
        agency = _create_agency(city_admin, **AGENCY)
    assert Event.objects.filter(action="agency.created", object_id=str(agency.pk)).exists()


def test_a_batch_lets_durable_services_join_it_and_rolls_back_whole(officer, agency):
    with transactions.batch():
        first = _subject(officer, agency, 1)
        _subject(officer, agency, 2)
    assert Subject.objects.count() == 2
    assert Event.objects.filter(action="subject.created", object_id=str(first.pk)).exists()
    with pytest.raises(ValueError, match="stop"), transactions.batch():  # noqa: PT012 - the rollback is what is tested
        _subject(officer, agency, 3)
        raise ValueError("stop")
    assert Subject.objects.count() == 2


def test_a_service_called_by_a_service_refuses_even_in_a_batch(city_admin):
    # Django checks the innermost block only: a public service nested in another's transaction
    # (here a plain atomic block inside the batch) is refused; it must call the private helper.
    with (
        pytest.raises(RuntimeError, match="durable"),
        transactions.batch(),
        transaction.atomic(),
    ):
        create_agency(city_admin, **AGENCY)
    assert not Agency.objects.filter(code="t-zf").exists()

"""Subjects written in bulk (subjects/bulk.py): the service's rows and events, its refusals."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from quancheng.conftest import credit_code
from quancheng.demo.city import CityPlan, build_city
from quancheng.ledger.entry import canonical_body
from quancheng.ledger.models import Event
from quancheng.ledger.services import LedgerOutsideTransaction
from quancheng.ledger.snapshot import snapshot
from quancheng.ledger.verify import verify_ledger
from quancheng.lib import transactions
from quancheng.subjects.bulk import add_subjects
from quancheng.subjects.models import Subject
from quancheng.subjects.services import FIELDS, create_subject

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

# What a user types: a lower-case code (the service normalises it), a person with none.
INPUT = [
    {
        "name": "渝中区解放碑口腔诊所",
        "kind": "medical",
        "address": "渝中区邹容路100号",
        "credit_code": credit_code(21).lower(),
        "legal_representative": "王强",
        "phone": "023-63000000",
    },
    {"name": "渝中区某游泳馆", "kind": "public_place", "address": "渝中区新华路2号"},
    {
        "name": "渝中区第一小学",
        "kind": "school",
        "address": "渝中区中山路3号",
        "credit_code": credit_code(22),
        "licence_number": "渝卫学字2026第1号",
    },
]


# The columns of the fields create_subject takes and its event records.
COLUMNS = ["agency_id" if f == "agency" else f for f in FIELDS]


class _Rollback(Exception):
    pass


def _written() -> tuple[list, list]:
    """The subjects' rows and their events, without ids and times (another write gets others):
    each event names its subject by the subject's name."""
    rows = list(Subject.objects.order_by("name").values_list(*COLUMNS))
    names = {str(pk): name for pk, name in Subject.objects.values_list("pk", "name")}
    events = [
        (
            e.action,
            e.object_type,
            names[e.object_id],
            e.actor_id,
            e.actor_label,
            e.agency_id,
            e.body,
        )
        for e in Event.objects.filter(action="subject.created").order_by("seq")
    ]
    return rows, events


def _subjects(agency, data=INPUT) -> list[Subject]:
    return [Subject(agency=agency, **fields) for fields in data]


def test_the_rows_and_events_are_those_of_the_service(officer, agency):
    try:
        with transactions.batch():  # create_subject is durable: it joins the batch
            for fields in INPUT:
                create_subject(officer, agency, **fields)
            by_service = _written()
            raise _Rollback
    except _Rollback:
        pass
    assert len(by_service[0]) == len(by_service[1]) == 3
    assert not Subject.objects.exists()

    with transaction.atomic():
        assert add_subjects(officer, _subjects(agency)) == 3

    assert _written() == by_service
    assert Subject.objects.get(name="渝中区解放碑口腔诊所").credit_code == credit_code(21)
    report = verify_ledger()
    assert report.ok, report.summary()


def _refused(error, actor, subjects) -> Exception:
    """``add_subjects`` raises ``error`` and writes neither rows nor events."""
    rows, events = Subject.objects.count(), Event.objects.count()
    with pytest.raises(error) as raised, transaction.atomic():
        add_subjects(actor, subjects)
    assert Subject.objects.count() == rows
    assert Event.objects.count() == events
    return raised.value


def test_a_bad_credit_code_refuses_the_batch(officer, agency):
    bad = [*INPUT[:1], {**INPUT[2], "credit_code": credit_code(22)[:-1] + "0"}]
    error = _refused(ValidationError, officer, _subjects(agency, bad))
    assert error.error_dict["credit_code"][0].code == "invalid_credit_code"


def test_a_credit_code_twice_in_the_batch_refuses_it(officer, agency):
    twice = [*INPUT, {**INPUT[2], "name": "渝中区第二小学"}]
    error = _refused(ValidationError, officer, _subjects(agency, twice))
    assert error.error_dict["credit_code"][0].code == "duplicate"
    assert credit_code(22) in error.error_dict["credit_code"][0].message


def test_a_credit_code_the_agency_has_refuses_the_batch(officer, agency, subject):
    again = [*INPUT, {**INPUT[1], "name": "另一家", "credit_code": subject.credit_code}]
    error = _refused(ValidationError, officer, _subjects(agency, again))
    assert error.error_dict["credit_code"][0].code == "duplicate"


def test_an_empty_name_or_unknown_kind_refuses_the_batch(officer, agency):
    error = _refused(
        ValidationError, officer, _subjects(agency, [*INPUT[:2], {**INPUT[2], "name": " "}])
    )
    assert error.error_dict["name"][0].code == "required"
    error = _refused(
        ValidationError, officer, _subjects(agency, [*INPUT[:2], {**INPUT[2], "kind": "x"}])
    )
    assert error.error_dict["kind"][0].code == "invalid_choice"


def test_an_officer_of_another_agency_is_refused(outsider, agency):
    _refused(Http404, outsider, _subjects(agency))  # another district's: as if it did not exist


def test_one_subject_of_another_agency_refuses_the_batch(officer, agency, other_agency):
    mixed = _subjects(agency, INPUT[:2]) + _subjects(other_agency, INPUT[2:])
    _refused(Http404, officer, mixed)


def test_a_read_only_role_is_refused(auditor, agency):
    _refused(PermissionDenied, auditor, _subjects(agency))


def test_outside_a_transaction_nothing_is_written(officer, agency):
    with pytest.raises(LedgerOutsideTransaction):
        add_subjects(officer, _subjects(agency))
    assert not Subject.objects.exists()


# --- the demo city ------------------------------------------------------------------------------


def _city_subjects(seed: int) -> list:
    """A two-district city's subjects (without ids), its subject events checked on the way."""
    try:
        with transactions.batch():  # build_city calls durable services (load_organisation)
            build_city(
                CityPlan(
                    districts=2, acts=40, seed=seed, now=NOW, store_blobs=False, evaluate=False
                )
            )
            subjects = list(Subject.objects.order_by("pk").select_related("agency"))
            events = Event.objects.filter(action="subject.created").order_by("seq")
            # One event a subject, by its district's first officer, after the people's events.
            assert [(e.object_id, e.body) for e in events] == [
                (str(s.pk), canonical_body(snapshot(s, FIELDS))) for s in subjects
            ]
            assert {e.actor_label for e in events} == {"city-d01-zf-o001", "city-d02-zf-o001"}
            last_person = Event.objects.filter(action="user.created").latest("seq").seq
            assert events[0].seq > last_person
            digest = sorted((s.agency.code, *(getattr(s, f) for f in FIELDS[1:])) for s in subjects)
            raise _Rollback
    except _Rollback:
        return digest


def test_the_same_seed_gives_the_city_the_same_subjects():
    first = _city_subjects(11)
    assert len(first) == 2 * 5  # at least five a district
    assert _city_subjects(11) == first
    assert _city_subjects(12) != first

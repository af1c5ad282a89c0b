import datetime as dt

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.rule("TWO-officers")]


def test_fires_with_one_officer_or_an_expired_certificate(scene):
    built = scene()
    built.act.officers.set([built.officer])
    [hit] = built.hits("TWO-officers")
    assert hit.key == "count"
    built.act.officers.set([built.officer, built.colleague])
    built.colleague.certificate_valid_until = dt.date(2026, 11, 1)
    built.colleague.save()
    [hit] = built.hits("TWO-officers")
    assert hit.key == f"certificate:{built.colleague.pk}" and "李娜" in hit.params["problem"]


def test_silent_with_two_certified_officers(scene):
    assert scene().hits("TWO-officers") == []

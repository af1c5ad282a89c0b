"""The shared behaviour of a versioned configuration, for each of its kinds (issue 17): the rule
configuration, the score sheets and the retention configuration go through one implementation
(quancheng/versioning), so the same tests hold for each."""

from __future__ import annotations

import copy
import datetime as dt
import json
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from quancheng.archive import config as retention_config
from quancheng.compliance import config as rules_config
from quancheng.ledger.models import Event
from quancheng.supervision import sheets
from quancheng.versioning import services as versions
from quancheng.versioning.models import VersionImmutable

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing
T1 = T0 + dt.timedelta(days=10)
T2 = T0 + dt.timedelta(days=20)


def _rules_changed():
    data = copy.deepcopy(rules_config.defaults())
    data["min_officers"] = 3
    return data


def _rules_below_floor():
    data = copy.deepcopy(rules_config.defaults())
    data["min_officers"] = 1  # 《行政处罚法》第四十二条: at least two officers
    return data


def _sheet_changed():
    items = copy.deepcopy(sheets.default_items("spotcheck"))
    items[0]["weight"] = 5
    return items


def _retention_changed():
    return {**retention_config.defaults(), "non_evidence_min_months": 12}


def _retention_below_floor():
    return {**retention_config.defaults(), "non_evidence_min_months": 5}  # A22: at least 6


# (kind, a valid change, an invalid one, its error code)
CASES = {
    "rules": (rules_config.KIND, _rules_changed, _rules_below_floor, "below_floor"),
    "spotcheck": (sheets.KINDS["spotcheck"], _sheet_changed, list, "schema"),
    "retention": (
        retention_config.KIND,
        _retention_changed,
        _retention_below_floor,
        "below_floor",
    ),
}


@pytest.fixture(params=list(CASES))
def case(request, city_admin):
    kind, changed, invalid, code = CASES[request.param]
    return kind, changed, invalid, code, city_admin


def _codes(error: ValidationError) -> set[str | None]:
    return {e.code for errors in error.error_dict.values() for e in errors}


def test_a_proposal_is_saved_logged_and_not_in_force(case):
    kind, changed, _, _, admin = case
    with time_machine.travel(T0, tick=False):
        row = versions.propose(kind, admin, changed(), "拟修改")
        assert (row.version, row.is_active, row.state_label) == (1, False, "待启用")
        assert versions.current(kind).version == 0
        assert versions.current(kind).data == kind.defaults()
    event = Event.objects.get(action="config.version_proposed")
    assert json.loads(event.body)["kind"] == kind.name
    assert not Event.objects.filter(action=kind.activated_action).exists()


def test_activation_puts_the_version_in_force_with_its_event(case):
    kind, changed, _, _, admin = case
    with time_machine.travel(T0, tick=False):
        row = versions.propose(kind, admin, changed())
    with time_machine.travel(T1, tick=False):
        versions.activate(kind, admin, row)
        row.refresh_from_db()
        assert (row.activated_by, row.activated_at, row.effective_from) == (admin, T1, T1)
        assert versions.current(kind).version == 1
        assert versions.current(kind).data == changed()
        with pytest.raises(ValidationError) as again:
            versions.activate(kind, admin, row)
        assert _codes(again.value) == {"already_active"}
    event = Event.objects.get(action=kind.activated_action)
    assert (event.object_id, json.loads(event.body)["version"]) == (str(row.pk), 1)


def test_the_version_in_force_at_an_instant(case):
    kind, changed, _, _, admin = case
    with time_machine.travel(T1, tick=False):
        first = versions.save_version(kind, admin, changed(), "第一版")
    second_data = copy.deepcopy(changed())
    if kind is retention_config.KIND:
        second_data["non_evidence_min_months"] = 24
    elif kind is rules_config.KIND:
        second_data["min_officers"] = 4
    else:
        second_data[0]["weight"] = 7
    with time_machine.travel(T2, tick=False):
        second = versions.save_version(kind, admin, second_data)
        assert versions.in_force(kind, T0) is None
        assert versions.current(kind, T0).version == 0
        assert versions.in_force(kind, T1) == first
        assert versions.in_force(kind, T1 + dt.timedelta(days=5)) == first
        assert versions.in_force(kind, T2) == second
        assert versions.current(kind).data == second_data
        assert list(versions.history(kind)) == [second, first]


def test_a_version_can_take_effect_later(case):
    kind, changed, _, _, admin = case
    with time_machine.travel(T0, tick=False):
        row = versions.propose(kind, admin, changed(), effective_from=T1)
        row = versions.activate(kind, admin, row)
        assert versions.current(kind).version == 0
        assert row.state_label == "已启用，尚未生效"
        with pytest.raises(ValidationError) as past:
            versions.propose(kind, admin, changed(), effective_from=T0 - dt.timedelta(hours=1))
        assert _codes(past.value) == {"effective_past"}
    with time_machine.travel(T1, tick=False):
        assert versions.current(kind).version == 1


def test_a_proposed_version_may_be_revised_an_active_one_never(case):
    kind, changed, _, _, admin = case
    with time_machine.travel(T0, tick=False):
        row = versions.propose(kind, admin, changed())
        revised = versions.revise(kind, admin, row, changed(), "改说明")
        assert revised.note == "改说明"
        assert Event.objects.filter(action="config.version_revised").count() == 1
        versions.activate(kind, admin, row)
        with pytest.raises(ValidationError) as refused:
            versions.revise(kind, admin, row, changed())
        assert _codes(refused.value) == {"immutable"}
        row.refresh_from_db()
        row.note = "事后修改"
        with pytest.raises(VersionImmutable):
            row.save()
        with pytest.raises(VersionImmutable):
            row.delete()
    assert Event.objects.filter(action="config.version_revised").count() == 1


def test_a_change_outside_the_rules_is_refused_and_saves_nothing(case):
    kind, _changed, invalid, code, admin = case
    events = Event.objects.count()
    with pytest.raises(ValidationError) as refused:
        versions.propose(kind, admin, invalid())
    assert code in _codes(refused.value)
    with pytest.raises(ValidationError) as same:
        versions.save_version(kind, admin, kind.defaults())
    assert _codes(same.value) == {"unchanged"}
    assert not kind.model.objects.exists()
    assert Event.objects.count() == events


def test_only_whom_the_capability_table_names_may_change_it(case, custodian):
    kind, changed, _, _, _ = case
    with pytest.raises(PermissionDenied):
        versions.save_version(kind, custodian, changed())
    assert not kind.model.objects.exists()


def test_the_event_and_the_version_commit_together(case):
    kind, changed, _, _, admin = case
    with (
        mock.patch.object(versions, "record_event", side_effect=RuntimeError("ledger down")),
        pytest.raises(RuntimeError, match="ledger down"),
    ):
        versions.save_version(kind, admin, changed())
    assert not kind.model.objects.exists()

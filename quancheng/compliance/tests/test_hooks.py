"""Changes to an act's records queue its re-evaluation after the commit (django-tasks); the
hooks by which the lower apps reach compliance (docs/architecture.md)."""

import datetime as dt
from unittest import mock

import pytest
import time_machine

from quancheng.compliance.models import ActCompliance, Finding
from quancheng.records.items import link_item, unlink_item

from .scene import END, START

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_creating_linking_and_unlinking_a_segment_re_evaluates_the_act(
    scene, immediate_tasks, django_capture_on_commit_callbacks, custodian
):
    built = scene(compliant=False)
    with django_capture_on_commit_callbacks(execute=True):
        segment = built.segment(START, END)
    assert ActCompliance.objects.get(act=built.act).status == "mandatory_missing"
    assert Finding.objects.filter(act=built.act, rule_id="A15-door").active().count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        unlink_item(custodian, segment, reason="关联错误")
    assert not Finding.objects.filter(act=built.act, rule_id="A15-door").active().exists()
    assert Finding.objects.filter(act=built.act, rule_id="A11-mandatory").active().exists()
    with django_capture_on_commit_callbacks(execute=True):
        link_item(custodian, segment, built.act)
    assert Finding.objects.filter(act=built.act, rule_id="A15-door").active().count() == 2


def test_a_marker_re_evaluates_its_act(scene, immediate_tasks, django_capture_on_commit_callbacks):
    built = scene(compliant=False)
    segment = built.segment(START, END)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        built.mark(segment, "arrival_door", 5)
    assert len(callbacks) == 1
    keys = set(
        Finding.objects.filter(act=built.act, rule_id="A15-door")
        .active()
        .values_list("key", flat=True)
    )
    assert keys == {"end"}


def test_moving_an_act_between_cases_recomputes_both_cases(
    scene, immediate_tasks, django_capture_on_commit_callbacks, case, officer
):
    from quancheng.cases.models import Case
    from quancheng.cases.services import update_act
    from quancheng.compliance.models import CaseCompliance

    built = scene(compliant=False)  # no AV, no documents: mandatory records missing
    other = Case.objects.create(
        agency=case.agency,
        number="渝中卫罚〔2026〕99号",
        cause="另案",
        subject=case.subject,
        filed_on=case.filed_on,
    )
    with django_capture_on_commit_callbacks(execute=True):
        update_act(officer, built.act, case=case)
    assert CaseCompliance.objects.get(case=case).status == "mandatory_missing"
    with django_capture_on_commit_callbacks(execute=True):
        update_act(officer, built.act, case=other)
    # The case the act left has no act left: unchecked again; the new case has its status.
    assert not CaseCompliance.objects.filter(case=case).exists()
    assert CaseCompliance.objects.get(case=other).status == "mandatory_missing"
    with django_capture_on_commit_callbacks(execute=True):
        update_act(officer, built.act, case=None)
    assert not CaseCompliance.objects.filter(case__in=[case, other]).exists()


def test_a_registration_queues_its_acts_evaluation(
    scene, django_capture_on_commit_callbacks, custodian
):
    """registration ``registration_changed`` → compliance queues the act (A21-deadline)."""
    from quancheng.registration.services import register_records

    built = scene(compliant=False)
    with (
        time_machine.travel(END + dt.timedelta(hours=2), tick=False),  # within the 2 days
        mock.patch("quancheng.compliance.hooks.schedule_evaluation") as schedule,
        django_capture_on_commit_callbacks(execute=False),
    ):
        register_records(custodian, built.act, confirm_open_findings=True)
    schedule.assert_called_once_with(built.act)


def test_the_apps_above_fill_the_registries_at_ready():
    """Archive and access load custody; archive's A23-longterm sits after A22-retention;
    compliance answers registration's open errors; registration runs the overdue check."""
    from quancheng.alerts.sources import CHECKS, OVERDUE
    from quancheng.compliance.checklist import open_errors
    from quancheng.compliance.custody import LOADERS
    from quancheng.compliance.rules import BY_ID, RULES
    from quancheng.registration import checks
    from quancheng.registration.alerts import raise_overdue_registration_alerts

    assert set(LOADERS) == {"archive", "access"}
    ids = [rule.id for rule in RULES]
    assert ids.index("A23-longterm") == ids.index("A22-retention") + 1
    assert BY_ID["A23-longterm"] is RULES[ids.index("A23-longterm")]
    assert checks._providers == {"compliance": open_errors}
    assert CHECKS[OVERDUE] is raise_overdue_registration_alerts


def test_registering_a_rule_again_replaces_it_in_place():
    from quancheng.archive.rules import RULE
    from quancheng.compliance.rules import RULES, register

    before = [rule.id for rule in RULES]
    register(RULE, after="A22-retention")
    assert [rule.id for rule in RULES] == before

"""Cases through the service: numbering, officers, and the stage machine."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from quancheng.cases.models import Case
from quancheng.cases.services import change_case_stage, create_case
from quancheng.ledger.models import Event

pytestmark = pytest.mark.django_db

S = Case.Stage


def test_a_case_walks_through_every_stage_in_order(officer, case):
    path = [S.INVESTIGATION, S.REVIEW, S.SERVICE, S.CLOSED, S.ARCHIVED]
    for stage in path:
        change_case_stage(officer, case, stage)
    case.refresh_from_db()
    assert case.stage == S.ARCHIVED
    actions = list(Event.objects.for_object(case).values_list("action", flat=True))
    assert actions == ["case.created"] + ["case.stage_changed"] * len(path)


def test_review_may_send_a_case_back_for_more_evidence(officer, case):
    change_case_stage(officer, case, S.INVESTIGATION)
    change_case_stage(officer, case, S.REVIEW)
    change_case_stage(officer, case, S.INVESTIGATION)
    case.refresh_from_db()
    assert case.stage == S.INVESTIGATION


@pytest.mark.parametrize("target", [S.REVIEW, S.CLOSED, S.ARCHIVED, S.FILED, "nonsense"])
def test_illegal_stage_changes_are_refused_and_change_nothing(officer, case, target):
    events = Event.objects.count()
    with pytest.raises(ValidationError) as raised:
        change_case_stage(officer, case, target)
    assert raised.value.error_dict["stage"][0].code == "illegal_stage_change"
    assert "不能从“立案”变更为" in raised.value.error_dict["stage"][0].message
    case.refresh_from_db()
    assert case.stage == S.FILED
    assert Event.objects.count() == events


def test_nothing_leaves_the_archive(officer, case):
    for stage in [S.INVESTIGATION, S.REVIEW, S.SERVICE, S.CLOSED, S.ARCHIVED]:
        change_case_stage(officer, case, stage)
    for target in S.values:
        with pytest.raises(ValidationError):
            change_case_stage(officer, case, target)


def test_duplicate_number_and_one_officer_are_refused(officer, agency, subject, case):
    with pytest.raises(ValidationError) as raised:
        create_case(
            officer,
            agency,
            [officer],
            number=case.number,
            cause="x",
            subject=subject,
            filed_on=timezone.localdate(),
        )
    assert raised.value.error_dict["number"][0].code == "duplicate"
    assert raised.value.error_dict["officers"][0].code == "too_few_officers"
    assert Case.objects.count() == 1

import datetime as dt

import pytest
from django.utils import timezone

from quancheng.compliance.models import Explanation
from quancheng.compliance.services import add_explanation, review_explanation

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A13-exempt")]


def test_fires_while_the_work_record_waits_for_the_head_and_when_returned(scene, head):
    built = scene("interrogation", compliant=False)
    record = add_explanation(
        built.officer, built.act, "a13_work_record", "涉及患者隐私，停止录像", reason="privacy"
    )
    [hit] = built.hits("A13-exempt")
    assert "尚待机构负责人审核" in hit.params["problems"]
    # Pending, it does not exempt the act yet: A11-mandatory still fires.
    assert built.hits("A11-mandatory")
    review_explanation(head, record, accept=False, note="原因不充分")
    [hit] = built.hits("A13-exempt")
    assert "已被机构负责人退回" in hit.params["problems"]


def test_fires_on_a_work_record_made_before_the_act_ended(scene):
    built = scene("interrogation", compliant=False)
    Explanation.objects.create(
        act=built.act,
        kind="a13_work_record",
        reason="weather",
        text="暴雨",
        requested_by=built.officer,
        requested_at=built.act.ended_at - dt.timedelta(minutes=5),
        review="accepted",
    )
    [hit] = built.hits("A13-exempt")
    assert "应当在执法结束后制作" in hit.params["problems"]


def test_silent_once_accepted_and_then_it_exempts_the_act(scene, head):
    built = scene("interrogation", compliant=False)
    built.document("询问记录")
    record = add_explanation(
        built.officer, built.act, "a13_work_record", "涉及商业秘密", reason="commercial_secret"
    )
    review_explanation(head, record, accept=True)
    assert built.hits("A13-exempt") == []
    assert built.hits("A11-mandatory") == []
    record.refresh_from_db()
    assert record.review == "accepted" and record.decided_at <= timezone.now()

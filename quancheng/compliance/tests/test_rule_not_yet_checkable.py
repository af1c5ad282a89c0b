"""A22, A23 and A24 wait for the archive and access issues: they say so, and find nothing."""

import pytest

from quancheng.compliance.rules import BY_ID
from quancheng.compliance.rules.base import NOT_YET

pytestmark = pytest.mark.django_db


@pytest.mark.rule("A22-retention")
@pytest.mark.rule("A23-longterm")
@pytest.mark.rule("A24-access")
@pytest.mark.parametrize("rule_id", ["A22-retention", "A23-longterm", "A24-access"])
def test_not_yet_checkable_rules_say_why_and_stay_silent(scene, rule_id):
    rule = BY_ID[rule_id]
    assert rule.checkable == NOT_YET and "尚未实现" in rule.note
    assert scene().hits(rule_id) == []

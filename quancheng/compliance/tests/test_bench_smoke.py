"""bench/rules_bench.py runs its whole core at a tiny size (no timing checked)."""

import pytest

from bench import rules_bench
from quancheng.compliance.models import ActCompliance, Finding

pytestmark = pytest.mark.django_db


def test_rules_benchmark_builds_evaluates_and_re_evaluates_without_writing(organisation):
    result = rules_bench.run(acts=20, segments_per_act=4)
    assert (result["acts"], result["segments"], result["markers"]) == (20, 80, 100)
    # Acts 0 and 10 have a gap; act 1 has its 现场笔录 10 minutes off.
    assert result["by_rule"] == {"A11-gap": 2, "A15-complete": 1}
    assert result["first"]["opened"] == 3
    assert result["again"]["opened"] == result["again"]["closed"] == 0
    assert result["again"]["queries"] < result["acts"]  # bounded: no query per act or segment
    assert ActCompliance.objects.filter(status="complete").count() == 17
    assert Finding.objects.count() == 3

"""bench/rules_bench.py runs its whole core at a tiny size (no timing checked)."""

import pytest

from bench import rules_bench
from quancheng.compliance.models import ActCompliance, Finding

pytestmark = pytest.mark.django_db


def test_rules_benchmark_builds_evaluates_and_re_evaluates_without_writing(organisation):
    result = rules_bench.run(acts=30, segments_per_act=4)
    assert (result["acts"], result["segments"], result["markers"]) == (30, 120, 151)
    # Acts 0, 10 and 20 have a gap; acts 1 and 21 their 现场笔录 10 minutes off; act 0's
    # evidence AV is kept less long than its dossier; act 25 was obstructed, with no hold.
    assert result["by_rule"] == {
        "A11-gap": 3,
        "A15-complete": 2,
        "A22-retention": 1,
        "A23-longterm": 1,
    }
    assert result["first"]["opened"] == 7
    assert result["again"]["opened"] == result["again"]["closed"] == 0
    assert result["again"]["queries"] < result["acts"]  # bounded: no query per act or segment
    # The baseline replays the archive and access data: five queries fewer, nothing written.
    assert result["baseline"]["queries"] == result["again"]["queries"] - 5
    assert result["baseline"]["opened"] == result["baseline"]["closed"] == 0
    assert ActCompliance.objects.filter(status="complete").count() == 24
    assert Finding.objects.count() == 7

"""What the scenarios share: the compliant scene of the rule tests (spoiled by each scenario),
a frozen "now", the API client, and short ways to ask what the rules found.

Every scene is the act of Monday 2026-11-16 09:00–10:00 built compliant through the services
(quancheng/compliance/tests/scene.py); its records reach the platform at 10:30.
"""

from __future__ import annotations

import datetime as dt

import pytest

from quancheng.compliance.config import Config, current_config, defaults
from quancheng.compliance.evaluate import contexts_for, evaluate_act, run_rules
from quancheng.compliance.tests.scene import END, START, at  # noqa: F401 - used by the tests

# The day after the act, before its A21 deadline (Wednesday 2026-11-18, due by 11-19 00:00).
NOW = at(2026, 11, 17, 9, 0)
# A month later: every deadline of the act has passed.
LATER = at(2026, 12, 16, 9, 0)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _placeholder_records_do_not_block_sealing(settings):
    """These tests' records are placeholder bytes, not real PDFs and videos: the 四性 checks
    still run and keep their report at every freeze, but do not refuse it. The checks
    themselves are tested on real files (archive/tests/test_fourchecks.py)."""
    settings.QC_ARCHIVE_CHECKS_BLOCK = False


def hits(built, rule_id: str | None = None, now=NOW, config: Config | None = None):
    """The rules' hits on the scene's act at ``now`` (nothing stored)."""
    from quancheng.cases.models import Act

    act = Act.objects.select_related("agency").get(pk=built.act.pk)
    context = contexts_for([act], config or current_config(), now)[act.pk]
    return [h for r, h in run_rules(context) if rule_id is None or r == rule_id]


def keys(built, rule_id: str, now=NOW, config: Config | None = None) -> set[str]:
    return {h.key for h in hits(built, rule_id, now, config)}


def config_with(**changes) -> Config:
    """A configuration version that differs from the defaults by ``changes``."""
    data = {**defaults(), **changes}
    return Config(version=99, data=data)


def api_findings(api, built, now=NOW) -> dict[str, list[dict]]:
    """Evaluate the act at ``now``, then read its findings through GET /acts/{id}/findings."""
    evaluate_act(built.act, now=now)
    response = api.get(f"/acts/{built.act.pk}/findings")
    assert response.status_code == 200, response.content
    found: dict[str, list[dict]] = {}
    for finding in response.json()["findings"]:
        if finding["status"] in ("open", "answered", "returned"):
            found.setdefault(finding["rule_id"], []).append(finding)
    return found


@pytest.fixture
def api(api_as, officer):
    """The officer's terminal."""
    return api_as(officer)

"""The data migrations of issue 17 keep what was saved: rule configurations, score sheets and
retention configurations become active versions effective from when they were saved, and the
one-row RetentionPolicy becomes part of the retention configuration (and back again)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from quancheng.archive.config import current_config
from quancheng.archive.models import RetentionConfig
from quancheng.compliance.models import RuleConfig
from quancheng.orgs.models import Role, User
from quancheng.supervision.models_spot import ScoreSheet

BEFORE = [
    ("archive", "0008_transfer_job"),
    ("compliance", "0003_marker_kind_mass_incident"),
    ("supervision", "0003_rollups"),
]
AFTER = [
    ("archive", "0011_delete_retention_policy"),
    ("compliance", "0005_activate_existing_versions"),
    ("supervision", "0005_activate_existing_versions"),
]
T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(days=30)
ITEMS = [{"code": "M-catalogue", "label": "卷内目录完整", "weight": 2, "source": "manual"}]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def at_the_old_state():
    # A transactional test (migrations change the schema), so nothing here may write to the
    # append-only ledger: SQLite's flush after the test deletes rows, which its triggers refuse.
    admin = User.objects.create(username="migrator", full_name="迁移", role=Role.CITY_ADMIN)
    apps = _migrate(BEFORE)
    try:
        yield apps, admin
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_version_and_merges_the_policy(at_the_old_state):
    apps, admin = at_the_old_state
    apps.get_model("compliance", "RuleConfig").objects.create(
        version=1, data={"min_officers": 3}, note="规则", created_by_id=admin.pk, created_at=T0
    )
    apps.get_model("supervision", "ScoreSheet").objects.create(
        kind="spotcheck", version=1, items=ITEMS, note="表", created_by_id=admin.pk, created_at=T0
    )
    apps.get_model("archive", "RetentionConfig").objects.create(
        version=1,
        data={"dossier_classes": {"inspection": "30y"}},
        created_by_id=admin.pk,
        created_at=T0,
    )
    apps.get_model("archive", "RetentionPolicy").objects.create(
        non_evidence_min_months=12, changed_by_id=admin.pk, changed_at=T1
    )

    _migrate(AFTER)

    rule = RuleConfig.objects.get()
    assert (rule.version, rule.data, rule.note) == (1, {"min_officers": 3}, "规则")
    assert (rule.activated_at, rule.effective_from, rule.activated_by_id) == (T0, T0, admin.pk)
    sheet = ScoreSheet.objects.get()
    assert (sheet.kind, sheet.version, sheet.data, sheet.items) == ("spotcheck", 1, ITEMS, ITEMS)
    assert sheet.is_active and sheet.effective_from == T0
    first, merged = RetentionConfig.objects.order_by("version")
    # The policy changed after version 1 was saved: version 1 keeps what it said, and a new
    # version keeps the policy's minimum in force from its change.
    assert first.data == {"dossier_classes": {"inspection": "30y"}}
    assert (first.effective_from, first.activated_by_id) == (T0, admin.pk)
    assert merged.version == 2 and merged.effective_from == T1 and merged.is_active
    assert merged.data == {
        "dossier_classes": {
            "penalty_general": "30y",
            "penalty_summary": "10y",
            "inspection": "30y",
        },
        "non_evidence_min_months": 12,
    }
    now = current_config()
    assert (now.version, now.min_months, now.classes["inspection"]) == (2, 12, "30y")
    assert current_config(T0 + dt.timedelta(days=1)).min_months == 6

    # And back: the policy row again, the merged version gone.
    apps = _migrate(BEFORE)
    policy = apps.get_model("archive", "RetentionPolicy").objects.get()
    assert (policy.non_evidence_min_months, policy.changed_at) == (12, T1)
    assert apps.get_model("archive", "RetentionConfig").objects.count() == 1
    assert apps.get_model("supervision", "ScoreSheet").objects.get().items == ITEMS


@pytest.mark.django_db(transaction=True)
def test_a_policy_changed_before_the_versions_is_carried_by_them(at_the_old_state):
    apps, admin = at_the_old_state
    apps.get_model("archive", "RetentionPolicy").objects.create(
        non_evidence_min_months=9, changed_by_id=admin.pk, changed_at=T0
    )
    apps.get_model("archive", "RetentionConfig").objects.create(
        version=1, data={"dossier_classes": {"inspection": "30y"}}, created_at=T1
    )

    _migrate(AFTER)

    (only,) = RetentionConfig.objects.all()
    assert only.data["non_evidence_min_months"] == 9
    assert current_config().min_months == 9

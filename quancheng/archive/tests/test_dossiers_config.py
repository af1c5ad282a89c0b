"""The retention configuration: defaults, the preview function and saving a new version."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from quancheng.archive.config import (
    DEFAULT_CLASSES,
    apply_config,
    current_config,
    proposed_config,
    retention_class_for,
)
from quancheng.archive.models import RetentionConfig
from quancheng.ledger.models import Event

pytestmark = pytest.mark.django_db


def test_the_defaults_hold_until_the_first_change():
    assert current_config().version == 0
    assert retention_class_for("penalty_general") == "30y"
    assert retention_class_for("penalty_summary") == "10y"
    assert retention_class_for("inspection") == "10y"
    with pytest.raises(ValueError, match="unknown dossier kind"):
        retention_class_for("hearing")


def test_the_proposal_is_the_whole_new_mapping_and_saves_nothing():
    proposal = proposed_config({"inspection": "30y"})
    assert proposal == {**DEFAULT_CLASSES, "inspection": "30y"}
    assert not RetentionConfig.objects.exists()
    assert not Event.objects.exists()
    assert retention_class_for("inspection") == "10y"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hearing": "10y"}, "未知的案卷类别：hearing"),
        ({"inspection": "5y"}, "保管期限无效（监督检查）"),
        (["inspection"], "对应表"),
    ],
)
def test_a_bad_proposal_is_refused_in_chinese(changes, message):
    with pytest.raises(ValidationError, match=message):
        proposed_config(changes)


def test_applying_saves_a_version_with_its_ledger_event(city_admin):
    config = apply_config(city_admin, {"inspection": "30y"}, "监督检查案卷延长保管")
    assert (config.version, config.created_by) == (1, city_admin)
    assert retention_class_for("inspection") == "30y"
    (event,) = Event.objects.filter(action="archive.retention_config_changed")
    assert '"changed":{"inspection":["10y","30y"]}' in event.body
    second = apply_config(city_admin, {"penalty_general": "permanent"})
    assert second.version == 2
    assert current_config().classes == {
        "penalty_general": "permanent",
        "penalty_summary": "10y",
        "inspection": "30y",
    }
    with pytest.raises(ValidationError, match="配置没有变化"):
        apply_config(city_admin, {"inspection": "30y"})


def test_only_the_city_administrator_applies(custodian, head, auditor):
    for person in (custodian, head, auditor):
        with pytest.raises(PermissionDenied, match="只有市级管理员"):
            apply_config(person, {"inspection": "30y"})
    assert not RetentionConfig.objects.exists()

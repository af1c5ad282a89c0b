"""The rule configuration: defaults, validation, versions as ledger events."""

import copy

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from quancheng.compliance.config import current_config, defaults, save_config, validate_config
from quancheng.ledger.models import Event

pytestmark = pytest.mark.django_db


def test_defaults_are_version_zero_and_valid():
    config = current_config()
    assert config.version == 0
    validate_config(defaults())
    assert config.tolerance("document_time_minutes") == 2
    assert "interrogation" in config.av_mandatory_kinds
    assert config.required_documents("inspection") == [
        ["现场笔录", "责令（限期）改正通知书", "卫生监督意见书"]
    ]
    assert [i["code"] for i in config.a10_items][:2] == ["arrival_door", "identity_stated"]


def test_only_the_city_admin_saves_and_each_save_is_a_version_and_an_event(city_admin, head):
    data = copy.deepcopy(defaults())
    data["min_officers"] = 3
    with pytest.raises(PermissionDenied):
        save_config(head, data)
    first = save_config(city_admin, data, "三人执法试点")
    with pytest.raises(ValidationError):
        save_config(city_admin, data)  # unchanged
    data["av_mandatory_kinds"].append("onsite")
    second = save_config(city_admin, data)
    assert (first.version, second.version) == (1, 2)
    assert current_config().min_officers == 3 and "onsite" in current_config().av_mandatory_kinds
    assert Event.objects.filter(action="compliance.config_changed").count() == 2


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(av_mandatory_kinds=["flying"]),
        lambda d: d["tolerances"].update(document_time_minutes=-1),
        lambda d: d["tolerances"].update(unknown=1),
        lambda d: d.pop("a10_items"),
        lambda d: d["a10_items"].append({"code": "dance", "label": "跳舞"}),
        lambda d: d["required_documents"].update(inspection=[[]]),
    ],
)
def test_invalid_configurations_are_refused_in_chinese(city_admin, change):
    data = copy.deepcopy(defaults())
    change(data)
    with pytest.raises(ValidationError):
        save_config(city_admin, data)
    assert current_config().version == 0

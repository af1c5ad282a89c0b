"""The rule configuration (规则配置) as data: defaults from data/rules.json, versions in the DB.

The city administrator edits it (page /compliance/config/ or the admin); each change is a new
:class:`RuleConfig` version (the shared versioning services, quancheng/versioning) and a ledger
event. Rules read only :class:`Config`, never constants.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import jsonschema
from django.core.exceptions import ValidationError

from quancheng.cases.models import Act
from quancheng.ledger.actions import Action
from quancheng.orgs import capabilities as caps
from quancheng.versioning import services as versions

from .models import Marker, RuleConfig

if TYPE_CHECKING:
    from quancheng.orgs.models import User


DEFAULTS_PATH = Path(__file__).resolve().parent / "data" / "rules.json"

_KINDS = {"type": "array", "items": {"enum": list(Act.Kind.values)}, "uniqueItems": True}
_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 64}}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "av_mandatory_kinds",
        "av_dispute_kinds",
        "required_documents",
        "tolerances",
        "a10_items",
    ],
    "properties": {
        "av_mandatory_kinds": _KINDS,
        "av_dispute_kinds": _KINDS,
        "required_documents": {
            "type": "object",
            "propertyNames": {"enum": list(Act.Kind.values)},
            "additionalProperties": {"type": "array", "items": {**_NAMES, "minItems": 1}},
        },
        "data_required_kinds": _KINDS,
        "timed_document_types": _NAMES,
        "service_document_types": _NAMES,
        "rights_told_document_types": _NAMES,
        "identity_kinds": _KINDS,
        "door_kinds": _KINDS,
        "tolerances": {
            "type": "object",
            "properties": {
                name: {"type": "number", "minimum": 0, "maximum": 100000}
                for name in (
                    "document_time_minutes",
                    "gap_seconds",
                    "edge_seconds",
                    "explanation_window_seconds",
                    "door_window_seconds",
                    "arrival_window_seconds",
                    "data_window_minutes",
                    "picture_clock_seconds",
                )
            },
            "additionalProperties": False,
        },
        "min_officers": {"type": "integer", "minimum": 1, "maximum": 20},
        "coercion_approval_kinds": _KINDS,
        "coercion_approval_document_types": _NAMES,
        "av_min_retention_months": {"type": "integer", "minimum": 1, "maximum": 1200},
        "longterm_marker_kinds": {
            "type": "array",
            "items": {"enum": list(Marker.Kind.values)},
            "uniqueItems": True,
        },
        "a10_items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "label"],
                "properties": {
                    "code": {"type": "string", "minLength": 1, "maxLength": 32},
                    "label": {"type": "string", "minLength": 1, "maxLength": 200},
                },
            },
        },
    },
}


@cache
def defaults() -> dict[str, Any]:
    return json.loads(DEFAULTS_PATH.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Config:
    """The configuration one evaluation uses (version 0: the shipped defaults)."""

    version: int
    data: dict[str, Any]

    def _list(self, name: str) -> list:
        return self.data.get(name, defaults().get(name, []))

    @property
    def av_mandatory_kinds(self) -> frozenset[str]:
        return frozenset(self._list("av_mandatory_kinds"))

    @property
    def av_dispute_kinds(self) -> frozenset[str]:
        return frozenset(self._list("av_dispute_kinds"))

    def required_documents(self, kind: str) -> list[list[str]]:
        """Groups of document types; each group needs one document of any of its types."""
        return self.data.get("required_documents", {}).get(kind, [])

    @property
    def data_required_kinds(self) -> frozenset[str]:
        return frozenset(self._list("data_required_kinds"))

    @property
    def timed_document_types(self) -> frozenset[str]:
        return frozenset(self._list("timed_document_types"))

    @property
    def service_document_types(self) -> frozenset[str]:
        return frozenset(self._list("service_document_types"))

    @property
    def rights_told_document_types(self) -> frozenset[str]:
        return frozenset(self._list("rights_told_document_types"))

    @property
    def identity_kinds(self) -> frozenset[str]:
        return frozenset(self._list("identity_kinds"))

    @property
    def door_kinds(self) -> frozenset[str]:
        return frozenset(self._list("door_kinds"))

    def tolerance(self, name: str) -> float:
        return float({**defaults()["tolerances"], **self.data.get("tolerances", {})}[name])

    @property
    def min_officers(self) -> int:
        return int(self.data.get("min_officers", defaults()["min_officers"]))

    @property
    def coercion_approval_kinds(self) -> frozenset[str]:
        return frozenset(self._list("coercion_approval_kinds"))

    @property
    def coercion_approval_document_types(self) -> frozenset[str]:
        return frozenset(self._list("coercion_approval_document_types"))

    @property
    def av_min_retention_months(self) -> int:
        return int(self.data.get("av_min_retention_months", defaults()["av_min_retention_months"]))

    @property
    def longterm_marker_kinds(self) -> frozenset[str]:
        return frozenset(self._list("longterm_marker_kinds"))

    @property
    def a10_items(self) -> list[dict[str, str]]:
        return self._list("a10_items")


def current_config(at=None) -> Config:
    """The configuration in force at ``at`` (now by default; version 0: the defaults)."""
    found = versions.current(KIND, at)
    return Config(version=found.version, data=found.data)


def validate_config(data: Any) -> None:
    """Check a configuration against the schema; every problem named, in Chinese."""
    validator = jsonschema.Draft202012Validator(SCHEMA)
    problems = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if problems:
        raise ValidationError(
            {
                "data": [
                    ValidationError(
                        f"{'/'.join(str(p) for p in e.absolute_path) or '（根）'}：{e.message}",
                        code="schema",
                    )
                    for e in problems[:20]
                ]
            }
        )
    marker_kinds = set(Marker.Kind.values)
    unknown = [i["code"] for i in data["a10_items"] if i["code"] not in marker_kinds]
    if unknown:
        # Markers are what the rules read; an item without a marker kind could never be checked.
        raise ValidationError(
            {
                "data": [
                    ValidationError(
                        f"记录事项清单中的代码无对应的标记类型：{'、'.join(unknown)}",
                        code="unknown_item",
                    )
                ]
            }
        )
    below = floor_problems(data)
    if below:
        raise ValidationError(
            {"data": [ValidationError(message, code="below_floor") for message in below]}
        )


# The legal floor and a sane ceiling of every numeric setting: (floor, ceiling, where the floor
# comes from). docs/compliance.md gives the reasoning for each default and bound.
NUMBER_BOUNDS: dict[str, tuple[float, float, str]] = {
    "min_officers": (2, 10, "《行政处罚法》第四十二条：执法人员不得少于两人"),
    "av_min_retention_months": (6, 360, "第二十二条第三款：不作为证据使用的音像记录至少保存6个月"),
}
TOLERANCE_BOUNDS: dict[str, tuple[float, float, str]] = {
    "document_time_minutes": (0, 10, "第十五条第（四）项：文书记载时间应与录音录像起止时间一致"),
    "gap_seconds": (0, 120, "第十一条第二款：原则上应当不间断录音录像"),
    "edge_seconds": (0, 300, "第十一条第一款：全过程音像记录"),
    "arrival_window_seconds": (0, 300, "第十五条第（二）项：应自到达检查地点开启执法记录仪"),
    "explanation_window_seconds": (0, 1800, "第十一条第二款：对中断原因进行语音说明"),
    "door_window_seconds": (0, 600, "第十五条第（二）项：到达及检查完毕时拍摄门头"),
    "data_window_minutes": (0, 120, "第十五条第（三）项：检查结束后采集监督检查的电子数据"),
    "picture_clock_seconds": (0, 300, "第十八条：音像记录应当包括执法时间"),
}
# Lists the regulation fixes a minimum of: (setting, what must be in it, the article).
REQUIRED_MEMBERS: list[tuple[str, set[str], str]] = [
    (
        "av_mandatory_kinds",
        {"inspection"},
        "第十五条第（二）项：现场监督检查自到达检查地点开启执法记录仪，检查过程中不得中断拍摄",
    ),
    (
        "av_mandatory_kinds",
        {"interrogation", "hearing", "deliberation"},
        "第十六条第（二）项：询问（听证）、合议应当全程录音录像",
    ),
    (
        "av_mandatory_kinds",
        {"seizure", "control", "evidence_preservation"},
        "第十七条第（二）项：实施行政强制措施应当全过程音像记录",
    ),
    (
        "coercion_approval_kinds",
        {"seizure", "control", "evidence_preservation"},
        "第十七条第（四）项：采取行政强制措施应当按规定履行审批程序",
    ),
    (
        "service_document_types",
        {"行政处罚事先告知书", "行政处罚决定书", "催告书", "行政处罚听证通知书"},
        "第十六条第（四）项：送达时应当使用执法记录仪等影像设备",
    ),
    (
        "rights_told_document_types",
        {"行政处罚事先告知书", "行政处罚听证通知书"},
        "第十六条第（四）项：需要告知权利义务的必须告知当事人权利义务",
    ),
    (
        "timed_document_types",
        {"现场笔录", "询问记录", "听证记录", "合议记录"},
        "第十五条第（四）项：文书记载的时间应当与录音录像资料反映的起止时间一致",
    ),
    ("door_kinds", {"inspection"}, "第十五条第（二）项：拍摄检查地点门头及周边环境"),
    (
        "identity_kinds",
        {"inspection", "interrogation", "seizure", "control", "evidence_preservation"},
        "第十五条第（一）项、第十六条第（三）项、第十七条第（三）项：表明身份、出示执法证件",
    ),
]


def _bound_problem(label: str, value, bounds: tuple[float, float, str]) -> str | None:
    floor, ceiling, article = bounds
    if value < floor:
        return f"{label}为{value:g}，低于法定下限{floor:g}（{article}）"
    if value > ceiling:
        return f"{label}为{value:g}，超过上限{ceiling:g}（{article}）"
    return None


def floor_problems(data: dict[str, Any]) -> list[str]:
    """Settings below the legal floor or above the ceiling, each message citing its article."""
    problems = []
    for name, bounds in NUMBER_BOUNDS.items():
        if name in data:
            problems.append(_bound_problem(name, data[name], bounds))
    for name, value in data.get("tolerances", {}).items():
        problems.append(_bound_problem(f"tolerances/{name}", value, TOLERANCE_BOUNDS[name]))
    for name, members, article in REQUIRED_MEMBERS:
        if name not in data:
            continue
        missing = sorted(members - set(data[name]))
        if missing:
            problems.append(f"{name}不能去掉{'、'.join(missing)}（{article}）")
    return [p for p in problems if p]


def _event_body(row: RuleConfig, previous: dict[str, Any]) -> dict[str, Any]:
    data = row.data
    changed = sorted(k for k in set(previous) | set(data) if previous.get(k) != data.get(k))
    return {"changed": changed, "data": data}


def _on_activated(actor: User, row: RuleConfig, previous: dict[str, Any]) -> None:
    # Every act is evaluated again under the new version. (hooks imports this module.)
    from .hooks import schedule_all

    schedule_all()


KIND = versions.ConfigKind(
    name="rules",
    label="规则配置",
    model=RuleConfig,
    capability=caps.RULES_CONFIGURE,
    refusal="只有市级管理员可以修改规则配置",
    defaults=defaults,
    validate=validate_config,
    activated_action=Action.COMPLIANCE_CONFIG_CHANGED,
    event_body=_event_body,
    on_activated=_on_activated,
)


def save_config(actor: User, data: Any, note: str = "") -> RuleConfig:
    """A new version of the configuration in force now, by the city administrator (checked
    against the schema and the legal floor); a ledger event."""
    caps.require(actor, caps.RULES_CONFIGURE)
    return cast(RuleConfig, versions.save_version(KIND, actor, data, note))

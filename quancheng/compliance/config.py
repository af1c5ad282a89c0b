"""The rule configuration (规则配置) as data: defaults from data/rules.json, versions in the DB.

The city administrator edits it (page /compliance/config/ or the admin); each change is a new
:class:`RuleConfig` version and a ledger event. Rules read only :class:`Config`, never constants.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from django.core.exceptions import ValidationError
from django.db import transaction

from quancheng.cases.models import Act
from quancheng.ledger.services import record_event
from quancheng.orgs import capabilities as caps

from .models import Marker, RuleConfig

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


def current_config() -> Config:
    latest = RuleConfig.objects.order_by("-version").first()
    if latest is None:
        return Config(version=0, data=defaults())
    return Config(version=latest.version, data=latest.data)


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


def save_config(actor, data: Any, note: str = "") -> RuleConfig:
    """A new version of the configuration, by the city administrator; a ledger event."""
    caps.require(actor, caps.RULES_CONFIGURE)
    validate_config(data)
    note = (note or "").strip()[:2000]
    with transaction.atomic():
        latest = RuleConfig.objects.select_for_update().order_by("-version").first()
        previous = latest.data if latest else defaults()
        if previous == data:
            raise ValidationError({"data": [ValidationError("配置没有变化", code="unchanged")]})
        config = RuleConfig.objects.create(
            version=(latest.version if latest else 0) + 1,
            data=data,
            note=note,
            created_by=actor,
        )
        changed = sorted(k for k in set(previous) | set(data) if previous.get(k) != data.get(k))
        record_event(
            actor,
            "compliance.config_changed",
            config,
            {"version": config.version, "changed": changed, "data": data, "note": note},
        )
        from .hooks import schedule_all

        schedule_all()
    return config

"""Score sheets as data (评查表、考评表): the spot-check checklist and the evaluation sheet.

The defaults are built here (the checklist from the compliance rule table); the city edits a
new version at /supervision/sheets/<kind>/, each save a ledger event. Spot checks and
evaluations snapshot the current version when they are created.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jsonschema
from django.core.exceptions import ValidationError

from quancheng.compliance.rules import RULES
from quancheng.compliance.rules.base import ERROR
from quancheng.ledger.actions import Action
from quancheng.orgs import capabilities as caps
from quancheng.versioning import services as versions

from .models_spot import ScoreSheet

if TYPE_CHECKING:
    from quancheng.orgs.models import User


# A26: besides the rules, the auditor judges the dossier as a file (卷内文件材料).
MANUAL_SPOTCHECK_ITEMS = [
    {"code": "M-catalogue", "label": "卷内目录完整，与卷内材料一致", "weight": 2},
    {"code": "M-consistency", "label": "音像记录与执法文书内容一致（第十八条）", "weight": 2},
    {"code": "M-labels", "label": "案卷题名、编号、保管期限规范", "weight": 1},
]

# A25: the three things the district commission checks of its agency.
EVALUATION_CATEGORIES = {
    "execution": "全过程记录执行情况",
    "devices": "设备设施运行管理维护",
    "archiving": "归档情况",
}

DEFAULT_EVALUATION_ITEMS = [
    {
        "code": "E-recording",
        "category": "execution",
        "label": "执法全过程记录执行（按本期案卷抽查得分折算）",
        "weight": 30,
        "source": "spotcheck",
    },
    {
        "code": "E-registration",
        "category": "execution",
        "label": "音像记录按时存储登记（2个工作日内）",
        "weight": 10,
        "source": "manual",
    },
    {
        "code": "E-explanations",
        "category": "execution",
        "label": "中断及停止记录的说明、审核规范",
        "weight": 10,
        "source": "manual",
    },
    {
        "code": "D-equipment",
        "category": "devices",
        "label": "执法记录仪、执法终端等设备配备及在用情况",
        "weight": 10,
        "source": "manual",
    },
    {
        "code": "D-maintenance",
        "category": "devices",
        "label": "设备维护保养、校时记录",
        "weight": 10,
        "source": "manual",
    },
    {
        "code": "A-dossiers",
        "category": "archiving",
        "label": "案卷归档完整规范（按本期案卷抽查得分折算）",
        "weight": 20,
        "source": "spotcheck",
    },
    {
        "code": "A-retention",
        "category": "archiving",
        "label": "记录保存期限、长期保存及调阅管理",
        "weight": 10,
        "source": "manual",
    },
]

_ITEM: dict[str, Any] = {
    "type": "object",
    "required": ["code", "label", "weight"],
    "properties": {
        "code": {"type": "string", "minLength": 1, "maxLength": 32},
        "label": {"type": "string", "minLength": 1, "maxLength": 200},
        "weight": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000},
    },
}
SCHEMAS: dict[str, dict[str, Any]] = {
    ScoreSheet.Kind.SPOTCHECK: {
        "type": "array",
        "minItems": 1,
        "items": {
            **_ITEM,
            "properties": {
                **_ITEM["properties"],
                "source": {"enum": ["rule", "manual"]},
            },
            "required": [*_ITEM["required"], "source"],
        },
    },
    ScoreSheet.Kind.EVALUATION: {
        "type": "array",
        "minItems": 1,
        "items": {
            **_ITEM,
            "properties": {
                **_ITEM["properties"],
                "source": {"enum": ["spotcheck", "manual"]},
                "category": {"enum": list(EVALUATION_CATEGORIES)},
            },
            "required": [*_ITEM["required"], "source", "category"],
        },
    },
}


def default_spotcheck_items() -> list[dict[str, Any]]:
    """One item per compliance rule (errors weigh 2, warnings 1), then the manual items."""
    items = [
        {
            "code": rule.id,
            "label": f"{rule.title}（{rule.reference}）",
            "weight": 2 if rule.severity == ERROR else 1,
            "source": "rule",
        }
        for rule in RULES
    ]
    return items + [{**item, "source": "manual"} for item in MANUAL_SPOTCHECK_ITEMS]


def default_items(kind: str) -> list[dict[str, Any]]:
    if kind == ScoreSheet.Kind.SPOTCHECK:
        return default_spotcheck_items()
    return [dict(item) for item in DEFAULT_EVALUATION_ITEMS]


@dataclass(frozen=True)
class Sheet:
    kind: str
    version: int  # 0: the built-in default
    items: list[dict[str, Any]]


def current_sheet(kind: str, at=None) -> Sheet:
    """The sheet in force at ``at`` (now by default; version 0: the built-in default)."""
    found = versions.current(KINDS[kind], at)
    return Sheet(kind, found.version, found.data)


def validate_items(kind: str, items: Any) -> None:
    """Check a sheet against its schema; every problem named, in Chinese."""
    validator = jsonschema.Draft202012Validator(SCHEMAS[kind])
    problems = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '（根）'}：{e.message}"
        for e in sorted(validator.iter_errors(items), key=lambda e: list(e.absolute_path))
    ]
    if not problems:
        codes = [item["code"] for item in items]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            problems.append(f"项目代码重复：{'、'.join(duplicates)}")
    if problems:
        raise ValidationError({"items": [ValidationError(p, code="schema") for p in problems[:20]]})


def require_edit_sheets(user: User) -> None:
    caps.require(user, caps.SHEETS_EDIT)


def _validator(kind: str):
    return lambda items: validate_items(kind, items)


def _event_body(row: ScoreSheet, previous: Any) -> dict[str, Any]:
    return {"kind": row.kind, "items": row.data}


KINDS: dict[str, versions.ConfigKind] = {
    kind: versions.ConfigKind(
        name=kind,
        label=ScoreSheet.Kind(kind).label,
        model=ScoreSheet,
        scope={"kind": kind},
        capability=caps.SHEETS_EDIT,
        refusal="无权修改评分表",
        defaults=functools.partial(default_items, kind),
        validate=_validator(kind),
        activated_action=Action.SCORESHEET_CHANGED,
        error_field="items",
        event_body=_event_body,
    )
    for kind in ScoreSheet.Kind.values
}


def save_sheet(actor: User, kind: str, items: Any, note: str = "") -> ScoreSheet:
    """A new version of a score sheet in force now; a ledger event."""
    require_edit_sheets(actor)
    row = versions.save_version(KINDS[kind], actor, items, note)
    assert isinstance(row, ScoreSheet)  # KINDS' model
    return row

"""The document catalogue (文书目录) as data: loading it and checking a type's definition.

The bundled ``data/catalogue.json`` holds the national seed types, the common ones and the
platform's own written records; the city agency changes types and fields in the admin (A9).
Loading creates the types that are missing and leaves the ones already present alone (they may
have been edited), unless ``replace`` is given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from quancheng.cases.models import Act
from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.ledger.snapshot import snapshot

from .models import DocumentType

if TYPE_CHECKING:
    from quancheng.orgs.models import User


BUNDLED = Path(__file__).parent / "data" / "catalogue.json"
FIELD_TYPES = {"text", "textarea", "date", "datetime", "items-table"}
SIGNERS = {"officers", "party", "witness", "seal"}
TYPE_FIELDS = [
    "code",
    "name",
    "origin",
    "numbered",
    "number_style",
    "category",
    "nature",
    "has_times",
    "fields",
    "signers",
    "act_kinds",
    "active",
    "version",
    "source",
]


def check_definition(
    fields, signers, act_kinds, has_times: bool = False, number_style: str = "wenhao"
) -> None:
    """Refuse a malformed type definition, each problem named."""
    problems = []
    if number_style not in DocumentType.NumberStyle.values:
        problems.append(f"编号方式无效：{number_style}（应为文号或编号）")
    if not isinstance(fields, list):
        raise ValidationError({"fields": "字段定义应为列表"})
    names = set()
    for i, f in enumerate(fields, 1):
        if not isinstance(f, dict) or not f.get("name") or not f.get("label"):
            problems.append(f"第{i}个字段缺少 name 或 label")
            continue
        if f["name"] in names:
            problems.append(f"字段名重复：{f['name']}")
        names.add(f["name"])
        if f.get("type", "text") not in FIELD_TYPES:
            problems.append(f"字段“{f['label']}”的类型无效：{f.get('type')}")
        if f.get("type") == "items-table" and not f.get("columns"):
            problems.append(f"字段“{f['label']}”（物品表）缺少 columns")
    if has_times and not {"started_at", "ended_at"} <= names:
        problems.append("记载起止时间的文书应有 started_at 和 ended_at 字段")
    unknown = set(signers or []) - SIGNERS
    if unknown:
        problems.append(f"未知的签名人：{'、'.join(sorted(unknown))}")
    kinds = set(Act.Kind.values)
    bad = [k for k in act_kinds or [] if k not in kinds]
    if bad:
        problems.append(f"未知的执法行为类型：{'、'.join(bad)}")
    if problems:
        raise ValidationError(problems)


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@transaction.atomic(durable=True)
def load_catalogue(
    path: Path = BUNDLED, *, replace: bool = False, actor: User | None = None
) -> LoadResult:
    """Load the document types from the catalogue file (new ones; ``replace``: changed ones too)."""
    entries = json.loads(Path(path).read_text(encoding="utf-8"))["types"]
    result = LoadResult()
    for entry in entries:
        check_definition(
            entry["fields"],
            entry["signers"],
            entry["act_kinds"],
            entry.get("has_times", False),
            entry.get("number_style", "wenhao"),
        )
        values = {k: entry[k] for k in TYPE_FIELDS if k in entry and k != "code"}
        existing = DocumentType.objects.filter(code=entry["code"]).first()
        if existing is None:
            doc_type = DocumentType.objects.create(code=entry["code"], **values)
            record_event(
                actor, Action.DOCUMENTTYPE_CREATED, doc_type, snapshot(doc_type, TYPE_FIELDS)
            )
            result.created.append(doc_type.code)
            continue
        changed = {k: v for k, v in values.items() if getattr(existing, k) != v}
        if not replace or not changed:
            result.unchanged.append(existing.code)
            continue
        for k, v in changed.items():
            setattr(existing, k, v)
        existing.version += 1
        existing.save()
        record_event(
            actor,
            Action.DOCUMENTTYPE_UPDATED,
            existing,
            {"changed": sorted(changed), **snapshot(existing, TYPE_FIELDS)},
        )
        result.updated.append(existing.code)
    return result


def types_for_act_kind(kind: str):
    return [t for t in DocumentType.objects.filter(active=True) if t.allows(kind)]


def rights_carrying_types(path: Path = BUNDLED) -> set[str]:
    """The bundled types marked ``carries_rights``: serving one needs the party told their
    rights and obligations on camera (A16.4); the rule configuration's
    ``rights_told_document_types`` starts from them."""
    entries = json.loads(Path(path).read_text(encoding="utf-8"))["types"]
    return {e["name"] for e in entries if e.get("carries_rights")}

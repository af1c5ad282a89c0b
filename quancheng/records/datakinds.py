"""Kinds of terminal data (电子数据种类) and their JSON Schemas, loaded from a JSON file.

The bundled kinds are in records/data/data_kinds.json; ``manage.py load_data_kinds`` (called by
``seed_demo``) loads them, and an administrator can load another file or edit kinds in the admin.
A record keeps the schema version it was validated against, so a changed schema must carry a
higher version: loading a different schema under the same version is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import jsonschema
from django.core.exceptions import ValidationError
from django.db import transaction

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.ledger.snapshot import snapshot

from .models import DataKind

if TYPE_CHECKING:
    from quancheng.orgs.models import User


BUNDLED = Path(__file__).parent / "data" / "data_kinds.json"
DATA_KIND_FIELDS = ["code", "name", "version", "schema"]


def check_schema(schema) -> None:
    """A usable JSON Schema (draft 2020-12) of an object, else ValidationError in Chinese."""
    if not isinstance(schema, dict):
        raise ValidationError(
            {"schema": ValidationError("Schema 必须是 JSON 对象", code="invalid")}
        )
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as e:
        raise ValidationError(
            {"schema": ValidationError(f"不是有效的 JSON Schema：{e.message}", code="invalid")}
        ) from None


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def load_data_kinds(path: Path = BUNDLED, actor: User | None = None) -> LoadResult:
    """Create missing kinds, update those whose file version is higher; all or nothing."""
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    result = LoadResult()
    with transaction.atomic(durable=True):
        for entry in entries:
            code, version = entry["code"], int(entry.get("version", 1))
            check_schema(entry["schema"])
            values = {"name": entry["name"], "schema": entry["schema"], "version": version}
            kind = DataKind.objects.select_for_update().filter(code=code).first()
            if kind is None:
                kind = DataKind.objects.create(code=code, **values)
                record_event(actor, Action.DATAKIND_CREATED, kind, snapshot(kind, DATA_KIND_FIELDS))
                result.created.append(code)
                continue
            same = kind.schema == values["schema"] and kind.name == values["name"]
            if version < kind.version or (version == kind.version and same):
                result.unchanged.append(code)
                continue
            if version == kind.version:
                raise ValidationError(
                    f"电子数据种类 {code} 的 Schema 已改变但版本号仍为 {version}：请提高版本号"
                )
            for name, value in values.items():
                setattr(kind, name, value)
            kind.save()
            record_event(actor, Action.DATAKIND_UPDATED, kind, snapshot(kind, DATA_KIND_FIELDS))
            result.updated.append(code)
    return result

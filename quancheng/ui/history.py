"""An object's ledger history, in words a reader of the page understands.

Only the ledger is imported. Who acted is shown by name, as pages read in Chinese (the entry's
stored label is the username): through the event's own relation to the user model (Django's
AUTH_USER_MODEL), so no module of orgs is imported here.
"""

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from quancheng.ledger.actions import Action, label_of
from quancheng.ledger.models import Event


@dataclass
class Entry:
    seq: int
    time: dt.datetime
    actor: str
    action: str
    details: list[str]
    hash: str
    code: str = ""  # the stored action string, shown small beside the label


def history(obj: models.Model) -> list[Entry]:
    events = Event.objects.for_object(obj).select_related("actor")
    return [
        Entry(
            seq=event.seq,
            time=event.time,
            actor=str(event.actor) if event.actor else "系统",
            action=label_of(event.action),
            code=event.action,
            details=_details(obj, event),
            hash=event.hash,
        )
        for event in events
    ]


def _details(obj: models.Model, event: Event) -> list[str]:
    body = json.loads(event.body)
    if event.action.startswith("registration."):
        shown = (("deadline", "登记期限"), ("explanation", "情况说明"), ("note", "说明"))
        return [f"{label}：{body[key]}" for key, label in shown if body.get(key)]
    if event.action == Action.CASE_STAGE_CHANGED:
        line = f"{_value(obj, 'stage', body.get('from'))} → {_value(obj, 'stage', body.get('to'))}"
        return [line + (f"（{body['note']}）" if body.get("note") else "")]
    changes = body.get("changes") or {}
    return [
        f"{_label(obj, name)}：{_value(obj, name, old)} → {_value(obj, name, new)}"
        for name, (old, new) in changes.items()
    ]


def _label(obj: models.Model, name: str) -> str:
    try:
        field: Any = obj._meta.get_field(name)  # a snapshot's field: a concrete Field
        return str(field.verbose_name)
    except FieldDoesNotExist:  # a field that no longer exists: its stored name
        return name


def _value(obj: models.Model, name: str, value) -> str:
    if value in (None, "", []):
        return "（空）"
    try:
        field: Any = obj._meta.get_field(name)  # a snapshot's field: a concrete Field
    except FieldDoesNotExist:
        return str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.many_to_many:
        names = {o.pk: str(o) for o in field.related_model.objects.filter(pk__in=value)}
        return "、".join(names.get(pk, f"#{pk}") for pk in value)
    if field.is_relation:
        related = field.related_model.objects.filter(pk=value).first()
        return str(related) if related else f"#{value}"
    if isinstance(field, models.DateTimeField):
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"
    if isinstance(field, models.BooleanField):
        return "是" if value else "否"
    return str(value)

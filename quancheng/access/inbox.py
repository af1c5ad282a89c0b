"""The head's approvals inbox (审批待办): everything waiting for the current head, from all apps.

It reads the registry of approvable kinds (``orgs/approvals.py``): each app registers its
flows from its ``AppConfig.ready()`` and the inbox lists every kind registered, one section per
kind, with no code here per kind. Nothing here decides; each entry links to the page where its
own app decides, or shows no link when that page does not exist (yet).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from quancheng.orgs import capabilities as caps
from quancheng.orgs.approvals import ApprovableKind, approvable_kinds

if TYPE_CHECKING:
    from quancheng.orgs.models import User


@dataclass
class Entry:
    kind: str  # the section it belongs to
    title: str
    requester: object
    requested_at: dt.datetime
    url: str
    obj: object


def inbox_count(user: User) -> int:
    """How many decisions wait for the head (the navigation's badge): one count per section."""
    if not caps.can(user, caps.REQUESTS_DECIDE):
        return 0
    return sum(kind.inbox(user).count() for kind in approvable_kinds())


def _entry(kind: ApprovableKind, obj) -> Entry:
    return Entry(
        kind.code,
        kind.title(obj),
        kind.requester(obj),
        kind.requested_at(obj),
        kind.url(obj),
        obj,
    )


def inbox(user: User) -> list[tuple[str, str, list[Entry]]]:
    """(section code, section title, entries oldest first) for every section, empty ones too."""
    if not caps.can(user, caps.REQUESTS_DECIDE):
        return []
    sections = []
    for kind in approvable_kinds():
        entries = sorted(
            (_entry(kind, obj) for obj in kind.inbox(user)), key=lambda e: e.requested_at
        )
        sections.append((kind.code, kind.label, entries))
    return sections

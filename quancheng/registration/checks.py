"""What a registration is recorded against: the errors still open on the act (A21).

The rules that find them live in the compliance app, above this one. Compliance registers its
checklist's ``open_errors`` here at ready() (docs/architecture.md, "Hooks between layers");
``services.register_records`` asks :func:`open_errors` before it registers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quancheng.cases.models import Act

# (act, now) → the open errors, each a dict with at least "rule", "key", "article", "message"
# and "finding" (the stored finding's id, or None).
OpenErrors = Callable[["Act", dt.datetime], list[dict]]

_providers: dict[str, OpenErrors] = {}


def register_open_errors(name: str, provider: OpenErrors) -> None:
    """Register (or replace, when ready() runs again) a source of open errors under ``name``."""
    _providers[name] = provider


def open_errors(act: Act, now: dt.datetime) -> list[dict]:
    """The open errors every registered source finds on the act now, in registration order."""
    return [error for provider in _providers.values() for error in provider(act, now)]

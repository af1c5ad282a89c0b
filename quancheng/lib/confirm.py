"""Asking once more before an irreversible action (不可撤销操作的二次确认).

封卷 (sealing a dossier), 定稿 (finalising a document), approving a disposal and 考评定稿 cannot
be undone. Their POST does nothing but show a confirmation page listing the consequences, unless
it carries a ``confirm`` token made for this person, this action and this object when that page
was shown: a second submit, never a single click, and a token that cannot be carried over to
another object or another person. The API's rule is a ``"confirm": true`` in the body.

Usage in a view::

    if not confirm.confirmed(request, "dossier.freeze", dossier):
        return confirm.ask(request, "dossier.freeze", dossier, title=..., consequences=[...])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core import signing
from django.shortcuts import render

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


SALT = "quancheng.confirm"
MAX_AGE = 60 * 60  # seconds a confirmation page stays valid


def _subject(action: str, obj, user: AbstractBaseUser) -> list:
    return [action, obj._meta.label_lower, obj.pk, user.pk]


def token(user: AbstractBaseUser, action: str, obj) -> str:
    """The confirm token of this person, action and object."""
    return signing.dumps(_subject(action, obj, user), salt=SALT)


def confirmed(request, action: str, obj) -> bool:
    """The POST carries the token the confirmation page gave this person for this object."""
    value = request.POST.get("confirm", "")
    if not value:
        return False
    try:
        return signing.loads(value, salt=SALT, max_age=MAX_AGE) == _subject(
            action, obj, request.user
        )
    except signing.BadSignature:  # altered, another secret, or expired (SignatureExpired)
        return False


def ask(
    request,
    action: str,
    obj,
    *,
    title: str,
    consequences: list[str],
    submit: str,
    back_url: str,
    fields: dict[str, str] | None = None,
    details: list[tuple[str, str]] | None = None,
    blockers: list[str] | None = None,
    status: int = 200,
):
    """The confirmation page: what will happen, and a second submit carrying the token.

    ``fields`` are the original form's values, posted again unchanged with the confirmation.
    ``blockers`` are the reasons (Chinese) the action cannot be done now, checked in advance by
    the caller with the service's own checks: then the page names them and offers no confirm
    button (nothing to confirm), only the way back.
    """
    return render(
        request,
        "web/confirm.html",
        {
            "title": title,
            "consequences": consequences,
            "details": details or [],
            "submit": submit,
            "back_url": back_url,
            "action_url": request.path,
            "fields": sorted((fields or {}).items()),
            "token": "" if blockers else token(request.user, action, obj),
            "blockers": blockers or [],
        },
        status=status,
    )

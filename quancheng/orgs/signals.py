"""Login, failed login and logout are ledger events."""

from typing import TYPE_CHECKING

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from quancheng.ledger.services import record_atomic

if TYPE_CHECKING:
    from quancheng.orgs.models import User


def _client(request) -> dict:
    if request is None:
        return {}
    return {
        "ip": request.META.get("REMOTE_ADDR", ""),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
    }


@receiver(user_logged_in)
def _logged_in(sender, request, user: "User", **kwargs):
    record_atomic(user, "auth.login", user, _client(request))
    if user.is_superuser:
        # Every use of the break-glass account is announced (orgs/breakglass.py).
        from .breakglass import break_glass_used

        break_glass_used.send(type(user), user=user, reason="", event="login")


@receiver(user_logged_out)
def _logged_out(sender, request, user: "User", **kwargs):
    if user is not None:
        record_atomic(user, "auth.logout", user, _client(request))


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    record_atomic(
        None,
        "auth.login_failed",
        None,
        {"username": username, **_client(request)},
        object_type="orgs.user",
        object_id=username,
    )

"""Bearer-token authentication for terminals and workstations (API tokens, 访问令牌).

A token is looked up by the SHA-256 of its secret (ApiToken.objects.for_secret refuses revoked
tokens); the token's user must be active. The request then carries request.user (the token's
user), request.api_token and request.device (the token's device or None).

The JSON API (quancheng.api.auth wraps it in ninja's bearer scheme) and the tus upload views
(quancheng.records.tus) both authenticate here.
"""

import datetime as dt

from django.utils import timezone

from .models import ApiToken

SCHEME = "bearer"
# last_used_at is bookkeeping, not evidence: written at most once a minute per token so that
# reads do not turn into writes on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
MAX_SECRET_LENGTH = 200


def authenticate_bearer(request) -> ApiToken | None:
    """The token of the request's ``Authorization: Bearer <secret>`` header, or None."""
    # Never logging the header: a secret must not reach the log, whatever its scheme.
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != SCHEME:
        return None
    return authenticate_secret(request, secret)


def authenticate_secret(request, secret: str) -> ApiToken | None:
    """The live token of an active user with this secret, set on ``request``; or None."""
    secret = secret.strip()
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    api_token = ApiToken.objects.select_related("user__agency", "device").for_secret(secret)
    if api_token is None or not api_token.user.is_active:
        return None
    _touch(api_token)
    request.user = api_token.user
    request.api_token = api_token
    request.device = api_token.device
    return api_token


def _touch(api_token: ApiToken) -> None:
    now = timezone.now()
    last = api_token.last_used_at
    if last is None or now - last >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        api_token.last_used_at = now

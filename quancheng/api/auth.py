"""Bearer-token authentication for terminals and workstations.

A token is looked up by the SHA-256 of its secret (ApiToken.objects.for_secret refuses revoked
tokens); the token's user must be active. The request then carries request.user (the token's
user), request.api_token and request.device (the token's device or None).
"""

import datetime as dt

from django.utils import timezone
from ninja.security import HttpBearer

from quancheng.orgs.models import ApiToken

# last_used_at is bookkeeping, not evidence: written at most once a minute per token so that
# reads do not turn into writes on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
MAX_SECRET_LENGTH = 200


class TokenAuth(HttpBearer):
    def __call__(self, request):
        # As HttpBearer, but never logging the header (ninja logs it in DEBUG on a bad scheme).
        scheme, _, secret = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None
        return self.authenticate(request, secret)

    def authenticate(self, request, token: str):
        secret = token.strip()
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


token_auth = TokenAuth()


def _wants_a_page(request) -> bool:
    """A browser (it asks for HTML first), not a terminal or a tool (JSON or anything)."""
    if "Authorization" in request.headers:
        return False
    return request.get_preferred_type(["application/json", "text/html"]) == "text/html"


def docs_login_required(view):
    """The OpenAPI document and docs page: for a logged-in person or a valid token only.

    Nothing but the login page is public; the docs page is read in a browser session, the
    document is fetched by terminals and tools with their token. A browser without a session is
    sent to the login page (and back); a client without a valid token gets the API's JSON 401.
    """
    from functools import wraps

    from django.contrib.auth.views import redirect_to_login

    from .errors import error_response

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated and token_auth(request) is None:
            if _wants_a_page(request):
                return redirect_to_login(request.get_full_path())
            return error_response(401, "unauthorized", "缺少或无效的访问令牌")
        return view(request, *args, **kwargs)

    return wrapper

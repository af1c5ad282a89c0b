"""The API's bearer scheme: ninja's HttpBearer over the token authentication of
quancheng.orgs.tokens (the token's lookup, its user, request.api_token and request.device).
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from ninja.security import HttpBearer

from quancheng.orgs import tokens
from quancheng.orgs.models import ApiToken

from .errors import UNAUTHORIZED, error_response


class TokenAuth(HttpBearer):
    def __call__(self, request) -> ApiToken | None:
        # As HttpBearer, but never logging the header (ninja logs it in DEBUG on a bad scheme).
        return tokens.authenticate_bearer(request)

    def authenticate(self, request, token: str) -> ApiToken | None:
        return tokens.authenticate_secret(request, token)


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

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated and token_auth(request) is None:
            if _wants_a_page(request):
                return redirect_to_login(request.get_full_path())
            return error_response(401, "unauthorized", UNAUTHORIZED)
        return view(request, *args, **kwargs)

    return wrapper

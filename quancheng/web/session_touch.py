"""Renewing a session's idle limit at most once a minute instead of on every request."""

from __future__ import annotations

import time

from django.conf import settings

TOUCHED = "qc_touched"


class SessionTouchMiddleware:
    """Marks a logged-in session modified when it was last saved more than
    ``QC_SESSION_TOUCH_SECONDS`` ago, so that SessionMiddleware saves it and renews its cookie.

    The idle limit (SESSION_COOKIE_AGE) then counts from the last renewal, up to that many
    seconds early. Django's SESSION_SAVE_EVERY_REQUEST did the same on every request, which
    ended every page, even a read, in an UPDATE and a commit (a WAL flush on PostgreSQL).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # session_key is None without a session cookie and after logout: nothing to renew.
        if session is not None and session.session_key and not session.is_empty():
            now = int(time.time())
            if now - session.get(TOUCHED, 0) >= settings.QC_SESSION_TOUCH_SECONDS:
                session[TOUCHED] = now
        return response

"""Logging helpers (settings.LOGGING).

A refusal (403) is an expected answer, not a fault: Django's request logger would write it with
the whole traceback of the PermissionDenied. :class:`OneLineForbidden` turns it into one warning
line that says who was refused, where, and why.
"""

import logging


def _who(request) -> str:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    return user.get_username()


class OneLineForbidden(logging.Filter):
    """On ``django.request``: a 403 record becomes ``Forbidden: <who> <method> <path>: <reason>``
    without traceback; other records pass unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        reason = ""
        if record.exc_info and record.exc_info[1] is not None:
            reason = str(record.exc_info[1])
        reason = reason or getattr(request, "forbidden_reason", "") or "-"
        method = getattr(request, "method", "")
        path = getattr(request, "path", "")
        record.msg = "Forbidden: %s %s %s: %s"
        record.args = (_who(request), method, path, reason)
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = None
        record.exc_text = None
        return True

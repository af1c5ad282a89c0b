from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.shortcuts import render


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a login except the login page itself (views marked login_not_required).

    The API under /api/ authenticates by token and answers 401 in JSON instead of redirecting;
    static files are served by WhiteNoise before this runs.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class BlobMissingMiddleware:
    """A record whose file the store no longer has: a clear page and an alert, never a 500.

    Any view or template that reads a blob may meet ``BlobNotFound`` (the document page
    validates the PDF's signatures, a download opens the file). The failure is recorded as a
    fixity check with the ``fixity.missing`` alert for the custodian and the auditor, and the
    user is told in Chinese: 404 while the file is missing (a backup or the custodian's copy
    may restore it), 410 once it was disposed of on purpose. The API answers the same in JSON
    (quancheng.api.errors).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from quancheng.lib.blobstore import BlobNotFound

        if not isinstance(exception, BlobNotFound):
            return None
        blob, status = missing_blob(request, exception.sha256)
        return render(
            request,
            "web/blob_missing.html",
            {"blob": blob, "disposed": status == 410, "sha256": exception.sha256},
            status=status,
        )


def missing_blob(request, sha256: str):
    """Report a blob found missing while serving ``request``; its registry row and the status."""
    from quancheng.fixity.checks import report_missing

    user = getattr(request, "user", None)
    actor = user if user is not None and user.is_authenticated else None
    blob = report_missing(sha256, {"request": request.path[:200]}, actor=actor)
    disposed = blob is not None and blob.disposed_at is not None
    return blob, 410 if disposed else 404

from urllib.parse import unquote

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render

from quancheng.fixity.missing import missing_blob
from quancheng.lib.blobstore import BlobNotFound


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a login except the login page itself (views marked login_not_required).

    The API under /api/ authenticates by token and answers 401 in JSON instead of redirecting;
    static files are served by WhiteNoise before this runs.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class RefuseBadRequestMiddleware:
    """Requests refused before any view runs, with a clear error instead of a 500 later:

    - a NUL character in the path, the query string or a form field: PostgreSQL cannot store or
      even compare text with NUL, SQLite can; it is refused on every database alike (400);
    - an API body in JSON larger than QC_API_MAX_BODY_BYTES (413). Uploads (tus) stream their
      bodies and are not JSON, so they are not concerned.

    Under /api/ the answer is the API's JSON error, elsewhere a page in Chinese.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        is_api = request.path_info.startswith("/api/")
        if is_api and _json_too_large(request):
            limit = settings.QC_API_MAX_BODY_BYTES
            return _refuse(request, 413, "body_too_large", f"请求体超过 {limit} 字节的上限")
        if _has_nul(request):
            return _refuse(request, 400, "nul_character", "请求中不能包含空字符（NUL）")
        return self.get_response(request)


def _json_too_large(request) -> bool:
    if "json" not in request.META.get("CONTENT_TYPE", ""):
        return False
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.QC_API_MAX_BODY_BYTES


def _has_nul(request) -> bool:
    if "\x00" in request.path_info or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
        return True
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        try:
            return any("\x00" in k or "\x00" in "".join(vs) for k, vs in request.POST.lists())
        except RequestDataTooBig:
            return False  # Django answers this one itself (400)
    return False


def _refuse(request, status: int, code: str, message: str):
    if request.path_info.startswith("/api/"):
        return JsonResponse(
            {"code": code, "message": message},
            status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    return render(request, "400.html", {"message": message}, status=status)


class BlobMissingMiddleware:
    """A record whose file the store no longer has: a clear page and an alert, never a 500.

    Any view or template that reads a blob may meet ``BlobNotFound`` (the document page
    validates the PDF's signatures, a download opens the file). The failure is recorded as a
    fixity check with the ``fixity.missing`` alert for the custodian and the auditor, and the
    user is told in Chinese: 404 while the file is missing (a backup or the custodian's copy
    may restore it), 410 once it was disposed of on purpose. The API answers the same in JSON
    (quancheng.api.errors); both report through quancheng.fixity.missing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, BlobNotFound):
            return None
        blob, status = missing_blob(request, exception.sha256)
        return render(
            request,
            "web/blob_missing.html",
            {"blob": blob, "disposed": status == 410, "sha256": exception.sha256},
            status=status,
        )

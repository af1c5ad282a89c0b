"""The terminal API (/api/v1/): handheld terminals and docking workstations, by bearer token.

OpenAPI document: /api/v1/openapi.json; docs page: /api/v1/docs (served without a CDN; both
need a browser login or a token).
"""

from functools import wraps

from django.http import Http404
from django.urls import URLPattern, path, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from . import (
    access,
    acts,
    alerts,
    archive,
    cases,
    compliance,
    devices,
    documents,
    errors,
    extractions,
    ledger,
    me,
    records,
    registration,
    subjects,
    supervision,
)
from . import admin as _admin  # noqa: F401  (registers ApiToken in the Django admin)
from .auth import docs_login_required, token_auth
from .docs import ASSET_URL_NAME, OfflineSwagger, asset_view


def _json_errors(view):
    """Errors raised outside an operation (ninja's 405, its root page) answered in JSON too."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return errors.not_found()
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            allowed = response.get("Allow", "")
            return errors.error_response(
                405, "method_not_allowed", "不支持该请求方法", Allow=allowed
            )
        return response

    return wrapper


@csrf_exempt
def _unknown_path(request, *args, **kwargs):
    return errors.not_found()


class QuanchengAPI(NinjaAPI):
    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        patterns = [
            *patterns,
            path("docs/assets/<str:name>", asset_view, name=ASSET_URL_NAME),
            # Anything else under /api/v1/ is a JSON 404, not the site's HTML page.
            re_path(r"^.*$", _unknown_path, name="unknown-path"),
        ]
        wrapped = [
            URLPattern(p.pattern, _json_errors(p.callback), p.default_args, p.name)
            if isinstance(p, URLPattern)
            else p
            for p in patterns
        ]
        return wrapped, app_name, namespace


api = QuanchengAPI(
    title="全程 执法终端接口",
    version="1",
    description=(
        "执法终端与采集工作站使用的接口。认证：`Authorization: Bearer <令牌>`。"
        '错误统一为 JSON `{"code", "message"}`（数据校验失败时另有 `fields`）。'
        "时间均为带时区偏移的 ISO 8601。"
    ),
    urls_namespace="api",
    auth=token_auth,
    docs=OfflineSwagger(),
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs_decorator=docs_login_required,
)
errors.install(api)
api.add_router("", me.router)
api.add_router("", subjects.router)
api.add_router("", acts.router)
api.add_router("", cases.router)
api.add_router("", alerts.router)
api.add_router("", ledger.router)
api.add_router("", registration.router)
api.add_router("", records.router)
api.add_router("", devices.router)
api.add_router("", documents.router)
api.add_router("", archive.router)
api.add_router("", access.router)
# ninja's hints give a handler ``exc: E | type[E]``; it is called with the instance.
api.add_exception_handler(access.AccessDenied, access.on_access_denied)  # type: ignore[arg-type]
api.add_router("", extractions.router)
api.add_router("", compliance.router)
api.add_router("", supervision.router)

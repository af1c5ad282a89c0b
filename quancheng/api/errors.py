"""Every API error is JSON {"code", "message"} (plus "fields" for invalid input), in Chinese
(the shape and the common messages: quancheng.lib.jsonerrors).

The handlers are registered on the NinjaAPI by install(); errors raised outside an operation
(unknown paths, wrong methods) are turned into the same shape by json_errors() in urls.py.
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError

from quancheng.fixity.missing import missing_blob
from quancheng.lib.blobstore import BlobNotFound
from quancheng.lib.jsonerrors import (
    FORBIDDEN,
    NOT_FOUND,
    SERVER_ERROR,
    UNAUTHORIZED,
    error_response,
)
from quancheng.orgs.lockout import SecretThrottled

logger = logging.getLogger("quancheng.api")

# Services name model fields; the API names the ids it receives.
API_FIELD_NAMES = {
    "agency": "agency_id",
    "subject": "subject_id",
    "case": "case_id",
    "officers": "officer_ids",
}

# Chinese for the pydantic errors a terminal is likely to cause; others keep pydantic's text.
SCHEMA_MESSAGES = {
    "missing": "必填",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为字符串",
    "string_too_long": "长度不能超过{max_length}个字符",
    "string_too_short": "长度不能少于{min_length}个字符",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为数组",
    "too_long": "最多{max_length}项",
    "dict_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "literal_error": "取值无效，可选：{expected}",
    "enum": "取值无效，可选：{expected}",
    "greater_than_equal": "不能小于{ge}",
    "less_than_equal": "不能大于{le}",
    "datetime_type": "应为 ISO 8601 日期时间，例如 2026-03-01T09:30:00+08:00",
    "datetime_parsing": "应为 ISO 8601 日期时间，例如 2026-03-01T09:30:00+08:00",
    "datetime_from_date_parsing": "应为 ISO 8601 日期时间，例如 2026-03-01T09:30:00+08:00",
    "timezone_aware": "时间必须带时区偏移，例如 2026-03-01T09:30:00+08:00",
    "date_type": "应为 ISO 8601 日期，例如 2026-03-01",
    "date_parsing": "应为 ISO 8601 日期，例如 2026-03-01",
    "date_from_datetime_parsing": "应为 ISO 8601 日期，例如 2026-03-01",
    "date_from_datetime_inexact": "应为日期，不含时间",
    "null_not_allowed": "不能为空值（null）",
    "datetime_range": "时间应在1970年至2100年之间",
    "nul_character": "不能包含空字符（NUL，\\u0000）",
}


def unauthorized() -> JsonResponse:
    return error_response(401, "unauthorized", UNAUTHORIZED, WWW_Authenticate="Bearer")


def not_found() -> JsonResponse:
    return error_response(404, "not_found", NOT_FOUND)


def _schema_field(loc) -> str:
    # ("body", "payload", "officer_ids", 0) → "officer_ids"; ("query", "limit") → "limit".
    parts = [str(p) for p in loc[1:] if not isinstance(p, int)]
    if parts and parts[0] == "payload" and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def _schema_message(error: dict) -> str:
    template = SCHEMA_MESSAGES.get(error.get("type", ""))
    if template is None:
        return error.get("msg", "")
    try:
        return template.format(**error.get("ctx", {}))
    except (KeyError, IndexError):
        return error.get("msg", "")


def schema_error_fields(errors: list[dict]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        fields.setdefault(_schema_field(error.get("loc", ())), []).append(_schema_message(error))
    return fields


def _on_schema_error(request, exc: SchemaError):
    fields = schema_error_fields(exc.errors)
    if any(e.get("type") == "timezone_aware" for e in exc.errors):
        return error_response(
            400,
            "naive_datetime",
            "时间必须带时区偏移（ISO 8601），例如 2026-03-01T09:30:00+08:00",
            fields,
        )
    return error_response(422, "invalid_input", "请求数据格式错误", fields)


def _on_validation_error(request, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        items = list(exc.error_dict.items())
    else:
        items = [("__all__", exc.error_list)]
    fields: dict[str, list[str]] = {}
    first = None
    for field, errors in items:
        name = API_FIELD_NAMES.get(field, field)
        for error in errors:
            first = first or error
            fields.setdefault(name, []).extend(error.messages)
    code = (first.code if first is not None else None) or "invalid"
    message = first.messages[0] if first is not None else "数据无效"
    return error_response(400, code, message, fields)


def _on_permission_denied(request, exc: PermissionDenied):
    request.forbidden_reason = str(exc) or FORBIDDEN  # for the log line (lib/log.py)
    return error_response(403, "forbidden", request.forbidden_reason)


def _on_secret_throttled(request, exc: SecretThrottled):
    """A password or PIN tried while the person's lockout holds (orgs/lockout.py)."""
    response = error_response(429, "too_many_attempts", str(exc))
    response["Retry-After"] = str(exc.wait_seconds)
    return response


def _on_not_found(request, exc: Http404):
    return not_found()


def _on_authentication_error(request, exc: AuthenticationError):
    return unauthorized()


HTTP_ERRORS = {
    400: ("bad_request", "请求体无法解析，应为 JSON"),
    401: ("unauthorized", UNAUTHORIZED),
    403: ("forbidden", FORBIDDEN),
    404: ("not_found", NOT_FOUND),
    405: ("method_not_allowed", "不支持该请求方法"),
    429: ("throttled", "请求过于频繁，请稍后再试"),
}


def _on_http_error(request, exc: HttpError):
    code, message = HTTP_ERRORS.get(exc.status_code, ("error", "请求失败"))
    return error_response(exc.status_code, code, message)


def _on_integrity_error(request, exc: IntegrityError):
    # A uniqueness race that the services' own checks could not see (two terminals at once).
    logger.warning("integrity error on %s %s: %s", request.method, request.path, exc)
    return error_response(409, "conflict", "数据冲突（可能已被他人修改），请刷新后重试")


def _on_blob_missing(request, exc: BlobNotFound):
    _, status = missing_blob(request, exc.sha256)
    if status == 410:
        return error_response(410, "blob_disposed", "该记录的文件已按规定销毁")
    return error_response(404, "blob_missing", "该记录的文件在存储中缺失，已通知档案保管员")


def _on_unexpected(request, exc: Exception):
    logger.error("unexpected error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "server_error", SERVER_ERROR)


def install(api: NinjaAPI) -> None:
    # ignore[arg-type] below: ninja's hints give a handler ``exc: E | type[E]``; it is always
    # called with the instance, which is what the handlers take.
    api.add_exception_handler(Exception, _on_unexpected)  # type: ignore[arg-type]
    api.add_exception_handler(HttpError, _on_http_error)  # type: ignore[arg-type]
    api.add_exception_handler(AuthenticationError, _on_authentication_error)  # type: ignore[arg-type]
    api.add_exception_handler(SchemaError, _on_schema_error)  # type: ignore[arg-type]
    api.add_exception_handler(ValidationError, _on_validation_error)  # type: ignore[arg-type]
    api.add_exception_handler(PermissionDenied, _on_permission_denied)  # type: ignore[arg-type]
    api.add_exception_handler(SecretThrottled, _on_secret_throttled)  # type: ignore[arg-type]
    api.add_exception_handler(Http404, _on_not_found)  # type: ignore[arg-type]
    api.add_exception_handler(IntegrityError, _on_integrity_error)  # type: ignore[arg-type]
    api.add_exception_handler(BlobNotFound, _on_blob_missing)  # type: ignore[arg-type]

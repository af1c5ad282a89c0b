"""The JSON error shape of every machine-facing answer: {"code", "message"} (plus "fields" for
invalid input), the message in Chinese.

The API (quancheng.api.errors) answers with error_response(); the tus upload views
(quancheng.records.tus), which sit below the API, build tus answers of the same shape with the
same messages.
"""

from django.http import JsonResponse

UNAUTHORIZED = "缺少或无效的访问令牌"
NOT_FOUND = "对象不存在"
FORBIDDEN = "无权执行该操作"
SERVER_ERROR = "服务器内部错误"


def error_response(status: int, code: str, message: str, fields=None, **headers) -> JsonResponse:
    """``{"code", "message"}`` (and ``fields``) with ``status``; ``Retry_After`` → Retry-After."""
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = JsonResponse(
        body,
        status=status,
        content_type="application/json; charset=utf-8",
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response

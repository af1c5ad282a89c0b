"""tus 1.0.0 resumable uploads: the core protocol with the creation, creation-with-upload,
termination, checksum and expiration extensions.

    OPTIONS /api/v1/uploads/       capabilities (Tus-Version, Tus-Extension, Tus-Max-Size,
                                   Tus-Checksum-Algorithm)
    POST    /api/v1/uploads/       create: Upload-Length, optional Upload-Metadata → 201 Location;
                                   with a body (creation-with-upload) its first bytes too
    HEAD    /api/v1/uploads/<id>   Upload-Offset and Upload-Length (resume from there)
    PATCH   /api/v1/uploads/<id>   append application/offset+octet-stream at Upload-Offset; with
                                   Upload-Checksum the body must match it (else 460, not kept)
    DELETE  /api/v1/uploads/<id>   terminate an unfinished upload
    GET     /api/v1/uploads/<id>   (not tus) the upload's state as JSON, with its SHA-256

Authentication: a bearer token (terminals, workstations, tus clients) or a logged-in browser
session; a session must pass Django's CSRF check (X-CSRFToken header) on POST, PATCH and DELETE.
The views are csrf_exempt only so that token requests, which carry no cookie, are not refused by
the middleware. Users see only their own uploads: another user's id is 404. See docs/uploads.md.
"""

import base64
import binascii
import re

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from quancheng.lib.jsonerrors import UNAUTHORIZED
from quancheng.orgs.devices import note_devices_docked
from quancheng.orgs.tokens import authenticate_bearer

from .bodyread import body_reader
from .models import Upload
from .services import Checksum, UploadError, append, check_live, create_upload, terminate

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,termination,checksum,expiration"
# Upload-Checksum algorithm names (tus: sha1 must be offered) → hashlib names.
CHECKSUM_ALGORITHMS = {"sha1": "sha1", "sha256": "sha256"}
CHECKSUM_MISMATCH = 460
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
# The whole Upload-Metadata header, bytes: below the front end's header limits (lib/frontend.py),
# so that a long file name is refused here, with the tus JSON error, never by nginx or gunicorn.
MAX_METADATA_LENGTH = 4096
_DIGITS = re.compile(r"[0-9]{1,19}")
_METADATA_KEY = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _tus_headers(response: HttpResponse) -> HttpResponse:
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    return response


def _error(status: int, code: str, message: str, **headers) -> HttpResponse:
    reason = "Checksum Mismatch" if status == CHECKSUM_MISMATCH else None
    response = JsonResponse({"code": code, "message": message}, status=status, reason=reason)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return _tus_headers(response)


def _authenticate(request) -> HttpResponse | None:
    """None when the request may go on (request.user set), else the refusal."""
    if "Authorization" in request.headers:
        if authenticate_bearer(request) is None:
            return _error(401, "unauthorized", UNAUTHORIZED)
        return None
    if not request.user.is_authenticated:
        return _error(401, "unauthorized", UNAUTHORIZED)
    # A browser session: the cookie rides along on any cross-site request, so CSRF applies.
    # The middleware's hints want a real get_response and view; process_view uses neither.
    refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})  # type: ignore[arg-type]
    if refused is not None:
        return _error(403, "csrf_failed", "CSRF 校验失败，请刷新页面后重试")
    return None


def _header_int(request, name: str) -> int | None:
    value = request.headers.get(name)
    if value is None:
        return None
    value = value.strip()
    if not _DIGITS.fullmatch(value):
        raise UploadError(400, "invalid_header", f"{name} 必须是非负整数")
    return int(value)


def parse_metadata(header: str) -> dict[str, str]:
    """``key base64,key2`` → {key: value}; values must decode to UTF-8 text."""
    if len(header) > MAX_METADATA_LENGTH:
        raise UploadError(
            400, "metadata_too_long", f"Upload-Metadata 过长：最多 {MAX_METADATA_LENGTH} 字节"
        )
    result: dict[str, str] = {}
    for pair in header.split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, value = pair.partition(" ")
        value = value.strip()
        if not _METADATA_KEY.fullmatch(key) or key in result or " " in value:
            raise UploadError(400, "invalid_metadata", "Upload-Metadata 格式错误")
        try:
            result[key] = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise UploadError(
                400, "invalid_metadata", f"Upload-Metadata 的 {key} 不是 Base64 编码的 UTF-8 文本"
            ) from None
    return result


def encode_metadata(metadata: dict[str, str]) -> str:
    return ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}" if v else k for k, v in metadata.items()
    )


def _options() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Tus-Version"] = TUS_VERSION
    response["Tus-Extension"] = TUS_EXTENSIONS
    response["Tus-Max-Size"] = str(settings.QC_UPLOAD_MAX_SIZE)
    response["Tus-Checksum-Algorithm"] = ",".join(CHECKSUM_ALGORITHMS)
    response["Allow"] = "OPTIONS, POST, HEAD, PATCH, DELETE, GET"
    return _tus_headers(response)


def _guard(request, methods: set[str]) -> HttpResponse | None:
    if request.method not in methods:
        response = _error(405, "method_not_allowed", "不支持该请求方法")
        response["Allow"] = ", ".join(sorted(methods))
        return response
    if refused := _authenticate(request):
        return refused
    if request.method not in ("OPTIONS", "GET"):
        version = request.headers.get("Tus-Resumable")
        if version != TUS_VERSION:
            return _error(
                412, "unsupported_version", "不支持的 tus 协议版本", Tus_Version=TUS_VERSION
            )
    return None


def _upload_state(upload: Upload) -> dict:
    return {
        "id": str(upload.id),
        "filename": upload.filename,
        "length": upload.length,
        "offset": upload.offset,
        "status": upload.status,
        "sha256": upload.sha256 or None,
        "deduplicated": None if upload.blob_created is None else not upload.blob_created,
    }


@csrf_exempt
def collection(request):
    if refused := _guard(request, {"OPTIONS", "POST"}):
        return refused
    if request.method == "OPTIONS":
        return _options()
    try:
        content_length = _header_int(request, "Content-Length") or 0
        if content_length:
            _check_content_type(request)  # creation-with-upload: the body is the first bytes
            checksum = parse_checksum(request.headers.get("Upload-Checksum"))
        if "Upload-Defer-Length" in request.headers:
            raise UploadError(400, "defer_length_unsupported", "不支持延迟声明长度")
        length = _header_int(request, "Upload-Length")
        if length is None:
            raise UploadError(400, "missing_length", "缺少 Upload-Length")
        metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
        upload = create_upload(request.user, length, metadata)
    except UploadError as e:
        return _error(e.status, e.code, e.message)
    location = request.build_absolute_uri(reverse("records:upload", args=[upload.id]))
    if content_length:
        try:
            upload = _append_body(request, upload, 0, content_length, checksum)
        except UploadError as e:  # the upload exists: the client may resume it from Location
            return _error(e.status, e.code, e.message, Location=location, Upload_Offset="0")
    response = HttpResponse(status=201)
    response["Location"] = location
    response["Upload-Offset"] = str(upload.offset)
    _upload_headers(response, upload)
    return _tus_headers(response)


@csrf_exempt
def resource(request, upload_id):
    if refused := _guard(request, {"OPTIONS", "HEAD", "GET", "PATCH", "DELETE"}):
        return refused
    if request.method == "OPTIONS":
        return _options()
    upload = Upload.objects.filter(pk=upload_id, user=request.user).first()
    if upload is None:
        return _error(404, "not_found", "上传不存在")
    try:
        if request.method == "HEAD":
            return _head(upload)
        if request.method == "GET":
            return _tus_headers(JsonResponse(_upload_state(upload)))
        if request.method == "PATCH":
            return _patch(request, upload)
        terminate(upload, request.user)
        return _tus_headers(HttpResponse(status=204))
    except UploadError as e:
        extra = {} if e.offset is None else {"Upload_Offset": str(e.offset)}
        return _error(e.status, e.code, e.message, **extra)


def _head(upload: Upload) -> HttpResponse:
    check_live(upload)
    response = HttpResponse(status=200)
    response["Upload-Offset"] = str(upload.offset)
    response["Upload-Length"] = str(upload.length)
    if upload.metadata:
        response["Upload-Metadata"] = encode_metadata(upload.metadata)
    _upload_headers(response, upload)
    return _tus_headers(response)


def _upload_headers(response: HttpResponse, upload: Upload) -> None:
    if upload.status == Upload.Status.RECEIVING:  # tus Expiration
        response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
    # Not part of tus: what the server stored, so a client can compare with its own hash.
    if upload.status == Upload.Status.COMPLETE:
        response["Upload-Sha256"] = upload.sha256
        response["Upload-Deduplicated"] = "false" if upload.blob_created else "true"


def _check_content_type(request) -> None:
    if (request.content_type or "") != OFFSET_CONTENT_TYPE:
        raise UploadError(
            415, "unsupported_media_type", f"Content-Type 必须是 {OFFSET_CONTENT_TYPE}"
        )


def parse_checksum(header: str | None) -> Checksum | None:
    """``Upload-Checksum: <algorithm> <Base64 digest>`` (tus Checksum extension)."""
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    name = CHECKSUM_ALGORITHMS.get(algorithm.lower())
    if name is None:
        raise UploadError(
            400,
            "checksum_algorithm_unsupported",
            f"不支持的校验算法 {algorithm}，可用：{', '.join(CHECKSUM_ALGORITHMS)}",
        )
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        digest = b""
    checksum = Checksum(name, digest)
    if len(digest) != checksum.new().digest_size:
        raise UploadError(400, "invalid_checksum", "Upload-Checksum 的摘要不是正确的 Base64 值")
    return checksum


def _append_body(request, upload, offset, content_length, checksum) -> Upload:
    # Streams from the socket into one buffer; request.body would hold the whole chunk in memory.
    result = append(upload, offset, body_reader(request), content_length, checksum)
    if result.upload.status == Upload.Status.COMPLETE and getattr(request, "device", None):
        # A terminal uploading with its device token has docked (A19; quancheng.orgs.devices).
        note_devices_docked(request.user, [request.device], source="upload")
    return result.upload


def _patch(request, upload: Upload) -> HttpResponse:
    _check_content_type(request)
    offset = _header_int(request, "Upload-Offset")
    if offset is None:
        raise UploadError(400, "missing_offset", "缺少 Upload-Offset")
    content_length = _header_int(request, "Content-Length")
    if content_length is None:
        raise UploadError(411, "length_required", "缺少 Content-Length")
    checksum = parse_checksum(request.headers.get("Upload-Checksum"))
    upload = _append_body(request, upload, offset, content_length, checksum)
    response = HttpResponse(status=204)
    response["Upload-Offset"] = str(upload.offset)
    _upload_headers(response, upload)
    return _tus_headers(response)

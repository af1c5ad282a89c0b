"""The embedded server's front end: nginx before gunicorn, so that slow clients cannot starve it.

gunicorn's threaded worker gives each connection a thread while it reads the request: ten
clients sending one header line every 15 seconds, or ten tus PATCHes sending one byte every 3
seconds, held all eight threads and every other request timed out. nginx reads requests in an
event loop instead, at no cost per idle connection, and hands gunicorn only complete requests:

- **headers** must arrive whole within ``header_timeout`` (408 otherwise);
- **bodies** are read into nginx's own buffer, on disk past 1 MiB (``proxy_request_buffering``),
  with at most ``body_timeout`` between two reads; only then is the request passed on, over a
  Unix socket, at memory speed, so a slow upload never holds a gunicorn thread. gunicorn's
  splice path (records/bodyread.py) still moves the body from that socket into the partial file;
- **connections** per client address are bounded (``limit_conn``): all requests, and uploads
  separately since each buffers its body on disk.

Limits on the request head are ordered so that the application answers every request it can
with its own JSON error (docs/uploads.md, "Limits"): the application's limits are the lowest (a
file name of MAX_FILENAME_LENGTH characters, an Upload-Metadata header of MAX_METADATA_LENGTH
bytes: 400 ``filename_too_long`` / ``metadata_too_long``); nginx's come next
(:data:`HEADER_LINE_MAX`), and what nginx refuses itself under /api/ is answered in JSON too
(:func:`api_error_pages`); gunicorn's are the highest (:data:`GUNICORN_LIMITS`, passed by
``--config python:quancheng.gunicorn_conf``), so gunicorn never refuses, with its HTML page, a
request nginx passed on.

docs/deployment.md ("nginx") gives the same settings for the production proxy; the measurements
are in docs/performance.md ("Slow clients"). The values come from the QC_FRONT_* settings
(docs/configuration.md).
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

# nginx: the request line and each header line, bytes (large_client_header_buffers: four buffers
# of this size hold the whole head). Longer: 414 (line) or 431 (header; nginx's own 494).
HEADER_LINE_MAX = 8000
HEADER_BUFFERS = 4
# gunicorn, above nginx's: the request line (gunicorn's own maximum, 8190 > HEADER_LINE_MAX),
# one header line with its CRLF (nginx rewrites "Name:value" as "Name: value", a byte longer),
# and the number of header lines (the shortest line nginx passes, "a: b\r\n", is 6 bytes).
GUNICORN_LIMITS = {
    "limit_request_line": 8190,
    "limit_request_field_size": 2 * HEADER_LINE_MAX,
    "limit_request_fields": HEADER_BUFFERS * HEADER_LINE_MAX // 6,
}

# What nginx answers itself under /api/ (the application never sees these requests): the JSON
# errors of the API and of tus, {"code", "message"}, with Tus-Resumable under /api/v1/uploads/.
# nginx's 494 ("request header too large") becomes 431 there; elsewhere its HTML pages stay.
API_ERRORS = {
    413: ("body_too_large", "请求体超过前端允许的大小"),
    414: ("uri_too_long", f"请求行过长：最多 {HEADER_LINE_MAX} 字节"),
    431: ("header_too_large", f"请求头的某一行过长：最多 {HEADER_LINE_MAX} 字节"),
    429: ("too_many_connections", "同一地址的并发连接过多，请稍后重试"),
    502: ("upstream_unavailable", "服务暂时不可用，请稍后重试"),
    503: ("upstream_unavailable", "服务暂时不可用，请稍后重试"),
    504: ("upstream_timeout", "服务响应超时，请稍后重试"),
}
_NGINX_CODE = {431: 494}  # nginx's own code for a header line over the buffer


def api_error_maps() -> str:
    """The ``http``-level maps :func:`api_error_pages` needs. ``$request`` is the request line as
    received, even a cut-off one (414), where ``$uri`` is still empty."""
    return """\
map $request $qc_api_error {
    "~^[A-Z]+ /api/" 1;
    default 0;
}
map $request $qc_tus_error {
    "~^[A-Z]+ /api/v1/uploads/" "1.0.0";
    default "";
}
"""


def api_error_pages() -> str:
    """``server``-level directives: JSON for nginx's own errors under /api/, HTML elsewhere."""
    lines = []
    for status in API_ERRORS:
        own = _NGINX_CODE.get(status, status)
        change = f"={status} " if own != status else ""
        lines.append(f"error_page {own} {change}/_qc_error/{status};")
    for status, (code, message) in API_ERRORS.items():
        body = json.dumps({"code": code, "message": message}, ensure_ascii=False)
        lines += [
            f"location = /_qc_error/{status} {{",
            "    internal;",
            "    default_type application/json;",
            "    add_header Tus-Resumable $qc_tus_error always;",
            "    add_header Cache-Control no-store always;",
            f"    if ($qc_api_error) {{ return {status} '{body}'; }}",
            f"    return {_NGINX_CODE.get(status, status)};",
            "}",
        ]
    return "\n".join(lines) + "\n"


def _indent(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line if line else line for line in text.splitlines(True))


@dataclass(frozen=True)
class Limits:
    header_timeout: int  # seconds to send the whole request head
    body_timeout: int  # seconds between two reads of a body (and of a response, to send)
    keepalive_timeout: int  # seconds an idle keep-alive connection is kept
    connections: int  # simultaneous requests per client address
    uploads: int  # simultaneous upload requests per client address (bodies buffered on disk)
    max_body: int  # largest request body, bytes (0: no limit)

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            header_timeout=settings.QC_FRONT_HEADER_TIMEOUT,
            body_timeout=settings.QC_FRONT_BODY_TIMEOUT,
            keepalive_timeout=settings.QC_FRONT_KEEPALIVE_TIMEOUT,
            connections=settings.QC_FRONT_CONNECTIONS_PER_CLIENT,
            uploads=settings.QC_FRONT_UPLOADS_PER_CLIENT,
            max_body=settings.QC_UPLOAD_MAX_SIZE,
        )


def nginx_binary() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


def render(listen: str, upstream: Path, work: Path, limits: Limits) -> str:
    """nginx.conf for a front end on ``listen`` (host:port) before gunicorn's Unix socket."""
    tmp = work / "tmp"
    return f"""\
# Written by quancheng.lib.frontend (manage.py run_frontend); changes are overwritten.
{_user(work)}
worker_processes 1;
daemon off;
pid {work / "nginx.pid"};
error_log stderr warn;

events {{
    worker_connections 4096;
}}

http {{
    access_log off;  # gunicorn logs every request it answers
    default_type application/octet-stream;
    server_tokens off;
    sendfile on;

    client_body_temp_path {tmp / "body"};
    proxy_temp_path {tmp / "proxy"};
    fastcgi_temp_path {tmp / "fastcgi"};
    uwsgi_temp_path {tmp / "uwsgi"};
    scgi_temp_path {tmp / "scgi"};

    # Slow clients: a deadline for the request head, for each read of a body and each write of
    # a response, and for an idle keep-alive connection.
    client_header_timeout {limits.header_timeout}s;
    client_body_timeout {limits.body_timeout}s;
    send_timeout {limits.body_timeout}s;
    keepalive_timeout {limits.keepalive_timeout}s;
    reset_timedout_connection on;
    # The request line and each header line: at most HEADER_LINE_MAX bytes (module docstring).
    large_client_header_buffers {HEADER_BUFFERS} {HEADER_LINE_MAX};

    # Bodies are read whole by nginx (in memory up to 1 MiB, then on disk) before gunicorn
    # sees the request: an idle upload costs a file descriptor here, never a thread there.
    client_max_body_size {limits.max_body};
    client_body_buffer_size 1m;
    proxy_request_buffering on;
    proxy_buffering on;

    limit_conn_zone $binary_remote_addr zone=per_client:10m;
    limit_conn_zone $binary_remote_addr zone=uploads_per_client:10m;
    limit_conn_status 429;

{_indent(api_error_maps(), 4)}
    upstream quancheng {{
        server unix:{upstream};
        keepalive 16;
    }}

    server {{
        listen {listen};
        limit_conn per_client {limits.connections};

        # nginx's own errors (too large, too long, upstream down) in JSON under /api/.
{_indent(api_error_pages(), 8)}
        location / {{
            proxy_pass http://quancheng;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_read_timeout 300s;
        }}

        location /api/v1/uploads/ {{
            limit_conn uploads_per_client {limits.uploads};
            proxy_pass http://quancheng;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_read_timeout 300s;
        }}
    }}
}}
"""


def _user(work: Path) -> str:
    """Started as root, nginx would run its worker as ``nobody``, which cannot reach gunicorn's
    socket or write the body buffers: run it as the owner of the var directory instead."""
    if os.geteuid() != 0:
        return "# not root: the worker runs as this user"
    owner = work.stat()
    name = pwd.getpwuid(owner.st_uid).pw_name
    group = grp.getgrgid(owner.st_gid).gr_name
    return f"user {name} {group};"


def prepare(listen: str, upstream: Path, work: Path, limits: Limits | None = None) -> Path:
    """Write the configuration and nginx's temporary directories under ``work``; the conf."""
    limits = limits or Limits.from_settings()
    work.mkdir(parents=True, exist_ok=True)
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (work / "tmp" / name).mkdir(parents=True, exist_ok=True, mode=0o700)
    conf = work / "nginx.conf"
    conf.write_text(render(listen, upstream, work, limits))
    return conf


def command(conf: Path) -> list[str]:
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx is not installed (Debian package nginx)")
    return [binary, "-e", "stderr", "-p", str(conf.parent), "-c", str(conf)]

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

docs/deployment.md ("nginx") gives the same settings for the production proxy; the measurements
are in docs/performance.md ("Slow clients"). The values come from the QC_FRONT_* settings
(docs/configuration.md).
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


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
    large_client_header_buffers 4 16k;

    # Bodies are read whole by nginx (in memory up to 1 MiB, then on disk) before gunicorn
    # sees the request: an idle upload costs a file descriptor here, never a thread there.
    client_max_body_size {limits.max_body};
    client_body_buffer_size 1m;
    proxy_request_buffering on;
    proxy_buffering on;

    limit_conn_zone $binary_remote_addr zone=per_client:10m;
    limit_conn_zone $binary_remote_addr zone=uploads_per_client:10m;
    limit_conn_status 429;

    upstream quancheng {{
        server unix:{upstream};
        keepalive 16;
    }}

    server {{
        listen {listen};
        limit_conn per_client {limits.connections};

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

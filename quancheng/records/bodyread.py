"""Reading a request body into the caller's buffer with as few copies as the server allows.

Under gunicorn the WSGI input is gunicorn's ``Body``: each received byte passes through the
socket unreader's ``BytesIO``, is sliced out of it, written into the body's own ``BytesIO`` and
sliced out again — five or six copies before the application sees it. For a multi-GB upload on
two shared cores those copies, not the disk or the hash, bounded the speed of a tus PATCH
(docs/performance.md, "Ingest").

When a request came through gunicorn with a Content-Length and nothing has read its body yet,
:func:`body_reader` hands out the bytes gunicorn already holds and then takes the rest straight
from the client socket: spliced into a pipe inside the kernel (``splice_to``, no copy through
this process; records/receive.py moves it on into the file) or, for TLS or a caller with a
buffer, received into it (``recv_into``: one copy), keeping gunicorn's count of what is left
of the body in step, so that keep-alive and the next request
on the connection work as before. With any other server (Django's test client, runserver) it
falls back to ``request.read``. The gunicorn internals it touches are those of the pinned
version (27.0.1); a different shape falls back too, so an upgrade can only make it slower.
"""

from __future__ import annotations

import io
import os
import select
import ssl
from collections.abc import Callable
from typing import Protocol


class BodyReader(Protocol):
    def readinto(self, buffer: memoryview) -> int:
        """Fill the start of ``buffer``; the number of bytes, 0 at the end of the body.

        Raises OSError when the client goes away.
        """


class ReadAdapter:
    """A ``read(n)`` callable (a file's read, ``request.read``) as a BodyReader."""

    def __init__(self, read: Callable[[int], bytes]):
        self._read = read

    def readinto(self, buffer: memoryview) -> int:
        data = self._read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class GunicornSocketReader:
    """The rest of a gunicorn request body, received from the client socket directly."""

    def __init__(self, body, length_reader, sock):
        self._length_reader = length_reader
        self._sock = sock
        # What gunicorn already took off the socket for this body: the body's own buffer
        # (already counted as read) and, in the unreader, up to the body's remaining length
        # (anything after that belongs to the next request and is put back).
        held = body.buf.getvalue()
        body.buf = io.BytesIO()
        unreader = length_reader.unreader
        buffered = unreader.take_buffered()
        own = buffered[: length_reader.length]
        if len(buffered) > len(own):
            unreader.unread(buffered[len(own) :])
        length_reader.length -= len(own)
        self._pending = memoryview(held + own)
        # A TLS socket's bytes are encrypted: they can only be received through its recv_into.
        self.can_splice = hasattr(os, "splice") and not isinstance(sock, ssl.SSLSocket)

    def take_pending(self) -> memoryview:
        """The body's bytes gunicorn had already received (then :meth:`splice_to` the rest)."""
        pending, self._pending = self._pending, memoryview(b"")
        return pending

    def splice_to(self, pipe: int, count: int) -> int:
        """Move up to ``count`` of the body's next bytes from the socket into ``pipe`` inside the
        kernel (no copy through user space); 0 when the body is over or the client has gone.

        Call after :meth:`take_pending`. Raises OSError (EINVAL) when the socket's kind cannot
        be spliced; nothing was moved then.
        """
        want = min(count, self._length_reader.length)
        if want <= 0:
            return 0
        n = _splice_waiting(self._sock, pipe, want)
        self._length_reader.length -= n
        return n

    def readinto(self, buffer: memoryview) -> int:
        if self._pending:
            n = min(len(buffer), len(self._pending))
            buffer[:n] = self._pending[:n]
            self._pending = self._pending[n:]
            return n
        want = min(len(buffer), self._length_reader.length)
        if want <= 0:
            return 0
        n = self._sock.recv_into(buffer, want)
        self._length_reader.length -= n
        return n


def _splice_waiting(sock, pipe: int, count: int) -> int:
    """os.splice from a socket, waiting (up to the socket's timeout) when it has no data yet."""
    while True:
        try:
            return os.splice(sock.fileno(), pipe, count)
        except BlockingIOError:  # a socket with a timeout is non-blocking underneath
            poller = select.poll()
            poller.register(sock.fileno(), select.POLLIN)
            timeout = sock.gettimeout()
            if not poller.poll(None if timeout is None else timeout * 1000):
                raise TimeoutError("the client sent nothing within the socket's timeout") from None


def body_reader(request) -> BodyReader:
    """The fastest reader of this request's body the server allows (see the module's text)."""
    direct = _gunicorn_reader(request)
    return direct if direct is not None else ReadAdapter(request.read)


def _gunicorn_reader(request) -> GunicornSocketReader | None:
    environ = request.META
    sock = environ.get("gunicorn.socket")
    body = environ.get("wsgi.input")
    if sock is None or body is None or getattr(request, "_read_started", False):
        return None
    reader = getattr(body, "reader", None)
    if type(body).__name__ != "Body" or type(reader).__name__ != "LengthReader":
        return None
    unreader = getattr(reader, "unreader", None)
    if type(unreader).__name__ != "SocketUnreader" or not hasattr(unreader, "take_buffered"):
        return None
    # Nothing may have been read through Django's stream either.
    if getattr(getattr(request, "_stream", None), "_pos", 0):
        return None
    request._read_started = True  # request.body / request.read must not read it again
    return GunicornSocketReader(body, reader, sock)

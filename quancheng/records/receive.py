"""Receiving a request body into a file while writing and hashing in parallel.

A tus PATCH has three things to do with each byte: receive it from the socket, write it to the
partial file, and feed it to the running SHA-256. Done one after the other in the request's
thread, their times add up; done in three threads over a few rotating buffers they overlap, and
the PATCH takes about as long as the slowest of the three. All three release the GIL while they
work (``recv_into``, ``write`` and hashlib's ``update`` on large buffers), so the threads run
on separate cores. Order is kept: one writer thread and one hasher thread each take the buffers
in the order received.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from .bodyread import BodyReader

BUFFER_SIZE = 4 * 1024 * 1024
BUFFERS = 3  # one being received, one being written, one being hashed


@dataclass
class Received:
    size: int
    interrupted: bool  # the body ended (or the client went away) before the announced length


def receive_into(f, reader: BodyReader, length: int, digest=None, catch_up=None) -> Received:
    """Receive ``length`` bytes from ``reader`` and write them to ``f`` at its position.

    ``digest`` (a hashlib object) is updated with the bytes in order. ``catch_up``, a
    ``(path, start, end)`` triple, first feeds it those bytes of a file already on disk, in the
    hasher thread, while the body is being received. An OSError while reading counts as the end
    of the body (tus keeps what arrived); a write error is raised after every buffer is settled.
    """
    size = min(BUFFER_SIZE, max(length, 1))
    buffers = deque(memoryview(bytearray(size)) for _ in range(BUFFERS))
    busy: deque[tuple[memoryview, list[Future]]] = deque()
    received = 0
    interrupted = False
    with (
        ThreadPoolExecutor(1, thread_name_prefix="qc-write") as writer,
        ThreadPoolExecutor(1, thread_name_prefix="qc-hash") as hasher,
    ):
        if digest is not None and catch_up is not None:
            hasher.submit(hash_file_range, digest, *catch_up)
        try:
            while received < length:
                if not buffers:
                    buffer, futures = busy.popleft()
                    _settle(futures)
                    buffers.append(buffer)
                buffer = buffers.popleft()
                try:
                    n = reader.readinto(buffer[: length - received])
                except OSError:  # django's UnreadablePostError included: the client went away
                    n = 0
                if not n:
                    interrupted = True
                    buffers.append(buffer)
                    break
                chunk = buffer[:n]
                futures = [writer.submit(f.write, chunk)]
                if digest is not None:
                    futures.append(hasher.submit(digest.update, chunk))
                busy.append((buffer, futures))
                received += n
        finally:
            while busy:
                _settle(busy.popleft()[1])
    return Received(received, interrupted)


def _settle(futures: list[Future]) -> None:
    for future in futures:
        future.result()  # re-raises a write error


def hash_file_range(digest, path, start: int, end: int) -> None:
    """Feed ``digest`` the bytes [start, end) of the file at ``path``."""
    buffer = memoryview(bytearray(BUFFER_SIZE))
    fd = os.open(path, os.O_RDONLY)
    try:
        position = start
        while position < end:
            n = os.preadv(fd, [buffer[: min(BUFFER_SIZE, end - position)]], position)
            if n <= 0:
                raise OSError(f"{path}: ended at {position}, expected {end} bytes")
            digest.update(buffer[:n])
            position += n
    finally:
        os.close(fd)

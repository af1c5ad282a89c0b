"""Free TCP ports on the loopback interface, for the servers tests and benchmarks start."""

import socket


def free_ports(n: int) -> list[int]:
    """``n`` distinct ports free right now (all sockets held open together, so none repeats)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port() -> int:
    """One port free right now."""
    return free_ports(1)[0]

"""Ingest speed and memory: the blob store and a tus upload on loopback against a same-run baseline.

Usage: .venv/bin/python bench/ingest_bench.py [--size 1GiB] [--memory-size 4GiB] [--skip-memory]
                                             [--chunk-size 64MiB] [--repeat 3] [--dir DIR]

Everything lives in one temporary directory (under --dir, default the system's temp dir), so the
file, the copies and the store are on the same disk. In one run:

- baseline: ``openssl dgst -sha256 FILE`` then ``cp FILE DEST && sync``, timed as one (two passes);
- (a) store: ``LocalBlobStore.put`` of the file (one pass: hash + write + fsync + atomic link);
- (b) HTTP: the real server (gunicorn, as scripts/run starts it) on a temporary SQLite database
  and var dir, and the real tus client (tuspy) uploading the file; timed from the creation
  request to the last PATCH's answer, which comes after the server has put the upload into the
  store and recorded its completion; then, for information, the same upload from a client that
  costs almost no CPU (``sendfile`` on one keep-alive connection, :func:`lean_upload`);
- SM3 (issue 19, national algorithms beside SHA-256), for information: (c) the store's put
  with SM3 computed in the same pass (the stream hashed on its way in; what "SM3 at ingest"
  would cost), and (d) the job that computes it after ingest instead (records/sm3.py: one read
  of the stored blob, SHA-256 and SM3 together), which is what the platform does;
- memory, for a --memory-size file: the peak RSS (VmHWM) of the gunicorn workers during a tus
  upload of it, and the peak RSS (ru_maxrss) of a subprocess doing LocalBlobStore.put of it.

Each timing is taken --repeat times (5), alternating baseline, store and the two uploads; the
table gives the median and the best run of each, with their ratios to the baseline's median and
best.

Targets (issue 3): store ≤ 1.0x the baseline, HTTP ≤ 1.5x, peak memory < 200 MB.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from quancheng.lib.net import free_port

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, Timer, announce, machine_note, spread

MiB = 1024 * 1024
GiB = 1024 * MiB
# The store: <= 1.0 with a margin for the next machine (issue 21 point 5).
TARGETS = {"store": 0.95, "http": 1.5}
MEMORY_TARGET_MB = 200
WAIT_STEPS = 600  # × 0.1 s for the server to answer
_SIZE_RE = re.compile(r"(?i)^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)i?b?\s*$")
_UNITS = {"": 1, "k": 1024, "m": MiB, "g": GiB, "t": 1024 * GiB}

# Run in the server's environment by `manage.py shell -c`: an agency, an officer and a token.
_SETUP_SERVER = """
from quancheng.orgs.models import Agency, Role, User
from quancheng.orgs.seed import load_organisation
from quancheng.orgs.services import issue_api_token
load_organisation()
user = User.objects.create(username="bench", full_name="基准测试", role=Role.OFFICER,
                           agency=Agency.objects.get(code="d03-zf"))
secret = issue_api_token(user, user, "ingest bench")[1]
print("TOKEN", secret)
"""

# Run in a subprocess for the store's peak memory: put the file, print its hash.
_STORE_PUT = """
import sys
from quancheng.lib.blobstore.local import LocalBlobStore
with open(sys.argv[2], "rb") as f:
    print(LocalBlobStore(sys.argv[1]).put(f).sha256)
"""


PATHS = ("store", "http", "lean", "store_sm3", "sm3_job")


def parse_size(text: str) -> int:
    """'1GiB', '64M', '4g', '1048576' → bytes (binary units)."""
    m = _SIZE_RE.match(text)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 1GiB, 64MiB, 4096)")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def human(n: float) -> str:
    for unit, factor in (("GiB", GiB), ("MiB", MiB), ("KiB", 1024)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}" if n % factor else f"{n // factor:.0f} {unit}"
    return f"{n:.0f} B"


def make_file(path: Path, size: int) -> str:
    """A file of ``size`` random bytes, fsynced; return its SHA-256."""
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            chunk = os.urandom(min(16 * MiB, left))
            f.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
        f.flush()
        os.fsync(f.fileno())
    return digest.hexdigest()


def _sync() -> None:
    subprocess.run(["sync"], check=True)  # noqa: S607


def baseline(path: Path, dest: Path) -> float:
    """Seconds for `openssl dgst -sha256 FILE` + `cp FILE DEST && sync` (dest removed after)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is not on PATH")
    _sync()
    try:
        with Timer() as timer:
            digest = [openssl, "dgst", "-sha256", str(path)]
            subprocess.run(digest, check=True, capture_output=True)  # noqa: S603
            subprocess.run(["cp", str(path), str(dest)], check=True)  # noqa: S603, S607
            _sync()
    finally:
        dest.unlink(missing_ok=True)
    return timer.seconds


def store_put(path: Path, store_root: Path, expected: str) -> float:
    """Seconds for LocalBlobStore.put of the file into an empty store (removed after)."""
    from quancheng.lib.blobstore.local import LocalBlobStore

    _sync()
    try:
        with Timer() as timer, open(path, "rb") as f:
            info = LocalBlobStore(store_root).put(f)
        if info.sha256 != expected or not info.created:
            raise AssertionError(f"store put gave {info}, expected a new blob {expected}")
    finally:
        shutil.rmtree(store_root, ignore_errors=True)
    return timer.seconds


class _Sm3Tee(io.RawIOBase):
    """A file read through, feeding an SM3 hasher: a put of it computes SM3 in the ingest pass."""

    def __init__(self, raw):
        from quancheng.lib.gmcrypto import sm3

        self._raw = raw
        self.sm3 = sm3()

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._raw.readinto(b) or 0
        if n:
            with memoryview(b) as view:
                self.sm3.update(view[:n])
        return n


def store_put_with_sm3(path: Path, store_root: Path, expected: str) -> float:
    """(c) Seconds for LocalBlobStore.put hashing SM3 in the same pass (store removed after)."""
    from quancheng.lib.blobstore.local import LocalBlobStore

    _sync()
    try:
        with Timer() as timer, open(path, "rb", buffering=0) as f:
            tee = _Sm3Tee(f)
            info = LocalBlobStore(store_root).put(tee)
            tee.sm3.hexdigest()
        if info.sha256 != expected:
            raise AssertionError(f"store put gave {info}, expected {expected}")
    finally:
        shutil.rmtree(store_root, ignore_errors=True)
    return timer.seconds


def sm3_job(path: Path) -> float:
    """(d) Seconds for the after-ingest job's read of a stored blob: SHA-256 and SM3 together."""
    from quancheng.lib.gmcrypto import sm3

    with Timer() as timer, open(path, "rb") as f:
        sha, digest = hashlib.sha256(), sm3()
        while chunk := f.read(4 * MiB):
            sha.update(chunk)
            digest.update(chunk)
        digest.hexdigest()
    return timer.seconds


def store_peak_rss(path: Path, store_root: Path, expected: str) -> int:
    """Peak RSS in bytes of a subprocess that puts the file into an empty store."""
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", _STORE_PUT, str(store_root), str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    out = proc.stdout.read().decode()
    proc.stdout.close()
    # wait4 gives this child's own rusage (what RUSAGE_CHILDREN would sum with other children).
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    shutil.rmtree(store_root, ignore_errors=True)
    if proc.returncode != 0 or out.strip() != expected:
        raise AssertionError(f"store put subprocess failed ({proc.returncode}): {out!r}")
    return usage.ru_maxrss * 1024  # KiB on Linux


# --- the server ---------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """The direct children of ``pid`` (the gunicorn workers of the master)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class Server:
    """The web server as scripts/run starts it, on a temporary var dir: gunicorn (gthread,
    2 workers × 4 threads) on a Unix socket behind nginx (manage.py run_frontend), or gunicorn
    alone on the port when nginx is not installed or ``front=False``."""

    def __init__(self, var_dir: Path, log_path: Path, *, front: bool = True, env=None):
        self.var_dir = var_dir
        self.log_path = log_path
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("QC_")}
        self.env.update(
            QC_VAR_DIR=str(var_dir),
            QC_SECRET_KEY="ingest-bench-secret-key-not-for-production-0123456789",  # noqa: S106
            DJANGO_SETTINGS_MODULE="quancheng.settings",
            QC_LOG_LEVEL="WARNING",
        )
        self.env.update(env or {})
        from quancheng.lib.frontend import nginx_binary

        self.front = front and nginx_binary() is not None
        self.proc: subprocess.Popen | None = None
        self.front_proc: subprocess.Popen | None = None
        self.base = ""
        self.token = ""

    def _manage(self, *args: str) -> str:
        result = subprocess.run(  # noqa: S603
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def start(self) -> None:
        self._manage("migrate", "--noinput", "-v", "0")
        out = self._manage("shell", "-c", _SETUP_SERVER)
        self.token = next(line.split()[1] for line in out.splitlines() if line.startswith("TOKEN "))
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        # A Unix socket's path has at most 107 bytes: a deep temporary var dir is too long.
        self._socket_dir = Path(tempfile.mkdtemp(prefix="qc-sock-"))
        socket_path = self._socket_dir / "gunicorn.sock"
        bind = f"unix:{socket_path}" if self.front else f"127.0.0.1:{port}"
        self.proc = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                *("-m", "gunicorn", "quancheng.wsgi", "--bind", bind),
                *("--config", "python:quancheng.gunicorn_conf"),  # the head limits
                *("--worker-class", "gthread", "--workers", "2", "--threads", "4"),
                "--no-control-socket",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        import requests

        if self.front:
            for _ in range(WAIT_STEPS):
                if socket_path.exists() or self.proc.poll() is not None:
                    break
                time.sleep(0.1)
            self.front_proc = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    str(ROOT / "manage.py"),
                    *("run_frontend", "--listen", f"127.0.0.1:{port}"),
                    *("--upstream", str(socket_path)),
                ],
                env=self.env,
                cwd=ROOT,
                stdout=self._log,
                stderr=subprocess.STDOUT,
            )
        for _ in range(WAIT_STEPS):
            if self.proc.poll() is not None:
                break
            if self.front_proc is not None and self.front_proc.poll() is not None:
                break
            try:
                r = requests.options(f"{self.base}/api/v1/uploads/", headers=self.auth, timeout=5)
            except (requests.ConnectionError, requests.Timeout):  # not listening, or booting
                time.sleep(0.1)
                continue
            if r.status_code == 204 and len(self.workers()) == 2:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not start:\n{self.log_path.read_text()[-3000:]}")

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def workers(self) -> list[int]:
        return _children(self.proc.pid) if self.proc else []

    def reset_peaks(self) -> bool:
        """Reset the workers' VmHWM (echo 5 > /proc/PID/clear_refs); False if not allowed."""
        try:
            for pid in self.workers():
                Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def peak_rss(self) -> int:
        """The largest VmHWM of the workers, in bytes."""
        return max(_status_kib(pid, "VmHWM") for pid in self.workers()) * 1024

    def stop(self) -> None:
        if self.front_proc is not None:
            self.front_proc.terminate()
            self.front_proc.wait(timeout=30)
            self.front_proc = None
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
            self.proc = None
            self._log.close()
            shutil.rmtree(self._socket_dir, ignore_errors=True)


def tus_upload(server: Server, path: Path, expected: str, chunk_size: int) -> float:
    """Seconds from the tus creation request to the completed upload; checks the stored hash."""
    import requests
    from tusclient import client as tus_client

    client = tus_client.TusClient(f"{server.base}/api/v1/uploads/", headers=server.auth)
    _sync()
    with Timer() as timer:
        uploader = client.uploader(
            file_path=str(path), chunk_size=chunk_size, metadata={"filename": path.name}
        )
        uploader.upload()
    state = requests.get(uploader.url, headers=server.auth, timeout=60).json()
    if state["status"] != "complete" or state["sha256"] != expected:
        raise AssertionError(f"upload ended as {state}, expected sha256 {expected}")
    blob = server.var_dir / "blobs" / expected[:2] / expected[2:4] / expected
    blob.unlink()  # the next upload of other bytes should not find it; frees the disk
    return timer.seconds


def lean_upload(server: Server, path: Path, expected: str, chunk_size: int) -> float:
    """The same tus upload from a client that costs almost no CPU, for comparison with tuspy.

    tuspy reads each chunk into a new bytes object and sends it through requests on a new
    connection: about a CPU-second per GiB, on the same two cores as the server. This client
    sends the same PATCHes on one keep-alive connection with ``sendfile`` (the file's pages go
    to the socket without passing through the process), so its time is nearly all the server's.
    """
    import requests

    size = path.stat().st_size
    url = urlsplit(server.base)
    _sync()
    with Timer() as timer:
        created = requests.post(
            f"{server.base}/api/v1/uploads/",
            headers={
                **server.auth,
                "Tus-Resumable": "1.0.0",
                "Upload-Length": str(size),
                "Upload-Metadata": "filename " + base64.b64encode(path.name.encode()).decode(),
            },
            timeout=60,
        )
        created.raise_for_status()
        target = urlsplit(created.headers["Location"]).path
        with (
            # Blocking (no timeout): sendfile on a socket with a timeout stops at EAGAIN.
            socket.create_connection((url.hostname, url.port)) as sock,
            open(path, "rb") as f,
        ):
            offset, pending = 0, b""
            while offset < size:
                n = min(chunk_size, size - offset)
                head = (
                    f"PATCH {target} HTTP/1.1\r\nHost: {url.hostname}\r\n"
                    f"Authorization: {server.auth['Authorization']}\r\nTus-Resumable: 1.0.0\r\n"
                    "Content-Type: application/offset+octet-stream\r\n"
                    f"Upload-Offset: {offset}\r\nContent-Length: {n}\r\n\r\n"
                )
                sock.sendall(head.encode())
                sent = 0
                while sent < n:
                    sent += os.sendfile(sock.fileno(), f.fileno(), offset + sent, n - sent)
                offset += n
                status, pending = _read_response(sock, pending)
                if status != 204:
                    raise AssertionError(f"PATCH at {offset - n} answered {status}")
    state = requests.get(f"{server.base}{target}", headers=server.auth, timeout=60).json()
    if state["status"] != "complete" or state["sha256"] != expected:
        raise AssertionError(f"upload ended as {state}, expected sha256 {expected}")
    blob = server.var_dir / "blobs" / expected[:2] / expected[2:4] / expected
    blob.unlink()
    return timer.seconds


def _read_response(sock, pending: bytes) -> tuple[int, bytes]:
    """The status of the next HTTP response on ``sock`` and what was received after it."""
    while b"\r\n\r\n" not in pending:
        more = sock.recv(65536)
        if not more:
            raise ConnectionError("the server closed the connection")
        pending += more
    head, _, pending = pending.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    while len(pending) < length:
        pending += sock.recv(65536)
    return int(lines[0].split()[1]), pending[length:]


# --- the run ------------------------------------------------------------------------------------


def run(
    size: int,
    memory_size: int | None,
    chunk_size: int = 64 * MiB,
    directory: str | None = None,
    repeat: int = 5,
    front: bool = True,
    paths: tuple[str, ...] = PATHS,
) -> dict:
    """Measure everything; ``memory_size`` None skips the memory part. Returns the figures.

    Each timing is taken ``repeat`` times; the figures are the medians and the best runs (the
    machine is shared: the best run is the one least disturbed by others).
    """
    work = Path(tempfile.mkdtemp(prefix="qc_bench_ingest_", dir=directory))
    server = Server(work / "var", work / "server.log", front=front)
    try:
        load = [os.getloadavg()]
        source = work / "ingest.bin"
        sha = make_file(source, size)
        timings = {
            "store": lambda: store_put(source, work / "store", sha),
            "http": lambda: tus_upload(server, source, sha, chunk_size),
            "lean": lambda: lean_upload(server, source, sha, chunk_size),
            "store_sm3": lambda: store_put_with_sm3(source, work / "store", sha),
            "sm3_job": lambda: sm3_job(source),
        }
        times: dict[str, list[float]] = {"baseline": [], **{key: [] for key in paths}}
        if {"http", "lean"} & set(paths) or memory_size is not None:
            server.start()
        load.append(os.getloadavg())
        for _ in range(repeat):  # alternated, so that a busy moment of the machine hits all
            times["baseline"].append(baseline(source, work / "copy.bin"))
            for key in paths:
                times[key].append(timings[key]())
        load.append(os.getloadavg())
        source.unlink()
        result = {
            "size": size,
            "chunk_size": chunk_size,
            "repeat": repeat,
            "times": times,
            **{f"{key}_s": statistics.median(values) for key, values in times.items()},
            **{f"{key}_best_s": min(values) for key, values in times.items()},
            "memory": None,
        }
        if memory_size is not None:
            big = work / "memory.bin"
            big_sha = make_file(big, memory_size)
            reset = server.reset_peaks()
            tus_upload(server, big, big_sha, chunk_size)
            result["memory"] = {
                "size": memory_size,
                "server_peak": server.peak_rss(),
                "server_peak_reset": reset,
                "store_peak": store_peak_rss(big, work / "store-memory", big_sha),
            }
            load.append(os.getloadavg())
        result["load"] = load
        return result
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def check_disk(directory: str | None, size: int, memory_size: int | None) -> str | None:
    """Why the run would not fit on the disk, or None. Peak use: a file, a copy or two, a blob."""
    free = shutil.disk_usage(directory or tempfile.gettempdir()).free
    need = max(2 * size, 3 * (memory_size or 0)) + GiB
    if free < need:
        return (
            f"{human(free)} free under {directory or tempfile.gettempdir()}, {human(need)} needed"
        )
    return None


def _runs(values: list[float]) -> str:
    return "[" + " ".join(f"{v:.2f}" for v in values) + "]"


def report(r: dict) -> str:
    base, base_best = r["baseline_s"], r["baseline_best_s"]
    mb = r["size"] / 1e6
    lines = [
        f"ingest_bench: {human(r['size'])} of random bytes, tus chunks of "
        f"{human(r['chunk_size'])}, {r['repeat']} runs each: median and best",
        f"{'path':<56} {'median s':>8} {'MB/s':>5} {'ratio':>5} {'best s':>6} {'ratio':>5} "
        f"{'target':>6}",
        f"{'baseline: openssl dgst -sha256 + cp + sync (two passes)':<56} {base:>8.2f} "
        f"{mb / base:>5.0f} {1:>5.2f} {base_best:>6.2f} {1:>5.2f} {'':>6}",
    ]
    for key, label in (
        ("store", "(a) LocalBlobStore.put (hash + write + fsync + link)"),
        ("http", "(b) tus upload on loopback (tuspy), creation → stored"),
        ("lean", "    same, from a sendfile client (information only)"),
        ("store_sm3", "(c) put with SM3 in the same pass (information)"),
        ("sm3_job", "(d) SM3 job after ingest: SHA-256 + SM3 of the blob"),
    ):
        if key not in r["times"]:
            continue
        seconds, best = r[f"{key}_s"], r[f"{key}_best_s"]
        ratio, best_ratio = seconds / base, best / base_best
        target, verdict = "", ""
        if key in TARGETS:
            target = "≤ " + format(TARGETS[key], ".2f")
            verdict = ("ok" if ratio <= TARGETS[key] else "MISSED") + " (median)"
        lines.append(
            f"{label:<56} {seconds:>8.2f} {mb / seconds:>5.0f} {ratio:>5.2f} {best:>6.2f} "
            f"{best_ratio:>5.2f} {target:>6} {verdict}"
        )
    for key in ("baseline", "store", "http", "lean", "store_sm3", "sm3_job"):
        if key in r["times"]:
            lines.append(f"  all runs, {key}: {_runs(r['times'][key])}")
            lines.append(f"    {spread(r['times'][key], ' s')}")
    memory = r["memory"]
    if memory is None:
        lines.append("peak memory: skipped (--skip-memory)")
    else:
        lines.append(
            f"peak memory for a {human(memory['size'])} file (target < {MEMORY_TARGET_MB} MB):"
        )
        for key, label in (
            ("server_peak", "gunicorn worker during the tus upload (VmHWM)"),
            ("store_peak", "subprocess doing LocalBlobStore.put (ru_maxrss)"),
        ):
            mbytes = memory[key] / 1e6
            verdict = "ok" if mbytes < MEMORY_TARGET_MB else "MISSED"
            lines.append(f"  {label:<56} {mbytes:>6.0f} MB {verdict}")
        if not memory["server_peak_reset"]:
            lines.append("  (the workers' VmHWM could not be reset: it covers their whole life)")
    loads = " / ".join(f"{one:.1f}" for one, _, _ in r["load"])
    lines.append(f"{os.cpu_count()} CPUs; 1-minute load average at each step: {loads}")
    lines.append(machine_note())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=GiB, help="file size (1GiB)")
    parser.add_argument(
        "--memory-size", type=parse_size, default=4 * GiB, help="file for peak memory (4GiB)"
    )
    parser.add_argument("--skip-memory", action="store_true", help="skip the peak memory part")
    parser.add_argument("--chunk-size", type=parse_size, default=64 * MiB, help="tus chunk (64MiB)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each timing (5)")
    parser.add_argument("--dir", default=None, help="where the temporary directory goes")
    parser.add_argument(
        "--no-front", action="store_true", help="gunicorn alone, without nginx in front"
    )
    parser.add_argument(
        "--paths",
        nargs="+",
        choices=PATHS,
        default=list(PATHS),
        help="what to time against the baseline (all; e.g. --paths store --skip-memory)",
    )
    args = parser.parse_args(argv)
    announce("bench ingest")
    if min(args.size, args.memory_size, args.chunk_size, args.repeat) < 1:
        parser.error("sizes must be positive")
    memory_size = None if args.skip_memory else args.memory_size
    if problem := check_disk(args.dir, args.size, memory_size):
        if memory_size is None or check_disk(args.dir, args.size, None):
            parser.error(f"not enough disk: {problem}")
        print(f"not enough disk for the memory part ({problem}): skipping it", file=sys.stderr)
        memory_size = None
    print(
        report(
            run(
                args.size,
                memory_size,
                args.chunk_size,
                args.dir,
                args.repeat,
                not args.no_front,
                tuple(args.paths),
            )
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""docs/deployment.md, performed on loopback: the blocks marked ``deploy-check`` are run.

A :class:`Site` stands for one installation in a temporary directory. The documented paths
(``/etc/quancheng``, ``/var/lib/quancheng``, ``/srv/...``), addresses (``10.0.0.5``,
``db.internal``, ``127.0.0.1:8000``), ports and placeholder secrets are replaced with the
directory, loopback, free ports, a fresh PostgreSQL database and random secrets; nothing else of
a block is changed, so a documented step that does not work fails here. Steps only root may take
on a real machine (``chown``, ``sudo -u postgres``) are adapted: ``chown`` is skipped, and the
database commands run as the ``postgres`` role over TCP to 127.0.0.1.

Used by ``scripts/deploy-check`` (:mod:`quancheng.tests_deploy.deploy_check`) and by the
multi-server test (``test_cluster.py``). Not a test module: nothing here imports pytest.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from quancheng.lib.net import free_port

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "deployment.md"
VENV_BIN = Path(sys.executable).parent
HOST = "zf.wsjkw.cq.gov.cn"  # the documented site name, sent as Host to nginx and gunicorn
AGENCY = "d03-zf"
PASSWORDS = {"admin01": "Deploy-check-admin-2026!", "zhangwei": "Deploy-check-officer-2026!"}
START_TIMEOUT = 90.0  # seconds for a process to answer; each wait below is bounded
STOP_TIMEOUT = 20.0
# The documented SeaweedFS ports, each replaced by a free one.
WEED_PORTS = (9333, 19333, 8080, 18080, 8888, 18888, 8333, 18333, 23646, 33646)

_BLOCK_RE = re.compile(r"<!-- deploy-check: (\S+) -->\s*```[a-z]*\n(.*?)```", re.DOTALL)


class StepFailed(RuntimeError):
    pass


def doc_blocks(path: Path = DOC) -> dict[str, str]:
    """The marked blocks of the deployment page, by name."""
    found = {}
    for name, body in _BLOCK_RE.findall(path.read_text()):
        if name in found:
            raise StepFailed(f"{path}: block {name!r} marked twice")
        found[name] = body
    return found


def exec_start(unit: str) -> str:
    """The ExecStart command of a systemd unit, continuation lines joined."""
    joined = unit.replace("\\\n", " ")
    for line in joined.splitlines():
        if line.startswith("ExecStart="):
            return line.removeprefix("ExecStart=")
    raise StepFailed("unit without ExecStart")


def shell_lines(block: str) -> list[str]:
    lines = block.replace("\\\n", " ").splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def wait_for(what: str, ready: Callable[[], bool], proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StepFailed(f"{what} exited with {proc.returncode}")
        try:
            if ready():
                return
        except Exception:  # connection refused while it starts  # noqa: S110
            pass
        time.sleep(0.2)
    raise StepFailed(f"{what} did not become ready within {START_TIMEOUT:.0f} s")


@dataclass
class Site:
    base: Path
    say: Callable[[str], None] = print
    db: str = field(default_factory=lambda: f"qc_deploycheck_{secrets.token_hex(4)}")
    db_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    s3_secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    ports: dict[int, int] = field(default_factory=dict)
    web_ports: dict[str, int] = field(default_factory=dict)
    bucket: str = "quancheng"

    def __post_init__(self):
        self.blocks = doc_blocks()
        self.ports = {p: free_port() for p in WEED_PORTS}
        self.logs = self.base / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    # --- substitution ------------------------------------------------------------------------

    @property
    def role(self) -> str:
        return self.db

    @property
    def db_host(self) -> str:
        env = self.psql_env()
        return f"{env['PGHOST']}:{env['PGPORT']}"

    def path(self, documented: str) -> Path:
        return Path(self.sub(documented))

    def sub(self, text: str) -> str:
        """The documented text with this site's paths, addresses, ports and secrets."""
        text = text.replace("/srv/quancheng/app/.venv/bin/", f"{VENV_BIN}/")
        text = text.replace("/srv/seaweedfs/venv/bin/", f"{VENV_BIN}/")
        text = re.sub(r"(?<![\w/.])\.venv/bin/", f"{VENV_BIN}/", text)
        text = text.replace("/srv/quancheng/app", str(REPO))
        for documented in ("/srv/seaweedfs", "/etc/quancheng", "/etc/seaweedfs", "/etc/ssl"):
            text = text.replace(documented, str(self.base) + documented)
        text = text.replace("/var/lib/quancheng", str(self.base / "var"))
        text = text.replace(
            "postgres://quancheng:CHANGE-ME@db.internal:5432/quancheng",
            f"postgres://{self.role}:{self.db_password}@{self.db_host}/{self.db}",
        )
        text = text.replace("CHANGE-ME-S3", self.s3_secret)
        text = text.replace("'CHANGE-ME'", f"'{self.db_password}'")
        text = text.replace("10.0.0.5", "127.0.0.1")
        for documented_port, port in self.ports.items():
            text = re.sub(rf"([=:]){documented_port}\b", rf"\g<1>{port}", text)
        return text

    # --- running -----------------------------------------------------------------------------

    def run(self, command: str, *, env: dict | None = None, timeout: float = 600) -> str:
        self.say(f"  $ {command}")
        result = subprocess.run(  # noqa: S603 - commands of our own documentation
            ["/bin/bash", "-euo", "pipefail", "-c", command],
            cwd=REPO,
            env=env if env is not None else self.process_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise StepFailed(f"{command}\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
        return result.stdout

    def process_env(self, **extra: str) -> dict[str, str]:
        """What systemd gives a unit: a plain environment plus the env file."""
        env = {
            "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.base),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.update(self.env)
        env.update(extra)
        return env

    def start(self, name: str, command: str, **extra: str) -> subprocess.Popen:
        self.say(f"  start {name}: {command}")
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - kept open by the child
        proc = subprocess.Popen(  # noqa: S603 - commands of our own documentation
            shlex.split(command),
            cwd=REPO,
            env=self.process_env(**extra),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs[name] = proc
        return proc

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT)

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def psql_env(self) -> dict[str, str]:
        """libpq's variables for the PostgreSQL administrator (``sudo -u postgres`` in the doc)."""
        admin = urlsplit(
            os.environ.get("QC_TEST_POSTGRES_URL") or "postgres://postgres@127.0.0.1:5432/"
        )
        env = self.process_env(
            PGHOST=admin.hostname or "127.0.0.1",
            PGPORT=str(admin.port or 5432),
            PGUSER=admin.username or "postgres",
        )
        if admin.password:
            env["PGPASSWORD"] = admin.password
        return env

    def sql(self, query: str) -> str:
        """One query's result as the platform's role sees it (unaligned, tuples only)."""
        env = self.process_env(PGPASSWORD=self.db_password)
        host, port = self.db_host.rsplit(":", 1)
        return self.run(
            f"psql -h {host} -p {port} -U {self.role} -d {self.db} -tA -c {shlex.quote(query)}",
            env=env,
        ).strip()

    def manage(self, *args: str, timeout: float = 600, **extra: str) -> str:
        command = " ".join([sys.executable, "manage.py", *map(shlex.quote, args)])
        return self.run(command, env=self.process_env(**extra), timeout=timeout)

    # --- the documented steps ----------------------------------------------------------------

    def database(self) -> None:
        self.say("2. database and service user")
        for line in shell_lines(self.blocks["database"]):
            line = line.removeprefix("sudo -u postgres ")
            line = line.replace("ROLE quancheng ", f"ROLE {self.role} ")
            line = re.sub(
                r"--owner quancheng (.*) quancheng$", rf"--owner {self.role} \1 {self.db}", line
            )
            self.run(self.sub(line), env=self.psql_env())

    def seaweedfs(self) -> None:
        self.say("3. SeaweedFS with Object Lock")
        config = self.path("/etc/seaweedfs/s3.json")
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(self.sub(self.blocks["s3-identities"]))
        config.chmod(0o640)
        json.loads(config.read_text())  # the documented file is valid JSON
        self.path("/srv/seaweedfs/data").mkdir(parents=True, mode=0o750, exist_ok=True)
        command = self.sub(exec_start(self.blocks["seaweedfs"]))
        proc = self.start("seaweedfs", command)
        client = self.s3_client()
        wait_for("SeaweedFS S3", lambda: client.list_buckets() is not None, proc)

    def s3_client(self):
        from quancheng.lib.blobstore.s3 import make_client

        return make_client(
            endpoint_url=f"http://127.0.0.1:{self.ports[8333]}",
            region="us-east-1",
            access_key_id="quancheng",
            secret_access_key=self.s3_secret,
        )

    def directories_and_keys(self) -> None:
        self.say("4. data directory, keys and the env file")
        for documented in ("/var/lib/quancheng", "/etc/quancheng"):
            self.path(documented).mkdir(parents=True, mode=0o750, exist_ok=True)
        for line in shell_lines(self.blocks["keys"]):
            if line.startswith("chown "):
                continue  # root only; the files are this user's here
            self.run(self.sub(line), env=self.process_env())
        env_file = self.path("/etc/quancheng/env")
        env_file.write_text(self.sub(self.blocks["env"]))
        env_file.chmod(0o640)
        self.env = self.load_env_file(env_file)

    def load_env_file(self, path: Path) -> dict[str, str]:
        """The variables as a shell reads the file (``set -a; . file``), the documented way."""
        dump_environ = "import json, os; print(json.dumps(dict(os.environ)))"
        dump = self.run(
            f"set -a; . {shlex.quote(str(path))}; set +a; "
            f"{shlex.quote(sys.executable)} -c {shlex.quote(dump_environ)}",
            env={"PATH": "/usr/bin:/bin"},
        )
        loaded = json.loads(dump)
        names = re.findall(r"^([A-Z_][A-Z0-9_]*)=", path.read_text(), re.MULTILINE)
        missing = [n for n in names if n not in loaded]
        if missing:
            raise StepFailed(f"env file: not set after loading: {missing}")
        return {n: loaded[n] for n in names}

    def check(self) -> None:
        self.say("5. check --deploy")
        for line in shell_lines(self.blocks["check"]):
            if line.startswith("set -a"):
                continue  # done: self.env is the loaded file
            out = self.run(self.sub(line))
            if "no issues" not in out:
                raise StepFailed(f"check --deploy: {out}")

    def initialise(self) -> None:
        self.say("6. database, store, reference data, first people")
        for line in shell_lines(self.blocks["initialise"]):
            self.run(self.sub(line))
        p12_password = secrets.token_urlsafe(12)
        self.make_agency_certificate(p12_password)
        for line in shell_lines(self.blocks["certificates"]):
            self.run(self.sub(line), env=self.process_env(QC_P12_PASSWORD=p12_password))
        for line in shell_lines(self.blocks["people"]):
            username = shlex.split(line)[3]
            self.run(self.sub(line), env=self.process_env(QC_PASSWORD=PASSWORDS[username]))

    def make_agency_certificate(self, password: str) -> None:
        """What the agency's CA issues: a CA certificate and the agency's PKCS#12 file."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import pkcs12
        from cryptography.x509.oid import NameOID

        def name(cn: str) -> x509.Name:
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = (
            x509.CertificateBuilder()
            .subject_name(name("deploy-check CA"))
            .issuer_name(name("deploy-check CA"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name("渝中区卫生健康综合行政执法支队"))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=730))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                critical=True,
            )
            .sign(ca_key, hashes.SHA256())
        )
        certs = self.path("/etc/quancheng/certs")
        certs.mkdir(mode=0o750, exist_ok=True)
        (certs / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        p12 = pkcs12.serialize_key_and_certificates(
            b"d03-zf",
            key,
            cert,
            [ca],
            serialization.BestAvailableEncryption(password.encode()),
        )
        (certs / f"{AGENCY}.p12").write_bytes(p12)

    def web(self, name: str = "web", workers: int | None = None, **extra: str) -> int:
        """The web unit's command on a free port; the port once it answers.

        ``workers`` sizes gunicorn for the machine, as the page says (loopback "machines" share
        two cores here).
        """
        port = free_port()
        command = self.sub(exec_start(self.blocks["web"])).replace(
            "127.0.0.1:8000", f"127.0.0.1:{port}"
        )
        if workers is not None:
            command = re.sub(r"--workers \d+", f"--workers {workers}", command)
        proc = self.start(name, command, **extra)
        import requests

        wait_for(
            name,
            lambda: (
                requests.get(
                    f"http://127.0.0.1:{port}/login/",
                    headers={"Host": HOST, "X-Forwarded-Proto": "https"},
                    timeout=5,
                ).status_code
                == 200
            ),
            proc,
        )
        self.web_ports[name] = port
        return port

    def worker(self, number: int, **extra: str) -> subprocess.Popen:
        command = self.sub(exec_start(self.blocks["worker"]))
        command = command.replace("%H-%i", f"{socket.gethostname()}-{number}")
        return self.start(f"worker-{number}", command, **extra)

    def scheduler(self) -> subprocess.Popen:
        return self.start("scheduler", self.sub(exec_start(self.blocks["scheduler"])))

    def nginx(self, upstream_port: int) -> int:
        """nginx with the documented server blocks, unprivileged; the https port."""
        self.say("8. nginx")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise StepFailed("nginx not installed (apt-get install nginx)")
        ssl = self.path("/etc/ssl/quancheng")
        ssl.mkdir(parents=True, exist_ok=True)
        self.run(
            f"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
            f"-subj /CN={HOST} -keyout {ssl}/privkey.pem -out {ssl}/fullchain.pem"
        )
        http_port, https_port = free_port(), free_port()
        server = self.sub(self.blocks["nginx"])
        server = server.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        server = server.replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
        server = server.replace("127.0.0.1:8000", f"127.0.0.1:{upstream_port}")
        if _nginx_version(nginx) < (1, 25, 1):  # Debian 12: no "http2 on;" yet
            server = server.replace("    http2 on;\n", "").replace(
                f"127.0.0.1:{https_port} ssl;", f"127.0.0.1:{https_port} ssl http2;"
            )
        prefix = self.base / "nginx"
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / temp).mkdir(parents=True, exist_ok=True)
        conf = prefix / "nginx.conf"
        conf.write_text(
            f"pid {prefix}/nginx.pid;\n"
            f"error_log {self.logs}/nginx-error.log;\n"
            "events {}\n"
            "http {\n"
            f"  access_log {self.logs}/nginx-access.log;\n"
            f"  client_body_temp_path {prefix}/body;\n"
            f"  proxy_temp_path {prefix}/proxy;\n"
            f"  fastcgi_temp_path {prefix}/fastcgi;\n"
            f"  uwsgi_temp_path {prefix}/uwsgi;\n"
            f"  scgi_temp_path {prefix}/scgi;\n"
            f"{self.blocks['nginx-http']}\n"
            f"{server}\n"
            "}\n"
        )
        self.run(f"{nginx} -t -e {self.logs}/nginx-error.log -p {prefix} -c {conf}")
        proc = self.start(
            "nginx",
            f"{nginx} -e {self.logs}/nginx-error.log -p {prefix} -c {conf} -g 'daemon off;'",
        )
        wait_for("nginx", lambda: _connects(https_port), proc)
        return https_port

    def install(self) -> None:
        """Sections 2 to 6: everything before the processes start."""
        self.database()
        self.seaweedfs()
        self.directories_and_keys()
        self.check()
        self.initialise()

    def teardown(self) -> None:
        for name in list(self.procs):
            self.stop(name)
        subprocess.run(  # noqa: S603 - fixed commands
            ["/usr/bin/dropdb", "--if-exists", "--force", self.db],
            env=self.psql_env(),
            capture_output=True,
            check=False,
        )
        subprocess.run(  # noqa: S603
            ["/usr/bin/dropuser", "--if-exists", self.role],
            env=self.psql_env(),
            capture_output=True,
            check=False,
        )


def _nginx_version(nginx: str) -> tuple[int, ...]:
    out = subprocess.run(  # noqa: S603 - nginx -v
        [nginx, "-v"], capture_output=True, text=True, check=False
    ).stderr
    match = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(g) for g in match.groups()) if match else (0,)


def _connects(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        return True

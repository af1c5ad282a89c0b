"""Two real instances: a district platform's log witnessed by the city's platform.

Each instance is its own ``manage.py runserver`` process with its own QC_VAR_DIR, SQLite
database, ledger origin and signing key. The district's checkpoints are cosigned by the city over
HTTP (C2SP tlog-witness); then a forked district log (another database with the same origin and
key) is refused with 422 and a rolled-back one (the database restored from an earlier copy) is
refused too, each with an alert on both sides.

pytest-django's live_server is not used: its teardown deletes rows the ledger's triggers protect.
"""

import base64
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from quancheng.demo import DEMO_PASSWORD
from quancheng.lib import note
from quancheng.lib.net import free_port
from quancheng.witness import cosignature

ROOT = Path(__file__).resolve().parents[3]
WAIT_STEPS = 300  # × 0.1 s: every wait is bounded
CITY_ORIGIN = "city.example/ledger"
DISTRICT_ORIGIN = "yuzhong.example/ledger"
WITNESS_NAME = CITY_ORIGIN + "/witness"


def run(env, *args, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check:
        assert result.returncode == 0, (
            f"manage.py {args[0]}: {result.stdout}{result.stderr[-3000:]}"
        )
    return result


def query(env, code: str):
    """Run Python in the instance (``manage.py shell``) and return the JSON it prints."""
    out = run(env, "shell", "-c", code).stdout
    return json.loads(out.strip().splitlines()[-1])


def log_events(env, count: int) -> None:
    run(
        env,
        "shell",
        "-c",
        "from django.db import transaction\n"
        "from quancheng.ledger.actions import Action\n"
        "from quancheng.ledger.services import record_event\n"
        "with transaction.atomic():\n"
        f"    for i in range({count}):\n"
        "        record_event(None, Action.JOB_RETRIED, None, {'i': i}, object_type='test')\n",
    )


def instance_env(tmp: Path, name: str, origin: str, key: Ed25519PrivateKey, **extra) -> dict:
    var = tmp / name
    var.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QC_")}
    seed = key.private_bytes_raw()
    env.update(
        QC_VAR_DIR=str(var),
        QC_DATABASE_URL=f"sqlite:///{var / 'db.sqlite3'}",
        QC_LEDGER_ORIGIN=origin,
        QC_SIGNING_KEY=base64.b64encode(seed).decode(),
        QC_SECRET_KEY=f"witness-two-instances-{name}-secret-key-not-for-production-0123456789",
        DJANGO_SETTINGS_MODULE="quancheng.settings",
        QC_LOG_LEVEL="WARNING",
        **extra,
    )
    return env


class Server:
    def __init__(self, env, log_path: Path):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.base = f"http://{self.address}"
        self.log_path = log_path
        self.env = env
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed by stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "runserver",
                f"127.0.0.1:{self.port}",
                "--noreload",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait(self):
        for _ in range(WAIT_STEPS):
            if self.proc.poll() is not None:
                break
            try:
                requests.get(f"{self.base}/login/", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        pytest.fail(f"runserver did not start: {self.log_path.read_text()[-2000:]}")

    def login(self, username: str) -> requests.Session:
        session = requests.Session()
        page = session.get(f"{self.base}/login/", timeout=10)
        assert page.status_code == 200, page.text[:500]
        response = session.post(
            f"{self.base}/login/",
            data={
                "username": username,
                "password": DEMO_PASSWORD,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            timeout=10,
        )
        assert response.status_code == 200 and "/login/" not in response.url, response.text[:500]
        return session

    def stop(self):
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def instances(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("witness-two")
    city_key, district_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    # The city cosigns with a key of its own, never its ledger key (signed-note: a key SHOULD
    # NOT be reused across signature types).
    cosigning_key = Ed25519PrivateKey.generate()
    city = instance_env(
        tmp,
        "city",
        CITY_ORIGIN,
        city_key,
        QC_WITNESS_KEY=base64.b64encode(cosigning_key.private_bytes_raw()).decode(),
    )
    city_server = Server(city, tmp / "city.log")
    witness_vkey = cosignature.witness_vkey(WITNESS_NAME, cosigning_key.public_key())
    witnesses = f"{WITNESS_NAME} {witness_vkey} {city_server.base}/witness"
    # The district submits from a task run right after each checkpoint (immediate backend).
    district = instance_env(
        tmp,
        "district",
        DISTRICT_ORIGIN,
        district_key,
        QC_WITNESSES=witnesses,
        QC_TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend",
    )
    district_server = Server(district, tmp / "district.log")
    try:
        for env in (city, district):
            run(env, "migrate", "--noinput")
            run(env, "seed_demo", "--small")
            run(env, "collectstatic", "--noinput")  # the pages need the static manifest
        city_server.start()
        district_server.start()
        city_server.wait()
        district_server.wait()
        yield {
            "tmp": tmp,
            "city": city,
            "district": district,
            "city_server": city_server,
            "district_server": district_server,
            "district_vkey": note.verifier_key(DISTRICT_ORIGIN, district_key.public_key()),
            "witness_vkey": witness_vkey,
            "witnesses": witnesses,
        }
    finally:
        city_server.stop()
        district_server.stop()


def latest_cosigned(server) -> str:
    session = server.login("wangfang")
    response = session.get(f"{server.base}/witness/checkpoint", timeout=10)
    assert response.status_code == 200
    return response.text


def check_cosigned(text: str, instances) -> tuple[int, int]:
    """(tree size, cosignature time) of a note signed by the district, cosigned by the city."""
    checkpoint = note.verify_checkpoint(text, instances["district_vkey"], DISTRICT_ORIGIN)
    body, lines = cosignature.split_note(text)
    found = cosignature.verify_cosignatures(body, lines, instances["witness_vkey"])
    return checkpoint.size, found.timestamp


def witness_state(instances) -> dict:
    return query(
        instances["city"],
        "import json\n"
        "from quancheng.witness.models import WitnessedLog\n"
        f"log = WitnessedLog.objects.get(origin='{DISTRICT_ORIGIN}')\n"
        "print(json.dumps({'size': log.latest_size, 'root': log.latest_root,\n"
        "  'agency': log.agency.code, 'observations': [[o.status, o.reason]\n"
        "  for o in log.observations.order_by('pk')]}))",
    )


def alerts(env, kind: str) -> list:
    return query(
        env,
        "import json\n"
        "from quancheng.alerts.models import Alert\n"
        f"print(json.dumps([[a.severity, a.title, a.agency.code if a.agency else None]\n"
        f"  for a in Alert.objects.filter(kind='{kind}')]))",
    )


def copy_database(src: Path, dst: Path) -> None:
    with sqlite3.connect(src) as source, sqlite3.connect(dst) as target:
        source.backup(target)


def test_a_district_log_witnessed_by_the_city_then_forked_and_rolled_back(instances):
    city, district = instances["city"], instances["district"]
    city_server, district_server = instances["city_server"], instances["district_server"]

    # 1. The city's administrator registers the district's log; the command prints the
    # witness's own vkey, which the district configures.
    out = run(
        city, "witness_add_log", DISTRICT_ORIGIN, instances["district_vkey"], "--agency", "d03-zf"
    ).stdout
    assert instances["witness_vkey"] in out

    # 2. A checkpoint on the district is cosigned by the city at once (the queued task).
    run(district, "ledger_checkpoint")
    first_size, _ = check_cosigned(latest_cosigned(district_server), instances)
    assert witness_state(instances)["size"] == first_size
    rollback_copy = instances["tmp"] / "rollback.sqlite3"
    copy_database(Path(district["QC_VAR_DIR"]) / "db.sqlite3", rollback_copy)

    # 3. More events (some through the district's server), another checkpoint, and the
    # witness_submit command: the city cosigns the extension with a consistency proof.
    log_events(district, 40)
    run(district, "ledger_checkpoint")
    assert "nothing to submit" in run(district, "witness_submit").stdout
    second_size, _ = check_cosigned(latest_cosigned(district_server), instances)
    assert second_size > first_size + 40
    state = witness_state(instances)
    assert state["size"] == second_size and state["agency"] == "d03-zf"
    assert [status for status, _ in state["observations"]] == [200, 200]
    # The city's page shows the district's log and its witnessed size.
    page = city_server.login("sunli").get(f"{city_server.base}/witness/", timeout=10).text
    assert DISTRICT_ORIGIN in page and str(second_size) in page
    page = district_server.login("wangfang").get(f"{district_server.base}/witness/", timeout=10)
    assert WITNESS_NAME in page.text and "已联署" in page.text

    # 4. A fork: another database with the same origin and key, a different history longer
    # than what the city cosigned. The city refuses with 422; both sides raise an alert.
    fork = instance_env(
        instances["tmp"],
        "fork",
        DISTRICT_ORIGIN,
        Ed25519PrivateKey.generate(),
        QC_WITNESSES=instances["witnesses"],
    )
    fork["QC_SIGNING_KEY"] = district["QC_SIGNING_KEY"]
    run(fork, "migrate", "--noinput")
    log_events(fork, second_size + 10)
    run(fork, "ledger_checkpoint")
    result = run(fork, "witness_submit", check=False)
    assert result.returncode != 0
    assert "refused (422)" in result.stdout, result.stdout + result.stderr
    state = witness_state(instances)
    assert state["size"] == second_size  # the witness did not move
    assert state["observations"][-2][0] == 409  # old 0: told the witnessed size
    assert state["observations"][-1][0] == 422
    [city_alert] = alerts(city, "witness.inconsistent")
    assert city_alert[0] == "critical" and city_alert[2] == "d03-zf"
    [fork_alert] = alerts(fork, "witness.refused")
    assert fork_alert[0] == "critical" and "422" in fork_alert[1]
    # The district's custodian sees the city's alert on the city's alerts page.
    page = city_server.login("wangfang").get(f"{city_server.base}/alerts/", timeout=10).text
    assert city_alert[1] in page

    # 5. A rollback: the district's database restored from the copy taken after the first
    # checkpoint, a few events, a smaller checkpoint. Refused, with an alert on both sides.
    rolled = instance_env(
        instances["tmp"],
        "rolled",
        DISTRICT_ORIGIN,
        Ed25519PrivateKey.generate(),
        QC_WITNESSES=instances["witnesses"],
    )
    rolled["QC_SIGNING_KEY"] = district["QC_SIGNING_KEY"]
    copy_database(rollback_copy, Path(rolled["QC_VAR_DIR"]) / "db.sqlite3")
    log_events(rolled, 5)
    run(rolled, "ledger_checkpoint")
    result = run(rolled, "witness_submit", check=False)
    assert result.returncode != 0
    assert "rolled back" in result.stdout, result.stdout + result.stderr
    state = witness_state(instances)
    assert state["size"] == second_size
    status, reason = state["observations"][-1]
    assert status == 409 and reason.startswith("rollback")
    assert alerts(city, "witness.inconsistent")  # the open alert for this log (deduplicated)
    [rolled_alert] = alerts(rolled, "witness.refused")
    assert rolled_alert[0] == "critical" and str(second_size) in rolled_alert[1]
    refusals = query(
        city,
        "import json\nfrom quancheng.ledger.models import Event\n"
        "print(json.dumps([e.body for e in Event.objects.filter(action='witness.refused')]))",
    )
    assert any('"status":422' in body for body in refusals)
    assert any("rollback" in body for body in refusals)

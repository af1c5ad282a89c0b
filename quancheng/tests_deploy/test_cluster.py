"""More than one server (issue 16, point 6): two web servers and two workers on one PostgreSQL
and one S3 store, started on loopback as docs/deployment.md's section 10 describes.

One cluster for the whole module (installing it is the expensive part): the documented install
(:class:`~quancheng.tests_deploy.site.Site`), then two gunicorns, each with its own
``QC_VAR_DIR`` but the shared ``QC_UPLOAD_DIR`` and the same key files, and two workers. Every
wait is bounded; nothing listens beyond 127.0.0.1. Skipped without PostgreSQL or nginx's
neighbours (weed, psql), which CI installs.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import io
import json
import os
import re
import shutil
import signal
import uuid

import pytest
import requests
from tusclient import client as tus_client

from quancheng.conftest import machine_clock
from quancheng.tests_deploy.site import HOST, PASSWORDS, Site, StepFailed, wait_for

MiB = 1024 * 1024
FINALISATIONS = 50
REQUEST_TIMEOUT = 1200  # a hang guard per request: 50 finalisations queue on a loaded machine
LEASE_SECONDS = 5


def _postgres_available() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return shutil.which("psql") is not None
    except OSError:
        return False


# The PostgreSQL pass only (the cluster makes its own database; the SQLite pass would repeat it).
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.real_clock("the cluster's processes and SeaweedFS keep the machine's clock"),
    pytest.mark.skipif(not _postgres_available(), reason="needs PostgreSQL and psql"),
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    base = tmp_path_factory.mktemp("cluster")
    site = Site(base, say=lambda line: None)
    # The module's fixture starts before the tests' real_clock block: SeaweedFS refuses S3
    # requests signed on a moved clock (QC_TEST_CLOCK), so the install runs on the machine's.
    clock = machine_clock()
    clock.__enter__()
    try:
        site.install()
        site.run(
            site.sub(
                ".venv/bin/python manage.py create_person lina --name 李娜 --agency d03-zf "
                "--role officer --certificate-number 50010320002 "
                "--certificate-valid-from 2025-01-01 --certificate-valid-until 2030-12-31"
            ),
            env=site.process_env(QC_PASSWORD=PASSWORDS["zhangwei"]),
        )
        # Section 10: uploads on a shared filesystem; the rest of QC_VAR_DIR per machine. A load
        # balancer in front sends X-Forwarded-Proto; the test talks to each machine directly.
        shared = base / "shared-uploads"
        shared.mkdir()
        site.env.update(QC_UPLOAD_DIR=str(shared), QC_ALLOWED_HOSTS=f"{HOST},127.0.0.1")
        # The first machine is the installed one; the second has its own data directory, with
        # the static files collectstatic made (a copy: the same command, the same result).
        second = base / "var-2"
        shutil.copytree(site.path("/var/lib/quancheng") / "static", second / "static")
        ports = [site.web("web-1", 2), site.web("web-2", 2, QC_VAR_DIR=str(second))]
        for number in (1, 2):
            # A short lease, so that a killed worker's job is taken over within seconds.
            site.worker(number, QC_JOB_LEASE_SECONDS=str(LEASE_SECONDS))
        yield site, [f"http://127.0.0.1:{port}" for port in ports]
    except StepFailed as e:
        logs = "\n".join(f"--- {name}\n{site.log_tail(name)}" for name in site.procs)
        pytest.fail(f"{e}\n{logs}")
    finally:
        site.teardown()
        clock.__exit__(None, None, None)


def _proxy_headers() -> dict[str, str]:
    return {"X-Forwarded-Proto": "https"}


def _token(site: Site) -> str:
    out = site.manage(
        "issue_api_token", "--user", "zhangwei", "--name", "cluster", "--by", "admin01"
    )
    return out.strip().splitlines()[-1]


def test_a_tus_upload_started_on_one_server_resumes_on_the_other(cluster):
    site, (one, two) = cluster
    headers = {"Authorization": f"Bearer {_token(site)}", **_proxy_headers()}
    data = os.urandom(3 * MiB + 17)

    client = tus_client.TusClient(f"{one}/api/v1/uploads/", headers=headers)
    creating = client.uploader(
        file_stream=io.BytesIO(data), chunk_size=MiB, metadata={"filename": "a.mp4"}
    )
    # The Location names the https site the proxy serves; here each machine is reached directly.
    path = "/" + creating.create_url().split("://", 1)[1].split("/", 1)[1]
    first = client.uploader(file_stream=io.BytesIO(data), chunk_size=MiB, url=one + path)
    first.upload_chunk()  # one chunk on the first server: then the client goes elsewhere
    assert first.offset == MiB
    second = tus_client.TusClient(f"{two}/api/v1/uploads/", headers=headers).uploader(
        file_stream=io.BytesIO(data), chunk_size=MiB, url=two + path
    )
    assert second.offset == MiB  # the second server sees the first one's bytes
    second.upload()

    upload_id = uuid.UUID(path.rstrip("/").rsplit("/", 1)[-1])
    row = site.sql(f"select status, sha256 from records_upload where id = '{upload_id}'")  # noqa: S608
    assert row == f"complete|{hashlib.sha256(data).hexdigest()}"


def _request(method: str, url: str, cookies: dict, **kwargs) -> requests.Response:
    """One request with the session's cookies sent explicitly: they are Secure (QC_HTTPS), and
    a cookie jar would keep them from the plain http the test speaks to each machine."""
    with requests.Session() as session:
        session.trust_env = False
        answer = session.request(
            method,
            url,
            cookies=cookies,
            headers={**_proxy_headers(), "Referer": url.replace("http://", "https://", 1)},
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
            **kwargs,
        )
    cookies.update(requests.utils.dict_from_cookiejar(answer.cookies))
    return answer


def _csrf(page: requests.Response) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


def _login(base: str) -> dict:
    """The cookies of 张伟 logged in on ``base``."""
    cookies: dict = {}
    page = _request("GET", f"{base}/login/", cookies)
    data = {"csrfmiddlewaretoken": _csrf(page), "username": "zhangwei"}
    answer = _request(
        "POST", f"{base}/login/", cookies, data=data | {"password": PASSWORDS["zhangwei"]}
    )
    assert answer.status_code == 302, answer.text[:500]
    return cookies


def _finalise(cookies: dict, base: str, draft_id: int) -> str:
    """Finalise on the page; where it redirects (the act's checklist when it worked)."""
    url = f"{base}/documents/drafts/{draft_id}/"
    mine = dict(cookies)  # each thread its own copy: the threads share the login
    page = _request("GET", url, mine)
    # 定稿 is irreversible: the first POST only shows what it will do, the second confirms it.
    asked = _request("POST", f"{url}finalise/", mine, data={"csrfmiddlewaretoken": _csrf(page)})
    assert asked.status_code == 200, asked.text[:500]
    found = re.search(r'name="confirm" value="([^"]+)"', asked.text)
    assert found is not None, asked.text[:500]
    token = found.group(1)
    data = {"csrfmiddlewaretoken": _csrf(asked), "confirm": token}
    answer = _request("POST", f"{url}finalise/", mine, data=data)
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def test_concurrent_finalisations_across_both_servers_get_consecutive_numbers(cluster):
    site, bases = cluster
    out = site.manage(
        "shell",
        "-c",
        f"from quancheng.tests_deploy.cluster_setup import main; main({FINALISATIONS})",
        timeout=REQUEST_TIMEOUT * 2,  # 150 signatures, each stored and recorded
    )
    drafts = json.loads(out.strip().splitlines()[-1])
    cookies = {base: _login(base) for base in bases}

    with concurrent.futures.ThreadPoolExecutor(max_workers=FINALISATIONS) as pool:
        jobs = [
            pool.submit(_finalise, cookies[bases[i % 2]], bases[i % 2], draft)
            for i, draft in enumerate(drafts)
        ]
        targets = [job.result() for job in jobs]

    # Finalising ends on the act's checklist of what is still needed (issue 18).
    assert all(re.match(r"/acts/\d+/#next-steps$", t) for t in targets), targets
    numbers = site.sql("select number from records_document where number <> ''").splitlines()
    assert len(numbers) == FINALISATIONS
    # 现场笔录 carries an 编号 (2026—001) since the national forms; a 文号 ends 〔2026〕001号.
    serials = sorted(int(re.search(r"(\d+)号?$", n).group(1)) for n in numbers)
    assert serials == list(range(serials[0], serials[0] + FINALISATIONS)), numbers


def test_the_ledger_keeps_one_head(cluster):
    site, _ = cluster
    # One statement, one snapshot: the integrator binds events and moves the head in one
    # transaction, but keeps integrating (workers' events) between two separate queries.
    row = site.sql(
        "select (select count(*) from ledger_ledgerhead), (select max(seq) from ledger_ledgerhead),"
        " count(*), min(seq), max(seq) from ledger_event"
    )
    count, last, total, first, highest = row.split("|")
    assert count == "1"
    assert (first, highest, last) == ("1", total, total)
    site.manage("verify_ledger")  # exits non-zero on any break in the chain or the tree


def test_a_job_taken_by_a_worker_that_is_killed_is_finished_by_the_other(cluster, tmp_path):
    site, _ = cluster
    folder = tmp_path / "job"
    folder.mkdir()
    os.mkfifo(folder / "never-written")  # the first attempt blocks on it until its worker dies
    enqueue = (
        "from quancheng.tests_deploy.tasks import block_first_attempt; "
        f"print(block_first_attempt.enqueue({str(folder)!r}).id)"
    )
    task_id = uuid.UUID(site.manage("shell", "-c", enqueue).strip().splitlines()[-1])
    attempts = folder / "attempts"
    wait_for("a worker to take the job", lambda: attempts.exists())
    [taker] = [n for n, p in site.procs.items() if str(p.pid) == attempts.read_text().strip()]

    site.stop(taker, signal.SIGKILL)

    wait_for("the other worker to finish the job", lambda: (folder / "done").exists())
    other = next(p for n, p in site.procs.items() if n.startswith("worker-") and n != taker)
    assert (folder / "done").read_text() == str(other.pid)
    assert len(attempts.read_text().split()) == 2
    query = f"select status from django_tasks_database_dbtaskresult where id = '{task_id}'"  # noqa: S608
    wait_for("the task to be marked finished", lambda: site.sql(query) == "SUCCESSFUL")
    jobs = f"select action from ledger_event where object_type = 'job' and object_id = '{task_id}'"  # noqa: S608
    # The event is staged with the retry and integrated after its commit (docs/ledger.md).
    wait_for("the retry's ledger event", lambda: site.sql(jobs).split() == ["job.retried"])

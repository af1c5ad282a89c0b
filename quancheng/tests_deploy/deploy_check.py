"""scripts/deploy-check: install Quancheng as docs/deployment.md says, on loopback, and use it.

Performs the page's marked steps (see :mod:`quancheng.tests_deploy.site`) in a temporary
directory against a fresh PostgreSQL database (``postgres`` role on 127.0.0.1:5432) and a
SeaweedFS started from the documented unit, starts gunicorn, a worker, the scheduler and nginx
as the units and the server block say, and then, through nginx over TLS:

* logs in as the first real person created by ``create_person`` (no demo data exists);
* uploads a file with the tus client tuspy, with an API token issued by the city administrator;
* checks that the stored object is locked: deleting it through the S3 API is refused;
* waits for the scheduler's first checkpoint job to be run by the worker (bounded);
* verifies the ledger with ``manage.py verify_ledger``.

Exit status 0 and a last line ``deploy-check: OK`` when everything worked. Everything it started
is stopped and its database dropped at the end; ``--keep`` keeps the directory (logs).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import secrets
import shutil
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path

from quancheng.tests_deploy.site import (
    AGENCY,
    HOST,
    PASSWORDS,
    START_TIMEOUT,
    Site,
    StepFailed,
)

UPLOAD_SIZE = 1024 * 1024 + 4321


def resolve_site_name(ports: dict[int, int]) -> None:
    """Make this process resolve the documented site name to loopback, as /etc/hosts would.

    The platform answers absolute URLs built from the Host header (tus's Location), so the
    client must reach ``https://zf.wsjkw.cq.gov.cn/`` itself; its ports 443 and 80 are mapped to
    the ones nginx listens on here.
    """
    original = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == HOST:
            host, port = "127.0.0.1", ports.get(int(port or 443), port)
        return original(host, port, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def login(base: str):
    import requests

    session = requests.Session()
    session.trust_env = False  # no CA bundle or proxy from the environment: nginx's own cert
    session.verify = False
    page = session.get(f"{base}/login/", timeout=30)
    if page.status_code != 200:
        raise StepFailed(f"login page: {page.status_code}")
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if found is None:
        raise StepFailed("login page: no CSRF token")
    token = found.group(1)
    answer = session.post(
        f"{base}/login/",
        data={
            "csrfmiddlewaretoken": token,
            "username": "zhangwei",
            "password": PASSWORDS["zhangwei"],
            "next": "/",
        },
        headers={"Referer": f"{base}/login/"},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302:
        raise StepFailed(f"login refused: {answer.status_code} {answer.text[:500]}")
    home = session.get(f"{base}/", timeout=30)
    if home.status_code != 200 or "张伟" not in home.text:
        raise StepFailed(f"home page after login: {home.status_code}")
    return session


def upload(site: Site, base: str) -> str:
    """A tus upload through nginx; the SHA-256 of the stored blob."""
    from tusclient import client as tus_client

    secret = site.manage(
        "issue_api_token", "--user", "zhangwei", "--name", "deploy-check", "--by", "admin01"
    )
    secret = secret.strip().splitlines()[-1]
    data = os.urandom(UPLOAD_SIZE)
    client = tus_client.TusClient(
        f"{base}/api/v1/uploads/", headers={"Authorization": f"Bearer {secret}"}
    )
    uploader = client.uploader(
        file_stream=io.BytesIO(data),
        chunk_size=256 * 1024,
        metadata={"filename": "deploy-check.mp4"},
        verify_tls_cert=False,
    )
    uploader.upload()
    if uploader.url is None:
        raise StepFailed("tus upload: the server gave no upload address")
    upload_id = uploader.url.rstrip("/").rsplit("/", 1)[-1]
    uuid.UUID(upload_id)  # a UUID, nothing else, goes into the query
    row = site.sql(f"select status, sha256 from records_upload where id = '{upload_id}'")  # noqa: S608
    status, sha256 = row.split("|")
    if status != "complete":
        raise StepFailed(f"upload {upload_id}: {status}")
    import hashlib

    if sha256 != hashlib.sha256(data).hexdigest():
        raise StepFailed("the stored upload has another hash than the file sent")
    return sha256


def refuse_deletion(site: Site, sha256: str) -> None:
    from botocore.exceptions import ClientError

    client = site.s3_client()
    key = f"blobs/{sha256}"
    versions = client.list_object_versions(Bucket=site.bucket, Prefix=key).get("Versions") or []
    if not versions:
        raise StepFailed(f"{key} is not in the bucket")
    for version in versions:
        try:
            client.delete_object(Bucket=site.bucket, Key=key, VersionId=version["VersionId"])
        except ClientError as e:
            if e.response["Error"]["Code"] != "AccessDenied":
                raise
        else:
            raise StepFailed(f"{key} version {version['VersionId']} could be deleted")


def wait_for_checkpoint(site: Site) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if int(site.sql("select count(*) from ledger_checkpoint")) > 0:
            return
        time.sleep(0.5)
    raise StepFailed(
        "no ledger checkpoint: the scheduler's job was not run by a worker\n"
        + site.log_tail("scheduler")
        + "\n"
        + site.log_tail("worker-1")
    )


def check(base_dir: Path, say=print) -> None:
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    site = Site(base_dir, say=say)
    try:
        site.install()
        say("7. processes")
        web_port = site.web()
        site.worker(1)
        site.scheduler()
        https_port = site.nginx(web_port)
        resolve_site_name({443: https_port})
        base = f"https://{HOST}"
        say("using it: login, upload, locked object, scheduled job, ledger")
        login(base)
        sha256 = upload(site, base)
        refuse_deletion(site, sha256)
        wait_for_checkpoint(site)
        certificates = site.sql(
            "select count(*) from documents_agencycertificate c join orgs_agency a"  # noqa: S608
            f" on a.id = c.agency_id where a.code = '{AGENCY}'"
        )
        if certificates == "0":
            raise StepFailed("the agency certificate was not imported")
        site.manage("verify_ledger")
    except StepFailed:
        for name in list(site.procs):
            say(f"--- {name} log ---\n{site.log_tail(name)}")
        raise
    finally:
        site.teardown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deploy-check", description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quancheng.settings")
    base = Path(tempfile.mkdtemp(prefix=f"deploy-check-{secrets.token_hex(2)}-"))
    started = time.monotonic()

    def say(line: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {line}", flush=True)

    try:
        check(base, say)
    except StepFailed as e:
        print(f"deploy-check: FAILED\n{e}", file=sys.stderr)
        print(f"(files kept in {base})", file=sys.stderr)
        return 1
    if args.keep:
        print(f"(files kept in {base})")
    else:
        shutil.rmtree(base, ignore_errors=True)
    print("deploy-check: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())

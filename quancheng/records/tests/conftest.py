import secrets

import pytest
from django.test import Client

from quancheng.orgs.models import ApiToken

PREFIX = "/api/v1/uploads/"
TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"


class Tus:
    """A tus client over Django's test client: every call carries a bearer token."""

    def __init__(self, secret: str | None, client: Client | None = None):
        self.secret = secret
        self.client = client or Client()

    def headers(self, extra=None, tus=True):
        h = dict(TUS) if tus else {}
        if self.secret:
            h["Authorization"] = f"Bearer {self.secret}"
        h.update(extra or {})
        return h

    def options(self, path=PREFIX):
        return self.client.options(path, headers=self.headers(tus=False))

    def create(self, length, metadata=None, headers=None):
        h = {"Upload-Length": str(length)}
        if metadata is not None:
            h["Upload-Metadata"] = metadata
        h.update(headers or {})
        return self.client.generic("POST", PREFIX, b"", headers=self.headers(h))

    def head(self, url, headers=None):
        return self.client.head(url, headers=self.headers(headers))

    def get(self, url):
        return self.client.get(url, headers=self.headers(tus=False))

    def patch(self, url, data: bytes, offset, content_type="application/offset+octet-stream", **h):
        headers = {"Upload-Offset": str(offset), **h}
        return self.client.patch(
            url, data, content_type=content_type, headers=self.headers(headers)
        )

    def delete(self, url, headers=None):
        return self.client.delete(url, headers=self.headers(headers))


def make_token(user) -> str:
    secret = f"qc_test-{user.username}-{secrets.token_urlsafe(8)}"
    ApiToken.objects.create(
        name=f"{user.username} 测试终端",
        user=user,
        token_hash=ApiToken.hash_secret(secret),
        prefix=secret[:10],
        created_by=user,
    )
    return secret


@pytest.fixture
def tus_as(db):
    return lambda user: Tus(make_token(user))


# --- segment times (test_segment_times.py, test_segment_time_pages.py) -----------------------


@pytest.fixture
def scene_act(officer, colleague, agency, subject):
    """An inspection from 09:30 to 10:00 (Beijing) on the ingest scene's day."""
    from .ingest_scene import bj, make_act

    return make_act(officer, agency, [officer, colleague], subject, bj(9, 30), minutes=30)


@pytest.fixture
def cam(custodian, agency, officer):
    """The officer's body camera."""
    from .ingest_scene import camera
    from .upload_scene import SERIAL

    return camera(custodian, agency, SERIAL, officer=officer)


@pytest.fixture
def untimed(officer, scene_act):
    """An uploaded segment of the act whose file carries no time."""
    from .upload_scene import untimed_clip, upload_segment

    return upload_segment(officer, scene_act, untimed_clip(), "phone.mp4")

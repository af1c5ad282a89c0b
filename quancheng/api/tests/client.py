"""API test helpers: a client that sends a bearer token, and counts of what a request wrote.

The ``api_as`` fixture (a client with a fresh token of a person) is in quancheng/conftest.py."""

from django.test import Client

from quancheng.cases.models import Act, Case
from quancheng.ledger.models import Event
from quancheng.subjects.models import Subject

PREFIX = "/api/v1"


class Api:
    """The terminal's view of the API: every call carries `Authorization: Bearer <secret>`."""

    def __init__(self, secret: str | None, client: Client | None = None):
        self.secret = secret
        self.client = client or Client()

    def _headers(self):
        return {"Authorization": f"Bearer {self.secret}"} if self.secret else {}

    def get(self, path, params=None):
        return self.client.get(PREFIX + path, params or {}, headers=self._headers())

    def post(self, path, body=None):
        return self.client.post(
            PREFIX + path, body or {}, content_type="application/json", headers=self._headers()
        )

    def patch(self, path, body=None):
        return self.client.patch(
            PREFIX + path, body or {}, content_type="application/json", headers=self._headers()
        )


def counts() -> dict[str, int]:
    return {
        "subjects": Subject.objects.count(),
        "acts": Act.objects.count(),
        "cases": Case.objects.count(),
        "events": Event.objects.count(),
    }


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    return body

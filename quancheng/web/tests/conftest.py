"""Page test helpers: static files without collectstatic, and counts of what a request wrote."""

import pytest

from quancheng.cases.models import Act, Case
from quancheng.ledger.models import Event
from quancheng.subjects.models import Subject


@pytest.fixture(autouse=True)
def _static_without_manifest(settings):
    # The pages link static files; tests run without collectstatic's manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def counts() -> dict[str, int]:
    return {
        "subjects": Subject.objects.count(),
        "acts": Act.objects.count(),
        "cases": Case.objects.count(),
        "events": Event.objects.count(),
    }


def text(response) -> str:
    return response.content.decode()

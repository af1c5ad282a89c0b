"""Page test helpers: static files without collectstatic, counts of what a request wrote, and the
authorization matrix's world (matrix_world.py)."""

import pytest

from quancheng.cases.models import Act, Case
from quancheng.conftest import make_person
from quancheng.ledger.models import Event
from quancheng.subjects.models import Subject
from quancheng.web.tests.matrix_world import World


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


@pytest.fixture
def world(agency, other_agency, subject, officer, colleague, custodian, head, commission,
          outsider, city_admin, auditor, system_admin, security_admin, audit_admin, settings,
          tmp_path):  # fmt: skip
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    persons = {
        "officer": officer,
        "uninvolved": make_person("wangqiang", "王强", agency),
        "custodian": custodian,
        "head": head,
        "auditor": auditor,
        "commission": commission,
        "city_admin": city_admin,
        "outsider": outsider,
        "system_admin": system_admin,
        "security_admin": security_admin,
        "audit_admin": audit_admin,
    }
    return World(agency, other_agency, subject, officer, colleague, persons, tmp_path)

"""Custodians assembling at the same moment (PostgreSQL): one dossier per case, numbers without
gaps or duplicates."""

import os
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from quancheng.archive import dossiers
from quancheng.archive.models import Dossier

from .dossier_scene import act_of, closed_case, hours

PARALLEL = 8

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("QC_DATABASE_URL", "").startswith("postgres"),
        # Skipped before the fixtures run: a transactional test's flush would meet SQLite's
        # append-only ledger triggers.
        reason="concurrent assembly needs PostgreSQL (SQLite serialises writers itself)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _store(settings, tmp_path):
    settings.VAR_DIR = str(tmp_path)
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"


def run_together(calls):
    start = threading.Barrier(len(calls))
    results, failures = [], []

    def run(call):
        try:
            start.wait()
            results.append(call())
        except Exception as e:
            failures.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, failures


def test_one_case_assembled_at_once_gets_one_dossier(officer, colleague, subject, custodian):
    assert connection.vendor == "postgresql"
    scene = closed_case(officer, colleague, subject)
    results, failures = run_together(
        [lambda: dossiers.assemble_dossier(custodian, case=scene.case)] * PARALLEL
    )
    assert len(results) == 1
    assert len(failures) == PARALLEL - 1
    assert all(isinstance(e, ValidationError) for e in failures), failures
    assert all("不能重复组卷" in e.messages[0] for e in failures)
    assert Dossier.objects.get().number == f"渝中档〔{timezone.localdate().year}〕1号"


def test_dossiers_assembled_at_once_get_consecutive_numbers(officer, colleague, subject, custodian):
    acts = [
        act_of(officer, colleague, subject, "inspection", hours(2 * n)) for n in range(PARALLEL)
    ]
    _results, failures = run_together(
        [lambda act=act: dossiers.assemble_dossier(custodian, act=act) for act in acts]
    )
    assert failures == []
    year = timezone.localdate().year
    assert sorted(Dossier.objects.values_list("number", flat=True)) == sorted(
        f"渝中档〔{year}〕{n}号" for n in range(1, PARALLEL + 1)
    )

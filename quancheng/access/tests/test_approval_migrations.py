"""The abstract Approval model's migrations keep every request and decision as it was."""

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from quancheng.access.models import Extraction
from quancheng.archive.models import Dossier, RetentionClass, Transfer

BEFORE = [("access", "0007_redacted_copy"), ("archive", "0011_delete_retention_policy")]
AFTER = [
    ("access", "0008_extraction_approval_fields"),
    ("archive", "0012_transfer_approval_fields"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _values(model, pk):
    return model.objects.filter(pk=pk).values(
        "requested_by", "requested_at", "decided_by", "decided_at", "decision_note"
    )[0]


# Skipped before its fixtures run: on SQLite they would write ledger rows that the transactional
# test's flush cannot delete (the append-only trigger; PostgreSQL truncates), and every later
# transactional test of the pass would then fail on the leftover rows.
@pytest.mark.postgres
@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="migrating back and forth in a test needs PostgreSQL (SQLite migrates only outside a "
    "transaction)",
)
@pytest.mark.django_db(transaction=True)
def test_the_migrations_keep_requests_and_decisions(act, case, officer, custodian, head):
    extraction = Extraction.objects.create(
        agency=act.agency,
        requested_by=officer,
        purpose="法院调取",
        act=act,
        status=Extraction.Status.REFUSED,
        decided_by=head,
        decided_at=timezone.now(),
        decision_note="材料不全",
    )
    dossier = Dossier.objects.create(
        agency=act.agency,
        case=case,
        kind=Dossier.Kind.PENALTY_GENERAL,
        title="案卷",
        retention_class=RetentionClass.Y30,
        custodian=custodian,
    )
    transfer = Transfer.objects.create(
        agency=act.agency, dossier=dossier, recipient="区档案馆", requested_by=custodian
    )
    before = (_values(Extraction, extraction.pk), _values(Transfer, transfer.pk))
    old = _migrate(BEFORE)
    assert _values(old.get_model("access", "Extraction"), extraction.pk) == before[0]
    assert _values(old.get_model("archive", "Transfer"), transfer.pk) == before[1]
    new = _migrate(AFTER)
    assert _values(new.get_model("access", "Extraction"), extraction.pk) == before[0]
    assert _values(new.get_model("archive", "Transfer"), transfer.pk) == before[1]
    assert before[0]["decision_note"] == "材料不全" and before[0]["decided_by"] == head.pk
    assert before[1]["requested_by"] == custodian.pk and before[1]["decided_by"] is None

"""The migration-time proof that stored entries are reproduced by RFC 8785 (ledger 0007)."""

import hashlib
import importlib
import json
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection, transaction

from quancheng.ledger.actions import Action
from quancheng.ledger.fields import to_digest
from quancheng.ledger.models import Event, event_entry
from quancheng.ledger.services import record_event
from quancheng.ledger.tests.tamper import sql, triggers_off

check = importlib.import_module("quancheng.ledger.migrations.0007_entries_are_jcs")

pytestmark = pytest.mark.django_db

# The old encoder sorted keys by code point: U+FB33 before the emoji (U+1F600). JCS sorts by
# UTF-16 code units: the emoji's high surrogate D83D before FB33.
OLD_ORDER_BODY = '{"\ufb33":2,"\U0001f600":1}'


def run_check():
    check.check_entries(apps, SimpleNamespace(connection=connection))


def record(body):
    with transaction.atomic():
        record_event(None, Action.JOB_RETRIED, body=body, object_type="test", object_id="1")
    return Event.objects.order_by("-seq").first()


def test_entries_written_now_pass():
    record({"\U0001f600": 1, "\ufb33": 2, "名称": "现场笔录"})
    run_check()


def test_an_entry_in_the_old_key_order_stops_the_migration():
    event = record({"\U0001f600": 1, "\ufb33": 2})
    assert event.body != OLD_ORDER_BODY  # written in JCS order now
    # What the old encoder would have stored: its body and the hash over its entry.
    old = event_entry(event) | {"body": OLD_ORDER_BODY}
    old_hash = hashlib.sha256(
        json.dumps(old, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    with triggers_off():
        sql(
            "UPDATE ledger_event SET body = %s, hash = %s WHERE seq = %s",
            [OLD_ORDER_BODY, to_digest(old_hash), event.seq],
        )
    with pytest.raises(RuntimeError, match=f"#{event.seq}"):
        run_check()

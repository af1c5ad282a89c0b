"""Prove that every stored entry is unchanged under RFC 8785 (JCS) canonical JSON.

Canonical JSON moved from our own encoder to the `rfc8785` package. The two differ only for keys
outside the Basic Multilingual Plane (JCS sorts by UTF-16 code units, ours sorted by code point)
and for integers beyond ±(2**53 − 1), which JCS refuses. This migration re-encodes each stored
event's body and entry with `rfc8785` and stops with the event's number if any byte would differ,
so a deployment never carries entries whose hashes the documented scheme cannot reproduce.
Nothing is written.
"""

import hashlib
import json

import rfc8785
from django.db import migrations

from quancheng.ledger.models import event_entry


def check_entries(apps, schema_editor):
    Event = apps.get_model("ledger", "Event")
    for event in (
        Event.objects.using(schema_editor.connection.alias)
        .order_by("seq")
        .iterator(chunk_size=2000)
    ):
        body_ok = rfc8785.dumps(json.loads(event.body)).decode() == event.body
        entry_hash = hashlib.sha256(rfc8785.dumps(event_entry(event))).hexdigest()
        if not body_ok or entry_hash != event.hash:
            raise RuntimeError(
                f"ledger event #{event.seq} is not reproduced by RFC 8785 canonical JSON; "
                "do not migrate: keep the previous release and report it"
            )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_staged_events")]

    operations = [migrations.RunPython(check_entries, migrations.RunPython.noop, elidable=True)]

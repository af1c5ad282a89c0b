"""One event builder (issue 17): record_event, the integrator and the bulk append build an
event's content, entry bytes and hash in ``ledger/entry.py``, and nothing outside the ledger
builds them."""

from __future__ import annotations

import ast
import datetime as dt
import pathlib

import pytest
from django.db import transaction

import quancheng
from quancheng.ledger import entry
from quancheng.ledger.actions import Action
from quancheng.ledger.bulk import EventSpec, append_events
from quancheng.ledger.models import Event
from quancheng.ledger.services import record_event

ROOT = pathlib.Path(quancheng.__file__).parent
REPO = ROOT.parent
# Writers of ledger rows: only the ledger constructs them.
LEDGER_ROWS = {"Event", "StagedEvent", "SubtreeHash", "LedgerHead"}
# An entry's keys; a dict literal holding these is an entry built by hand.
ENTRY_KEYS = {"seq", "prev", "action", "object_id"}
# Verifiers that are independent of the platform on purpose, so they build an entry themselves:
# the offline verifier (no Django, what a court's technician runs) and the benchmark's plain
# verifier (the baseline ``verify_ledger`` is measured against). Neither writes an event.
INDEPENDENT_VERIFIERS = {"quancheng/offline/verify_bundle.py", "bench/ledger_proofs.py"}


class _Rollback(Exception):
    pass


@pytest.mark.django_db
def test_the_bulk_path_and_record_event_write_the_same_entry_bytes(officer):
    body = {"名称": "演示", "n": 1, "list": [1, "二", None, True]}
    try:
        with transaction.atomic():
            record_event(officer, Action.SUBJECT_UPDATED, officer, body, agency=officer.agency)
            one = Event.objects.order_by("-seq").first()
            raise _Rollback
    except _Rollback:
        pass
    spec = EventSpec(
        Action.SUBJECT_UPDATED, "orgs.user", str(officer.pk), body, officer, officer.agency_id
    )
    spec.time = one.time
    with transaction.atomic():
        append_events([spec])
    bulk = Event.objects.order_by("-seq").first()
    assert bulk.seq == one.seq
    assert bulk.entry_bytes() == one.entry_bytes()
    assert bulk.hash == one.hash


def test_a_plain_string_is_refused_even_when_the_catalogue_holds_it():
    for action in ("case.created", "test.anything"):
        with pytest.raises(TypeError):
            entry.build_content(None, action, object_type="cases.case", object_id="1")
        with pytest.raises(TypeError):
            record_event(None, action, object_type="cases.case", object_id="1")
    assert entry.require_action(Action("case.created")) is Action.CASE_CREATED


def test_the_template_of_the_view_filler_is_the_builders_bytes():
    at = dt.datetime(2026, 6, 15, 4, 0, 0, 123456, tzinfo=dt.UTC)
    content = entry.content_of(
        at, "张伟", 3, Action.SEGMENT_VIEWED, "records.segment", "42", '{"via":"x"}'
    )
    a, b, c, d, e = entry.entry_template(content)
    filled = b"".join((a, b"42", b, b"ab" * 32, c, b"7", d, entry.utc_stamp(at).encode(), e))
    assert filled == entry.entry_bytes(content, 7, "ab" * 32)


def test_stamps_of_every_shape_agree():
    aware = dt.datetime(2026, 12, 31, 17, 30, tzinfo=dt.UTC)
    beijing = aware.astimezone(dt.timezone(dt.timedelta(hours=8)))
    naive = aware.replace(tzinfo=None)
    stamps = {entry.utc_stamp(v) for v in (aware, beijing, naive, aware.isoformat())}
    assert stamps == {"2026-12-31T17:30:00.000000Z"}


def _modules():
    paths = [*ROOT.rglob("*.py"), *(REPO / "bench").glob("*.py")]
    for path in sorted(paths):
        rel = path.relative_to(REPO)
        parts = set(rel.parts)
        if {"tests", "migrations"} & parts or path.name.startswith(("test_", "conftest")):
            continue
        if rel.parts[:2] == ("quancheng", "ledger"):
            continue
        yield rel.as_posix(), ast.parse(path.read_text(), str(rel))


def _offences(path: str, tree: ast.AST) -> list[str]:
    found = []
    rows = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "quancheng.ledger.models"
        for alias in node.names
        if alias.name in LEDGER_ROWS
    }
    for node in ast.walk(tree):
        where = f"{path}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom) and (
            node.module == "quancheng.ledger.entry"
            or (node.module == "quancheng.ledger" and "entry" in {a.name for a in node.names})
        ):
            found.append(f"{where}: imports the ledger's event builder")
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in rows:
                found.append(f"{where}: builds a ledger row ({f.id})")
            # Model.objects.create / bulk_create / get_or_create / update_or_create
            if (
                isinstance(f, ast.Attribute)
                and "create" in f.attr
                and isinstance(f.value, ast.Attribute)
                and isinstance(f.value.value, ast.Name)
                and f.value.value.id in rows
            ):
                found.append(f"{where}: writes ledger rows ({f.value.value.id}.{f.attr})")
        if isinstance(node, ast.Dict) and path not in INDEPENDENT_VERIFIERS:
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if keys >= ENTRY_KEYS:
                found.append(f"{where}: builds a ledger entry by hand")
    return found


def test_no_module_outside_the_ledger_builds_entries_or_rows():
    offences = [o for path, tree in _modules() for o in _offences(path, tree)]
    assert not offences, offences


def test_the_walk_catches_the_second_writer_of_old():
    """What supervision/ledger_bulk.py did before it moved: an entry dict through json.dumps,
    and Event rows built by hand."""
    source = (
        "import json\n"
        "from quancheng.ledger.models import Event\n"
        "def _entry_bytes(seq, stamp, actor, agency, action, otype, oid, body, prev):\n"
        "    return json.dumps({'seq': seq, 'time': stamp, 'actor': actor, 'agency': agency,\n"
        "        'action': action, 'object_type': otype, 'object_id': oid, 'body': body,\n"
        "        'prev': prev}, sort_keys=True).encode()\n"
        "def _flush(events):\n"
        "    Event.objects.bulk_create(Event(**e) for e in events)\n"
    )
    offences = _offences("quancheng/supervision/ledger_bulk.py", ast.parse(source))
    assert sorted(o.split(": ", 1)[1] for o in offences) == [
        "builds a ledger entry by hand",
        "builds a ledger row (Event)",
        "writes ledger rows (Event.bulk_create)",
    ], offences

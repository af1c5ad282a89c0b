"""Kinds of terminal data: loaded from JSON by load_data_kinds, edited in the admin, ledgered."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from quancheng.ledger.models import Event
from quancheng.orgs.models import User
from quancheng.records.datakinds import BUNDLED, load_data_kinds
from quancheng.records.items import validate_data
from quancheng.records.models import DataKind


def test_load_data_kinds_creates_the_bundled_kinds_once(db, capsys):
    call_command("load_data_kinds")
    assert set(DataKind.objects.values_list("code", flat=True)) == {
        "inspection-checklist",
        "site-location",
        "field-sampling",
    }
    assert Event.objects.filter(action="datakind.created").count() == 3
    call_command("load_data_kinds")
    assert "0 created, 0 updated, 3 unchanged" in capsys.readouterr().out
    assert Event.objects.filter(action__startswith="datakind.").count() == 3


def test_the_bundled_schemas_accept_a_realistic_record_and_refuse_a_wrong_one(db):
    load_data_kinds()
    location = DataKind.objects.get(code="site-location")
    validate_data(location, {"latitude": 29.557, "longitude": 106.577, "accuracy_m": 5.0})
    with pytest.raises(Exception, match="latitude"):
        validate_data(location, {"latitude": 129.0, "longitude": 106.577, "accuracy_m": 5.0})


def _write(tmp_path, entries):
    path = tmp_path / "kinds.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_changed_schema_needs_a_higher_version(db, tmp_path):
    load_data_kinds()
    entries = json.loads(BUNDLED.read_text(encoding="utf-8"))
    entries[1]["schema"]["required"] = ["latitude", "longitude"]
    with pytest.raises(CommandError, match="请提高版本号"):
        call_command("load_data_kinds", str(_write(tmp_path, entries)))
    entries[1]["version"] = 3
    call_command("load_data_kinds", str(_write(tmp_path, entries)))
    kind = DataKind.objects.get(code="site-location")
    assert kind.version == 3 and kind.schema["required"] == ["latitude", "longitude"]
    assert Event.objects.filter(action="datakind.updated").count() == 1


def test_an_invalid_schema_is_refused_and_nothing_is_loaded(db, tmp_path):
    bad = [
        {"code": "ok", "name": "好", "schema": {"type": "object"}},
        {"code": "bad", "name": "坏", "schema": {"type": "no-such-type"}},
    ]
    with pytest.raises(CommandError, match="不是有效的 JSON Schema"):
        call_command("load_data_kinds", str(_write(tmp_path, bad)))
    assert not DataKind.objects.exists()


def test_seed_demo_loads_the_data_kinds(db):
    call_command("seed_demo", "--small")
    assert DataKind.objects.count() == 3


def test_the_admin_edits_kinds_as_ledger_events(db, organisation):
    admin = User.objects.create(
        username="root", full_name="系统管理员", role="system_admin", is_staff=True
    )
    client = Client()
    client.force_login(admin)
    r = client.post(
        "/admin/records/datakind/add/",
        {"code": "noise", "name": "噪声检测", "version": 1, "schema": '{"type": "object"}'},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    kind = DataKind.objects.get(code="noise")
    assert Event.objects.filter(action="datakind.created", object_id=str(kind.pk)).exists()
    r = client.post(
        f"/admin/records/datakind/{kind.pk}/change/",
        {"code": "noise", "name": "噪声检测", "version": 1, "schema": '{"type": "array"}'},
    )
    assert r.status_code == 200 and "须提高版本号" in r.content.decode()
    r = client.post(
        f"/admin/records/datakind/{kind.pk}/change/",
        {"code": "noise", "name": "噪声检测", "version": 1, "schema": '{"type": "nonsense"}'},
    )
    assert "不是有效的 JSON Schema" in r.content.decode()

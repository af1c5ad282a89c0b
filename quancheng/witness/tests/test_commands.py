"""manage.py witness_add_log and the admin's registration of a witnessed log."""

import pytest
from django.core.management import CommandError, call_command

from quancheng.conftest import make_person
from quancheng.ledger.models import Event
from quancheng.orgs.models import Role
from quancheng.witness import config
from quancheng.witness.models import WitnessedLog

from .conftest import FakeLog

pytestmark = pytest.mark.django_db


def test_witness_add_log_registers_and_prints_this_witness_key(witness_settings, agency, capsys):
    log = FakeLog()
    call_command("witness_add_log", log.origin, log.vkey, "--agency", agency.code)
    assert config.own_witness_vkey() in capsys.readouterr().out
    registered = WitnessedLog.objects.get()
    assert (registered.origin, registered.agency, registered.latest_size) == (
        log.origin,
        agency,
        0,
    )
    event = Event.objects.filter(action="witness.log_registered").get()
    assert event.object_id == str(registered.pk) and log.vkey in event.body
    with pytest.raises(CommandError, match="already registered"):
        call_command("witness_add_log", log.origin, log.vkey)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agency", "nope"], "no agency"),
        (["--bad-vkey"], "verifier key"),
    ],
)
def test_witness_add_log_refuses_bad_input(witness_settings, args, message):
    log = FakeLog()
    vkey = log.vkey
    if args == ["--bad-vkey"]:
        vkey, args = "nonsense", []
    with pytest.raises(CommandError, match=message):
        call_command("witness_add_log", log.origin, vkey, *args)
    assert not WitnessedLog.objects.exists()


def test_the_admin_registers_a_log_through_the_service(client, witness_settings, agency):
    admin = make_person("root", "管理员", None, role=Role.SYSTEM_ADMIN, is_staff=True)
    client.force_login(admin)
    log = FakeLog()
    url = "/admin/witness/witnessedlog/add/"
    response = client.post(url, {"origin": log.origin, "verifier_key": "bad", "agency": ""})
    assert response.status_code == 200 and "验证公钥无效" in response.content.decode()
    response = client.post(url, {"origin": log.origin, "verifier_key": log.vkey, "agency": ""})
    assert response.status_code == 302
    assert WitnessedLog.objects.get().origin == log.origin
    assert Event.objects.filter(action="witness.log_registered").exists()

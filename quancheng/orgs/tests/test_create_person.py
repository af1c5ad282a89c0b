"""manage.py create_person: the first real people of an installation, without demo data."""

import io

import pytest
from django.core.management import CommandError, call_command

from quancheng.ledger.models import Event
from quancheng.orgs.models import User

PASSWORD = "Zhang-wei-2026-secret!"


def create(*args, password=PASSWORD, monkeypatch):
    monkeypatch.setenv("QC_PASSWORD", password)
    out = io.StringIO()
    call_command("create_person", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_person_is_created_with_agency_role_certificate_and_a_ledger_event(
    organisation, monkeypatch
):
    out = create(
        "zhangwei",
        "--name=张伟",
        "--agency=d03-zf",
        "--role=officer",
        "--certificate-number=50010320001",
        "--certificate-valid-from=2025-01-01",
        "--certificate-valid-until=2030-12-31",
        monkeypatch=monkeypatch,
    )

    user = User.objects.get(username="zhangwei")
    assert "已创建 zhangwei" in out
    assert (user.full_name, user.agency.code, user.role) == ("张伟", "d03-zf", "officer")
    assert str(user.certificate_valid_until) == "2030-12-31"
    assert user.check_password(PASSWORD) and not user.is_staff
    assert Event.objects.filter(action="user.created", object_id=str(user.pk)).count() == 1
    assert User.objects.count() == 1  # nothing else: no demo people


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["lina", "--name=李娜", "--role=officer"], PASSWORD, "必须属于一个单位"),
        (["lina", "--name=李娜", "--agency=nope", "--role=officer"], PASSWORD, "单位 nope 不存在"),
        (["lina", "--name=李娜", "--agency=d03-zf", "--role=officer"], "123", "密码"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(
    organisation, monkeypatch, args, password, message
):
    events = Event.objects.count()
    with pytest.raises(CommandError, match=message):
        create(*args, password=password, monkeypatch=monkeypatch)
    assert not User.objects.exists()
    assert Event.objects.count() == events

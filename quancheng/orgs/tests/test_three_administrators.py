"""三员分立 (issue 19, docs/security.md): three administrators, one role per account (a database
constraint), none reads record content, the audit administrator changes nothing and sees the
others' actions, and the only superuser is the command line's break-glass account."""

import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from quancheng.access.policy import VIEW, decide
from quancheng.alerts.models import Alert, Severity
from quancheng.ledger.actions import Action
from quancheng.ledger.models import Event
from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import ADMIN_ROLES, Device, Role, User
from quancheng.records.items import create_segment
from quancheng.records.services import blob_store, register_blob

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment(officer, agency):
    info = blob_store().put(io.BytesIO(b"a recording, not for administrators"))
    with transaction.atomic():
        blob = register_blob(info, agency)
    return create_segment(
        officer, agency=agency, blob=blob, source="upload", original_filename="clip.mp4"
    )


# --- one role per account: the database says so ---------------------------------------------


@pytest.mark.parametrize("roles", ["system_admin,audit_admin", "audit_admin|security", "admin"])
def test_the_database_refuses_a_second_administrator_role(system_admin, roles):
    """Whatever path writes the row (a raw update here, no form), one known role only (the
    values fit the column: the check constraint refuses them, not the column's length)."""
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=system_admin.pk).update(role=roles)


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_the_database_refuses_the_superuser_flag_on_an_administrator(organisation, role):
    """The superuser flag holds every administrator's power at once: refused on the three."""
    person = User.objects.create(username="x", full_name="某人", role=role)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=person.pk).update(is_superuser=True)


def test_the_break_glass_role_needs_the_flag_and_the_flag_the_role(organisation):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="a", full_name="甲", role=Role.BREAK_GLASS)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="b", full_name="乙", role=Role.OFFICER, is_superuser=True)


def test_createsuperuser_is_refused(organisation):
    with pytest.raises(RuntimeError, match="break_glass"):
        User.objects.create_superuser("root", password="x", full_name="根")


# --- what each administrator holds -----------------------------------------------------------


def test_each_administrator_holds_their_rows_only(system_admin, security_admin, audit_admin):
    # The rows asked without an object (object-bound rows need their object).
    asked = [
        caps.DEVICES_MANAGE,
        caps.SCHEDULES_LOAD,
        caps.TOKENS_MANAGE,
        caps.LOGINS_UNLOCK,
        caps.ROLES_ASSIGN,
        caps.ADMIN_AUDIT,
        caps.ACCESS_REPORT,
        caps.ACT_CREATE,
        caps.CASE_CREATE,
        caps.RECORDS_UPLOAD,
        caps.SUBJECT_CHANGE,
        caps.RULES_CONFIGURE,
    ]
    held = {
        who.role: {code for code in asked if caps.can(who, code)}
        for who in (system_admin, security_admin, audit_admin)
    }
    assert {caps.DEVICES_MANAGE, caps.SCHEDULES_LOAD} <= held[Role.SYSTEM_ADMIN]
    assert {caps.TOKENS_MANAGE, caps.LOGINS_UNLOCK, caps.ROLES_ASSIGN} <= held[Role.SECURITY_ADMIN]
    assert {caps.ADMIN_AUDIT, caps.ACCESS_REPORT} <= held[Role.AUDIT_ADMIN]
    # No overlap in what administers: roles, audit and configuration are each one's alone.
    assert caps.ROLES_ASSIGN not in held[Role.SYSTEM_ADMIN] | held[Role.AUDIT_ADMIN]
    assert caps.ADMIN_AUDIT not in held[Role.SYSTEM_ADMIN] | held[Role.SECURITY_ADMIN]
    assert caps.DEVICES_MANAGE not in held[Role.SECURITY_ADMIN] | held[Role.AUDIT_ADMIN]
    # Nobody of the three creates enforcement data.
    for codes in held.values():
        assert not codes & {
            caps.ACT_CREATE,
            caps.CASE_CREATE,
            caps.RECORDS_UPLOAD,
            caps.SUBJECT_CHANGE,
        }


def test_no_administrator_reads_record_content(
    client, segment, system_admin, security_admin, audit_admin
):
    for admin in (system_admin, security_admin, audit_admin):
        decision = decide(admin, segment, VIEW)
        assert not decision.allowed and decision.reason_code == "administrator"
        client.force_login(admin)
        for name in ("segment_detail", "segment_download", "segment_media"):
            response = client.get(reverse(name, args=[segment.pk]))
            assert response.status_code in (403, 404), (admin.role, name)


def test_the_audit_administrator_changes_nothing(client, audit_admin, agency, officer):
    client.force_login(audit_admin)
    before = Event.objects.exclude(action__in=["access.denied", "alert.raised"]).count()
    posts = [
        (reverse("device_create"), {"agency": agency.pk, "kind": "body_camera"}),
        (reverse("login_unlock", args=[officer.pk]), {}),
        ("/admin/orgs/device/add/", {"agency": agency.pk, "serial_number": "X-1"}),
        (f"/admin/orgs/user/{officer.pk}/change/", {"role": Role.HEAD}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code in (403, 404), url
    assert Event.objects.exclude(action__in=["access.denied", "alert.raised"]).count() == before
    officer.refresh_from_db()
    assert officer.role == Role.OFFICER and not Device.objects.exists()
    # Reading is allowed: the reference-data admin shows its lists.
    assert client.get("/admin/orgs/device/").status_code == 200


def test_roles_are_changed_by_the_security_administrator_only(
    client, system_admin, security_admin, officer
):
    url = f"/admin/orgs/user/{officer.pk}/change/"
    client.force_login(system_admin)
    page = client.get(url).content.decode()
    assert 'name="role"' not in page  # read-only for the system administrator
    client.force_login(security_admin)
    page = client.get(url).content.decode()
    assert 'name="role"' in page and 'name="full_name"' not in page
    assert 'value="break_glass"' not in page
    response = client.post(url, {"role": Role.CUSTODIAN})
    assert response.status_code == 302, response.content.decode()[:3000]
    officer.refresh_from_db()
    assert officer.role == Role.CUSTODIAN
    event = Event.objects.for_object(officer).order_by("-seq").first()
    assert (event.action, event.actor) == ("user.updated", security_admin)
    # Nobody changes their own role.
    own = client.get(f"/admin/orgs/user/{security_admin.pk}/change/").content.decode()
    assert 'name="role"' not in own


def test_the_audit_administrator_sees_the_other_administrators_actions(
    client, system_admin, audit_admin, agency, officer
):
    client.force_login(system_admin)
    response = client.post(
        "/admin/orgs/device/add/",
        {"agency": agency.pk, "kind": "body_camera", "serial_number": "BC-7", "name": "",
         "clock_offset_seconds": 0},
    )  # fmt: skip
    assert response.status_code == 302
    client.force_login(officer)
    assert client.get(reverse("admin_action_list")).status_code == 403
    client.force_login(audit_admin)
    page = client.get(reverse("admin_action_list")).content.decode()
    # The catalogue's label, never the stored action string (issue 17).
    assert Action.DEVICE_CREATED.label in page and "qianjin" in page
    assert "device.created" not in page
    assert "zhangwei" not in page  # an officer's login is not an administrator's action
    only_security = client.get(reverse("admin_action_list"), {"role": "security_admin"})
    assert Action.DEVICE_CREATED.label not in only_security.content.decode()


# --- the break-glass account -----------------------------------------------------------------


def test_break_glass_is_opened_from_the_command_line_with_a_critical_alert(
    client, security_admin, audit_admin
):
    out = io.StringIO()
    call_command("break_glass", "open", "--reason", "安全管理员账号被锁定", stdout=out)
    account = User.objects.get(role=Role.BREAK_GLASS)
    assert account.is_superuser and account.is_active and account.agency is None
    assert account.username in out.getvalue()
    opened = Event.objects.for_object(account).get(action="auth.break_glass_opened")
    assert "安全管理员账号被锁定" in opened.body
    alert = Alert.objects.get(kind="auth.break_glass")
    assert alert.severity == Severity.CRITICAL
    assert set(alert.roles) == {Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
    # Signing in with it is announced too (the ledger keeps each login).
    password = out.getvalue().split("一次性密码：")[1].split()[0]
    response = client.post(reverse("login"), {"username": account.username, "password": password})
    assert response.status_code == 302
    assert Event.objects.filter(action="auth.login", actor=account).exists()
    assert Event.objects.filter(action="alert.raised", object_id=str(alert.pk)).exists()
    # It holds no record content and writes no enforcement data either.
    assert not caps.can(account, caps.ACT_CREATE)
    # The audit administrator's page lists it.
    client.force_login(audit_admin)
    page = client.get(reverse("admin_action_list")).content.decode()
    assert Action.AUTH_BREAK_GLASS_OPENED.label in page
    assert "auth.break_glass_opened" not in page
    call_command("break_glass", "close", account.username, stdout=io.StringIO())
    account.refresh_from_db()
    assert not account.is_active and not account.has_usable_password()

"""The A27 alert sources: acts not recorded, records registered late, routing and counts."""

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils.module_loading import import_string

from quancheng.alerts.models import CUSTODIAN_HEAD_AUDITOR, Alert
from quancheng.alerts.services import alert_counts_for, raise_alert
from quancheng.alerts.sources import MISSING_AV, OVERDUE, run_check
from quancheng.compliance.evaluate import evaluate_act
from quancheng.compliance.models import Finding
from quancheng.compliance.tests.scene import END, START, Scene
from quancheng.ledger.models import Event
from quancheng.lib import transactions
from quancheng.registration.models import ActRegistration

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_scene(officer, colleague, agency, subject, settings, tmp_path):
    settings.VAR_DIR = str(tmp_path)
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    return lambda kind="inspection": Scene(officer, colleague, agency, subject, kind)


@pytest.fixture
def api_client_for(client, city_admin):
    from quancheng.orgs.services import issue_api_token

    def make(user):
        token = issue_api_token(city_admin, user, name="t")[1]
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client

    return make


def test_raise_alert_routes_to_the_named_roles_of_the_objects_agency(
    make_scene, custodian, head, auditor, officer, outsider
):
    scene = make_scene()
    with transactions.batch():  # raise_alert runs in its caller's transaction
        alert = raise_alert(
            "access.denied", "越权调阅", obj=scene.act, audience=CUSTODIAN_HEAD_AUDITOR
        )
    assert alert.agency == scene.agency and alert.roles == ["custodian", "head", "auditor"]
    for person in (custodian, head, auditor):
        assert list(Alert.objects.visible_to(person)) == [alert]
    assert not Alert.objects.visible_to(officer).exists()
    assert not Alert.objects.visible_to(outsider).exists()
    with pytest.raises(ValueError, match="unknown alert audience"), transactions.batch():
        raise_alert("access.denied", "x", obj=scene.act, audience=["boss"])


def test_an_act_without_required_av_alerts_until_its_finding_closes(make_scene, head):
    scene = make_scene("interrogation")  # AV mandatory (A11 ¶1)
    evaluate_act(scene.act)
    alert = Alert.objects.get(kind=MISSING_AV)
    assert alert.object_id == str(scene.act.pk) and alert.severity == "critical"
    assert alert.get_object_url() == reverse("act_detail", args=[scene.act.pk])
    assert list(Alert.objects.visible_to(head)) == [alert]
    evaluate_act(scene.act)  # nothing changed: still one alert
    assert Alert.objects.filter(kind=MISSING_AV).count() == 1
    scene.segment(START, END)
    evaluate_act(scene.act)
    assert not Finding.objects.filter(act=scene.act, rule_id="A11-mandatory").active().exists()
    alert.refresh_from_db()
    assert not alert.is_open and alert.closed_by is None
    event = Event.objects.for_object(alert).last()
    assert event.action == "alert.closed" and '"automatic":true' in event.body


def test_overdue_registration_alerts_are_raised_once_and_closed_when_registered(
    make_scene, custodian
):
    scene = make_scene()  # ended Monday 16 Nov 2026: due by the end of Wednesday 18 Nov
    assert run_check(OVERDUE) == {"raised": 1, "closed": 0}
    alert = Alert.objects.get(kind=OVERDUE)
    assert alert.object_id == str(scene.act.pk)
    # The daily check also evaluated the act: its A21 finding is there.
    assert Finding.objects.filter(act=scene.act, rule_id="A21-deadline", key="overdue").exists()
    assert run_check(OVERDUE) == {"raised": 0, "closed": 0}
    scene.register(on_time=False)
    assert ActRegistration.objects.filter(act=scene.act).exists()
    assert run_check(OVERDUE) == {"raised": 0, "closed": 1}
    alert.refresh_from_db()
    assert not alert.is_open


def test_the_daily_check_is_scheduled():
    path, seconds = django_settings.QC_SCHEDULE["registration_overdue_check"]
    assert seconds == 24 * 3600
    assert import_string(path).name == "check_overdue_registrations"


def test_counts_for_the_home_page(make_scene, custodian, officer):
    scene = make_scene()
    with transactions.batch():
        raise_alert("access.denied", "越权调阅", obj=scene.act, audience=CUSTODIAN_HEAD_AUDITOR)
        raise_alert("fixity.missing", "文件缺失", agency=scene.agency, severity="critical")
        closed = raise_alert("disposal.refused", "违规销毁", obj=scene.act)
    closed.closed_at = closed.created_at
    closed.save()
    assert alert_counts_for(custodian) == {
        "total": 2,
        "by_kind": {"access.denied": 1, "fixity.missing": 1},
        "by_severity": {"warning": 1, "critical": 1},
    }
    assert alert_counts_for(officer) == {"total": 0, "by_kind": {}, "by_severity": {}}


def test_alert_page_filters_by_kind_and_status_and_links_to_the_object(
    client, make_scene, custodian, outsider
):
    scene = make_scene()
    with transactions.batch():
        raise_alert("access.denied", "越权调阅被拒绝：张三", obj=scene.act)
        raise_alert("fixity.missing", "文件缺失：abc", agency=scene.agency)
    client.force_login(custodian)
    page = client.get(reverse("alert_list"), {"kind": "access.denied"}).text
    assert "越权调阅被拒绝：张三" in page and "文件缺失：abc" not in page
    assert f'href="{reverse("act_detail", args=[scene.act.pk])}"' in page
    assert "越权调阅被拒绝</td>" in page  # the kind's Chinese name
    assert "文件缺失：abc" in client.get(reverse("alert_list")).text
    assert "没有告警" in client.get(reverse("alert_list"), {"show": "closed"}).text
    client.force_login(outsider)
    assert "没有告警" in client.get(reverse("alert_list")).text


def test_alert_api_filters_by_kind_and_links_the_object(api_client_for, make_scene, custodian):
    scene = make_scene()
    with transactions.batch():
        raise_alert("access.denied", "越权调阅", obj=scene.act)
        raise_alert("fixity.missing", "文件缺失", agency=scene.agency)
    body = api_client_for(custodian).get("/api/v1/alerts", {"kind": "access.denied"}).json()
    assert body["count"] == 1
    assert body["items"][0]["object_url"] == reverse("act_detail", args=[scene.act.pk])


def test_an_unexplained_gap_raises_a_gap_alert_until_it_is_accepted(make_scene):
    """record.gap follows the act's active A11-gap findings (raised and closed by evaluation)."""
    from quancheng.alerts.sources import GAP
    from quancheng.compliance.alerts import sync_gap_alert

    act = make_scene().act
    finding = Finding.objects.create(
        act=act,
        rule_id="A11-gap",
        key="gap-1",
        article="第十一条",
        severity=Finding.Severity.ERROR,
        message="音像记录在 10:03–10:06 中断且未说明",
    )
    with transactions.batch():  # evaluation's transaction
        sync_gap_alert(act, [finding])
    (alert,) = Alert.objects.open().filter(kind=GAP)
    assert alert.object_id == str(act.pk) and "音像记录中断未说明" in alert.title
    with transactions.batch():
        sync_gap_alert(act, [finding])  # idempotent
    assert Alert.objects.open().filter(kind=GAP).count() == 1
    finding.status = Finding.Status.ACCEPTED
    with transactions.batch():
        sync_gap_alert(act, [finding])
    assert not Alert.objects.open().filter(kind=GAP).exists()


def test_running_a_check_no_app_registered_is_an_error():
    with pytest.raises(LookupError, match="no check registered"):
        run_check("no.such.kind")

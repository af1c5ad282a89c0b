import pytest
from django.urls import reverse

from quancheng.alerts.models import Alert
from quancheng.alerts.services import (
    AlertAlreadyClosed,
    close_alert,
    close_alerts_for,
    raise_alert,
)
from quancheng.ledger.models import Event
from quancheng.ledger.services import LedgerOutsideTransaction
from quancheng.lib import transactions

pytestmark = pytest.mark.django_db


def _raise(agency=None, **kwargs):
    defaults = dict(
        detail={"sha256": "ab" * 32},
        object_type="blob",
        object_id="ab" * 32,
        agency=agency,
    )
    with transactions.batch():  # raise_alert runs in its caller's transaction
        return raise_alert("fixity.mismatch", "文件校验不符", **{**defaults, **kwargs})


def test_raising_and_closing_run_in_the_callers_transaction(custodian):
    """Building blocks (docs/transactions.md): outside a transaction the code opened, refused."""
    with pytest.raises(LedgerOutsideTransaction, match="raise_alert"):
        raise_alert("fixity.mismatch", "文件校验不符", agency=custodian.agency)
    with pytest.raises(LedgerOutsideTransaction, match="close_alerts_for"):
        close_alerts_for("fixity.mismatch", object_type="blob", object_id="ab" * 32, note="x")
    assert not Alert.objects.exists()


def test_raising_an_alert_is_a_ledger_event(custodian):
    alert = _raise(custodian.agency)
    event = Event.objects.for_object(alert).get()
    assert event.action == "alert.raised"
    assert '"fixity.mismatch"' in event.body


def test_the_same_open_alert_is_not_raised_twice(custodian):
    first = _raise(custodian.agency)
    assert _raise(custodian.agency) == first
    assert Alert.objects.count() == 1


def test_alerts_reach_the_addressed_roles_in_scope(custodian, auditor, officer, outsider):
    alert = _raise(custodian.agency)
    assert list(Alert.objects.visible_to(custodian)) == [alert]
    assert list(Alert.objects.visible_to(auditor)) == [alert]  # city-wide auditor
    assert not Alert.objects.visible_to(officer).exists()  # not addressed to officers
    assert not Alert.objects.visible_to(outsider).exists()


def test_platform_alerts_reach_every_addressed_role(custodian, outsider):
    alert = _raise(None, audience=["custodian", "officer"])
    assert list(Alert.objects.visible_to(custodian)) == [alert]
    assert list(Alert.objects.visible_to(outsider)) == [alert]


def test_closing_needs_a_note_and_is_recorded(custodian):
    alert = _raise(custodian.agency)
    with pytest.raises(ValueError, match="处理说明"):
        close_alert(custodian, alert, "  ")
    close_alert(custodian, alert, "已从备份恢复并复核")
    alert.refresh_from_db()
    assert not alert.is_open and alert.closed_by == custodian
    assert Event.objects.for_object(alert).last().action == "alert.closed"
    with pytest.raises(AlertAlreadyClosed):
        close_alert(custodian, alert, "again")
    # A closed alert no longer hides a new occurrence.
    assert _raise(custodian.agency) != alert


def test_alert_page_lists_and_closes(client, custodian, officer):
    alert = _raise(custodian.agency)
    client.force_login(custodian)
    page = client.get(reverse("alert_list"))
    assert "文件校验不符" in page.text
    response = client.post(reverse("alert_close", args=[alert.pk]), {"note": "已处理"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.closing_note == "已处理"
    client.force_login(officer)
    assert client.post(reverse("alert_close", args=[alert.pk]), {"note": "x"}).status_code == 404


def test_alert_api(client, custodian, city_admin):
    from quancheng.orgs.services import issue_api_token

    _raise(custodian.agency)
    token = issue_api_token(city_admin, custodian, name="t")[1]
    response = client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["items"][0]["kind"] == "fixity.mismatch"

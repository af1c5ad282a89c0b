"""Issue 15's hole in act editing: only the act's officers and the head change an act; a change
of officers is the head's (an officer on the act may add a colleague), a ledger event of its
own, and adding oneself is alerted."""

import json

import pytest
from django.core.exceptions import PermissionDenied

from quancheng.alerts.models import Alert
from quancheng.cases.services import update_act
from quancheng.conftest import make_person
from quancheng.ledger.models import Event

from .conftest import counts
from .test_acts import form_data, local

pytestmark = pytest.mark.django_db
SECONDS = "%Y-%m-%dT%H:%M:%S"


@pytest.fixture
def bystander(agency):
    """An officer of the same agency who is not on the act."""
    return make_person("wangqiang", "王强", agency)


def _edit(act, officers):
    return form_data(
        act.subject,
        officers,
        act.started_at,
        started_at=local(act.started_at, SECONDS),
        ended_at=local(act.ended_at, SECONDS),
        description="",
    )


def test_an_uninvolved_officer_cannot_open_the_edit_page_nor_add_himself(
    client, bystander, officer, colleague, act
):
    client.force_login(bystander)
    before = counts()
    url = f"/acts/{act.pk}/edit/"
    response = client.get(url)
    assert response.status_code == 403
    assert "只有本执法行为的执法人员和机构负责人可以修改" in response.content.decode()
    assert client.post(url, _edit(act, [officer, colleague, bystander])).status_code == 403
    assert set(act.officers.all()) == {officer, colleague}
    assert counts() == before
    # Still not involved: the act's video stays behind the A24 approval.
    page = client.get(act.get_absolute_url()).content.decode()
    assert url not in page


def test_nor_through_the_api(api_as, bystander, officer, colleague, act):
    api = api_as(bystander)
    r = api.patch(f"/acts/{act.pk}", {"officer_ids": [officer.pk, colleague.pk, bystander.pk]})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert api.patch(f"/acts/{act.pk}", {"place": "别处"}).status_code == 403
    assert set(act.officers.all()) == {officer, colleague}


def test_the_head_changes_the_officers_as_an_event_of_its_own(head, officer, colleague, act):
    bystander = make_person("wangqiang", "王强", act.agency)
    update_act(head, act, officers=[officer, bystander])
    event = Event.objects.get(action="act.officers_changed")
    assert json.loads(event.body) == {"added": [bystander.pk], "removed": [colleague.pk]}
    assert not Alert.objects.filter(kind="officers.self_added").exists()


def test_an_officer_on_the_act_may_add_a_colleague_but_not_remove_one(
    officer, colleague, bystander, act
):
    update_act(officer, act, officers=[officer, colleague, bystander])
    assert set(act.officers.all()) == {officer, colleague, bystander}
    with pytest.raises(PermissionDenied):
        update_act(officer, act, officers=[officer, colleague])
    assert set(act.officers.all()) == {officer, colleague, bystander}


def test_adding_oneself_raises_an_alert(head, officer, colleague, act):
    update_act(head, act, officers=[officer, colleague, head])
    alert = Alert.objects.get(kind="officers.self_added")
    assert "刘洋" in alert.title

"""The custodian's queue (待关联): link by hand, unlink with a reason, and who may do what."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from quancheng.ledger.models import Event
from quancheng.orgs.models import Role
from quancheng.records.models import Segment
from quancheng.records.views_queue import MANUAL_LINK_REASON

from .ingest_scene import bj, camera, make_act, make_segment

QUEUE = reverse("records_queue")


def link_url(segment):
    return reverse("records_queue_link", args=[segment.pk])


def unlink_url(segment):
    return reverse("records_segment_unlink", args=[segment.pk])


def text(response) -> str:
    return response.content.decode()


def reload(segment) -> Segment:
    return Segment.objects.get(pk=segment.pk)


@pytest.fixture
def morning(officer, colleague, agency, subject):
    return make_act(officer, agency, [officer, colleague], subject, bj(9))


@pytest.fixture
def waiting(custodian, agency, officer):
    """张伟's segment at noon on the day of the morning act: nothing matched it."""
    device = camera(custodian, agency, "DSJ-001", officer)
    return make_segment(custodian, agency, bj(12), 90, officer=officer, device=device)


@pytest.fixture
def other_custodian(other_agency):
    from quancheng.conftest import make_person

    return make_person(
        "jb_custodian", "江北专管员", other_agency, Role.CUSTODIAN, certificate=False
    )


def test_the_custodian_sees_waiting_segments_with_their_candidate_acts(
    client, custodian, waiting, morning
):
    client.force_login(custodian)
    page = text(client.get(QUEUE))
    assert waiting.original_filename in page
    assert "DSJ-001" in page and "张伟" in page
    assert bj(12).strftime("%Y-%m-%d 12:00:00") in page
    assert f'action="{link_url(waiting)}"' in page
    assert f'name="act" value="{morning.pk}"' in page
    assert "重新自动关联" in page


def test_the_custodian_links_by_hand_and_the_ledger_records_it(client, custodian, waiting, morning):
    client.force_login(custodian)
    response = client.post(link_url(waiting), {"act": morning.pk}, follow=True)
    assert response.status_code == 200
    assert "已将" in text(response)
    segment = reload(waiting)
    assert segment.act == morning and segment.subject == morning.subject
    event = Event.objects.get(action="segment.linked", object_id=str(segment.pk))
    assert event.actor == custodian
    assert json.loads(event.body)["reason"] == MANUAL_LINK_REASON
    assert waiting.original_filename not in text(client.get(QUEUE))


def test_linking_needs_the_csrf_token(custodian, waiting, morning):
    client = Client(enforce_csrf_checks=True)
    client.force_login(custodian)
    assert client.post(link_url(waiting), {"act": morning.pk}).status_code == 403
    assert reload(waiting).act is None


def test_linking_without_an_act_says_so_and_changes_nothing(client, custodian, waiting):
    client.force_login(custodian)
    response = client.post(link_url(waiting), {}, follow=True)
    assert "请选择要关联的执法行为" in text(response)
    assert reload(waiting).act is None


def test_officers_see_and_link_only_their_own_segments(
    client, officer, colleague, custodian, agency, waiting, morning, head, subject
):
    theirs = make_segment(custodian, agency, bj(12, 30), 60, officer=colleague)
    client.force_login(officer)
    page = text(client.get(QUEUE))
    assert waiting.original_filename in page
    assert theirs.original_filename not in page
    assert "重新自动关联" not in page
    assert client.post(link_url(theirs), {"act": morning.pk}).status_code == 404
    # Only to acts the officer took part in.
    not_mine = make_act(colleague, agency, [colleague, head], subject, bj(12))
    assert client.post(link_url(waiting), {"act": not_mine.pk}).status_code == 404
    assert client.post(link_url(waiting), {"act": morning.pk}).status_code == 302
    assert reload(waiting).act == morning
    assert reload(theirs).act is None


@pytest.mark.parametrize("reader", ["commission", "auditor"])
def test_read_only_roles_see_the_queue_but_cannot_link_or_unlink(
    client, request, reader, custodian, waiting, morning
):
    user = request.getfixturevalue(reader)
    client.force_login(user)
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert waiting.original_filename in text(response)
    assert f'action="{link_url(waiting)}"' not in text(response)
    assert client.post(link_url(waiting), {"act": morning.pk}).status_code == 403
    assert client.post(reverse("records_queue_associate")).status_code == 403
    from quancheng.records.items import link_item

    link_item(custodian, waiting, morning)
    assert client.post(unlink_url(waiting), {"reason": "测试"}).status_code == 403
    assert reload(waiting).act == morning


def test_another_districts_custodian_gets_404(client, other_custodian, custodian, waiting, morning):
    client.force_login(other_custodian)
    assert waiting.original_filename not in text(client.get(QUEUE))
    assert client.post(link_url(waiting), {"act": morning.pk}).status_code == 404
    assert client.get(reverse("records_act_segments", args=[morning.pk])).status_code == 404
    from quancheng.records.items import link_item

    link_item(custodian, waiting, morning)
    assert client.post(unlink_url(waiting), {"reason": "不是我们的"}).status_code == 404
    assert reload(waiting).act == morning
    assert not Event.objects.filter(actor=other_custodian).exclude(action="auth.login").exists()


def test_a_custodian_cannot_link_to_another_districts_act(
    client, custodian, waiting, outsider, outsider_colleague, other_agency, other_subject
):
    theirs = make_act(outsider, other_agency, [outsider, outsider_colleague], other_subject, bj(12))
    client.force_login(custodian)
    assert client.post(link_url(waiting), {"act": theirs.pk}).status_code == 404
    assert reload(waiting).act is None


def test_unlinking_from_the_acts_page_needs_a_reason(client, custodian, waiting, morning):
    from quancheng.records.items import link_item

    link_item(custodian, waiting, morning)
    client.force_login(custodian)
    act_page = text(client.get(morning.get_absolute_url()))
    segments_url = reverse("records_act_segments", args=[morning.pk])
    assert f'href="{segments_url}"' in act_page
    page = text(client.get(segments_url))
    assert waiting.original_filename in page
    assert f'action="{unlink_url(waiting)}"' in page

    response = client.post(unlink_url(waiting), {"reason": "  "})
    assert response.status_code == 400
    assert "请填写解除关联的原因" in text(response)
    assert reload(waiting).act == morning
    assert not Event.objects.filter(action="segment.unlinked").exists()

    response = client.post(unlink_url(waiting), {"reason": "录像时间与该检查不符"}, follow=True)
    assert "回到待关联队列" in text(response)
    assert reload(waiting).act is None
    event = Event.objects.get(action="segment.unlinked", object_id=str(waiting.pk))
    assert json.loads(event.body) == {"previous_act": morning.pk, "reason": "录像时间与该检查不符"}
    assert waiting.original_filename in text(client.get(QUEUE))


def test_an_officer_unlinks_only_their_own_segments(
    client, officer, colleague, custodian, agency, waiting, morning
):
    from quancheng.records.items import link_item

    theirs = make_segment(custodian, agency, bj(9, 5), 60, officer=colleague)
    link_item(custodian, theirs, morning)
    link_item(custodian, waiting, morning)
    client.force_login(officer)
    page = text(client.get(reverse("records_act_segments", args=[morning.pk])))
    assert theirs.original_filename in page  # seen on the act's page …
    assert f'action="{unlink_url(theirs)}"' not in page  # … but not theirs to unlink
    assert client.post(unlink_url(theirs), {"reason": "x"}).status_code == 404
    assert client.post(unlink_url(waiting), {"reason": "拍错了"}).status_code == 302
    assert reload(waiting).act is None and reload(theirs).act == morning


def test_the_custodian_runs_automatic_association_again(
    client, custodian, officer, colleague, agency, subject, waiting
):
    noon = make_act(officer, agency, [officer, colleague], subject, bj(11, 50))
    client.force_login(custodian)
    response = client.post(reverse("records_queue_associate"), follow=True)
    assert "已自动关联 1 个音像记录，仍有 0 个待关联" in text(response)
    assert reload(waiting).act == noon


def test_an_unreadable_segment_is_marked_in_the_queue(client, custodian, agency):
    segment = make_segment(
        custodian, agency, None, readable=False, parse_error="文件不完整：媒体数据在约 0.1 秒处中断"
    )
    client.force_login(custodian)
    page = text(client.get(QUEUE))
    assert segment.original_filename in page
    assert "无法解析" in page
    assert "未记载" in page

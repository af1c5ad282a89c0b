"""第二十四条: use of records is strictly managed (issue 14, points 9 and 11).

¶2: records provided to reconsideration, petition or judicial bodies need the agency head's
approval and are registered. The provision is requested in the platform and the head approves
it there; nobody registers a provision by naming the head.
Someone else's refused access is an alert about that person, not a finding against the act's
officers; findings and alerts name people by their names, never by usernames.
"""

import datetime as dt
import json
from typing import TYPE_CHECKING

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quancheng.access.inbox import inbox
from quancheng.access.models import Provision
from quancheng.access.provisions import decide_provision, register_provided, request_provision
from quancheng.alerts.models import Alert
from quancheng.archive.disposal import DisposalRefused, propose_disposal
from quancheng.archive.tests.conftest import make_segment
from quancheng.compliance.evaluate import evaluate_act
from quancheng.compliance.models import Finding
from quancheng.conftest import make_person
from quancheng.ledger.models import Event

if TYPE_CHECKING:
    from quancheng.orgs.models import User


pytestmark = [pytest.mark.django_db, pytest.mark.rule("A24-access")]


@pytest.fixture(autouse=True)
def _store(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"


@pytest.fixture
def video(officer, act):
    return make_segment(officer, act, started_at=act.started_at)


def _request(user: "User", act, video, **extra):
    return request_provision(
        user,
        recipient="重庆市渝中区人民法院",
        recipient_kind="judicial",
        legal_basis="《中华人民共和国行政诉讼法》第三十四条",
        act=act,
        items=[f"segment:{video.pk}"],
        **extra,
    )


def _today():
    return timezone.localdate()


# --- 第二款: provision needs the head to act ----------------------------------------------


def test_a_provision_cannot_be_registered_without_the_heads_approval(custodian, act, video):
    """未经机构负责人批准，不能登记对外提供。"""
    provision = _request(custodian, act, video)
    with pytest.raises(ValidationError, match="须经机构负责人批准"):
        register_provided(custodian, provision, provided_on=_today())
    provision.refresh_from_db()
    assert provision.status == Provision.Status.REQUESTED and provision.decided_by is None


def test_a_provision_the_head_approved_in_the_platform_is_registered_without_a_finding(
    custodian, head, act, video
):
    """在平台申请、机构负责人在平台批准后提供并登记的，不产生检查发现（对照）。"""
    provision = _request(custodian, act, video)
    decide_provision(head, provision, approve=True)
    provision = register_provided(custodian, provision, provided_on=_today())
    assert provision.status == Provision.Status.PROVIDED and provision.decided_by == head
    assert list(
        Event.objects.filter(object_type="access.provision", object_id=str(provision.pk))
        .order_by("seq")
        .values_list("action", "actor_label")
    ) == [
        ("provision.requested", "wangfang"),
        ("provision.approved", "liuyang"),
        ("provision.registered", "wangfang"),
    ]
    evaluate_act(act)
    assert not Finding.objects.filter(act=act, rule_id="A24-access").exists()


def test_the_request_names_no_approver(custodian, head, act, video):
    """申请中不能指定批准人：批准人只能是在平台上审批的机构负责人本人。"""
    with pytest.raises(TypeError):
        _request(custodian, act, video, approved_by=head)
    assert not Provision.objects.exists()


@pytest.mark.parametrize("who", ["officer", "custodian", "outsider_head"])
def test_only_the_head_of_the_providing_agency_approves(
    custodian, officer, outsider, act, video, who
):
    """只有提供记录的机构的负责人可以批准。"""
    deciders = {
        "officer": officer,
        "custodian": custodian,
        "outsider_head": make_person("jbfzr", "江北负责人", outsider.agency, "head"),
    }
    provision = _request(custodian if who != "custodian" else officer, act, video)
    with pytest.raises(PermissionDenied, match="只有本机构负责人"):
        decide_provision(deciders[who], provision, approve=True)
    assert not Event.objects.filter(action="provision.approved").exists()


def test_the_head_cannot_approve_their_own_request(head, act, video):
    """机构负责人不能批准自己提出的对外提供申请。"""
    provision = _request(head, act, video)
    with pytest.raises(PermissionDenied, match="申请人不能审批"):
        decide_provision(head, provision, approve=True)


def test_a_refused_provision_is_never_registered(custodian, head, act, video):
    """不予批准（须写明意见）的对外提供不能登记。"""
    provision = _request(custodian, act, video)
    with pytest.raises(ValidationError, match="审批意见"):
        decide_provision(head, provision, approve=False)
    decide_provision(head, provision, approve=False, note="不属于依法调取范围")
    with pytest.raises(ValidationError, match="不予批准"):
        register_provided(custodian, provision, provided_on=_today())
    assert Event.objects.filter(action="provision.refused").count() == 1


def test_a_provision_cannot_predate_its_approval(custodian, head, act, video):
    """提供日期不能早于机构负责人批准的日期。"""
    provision = _request(custodian, act, video)
    decide_provision(head, provision, approve=True)
    with pytest.raises(ValidationError, match="不能早于机构负责人批准的日期"):
        register_provided(custodian, provision, provided_on=_today() - dt.timedelta(days=3))


def test_the_database_refuses_a_provided_row_without_an_approval(custodian, act, video):
    """数据库约束：没有批准的记录不能成为“已提供”。"""
    provision = _request(custodian, act, video)
    with pytest.raises(IntegrityError), transaction.atomic():
        Provision.objects.filter(pk=provision.pk).update(status="provided", provided_on=_today())


def test_a_registered_provision_approved_by_someone_else_is_a_finding_naming_them(
    custodian, act, video
):
    """登记的对外提供批准人不是本机构负责人的，是检查发现，并写明批准人姓名。"""
    Provision.objects.create(
        agency=act.agency,
        recipient="渝中区信访办",
        recipient_kind=Provision.RecipientKind.PETITION,
        legal_basis="信访条例",
        act=act,
        items=[{"kind": "segment", "id": video.pk}],
        status=Provision.Status.PROVIDED,
        decided_by=custodian,  # a row registered before the approval flow
        decided_at=timezone.now(),
        provided_on=_today(),
        registered_by=custodian,
        registered_at=timezone.now(),
    )
    evaluate_act(act)
    finding = Finding.objects.get(act=act, rule_id="A24-access")
    assert "批准人王芳不是本机构负责人" in finding.message
    assert "wangfang" not in finding.message


def test_the_heads_inbox_lists_provision_requests_and_the_page_decides(custodian, head, act, video):
    """对外提供申请进入机构负责人的审批待办，由其在页面上批准。"""
    provision = _request(custodian, act, video)
    sections = {code: entries for code, _, entries in inbox(head)}
    assert [e.obj for e in sections["provision"]] == [provision]
    client = Client()
    client.force_login(head)
    page = client.get(provision.get_absolute_url()).content.decode()
    assert "批准</button>" in page
    client.post(
        reverse("extraction:provision_decide", args=[provision.pk]), {"decision": "approve"}
    )
    provision.refresh_from_db()
    assert provision.status == Provision.Status.APPROVED and provision.decided_by == head


def test_the_api_requests_the_head_approves_and_the_provision_is_registered(
    api_as,
    custodian,
    head,
    act,
    video,
):
    """接口：申请中指定批准人被拒绝（422）；负责人经接口批准后登记提供。"""
    body = {
        "recipient": "重庆市第五中级人民法院",
        "recipient_kind": "judicial",
        "legal_basis": "行政诉讼法第三十四条",
        "act_id": act.pk,
        "items": [{"kind": "segment", "id": video.pk}],
    }
    terminal = api_as(custodian)
    named = terminal.post("/provisions", {**body, "approved_by_id": head.pk})
    assert named.status_code == 422 and not Provision.objects.exists()
    created = terminal.post("/provisions", body)
    assert created.status_code == 201 and created.json()["status"] == "requested"
    pk = created.json()["id"]
    early = terminal.post(f"/provisions/{pk}/provided", {"provided_on": _today().isoformat()})
    assert early.status_code == 400 and early.json()["code"] == "not_approved"
    approved = api_as(head).post(f"/provisions/{pk}/decision", {"approve": True})
    assert approved.status_code == 200 and approved.json()["approved_by"]["full_name"] == "刘洋"
    done = terminal.post(f"/provisions/{pk}/provided", {"provided_on": _today().isoformat()})
    assert done.status_code == 200 and done.json()["status"] == "provided"


# --- findings belong to the right person ---------------------------------------------------


@pytest.fixture
def bystander(agency):
    """An officer of the same agency, not involved in the act."""
    return make_person("zhaoliu", "赵六", agency)


def test_someone_elses_refused_access_is_an_alert_about_them_not_a_finding(bystander, act, video):
    """他人调阅被拒绝，是关于该调阅人的告警，不是对本执法行为承办人员的检查发现。"""
    client = Client()
    client.force_login(bystander)
    response = client.get(reverse("segment_detail", args=[video.pk]))
    assert response.status_code == 403
    alert = Alert.objects.get(kind="access.denied")
    assert (alert.object_type, alert.object_id) == ("orgs.user", str(bystander.pk))
    assert alert.agency == act.agency
    evaluate_act(act)
    assert not Finding.objects.filter(act=act, rule_id="A24-access").exists()


def test_alerts_name_people_by_name_never_by_username(bystander, act, video):
    """告警以姓名称呼人员，不用用户名。"""
    client = Client()
    client.force_login(bystander)
    client.get(reverse("segment_detail", args=[video.pk]))
    alert = Alert.objects.get(kind="access.denied")
    assert alert.title.startswith("赵六")
    assert alert.detail["user"] == "赵六"
    assert "zhaoliu" not in alert.title + json.dumps(alert.detail, ensure_ascii=False)


def test_a_refused_disposal_attempt_alert_names_the_person(officer, video):
    """违规销毁尝试的告警写明尝试人姓名。"""
    with pytest.raises(DisposalRefused):
        propose_disposal(officer, [("segment", video.pk)], "清理")
    alert = Alert.objects.get(kind="disposal.attempt_refused")
    assert alert.detail["user"] == "张伟"
    assert "zhangwei" not in json.dumps(alert.detail, ensure_ascii=False)

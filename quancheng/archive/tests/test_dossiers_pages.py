"""Dossier pages through the client: the queue, assembling, the dossier, freezing, supplements,
the table of contents download, the list, the configuration; each with its access check."""

import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from quancheng.archive import dossiers
from quancheng.archive.models import Dossier, RetentionConfig
from quancheng.cases.models import Case
from quancheng.ledger.models import Event
from quancheng.lib import confirm

from .dossier_scene import NOW, closed_case, lone_inspection

FREEZE = "dossier.freeze"


@pytest.fixture(autouse=True)
def _store_and_clock(settings, tmp_path):
    settings.VAR_DIR = str(tmp_path)
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def scene(officer, colleague, subject):
    return closed_case(officer, colleague, subject)


def login(user, enforce_csrf=False):
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def test_the_custodian_assembles_freezes_and_supplements_through_the_pages(
    scene, custodian, officer, head
):
    client = login(custodian)
    # 1. The queue shows the closed case with 组卷.
    queue = html(client.get(reverse("archive:dossier_queue")))
    assemble_url = reverse("archive:dossier_assemble_case", args=[scene.case.pk])
    assert scene.case.number in queue and assemble_url in queue
    # 2. The assembly page previews the table of contents in order.
    page = client.get(assemble_url)
    assert page.status_code == 200
    text = html(page)
    assert text.index("a.mp4") < text.index("c.mp4") < text.index("untimed.mp4")
    assert 'value="penalty_general" selected' in text
    # 3. Assemble.
    response = client.post(assemble_url, {"kind": "penalty_general", "title": "解放碑口腔诊所案"})
    dossier = Dossier.objects.get()
    assert response.status_code == 302 and response["Location"] == dossier.get_absolute_url()
    detail = html(client.get(dossier.get_absolute_url()))
    assert "渝中档〔2026〕1号" in detail and "解放碑口腔诊所案" in detail
    assert "30年" in detail and "封卷归档" in detail
    for entry in dossier.entries.all():
        assert entry.title.split()[0] in detail
    assert reverse("document_detail", args=[dossier.entries.first().item_id]) in detail
    assert f"#finding-{dossier.entries.last().item_id}" in detail
    assert Event.objects.for_object(dossier).filter(action="dossier.viewed").exists()
    # 4. Freeze: the first submit only shows what sealing will do, and seals nothing.
    freeze_url = reverse("archive:dossier_freeze", args=[dossier.pk])
    events = Event.objects.count()
    asked = client.post(freeze_url)
    assert asked.status_code == 200
    text = html(asked)
    assert "请确认：封卷归档" in text and "此操作不可撤销" in text
    assert "只读" in text and "四性检测" in text and "30年" in text
    assert Dossier.objects.get().status == Dossier.Status.ASSEMBLING
    assert Event.objects.count() == events
    token = re.search(r'name="confirm" value="([^"]+)"', text).group(1)
    # A token of another dossier or person, or an altered one, is no confirmation.
    assert client.post(freeze_url, {"confirm": token + "x"}).status_code == 200
    assert Dossier.objects.get().status == Dossier.Status.ASSEMBLING
    response = client.post(freeze_url, {"confirm": token}, follow=True)
    assert "案卷已封卷归档" in html(response)
    assert Case.objects.get(pk=scene.case.pk).stage == Case.Stage.ARCHIVED
    detail = html(response)
    assert "2056-11-20" in detail and "补充归档" in detail
    # 5. A supplement for a late document.
    late = scene.document(officer, "送达回执", 40)
    url = reverse("archive:dossier_supplement", args=[dossier.pk])
    form = html(client.get(url))
    assert f'value="document:{late.pk}"' in form
    refused = client.post(url, {"items": [f"document:{late.pk}"], "reason": ""})
    assert refused.status_code == 400 and "请填写补充归档的原因" in html(refused)
    response = client.post(
        url, {"items": [f"document:{late.pk}"], "reason": "送达回执归档后退回"}, follow=True
    )
    text = html(response)
    assert "已提交补充归档申请" in text and "待机构负责人审批" in text
    assert "补充归档第1次" not in text  # nothing added before the head approves
    assert not dossier.supplements.exists()
    # 6. The head approves it from the inbox; only then is the document added.
    head_client = login(head)
    inbox = html(head_client.get(reverse("access:inbox")))
    assert "补充归档申请" in inbox and "送达回执归档后退回" in inbox
    request_pk = dossier.supplement_requests.get().pk
    decide = reverse("archive:supplement_decide", args=[request_pk])
    assert decide in html(head_client.get(dossier.get_absolute_url()))
    response = head_client.post(decide, {"decision": "approve", "note": "同意"}, follow=True)
    text = html(response)
    assert "已批准补充归档申请" in text and "送达回执归档后退回" in text
    assert "补充归档第1次" in text
    assert "案卷号：渝中档〔2026〕1号，保管期限：30年" in text  # the history in words
    assert "第1次，1项材料：送达回执归档后退回" in text
    assert "审批意见：同意" in text
    # 7. The case page and its acts' pages link to the dossier.
    for page_url in (scene.case.get_absolute_url(), scene.inspection.get_absolute_url()):
        assert dossier.get_absolute_url() in html(client.get(page_url))


def test_the_table_of_contents_downloads_as_pdf_and_is_logged(scene, custodian, officer):
    dossier = dossiers.assemble_dossier(custodian, case=scene.case)
    client = login(officer)
    response = client.get(reverse("archive:dossier_toc", args=[dossier.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    (event,) = Event.objects.for_object(dossier).filter(action="dossier.toc_downloaded")
    assert event.actor == officer
    dossier.refresh_from_db()
    assert dossier.toc_blob_id in event.body


def test_an_officer_may_read_but_not_freeze(scene, custodian, officer):
    dossier = dossiers.assemble_dossier(custodian, case=scene.case)
    client = login(officer)
    detail = html(client.get(dossier.get_absolute_url()))
    assert reverse("archive:dossier_freeze", args=[dossier.pk]) not in detail
    response = client.post(reverse("archive:dossier_freeze", args=[dossier.pk]), follow=True)
    assert "只有本机构的记录管理专人可以组卷、归档和补充归档" in html(response)
    assert Dossier.objects.get().status == Dossier.Status.ASSEMBLING
    page = client.post(
        reverse("archive:dossier_assemble_case", args=[scene.case.pk]),
        {"kind": "penalty_general", "title": "x"},
    )
    assert page.status_code == 400
    assert client.get(reverse("archive:dossier_supplement", args=[dossier.pk])).status_code == 403


def test_refusals_are_shown_in_chinese(officer, colleague, subject, custodian):
    scene = closed_case(officer, colleague, subject, close_it=False)
    client = login(custodian)
    url = reverse("archive:dossier_assemble_case", args=[scene.case.pk])
    response = client.post(url, {"kind": "penalty_general", "title": "案"})
    assert response.status_code == 400
    assert "案件尚未结案（当前阶段：立案），不能组卷" in html(response)
    assert not Dossier.objects.exists()


def test_the_outsider_sees_nothing(scene, custodian, outsider):
    dossier = dossiers.assemble_dossier(custodian, case=scene.case)
    client = login(outsider)
    for url in (
        dossier.get_absolute_url(),
        reverse("archive:dossier_toc", args=[dossier.pk]),
        reverse("archive:dossier_supplement", args=[dossier.pk]),
        reverse("archive:dossier_assemble_case", args=[scene.case.pk]),
        reverse("archive:dossier_assemble_act", args=[scene.inspection.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for name in ("archive:dossier_freeze", "archive:dossier_refresh"):
        assert client.post(reverse(name, args=[dossier.pk])).status_code == 404
    assert scene.case.number not in html(client.get(reverse("archive:dossier_queue")))
    assert dossier.number not in html(client.get(reverse("archive:dossier_list")))
    assert not Event.objects.filter(actor=outsider, action__startswith="dossier.").exists()


def test_a_post_without_csrf_token_is_refused(scene, custodian):
    dossier = dossiers.assemble_dossier(custodian, case=scene.case)
    client = login(custodian, enforce_csrf=True)
    url = reverse("archive:dossier_freeze", args=[dossier.pk])
    assert client.post(url).status_code == 403
    assert Dossier.objects.get().status == Dossier.Status.ASSEMBLING
    page = html(client.get(dossier.get_absolute_url()))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    asked = client.post(url, {"csrfmiddlewaretoken": token})
    assert asked.status_code == 200  # the confirmation page
    assert Dossier.objects.get().status == Dossier.Status.ASSEMBLING
    sure = {"csrfmiddlewaretoken": token, "confirm": confirm.token(custodian, FREEZE, dossier)}
    assert client.post(url, sure).status_code == 302
    assert Dossier.objects.get().status == Dossier.Status.FROZEN


def test_a_lone_inspection_is_assembled_from_the_act_page(officer, colleague, subject, custodian):
    act = lone_inspection(officer, colleague, subject)
    client = login(custodian)
    url = reverse("archive:dossier_assemble_act", args=[act.pk])
    assert url in html(client.get(act.get_absolute_url()))
    assert url in html(client.get(reverse("archive:dossier_queue")))
    response = client.post(url, {"kind": "inspection", "title": "监督检查"})
    dossier = Dossier.objects.get(act=act)
    assert response["Location"] == dossier.get_absolute_url()
    assert dossier.get_absolute_url() in html(client.get(act.get_absolute_url()))


def test_the_list_filters_by_status_class_and_year(scene, officer, colleague, subject, custodian):
    frozen = dossiers.freeze_dossier(
        custodian, dossiers.assemble_dossier(custodian, case=scene.case)
    )
    assembling = dossiers.assemble_dossier(
        custodian, act=lone_inspection(officer, colleague, subject)
    )
    client = login(officer)
    url = reverse("archive:dossier_list")

    def listed(**params):
        text = html(client.get(url, params))
        return {d.number for d in (frozen, assembling) if d.number in text}

    assert listed() == {frozen.number, assembling.number}
    assert listed(status="frozen") == {frozen.number}
    assert listed(retention_class="10y") == {assembling.number}
    assert listed(year=2026) == {frozen.number}
    assert listed(year=2025) == set()


def test_the_city_administrator_edits_the_retention_configuration(city_admin, custodian):
    old = login(custodian).get(reverse("archive:dossier_config"))
    assert old.status_code == 302 and old.url == reverse("retention:config")
    url = reverse("retention:config")
    page = html(login(custodian).get(url))
    assert "国家档案局令第8号" in page and "保存为新版本" not in page
    refused = login(custodian).post(url, {"class_penalty_general": "permanent"})
    assert refused.status_code == 403
    client = login(city_admin)
    data = {
        "class_penalty_general": "permanent",
        "class_penalty_summary": "10y",
        "class_inspection": "10y",
        "note": "一般程序案卷改为永久保管",
    }
    preview = html(client.get(url, data))
    assert "预览" in preview and "确认修改并保存为新版本" in preview
    assert not RetentionConfig.objects.exists()  # the preview saves nothing
    response = client.post(url, {**data, "confirm": "1"}, follow=True)
    assert "已保存保管期限配置第1版" in html(response)
    config = RetentionConfig.objects.get()
    assert config.data["dossier_classes"]["penalty_general"] == "permanent"
    assert Event.objects.filter(action="archive.retention_config_changed").count() == 1
    unchanged = client.post(url, {**data, "confirm": "1"})
    assert unchanged.status_code == 400 and "配置没有变化" in html(unchanged)
    bad = client.post(url, {**data, "class_inspection": "5y", "confirm": "1"})
    assert bad.status_code == 400
    assert RetentionConfig.objects.count() == 1

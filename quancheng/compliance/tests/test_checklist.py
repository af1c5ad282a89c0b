"""The act's next steps (待办事项): missing records, signatures, findings, registration."""

import datetime as dt

import pytest

from quancheng.compliance.checklist import next_steps, open_errors
from quancheng.compliance.evaluate import evaluate_act
from quancheng.compliance.models import Finding
from quancheng.compliance.services import answer_finding
from quancheng.documents import services as documents
from quancheng.documents.catalogue import load_catalogue
from quancheng.documents.models import DocumentType
from quancheng.ledger.models import Event

from .scene import ALL_MARKERS, END, START

pytestmark = pytest.mark.django_db

LATER = END + dt.timedelta(hours=3)  # the same day: the registration is not yet overdue


def _codes(steps):
    return [s.code for s in steps]


def test_a_complete_act_has_no_next_step(scene, officer, clock):
    built = scene("inspection")
    clock(LATER)
    assert next_steps(built.act, officer) == []


def test_an_inspection_without_av_asks_for_it_with_the_upload_action(scene, officer, clock):
    built = scene("inspection", compliant=False)
    built.document("现场笔录")
    built.data()
    built.register()
    clock(LATER)
    events = Event.objects.count()

    steps = next_steps(built.act, officer)

    assert _codes(steps)[0] == "record.missing_av"
    first = steps[0]
    assert first.rule_id == "A11-mandatory" and first.severity == "error"
    assert "未见任何音像记录" in first.text and first.article.startswith("第十一条")
    assert first.action_url == f"/acts/{built.act.pk}/upload/?return=checklist"
    assert first.action_label == "上传音像记录"
    assert Event.objects.count() == events  # reading the checklist writes nothing


def test_the_av_step_goes_once_the_clip_is_there(scene, officer, clock):
    built = scene("inspection", compliant=False)
    built.document("现场笔录")
    built.data()
    built.register()
    clock(LATER)
    assert "record.missing_av" in _codes(next_steps(built.act, officer))

    segment = built.segment(START, END)
    for offset, kind in enumerate(ALL_MARKERS):
        built.mark(segment, kind, 10 + offset * 60)
    built.mark(segment, "door_at_end", 3590)

    # Before any re-evaluation stored the findings: the checklist reads the records now.
    assert next_steps(built.act, officer) == []


def test_a_missing_document_offers_to_draft_it(scene, officer, clock):
    built = scene("inspection", compliant=False)
    built.main = built.segment(START, END)
    built.data()
    built.register()
    clock(LATER)
    steps = [s for s in next_steps(built.act, officer) if s.code == "record.missing_document"]
    assert len(steps) == 1
    assert "《现场笔录》" in steps[0].text
    assert steps[0].action_url == f"/documents/acts/{built.act.pk}/new/"


def test_a_draft_missing_signatures_then_waiting_to_be_finalised(scene, officer, colleague, clock):
    built = scene("inspection")
    load_catalogue()
    clock(LATER)
    draft = documents.create_draft(
        officer,
        built.act,
        DocumentType.objects.get(name="卫生监督意见书"),
        {"opinion": "整改"},
    )
    (step,) = next_steps(built.act, officer)
    assert step.code in ("document.unsigned", "document.incomplete")
    if step.code == "document.incomplete":
        pytest.fail(f"the draft lacks fields: {step.text}")
    assert "执法人员张伟的签名" in step.text and "执法人员李娜的签名" in step.text
    assert step.action_url == f"/documents/drafts/{draft.pk}/sign/"
    assert step.draft_id == draft.pk


def test_an_open_finding_then_answered_goes_to_the_head(scene, officer, head, clock):
    built = scene("inspection", compliant=False)
    built.main = built.segment(START, END)
    for offset, kind in enumerate(ALL_MARKERS):
        if kind != "identity_stated":  # A15-identity: the officers did not state identity
            built.mark(built.main, kind, 10 + offset * 60)
    built.mark(built.main, "door_at_end", 3590)
    built.document("现场笔录")
    built.data()
    built.register()
    clock(LATER)
    evaluate_act(built.act)
    finding = Finding.objects.get(act=built.act, rule_id="A15-identity")

    (step,) = next_steps(built.act, officer)
    assert step.code == "finding.open" and step.rule_id == "A15-identity"
    assert step.finding_id == finding.pk
    assert step.action_url == f"/acts/{built.act.pk}/#finding-{finding.pk}"
    assert step.action_label == "答复"
    # The head cannot answer it for the officers (capability table): the step says who does.
    (for_head,) = next_steps(built.act, head)
    assert for_head.action_url == "" and for_head.actor

    assert step.mine and not for_head.mine

    answer_finding(officer, finding, "执法人员已口头表明身份，录音中可听到。")
    (step,) = next_steps(built.act, officer)
    assert step.code == "finding.answered" and step.action_url == ""
    (for_head,) = next_steps(built.act, head)
    assert for_head.action_label == "审核答复"
    assert not step.mine and for_head.mine  # the answer waits for the head


def test_registration_is_the_custodians_step_with_its_deadline(scene, officer, custodian, clock):
    built = scene("inspection", compliant=False)
    built.main = built.segment(START, END)
    for offset, kind in enumerate(ALL_MARKERS):
        built.mark(built.main, kind, 10 + offset * 60)
    built.mark(built.main, "door_at_end", 3590)
    built.document("现场笔录")
    built.data()
    clock(LATER)

    (step,) = next_steps(built.act, officer)
    assert step.code == "registration.due"
    assert "2026年11月18日" in step.text and step.article == "第二十一条第一款"
    assert step.action_url == "" and step.actor == "记录管理专人"
    assert not step.mine  # A19, A21: the custodian registers; the officer's part is done
    (for_custodian,) = next_steps(built.act, custodian)
    assert for_custodian.action_url == f"/acts/{built.act.pk}/#registration"
    assert for_custodian.mine

    clock(END + dt.timedelta(days=5))  # past the two working days, no request filed
    (step,) = next_steps(built.act, officer)
    assert step.code == "registration.overdue" and step.severity == "error"
    assert step.action_label == "申请延期登记"
    assert step.mine  # A21: the written explanation for a late registration is the officer's


def test_open_errors_lists_the_missing_av_but_not_warnings(scene, clock):
    built = scene("inspection", compliant=False)
    built.document("现场笔录")
    built.data()
    clock(LATER)
    errors = open_errors(built.act)
    assert {e["rule"] for e in errors} >= {"A11-mandatory"}
    assert all(e["message"] for e in errors)


def test_the_act_page_leads_with_the_checklist(client, scene, officer, clock):
    built = scene("inspection", compliant=False)
    built.document("现场笔录")
    built.data()
    built.register()
    clock(LATER)
    client.force_login(officer)
    page = client.get(f"/acts/{built.act.pk}/").content.decode()
    box = page.index('id="next-steps"')
    assert box < page.index("<h2>执法人员</h2>") and box < page.index('id="compliance"')
    assert 'data-code="record.missing_av"' in page
    assert f'href="/acts/{built.act.pk}/upload/?return=checklist">上传音像记录</a>' in page
    assert "A11-mandatory" in page and "本次执法记录已齐全" not in page


def test_a_complete_act_page_says_so_with_a_tick(client, scene, officer, clock):
    built = scene("inspection")
    clock(LATER)
    client.force_login(officer)
    page = client.get(f"/acts/{built.act.pk}/").content.decode()
    assert "✓</span> 本次执法记录已齐全" in page and "next-step-kind" not in page


def test_the_officers_own_list_is_empty_while_the_registration_awaits_the_custodian(
    client, scene, officer, custodian, clock
):
    """The act page splits the checklist: 你还需要做的 (empty: says so) and 待他人处理."""
    built = scene("inspection", compliant=False)
    built.main = built.segment(START, END)
    for offset, kind in enumerate(ALL_MARKERS):
        built.mark(built.main, kind, 10 + offset * 60)
    built.mark(built.main, "door_at_end", 3590)
    built.document("现场笔录")
    built.data()
    clock(LATER)
    client.force_login(officer)
    page = client.get(f"/acts/{built.act.pk}/").content.decode()
    mine = page[page.index('id="next-steps-mine"') : page.index('id="next-steps-others"')]
    others = page[page.index('id="next-steps-others"') :]
    assert "本次执法你需完成的事项已全部完成" in mine and "next-step-kind" not in mine
    assert 'data-code="registration.due"' in others and "由记录管理专人办理" in others
    assert "本次执法记录已齐全" not in page

    client.force_login(custodian)
    page = client.get(f"/acts/{built.act.pk}/").content.decode()
    assert 'id="next-steps-others"' not in page
    mine = page[page.index('id="next-steps-mine"') :]
    assert 'data-code="registration.due"' in mine and ">登记记录</a>" in mine

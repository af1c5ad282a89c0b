"""Drafting, signing, refusing, finalising and correcting; bad input leaves nothing changed."""

import pytest
from django.core.exceptions import ValidationError

from quancheng.conftest import PASSWORD
from quancheng.documents import services
from quancheng.documents.models import DocumentDraft, DraftSignature, NumberCounter
from quancheng.ledger.models import Event
from quancheng.records.models import Blob, Document

from .conftest import doc_type, signature_png, terminal


def _sign_all(actor, draft, officers):
    """Each officer signs on the actor's device, with their own password where not the actor."""
    for officer in officers:
        password = "" if officer == actor else PASSWORD
        services.add_signature(
            actor,
            draft,
            role="officer",
            officer=officer,
            image=signature_png(),
            password=password,
            request=terminal(),
        )
    services.add_signature(actor, draft, role="party", name="王建国", image=signature_png())


def _counts():
    return (
        Event.objects.count(),
        Document.objects.count(),
        NumberCounter.objects.count(),
        DocumentDraft.objects.filter(status="final").count(),
    )


@pytest.mark.django_db
def test_a_type_not_allowed_for_the_act_kind_is_refused(officer, act, catalogue):
    before = (_counts(), DocumentDraft.objects.count())
    with pytest.raises(ValidationError) as e:
        services.create_draft(officer, act, doc_type("听证笔录"))
    assert "“监督检查”不使用文书“听证笔录”" in e.value.messages[0]
    assert (_counts(), DocumentDraft.objects.count()) == before


@pytest.mark.django_db
def test_the_page_refuses_a_type_not_allowed_for_the_act_kind(client, officer, act, catalogue):
    client.force_login(officer)
    page = client.get(f"/documents/acts/{act.pk}/new/")
    assert "现场笔录" in page.content.decode() and "听证笔录" not in page.content.decode()
    r = client.post(
        f"/documents/acts/{act.pk}/new/", {"doc_type": doc_type("听证笔录").code}, follow=True
    )
    assert "不使用文书“听证笔录”" in r.content.decode()
    assert not DocumentDraft.objects.exists()


@pytest.mark.django_db
def test_each_missing_required_field_and_signature_is_named(officer, colleague, act, certified):
    draft = services.create_draft(officer, act, doc_type("现场笔录"))
    data = dict(draft.data)
    data.pop("recorder")
    services.save_draft(officer, draft, data)
    services.add_signature(officer, draft, role="officer", officer=officer, image=signature_png())
    before = _counts()
    with pytest.raises(ValidationError) as e:
        services.finalise(officer, draft)
    assert e.value.messages == [
        "缺少必填项：记录人",
        "缺少必填项：现场检查情况",
        "缺少执法人员李娜的签名",
        "缺少当事人签名（或拒签记录）",
    ]
    assert _counts() == before


@pytest.mark.django_db
def test_a_change_after_signing_needs_new_signatures(officer, colleague, act, certified):
    draft = services.create_draft(officer, act, doc_type("现场笔录"), {"findings": "未见异常"})
    _sign_all(officer, draft, [officer, colleague])
    assert services.missing_signatures(draft) == []
    services.save_draft(officer, draft, {**draft.data, "findings": "发现问题"})
    draft.refresh_from_db()
    assert len(services.missing_signatures(draft)) == 3


@pytest.mark.django_db
def test_a_second_finalisation_is_refused_and_a_correction_is_a_new_version(
    officer, colleague, act, certified
):
    draft = services.create_draft(officer, act, doc_type("卫生监督意见书"), {"opinion": "整改"})
    _sign_all(officer, draft, [officer, colleague])
    document = services.finalise(officer, draft)
    before = _counts()
    with pytest.raises(ValidationError) as e:
        services.finalise(officer, draft)
    assert "文书已定稿" in e.value.messages[0]
    with pytest.raises(ValidationError):
        services.save_draft(officer, draft, {**draft.data, "opinion": "改"})
    with pytest.raises(ValidationError):
        services.add_signature(officer, draft, role="party", name="甲", image=signature_png())
    assert _counts() == before

    with pytest.raises(ValidationError):
        services.start_correction(officer, draft, "  ")
    correction = services.start_correction(officer, draft, "监督意见表述有误")
    services.save_draft(officer, correction, {**correction.data, "opinion": "限期三日整改"})
    correction.refresh_from_db()
    _sign_all(officer, correction, [officer, colleague])
    corrected = services.finalise(officer, correction)
    assert corrected.pk != document.pk and corrected.number != document.number
    draft.refresh_from_db()
    assert draft.document_id == document.pk and draft.corrections.get() == correction
    assert Blob.objects.filter(sha256=document.blob_id).exists()


@pytest.mark.django_db
def test_a_party_refusal_needs_a_reason_and_a_witness_or_photo(officer, colleague, act, certified):
    draft = services.create_draft(officer, act, doc_type("现场笔录"), {"findings": "未见异常"})
    with pytest.raises(ValidationError) as e:
        services.record_refusal(officer, draft, name="王建国", reason="")
    assert set(e.value.message_dict) == {"reason", "witness"}
    assert not DraftSignature.objects.exists()
    services.record_refusal(
        officer, draft, name="王建国", reason="对检查结果有异议", evidence="执法记录仪 DSC_0001"
    )
    for o in (officer, colleague):
        services.add_signature(
            officer,
            draft,
            role="officer",
            officer=o,
            image=signature_png(),
            password=PASSWORD,
            request=terminal(),
        )
    document = services.finalise(officer, draft)
    assert document.number
    event = Event.objects.get(action="documentdraft.party_refused")
    assert "对检查结果有异议" in event.body


@pytest.mark.django_db
def test_a_signature_must_be_a_png_from_an_officer_of_the_act(officer, head, act, catalogue):
    draft = services.create_draft(officer, act, doc_type("现场笔录"))
    with pytest.raises(ValidationError):
        services.add_signature(officer, draft, role="officer", officer=head, image=signature_png())
    with pytest.raises(ValidationError):
        services.add_signature(
            officer, draft, role="party", name="甲", image="data:image/png;base64,R0lGODlh"
        )
    with pytest.raises(ValidationError):
        services.add_signature(officer, draft, role="party", name="", image=signature_png())
    assert not DraftSignature.objects.exists()


@pytest.mark.django_db
def test_without_a_certificate_finalising_is_refused(officer, colleague, act, catalogue):
    draft = services.create_draft(officer, act, doc_type("现场笔录"), {"findings": "未见异常"})
    _sign_all(officer, draft, [officer, colleague])
    before = _counts()
    with pytest.raises(ValidationError) as e:
        services.finalise(officer, draft)
    assert "没有有效的签章证书" in e.value.messages[0]
    assert _counts() == before


@pytest.mark.django_db
def test_the_pages_show_an_outsider_nothing(client, officer, outsider, act, catalogue):
    draft = services.create_draft(officer, act, doc_type("现场笔录"))
    client.force_login(outsider)
    for url in (
        f"/documents/acts/{act.pk}/new/",
        f"/documents/drafts/{draft.pk}/",
        f"/documents/drafts/{draft.pk}/sign/",
        f"/documents/drafts/{draft.pk}/preview.pdf",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/documents/drafts/{draft.pk}/finalise/").status_code == 404


@pytest.mark.django_db
def test_the_act_page_offers_new_document_and_the_preview_is_a_pdf(client, officer, act, catalogue):
    client.force_login(officer)
    page = client.get(act.get_absolute_url()).content.decode()
    assert "文书制作" in page and f"/documents/acts/{act.pk}/new/" in page
    draft = services.create_draft(officer, act, doc_type("现场笔录"))
    r = client.get(f"/documents/drafts/{draft.pk}/preview.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")
    assert Event.objects.filter(action="documentdraft.previewed").exists()
    page = client.get(draft.get_absolute_url()).content.decode()
    assert "定稿前还需" in page and "现场检查情况" in page


@pytest.mark.django_db
def test_the_refusal_form_on_the_signature_page(client, officer, act, catalogue):
    client.force_login(officer)
    draft = services.create_draft(officer, act, doc_type("现场笔录"))
    r = client.post(
        f"/documents/drafts/{draft.pk}/refuse/",
        {"name": "王建国", "reason": "", "witness": "", "evidence": ""},
        follow=True,
    )
    assert "请填写拒签原因" in r.content.decode()
    r = client.post(
        f"/documents/drafts/{draft.pk}/refuse/",
        {"name": "王建国", "reason": "拒绝", "witness": "赵敏", "evidence": ""},
        follow=True,
    )
    assert "请填写见证人身份" in r.content.decode()
    r = client.post(
        f"/documents/drafts/{draft.pk}/refuse/",
        {
            "name": "王建国",
            "reason": "拒绝",
            "witness": "赵敏",
            "witness_identity": "社区网格员",
            "witness_id_number": "500103199001011234",
            "evidence": "",
        },
        follow=True,
    )
    assert "已记录当事人拒绝签名" in r.content.decode()
    refusal = DraftSignature.objects.get()
    assert (refusal.witness_name, refusal.witness_identity) == ("赵敏", "社区网格员")
    assert refusal.witness_id_number == "500103199001011234"


@pytest.mark.django_db
def test_the_case_page_lists_the_documents_of_its_acts(client, officer, act, case, catalogue):
    from quancheng.cases.services import update_act

    update_act(officer, act, case=case)
    act.refresh_from_db()
    services.create_draft(officer, act, doc_type("卫生监督意见书"))
    client.force_login(officer)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "制作的文书" in page and "卫生监督意见书" in page

"""Issue 22: the documents as 卫生行政执法文书规范 (87号) writes them — 编号 numbers, witnesses,
corrections struck through, "/" for empty items, and the party's copy in A4 and 80 mm."""

import datetime as dt
import io
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction

from quancheng.cases.services import create_act
from quancheng.conftest import PASSWORD
from quancheng.documents import services
from quancheng.documents.models import DocumentDraft, DocumentType, NumberingConfig, PartyCopy
from quancheng.documents.numbering import check_document_number, issue_number
from quancheng.documents.render import render_context, render_pdf
from quancheng.ledger.models import Event
from quancheng.records.items import create_document
from quancheng.records.services import blob_store, put_record, register_blob

from .conftest import doc_type, poppler, signature_png, terminal

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 6, 15, 0, tzinfo=SHANGHAI)
# The 13 seed types of DOMAIN.md (渝卫发〔2019〕70号 and 87号), by their national names.
CORE = [
    "现场笔录",
    "责令（限期）改正通知书",
    "卫生监督意见书",
    "询问记录",
    "听证笔录",
    "合议记录",
    "行政处罚事先告知书",
    "行政处罚决定书",
    "催告书",
    "行政处罚听证通知书",
    "查封、扣押决定书",
    "证据先行登记保存决定书",
    "行政控制决定书",
]


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=True):
        yield


def _text(pdf: bytes, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return poppler("pdftotext", "-enc", "UTF-8", str(path), "-")


def _pdf(document) -> bytes:
    with blob_store().open(document.blob_id) as f:
        return f.read()


def _sign_officers(officer, colleague, draft):
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


def _upload(officer, agency, act, number):
    blob = register_blob(put_record(io.BytesIO(b"%PDF-1.4 scan " + number.encode())), agency)
    return create_document(
        officer,
        agency=agency,
        blob=blob,
        source="upload",
        act=act,
        file_kind="pdf",
        doc_type="现场笔录",
        number=number,
    )


@pytest.mark.django_db
def test_an_upload_numbered_the_bianhao_way_is_accepted_and_a_duplicate_refused(
    officer, agency, act
):
    document = _upload(officer, agency, act, "2026—001")
    assert document.number == "2026—001"
    assert Event.objects.filter(action="document.created", object_id=str(document.pk)).exists()
    for same in ("2026—001", "2026-001", "2026－001"):  # the same 编号, however the dash is written
        with pytest.raises(ValidationError) as e:
            _upload(officer, agency, act, same)
        assert "已被本机构的其他文书使用" in e.value.messages[0]
    # A 文号 with the same year and serial is another style: no clash; nor is 2026—002.
    assert _upload(officer, agency, act, "渝中卫医罚〔2026〕1号").number
    assert _upload(officer, agency, act, "2026—002").number
    with pytest.raises(ValidationError) as e:
        check_document_number(agency, "2027—001")  # a year still to come
    assert "年份2027不合理" in e.value.messages[0]
    with pytest.raises(ValidationError) as e:
        check_document_number(agency, "2026/001")
    assert "应如文号" in e.value.messages[0] and "或编号“2026—001”" in e.value.messages[0]


@pytest.mark.django_db
def test_bianhao_types_number_per_agency_and_year_with_the_configured_width(
    agency, subject, catalogue
):
    record, opinion = doc_type("现场笔录"), doc_type("卫生监督意见书")
    penalty = doc_type("行政处罚决定书")
    assert (record.number_style, opinion.number_style, penalty.number_style) == (
        "bianhao",
        "bianhao",
        "wenhao",
    )
    with transaction.atomic():
        assert issue_number(agency, record, subject, 2026) == "2026—001"
        assert issue_number(agency, opinion, subject, 2026) == "2026—002"
        assert issue_number(agency, penalty, subject, 2026) == "渝中卫医罚〔2026〕1号"
        assert issue_number(agency, record, subject, 2027) == "2027—001"
    NumberingConfig.objects.create(
        agency=agency,
        region="渝中区",
        bianhao_width=4,
        categories={"medical": "医政"},
        region_source="市卫生健康委文书格式通知",
    )
    with transaction.atomic():
        assert issue_number(agency, record, subject, 2026) == "2026—0003"
        assert issue_number(agency, penalty, subject, 2026) == "渝中区卫医政罚〔2026〕1号"


@pytest.mark.django_db
def test_a_refusal_with_a_witness_prints_on_the_pdf_and_empty_items_show_a_slash(
    officer, colleague, act, certified, tmp_path
):
    draft = services.create_draft(officer, act, doc_type("现场笔录"), {"findings": "未见异常"})
    assert "出示执法证件" in draft.data["credentials_shown"]  # 70号 第十五条（一）
    with pytest.raises(ValidationError) as e:
        services.record_refusal(officer, draft, name="王建国", reason="不愿签字", witness="赵敏")
    assert "witness_identity" in e.value.message_dict
    services.record_refusal(
        officer,
        draft,
        name="王建国",
        reason="对检查结果有异议",
        witness="赵敏",
        witness_identity="解放碑街道社区居委会工作人员",
        witness_id_number="500103199001011234",
    )
    services.add_signature(
        officer,
        draft,
        role="witness",
        name="赵敏",
        image=signature_png(),
        capacity="当事人",
        witness_identity="解放碑街道社区居委会工作人员",
    )
    _sign_officers(officer, colleague, draft)
    document = services.finalise(officer, draft)
    text = _text(_pdf(document), tmp_path, "refusal").replace("\n", "")
    assert "拒绝签名。原因：对检查结果有异议" in text
    assert "见证人：赵敏（解放碑街道社区居委会工作人员，证件号码500103199001011234）" in text
    assert "当事人的见证人：赵敏" in text
    assert f"编号：{document.number}" in text and document.number == "2026—001"
    # No blank for anyone to fill in later: the empty optional 统一社会信用代码 etc. read "/".
    assert "当事人意见/" in text.replace(" ", "")
    event = Event.objects.get(action="documentdraft.party_refused")
    assert "500103199001011234" in event.body and "解放碑街道社区居委会工作人员" in event.body


@pytest.mark.django_db
def test_a_correction_shows_the_struck_text_and_the_replacement_and_keeps_the_old_version(
    officer, colleague, act, certified, tmp_path
):
    original = services.create_draft(
        officer, act, doc_type("卫生监督意见书"), {"opinion": "限三日内整改消毒记录"}
    )
    services.add_signature(officer, original, role="party", name="王建国", image=signature_png())
    _sign_officers(officer, colleague, original)
    first = services.finalise(officer, original)
    original.refresh_from_db()

    correction = services.start_correction(officer, original, "整改期限笔误")
    assert correction.correction_confirmation == "party"  # the type has a party signer
    services.save_draft(officer, correction, {**correction.data, "opinion": "限七日内整改消毒记录"})
    correction.refresh_from_db()
    _sign_officers(officer, colleague, correction)
    services.record_refusal(
        officer, correction, name="王建国", reason="不愿再签", evidence="执法记录仪 0002"
    )
    with pytest.raises(ValidationError) as e:  # a refusal does not confirm a correction
        services.finalise(officer, correction)
    assert "当事人对更正的签名确认" in " ".join(e.value.messages)
    services.add_signature(officer, correction, role="party", name="王建国", image=signature_png())
    second = services.finalise(officer, correction)

    assert services.corrected_fields(correction) == {
        "opinion": {"old": "限三日内整改消毒记录", "new": "限七日内整改消毒记录"}
    }
    new_text = _text(_pdf(second), tmp_path, "corrected").replace("\n", "")
    assert "限三日内整改消毒记录 限七日内整改消毒记录" in new_text
    assert "划线部分为更正前内容" in new_text and "更正处由当事人签名确认" in new_text
    old_text = _text(_pdf(first), tmp_path, "original")
    assert "限七日内" not in old_text and "划线部分" not in old_text
    assert first.pk != second.pk and original.is_final
    # On the face the old text is a <del> (drawn struck through), the new one beside it.
    context = render_context(correction, number=second.number, final=True)
    row = next(r for r in context["rows"] if r["field"]["name"] == "opinion")
    assert row["change"] == {"old": "限三日内整改消毒记录", "new": "限七日内整改消毒记录"}
    event = Event.objects.get(action="documentdraft.correction_started")
    assert '"confirmation":"party"' in event.body


@pytest.mark.django_db
def test_a_correction_of_a_type_without_a_party_signer_carries_the_proofreading_seal(
    officer, act, catalogue
):
    draft = DocumentDraft.objects.create(
        agency=act.agency,
        act=act,
        doc_type=doc_type("公告"),
        data={"party": "某诊所"},
        status="final",
        number="渝中卫医公〔2026〕1号",
        created_by=officer,
    )
    correction = services.start_correction(officer, draft, "地点笔误")
    assert correction.correction_confirmation == "seal"
    with pytest.raises(ValidationError):
        services.start_correction(officer, draft, "x", confirmation="notary")


@pytest.mark.django_db
def test_the_party_copy_in_a4_and_80_mm_recorded_against_the_service_receipt(
    officer, colleague, agency, subject, act, certified, tmp_path
):
    draft = services.create_draft(
        officer, act, doc_type("卫生监督意见书"), {"opinion": "完善医疗废物交接登记"}
    )
    services.add_signature(officer, draft, role="party", name="王建国", image=signature_png())
    _sign_officers(officer, colleague, draft)
    with pytest.raises(ValidationError):
        services.make_party_copy(officer, draft)  # not final yet
    services.finalise(officer, draft)
    draft.refresh_from_db()
    thermal = services.make_party_copy(officer, draft, "thermal80")
    with blob_store().open(thermal.blob_id) as f:
        pdf = f.read()
    path = tmp_path / "thermal.pdf"
    path.write_bytes(pdf)
    # 80 mm wide (226.77 pt), a 297 mm roll length per page.
    assert "226.772 x 841.89 pts" in poppler("pdfinfo", str(path))
    text = _text(pdf, tmp_path, "thermal-text").replace("\n", "")
    assert "（当事人联）" in text and "完善医疗废物交接登记" in text and draft.number in text
    a4 = services.make_party_copy(officer, draft, "a4")
    assert a4.layout == "a4"
    assert Event.objects.filter(action="documentdraft.party_copy_made").count() == 2

    start = act.started_at + dt.timedelta(hours=1)
    service = create_act(
        officer,
        agency,
        [officer, colleague],
        kind="service",
        started_at=start,
        ended_at=start + dt.timedelta(minutes=10),
        place=subject.address,
        subject=subject,
    )
    receipt = services.create_draft(
        officer,
        service,
        doc_type("送达回执"),
        {
            "served_document": "卫生监督意见书（某号）",
            "served_at": start.isoformat(),
            "method": "直接送达",
            "receiver": "王建国",
            "receiver_relation": "法定代表人本人",
            "server": "李明",
        },
    )
    with pytest.raises(ValidationError) as e:
        services.record_party_copy_served(officer, thermal, receipt)
    assert "已定稿的送达回执" in e.value.messages[0]
    services.add_signature(officer, receipt, role="party", name="王建国", image=signature_png())
    _sign_officers(officer, colleague, receipt)
    services.finalise(officer, receipt)
    receipt.refresh_from_db()
    served = services.record_party_copy_served(officer, thermal, receipt)
    assert served.receipt == receipt and served.served_at is not None
    assert PartyCopy.objects.get(pk=a4.pk).receipt is None
    with pytest.raises(ValidationError):
        services.record_party_copy_served(officer, thermal, receipt)  # once
    event = Event.objects.get(action="documentdraft.party_copy_served")
    assert f'"receipt":{receipt.pk}' in event.body


@pytest.mark.django_db
def test_the_80_mm_layout_renders_every_core_type_with_its_cjk_text(
    officer, act, catalogue, tmp_path
):
    """One rendering per core type, bounded by the 13 seed types (WeasyPrint is slow)."""
    assert len(CORE) == 13
    for index, name in enumerate(CORE):
        t = DocumentType.objects.get(name=name)
        data = {f["name"]: f"{f['label']}内容{index}" for f in t.fields if f["type"] == "text"}
        draft = DocumentDraft(agency=act.agency, act=act, doc_type=t, data=data, created_by=officer)
        pdf = render_pdf(
            draft,
            number="2026—001",
            final=True,
            layout="thermal80",
            copy_label="当事人联",
            signatures=[],
        )
        text = _text(pdf, tmp_path, f"core{index}").replace("\n", "").replace(" ", "")
        assert name.replace(" ", "") in text, name
        assert act.agency.name in text and "（当事人联）" in text
        some = next(iter(data.values()))
        assert some in text, (name, some)


@pytest.mark.django_db
def test_the_migration_renames_hearing_records_and_sets_the_bianhao_style(officer, act, catalogue):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("quancheng.documents.migrations.0005_national_forms")
    hearing = doc_type("听证笔录")
    record = doc_type("现场笔录")
    # The state before: the old name and style, and a draft made under it.
    DocumentType.objects.filter(pk=hearing.pk).update(name="听证记录", version=1)
    DocumentType.objects.filter(pk=record.pk).update(number_style="wenhao")
    old = DocumentDraft.objects.create(
        agency=act.agency, act=act, doc_type=hearing, data={}, created_by=officer
    )
    with transaction.atomic():
        migration.forwards(apps, None)
    hearing.refresh_from_db()
    record.refresh_from_db()
    assert (hearing.name, hearing.version, hearing.code) == ("听证笔录", 2, "tingzheng-jilu")
    assert record.number_style == "bianhao"
    assert DocumentDraft.objects.get(pk=old.pk).doc_type == hearing
    events = Event.objects.filter(action="documenttype.updated", object_id=str(hearing.pk))
    assert '"was":"听证记录"' in events.get().body
    with transaction.atomic():
        migration.forwards(apps, None)  # again: nothing more to do
    assert Event.objects.filter(action="documenttype.updated").count() == 2

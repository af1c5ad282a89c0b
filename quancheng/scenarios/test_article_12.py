"""第十二条 电子数据采集: terminal data recorded during the act, of its subject, uploaded in time,
and its content consistent with the documents (记录内容应当与执法文书相一致). A data kind declares
which of its fields correspond to which document fields ("x-document-fields")."""

import datetime as dt

import pytest

from quancheng.documents.catalogue import load_catalogue
from quancheng.documents.models import DocumentDraft, DocumentType
from quancheng.records.datakinds import load_data_kinds
from quancheng.records.items import create_data_record, create_document
from quancheng.records.models import DataKind, Document

from .conftest import END, LATER, START, api_findings, at, hits, keys

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A12-data")]

OPINION = "渝中卫医监意〔2026〕5号"


def _record(built, code, data, recorded_at=END):
    load_data_kinds()
    with built.arriving():
        return create_data_record(
            built.officer,
            agency=built.agency,
            kind=DataKind.objects.get(code=code),
            data=data,
            recorded_at=recorded_at,
            source="api",
            act=built.act,
        )


def _checklist(built, opinion_number, recorded_at=END):
    data = {
        "checklist": "医疗机构监督检查表",
        "items": [{"code": "1", "item": "执业许可证", "result": "不符合"}],
        "conclusion": "发现问题，已出具卫生监督意见书",
        "opinion_number": opinion_number,
    }
    return _record(built, "inspection-checklist", data, recorded_at)


def _opinion(built, number=OPINION):
    with built.arriving():
        return create_document(
            built.officer,
            agency=built.agency,
            blob=built.blob(),
            source="upload",
            act=built.act,
            file_kind="pdf",
            doc_type="卫生监督意见书",
            number=number,
        )


def _record_made_on_the_platform(built, place):
    """The scene's 现场笔录 as made on the platform: its draft holds the place written in it."""
    load_catalogue()
    doc = Document.objects.filter(act=built.act, doc_type="现场笔录").first()
    doc = doc or built.document("现场笔录")
    DocumentDraft.objects.create(
        agency=built.agency,
        act=built.act,
        doc_type=DocumentType.objects.get(name="现场笔录"),
        data={"place": place},
        status=DocumentDraft.Status.FINAL,
        document=doc,
        created_by=built.officer,
    )
    return doc


def _location(built, address):
    data = {"latitude": 29.56, "longitude": 106.58, "accuracy_m": 8, "address": address}
    return _record(built, "site-location", data)


def test_12_data_recorded_before_the_act_began_is_flagged(scene):
    """电子数据采集时间早于执法行为开始：报。"""
    built = scene()
    record = _checklist(built, OPINION, recorded_at=START - dt.timedelta(hours=1))
    assert keys(built, "A12-data") == {f"data:{record.pk}:time"}


def test_12_data_recorded_twenty_minutes_after_the_end_is_silent(scene):
    """检查结束后20分钟在终端采集（第十五条第（三）项，允许30分钟）：不报。"""
    built = scene()
    _checklist(built, OPINION, recorded_at=END + dt.timedelta(minutes=20))
    _opinion(built)
    assert hits(built, "A12-data") == []


def test_12_data_recorded_hours_after_the_act_is_flagged(scene):
    """执法结束3小时后才采集的数据：不在执法时间内，报。"""
    built = scene()
    record = _checklist(built, OPINION, recorded_at=END + dt.timedelta(hours=3))
    assert f"data:{record.pk}:time" in keys(built, "A12-data")


def test_12_an_opinion_number_differing_from_the_document_is_flagged(scene):
    """检查记录中的意见书编号与《卫生监督意见书》文号不一致：报。"""
    built = scene()
    record = _checklist(built, "渝中卫医监意〔2026〕6号")
    doc = _opinion(built)
    [hit] = hits(built, "A12-data")
    assert hit.key == f"data:{record.pk}:field:opinion_number:{doc.pk}"
    assert "不一致" in hit.params["problem"]


def test_12_an_opinion_number_equal_to_the_document_is_silent(scene):
    """编号一致：不报；映射只比对声明的文书种类（现场笔录没有该编号）。"""
    built = scene()
    _checklist(built, OPINION)
    _opinion(built)
    assert hits(built, "A12-data") == []


def test_12_a_location_address_differing_from_the_record_place_is_flagged(scene):
    """定位地址与平台制作的《现场笔录》检查地点不一致：报。"""
    built = scene()
    _record_made_on_the_platform(built, "渝中区邹容路100号")
    record = _location(built, "江北区观音桥步行街1号")
    assert any(k.startswith(f"data:{record.pk}:field:address") for k in keys(built, "A12-data"))


def test_12_a_location_address_equal_to_the_record_place_is_silent(scene):
    """定位地址与现场笔录检查地点一致（忽略空白）：不报。"""
    built = scene()
    _record_made_on_the_platform(built, "渝中区邹容路100号")
    _location(built, "渝中区 邹容路100号")
    assert hits(built, "A12-data") == []


def test_12_data_uploaded_after_the_registration_deadline_is_flagged(scene):
    """电子数据在登记期限（11月18日）后才上传：报。"""
    built = scene()
    built.arrival = at(2026, 11, 20, 9, 0)
    record = _checklist(built, OPINION)
    _opinion(built)
    assert keys(built, "A12-data", now=LATER) == {f"data:{record.pk}:arrival"}


def test_12_data_uploaded_on_the_second_working_day_is_silent(scene):
    """第2个工作日上传：不报。"""
    built = scene()
    built.arrival = at(2026, 11, 18, 18, 0)
    _checklist(built, OPINION)
    _opinion(built)
    assert hits(built, "A12-data", now=LATER) == []


def test_12_api_a_mismatching_number_reaches_the_terminal(scene, api):
    """接口：数据与文书不一致的检查发现经接口可见，并引用第十二条第二款。"""
    built = scene()
    _checklist(built, "渝中卫医监意〔2026〕6号")
    _opinion(built)
    [finding] = api_findings(api, built)["A12-data"]
    assert finding["message"].endswith("（第十二条第二款）")


def test_12_an_uploaded_record_whose_place_cannot_be_compared_is_flagged_as_such(scene):
    """上传的《现场笔录》（扫描件）未登记检查地点，定位地址无法比对：提示“无法比对”，不默认通过。"""
    built = scene()
    uploaded = Document.objects.get(act=built.act, doc_type="现场笔录")
    record = _location(built, "渝中区邹容路100号")
    [hit] = hits(built, "A12-data")
    assert hit.key == f"data:{record.pk}:uncompared:address:{uploaded.pk}"
    assert hit.severity == "warning" and "无法比对" in hit.params["problem"]


def test_12_an_uploaded_opinion_is_compared_on_the_number_entered_at_upload(scene):
    """上传的《卫生监督意见书》按上传时登记的文号比对：一致不报，也不提示无法比对。"""
    built = scene()
    _checklist(built, OPINION)
    doc = _opinion(built)
    assert doc.source == "upload"
    assert hits(built, "A12-data") == []


def test_12_api_an_uncompared_upload_reaches_the_terminal_as_a_warning(scene, api):
    """接口：无法比对的上传文书以提示级检查发现经接口可见。"""
    built = scene()
    _location(built, "渝中区邹容路100号")
    [finding] = api_findings(api, built)["A12-data"]
    assert finding["severity"] == "warning" and "无法比对" in finding["message"]

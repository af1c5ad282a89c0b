"""第九条 执法文书制作: documents per the national norms (卫生部令第87号) and the city's
catalogue — a number in the agency's format, unique; the timed records (现场笔录, 询问记录 …)
carry their start and end times."""

import pytest
from django.core.exceptions import ValidationError

from quancheng.records.items import create_document

from .conftest import api_findings, hits

pytestmark = pytest.mark.django_db


def _numbered(built, number):
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


@pytest.mark.rule("A15-complete")
def test_09_a_timed_record_without_its_times_is_flagged(scene):
    """《询问记录》未记载起止时间：缺项。"""
    built = scene("interrogation")
    doc = built.document("询问记录", (None, None))
    assert [h.key for h in hits(built, "A15-complete")] == [f"doc:{doc.pk}:times"]


@pytest.mark.rule("A15-complete")
def test_09_an_untimed_document_without_times_is_silent(scene):
    """《卫生监督意见书》本身不记载起止时间：不报。"""
    built = scene()
    built.document("卫生监督意见书", (None, None))
    assert hits(built, "A15-complete") == []


def test_09_a_number_not_in_the_agencys_format_is_refused(scene):
    """文号不符合本机构格式：拒绝，并说明正确格式。"""
    built = scene()
    with pytest.raises(ValidationError) as error:
        _numbered(built, "第5号")
    assert "格式不正确" in str(error.value)


def test_09_a_number_in_the_agencys_format_is_accepted(scene):
    """文号符合本机构格式：接受。"""
    built = scene()
    assert _numbered(built, "渝中卫医监意〔2026〕7号").number == "渝中卫医监意〔2026〕7号"


def test_09_a_number_already_used_by_the_agency_is_refused(scene):
    """同一机构的文号重复：拒绝。"""
    built = scene()
    _numbered(built, "渝中卫医监意〔2026〕8号")
    with pytest.raises(ValidationError):
        _numbered(built, "渝中卫医监意〔2026〕8号")


@pytest.mark.rule("A15-complete")
def test_09_api_a_record_without_times_reaches_the_terminal(scene, api):
    """接口：未记载起止时间的文书，其检查发现经接口可见。"""
    built = scene("interrogation")
    built.document("询问记录", (None, None))
    [finding] = api_findings(api, built)["A15-complete"]
    assert "未记载起止时间" in finding["message"]

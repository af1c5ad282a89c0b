"""第十六条 行政处罚全过程记录: data of the violation (一), interrogation, hearing and deliberation
recorded in full with their records (二), identity, certificate, rights and the party's
signature on camera when questioning (三), documents served on camera with rights told where
the document carries rights (四)."""

import pytest
from django.core.exceptions import ValidationError

from quancheng.compliance.config import defaults, validate_config
from quancheng.compliance.models import Marker
from quancheng.documents.catalogue import rights_carrying_types

from .conftest import END, START, api_findings, config_with, hits, keys

pytestmark = pytest.mark.django_db


def _served(scene, doc_type, rights_told=True):
    built = scene("service", compliant=False)
    built.main = built.segment(START, END)
    if rights_told:
        built.mark(built.main, "rights_told", 60)
    built.document(doc_type)
    built.register()
    return built


@pytest.mark.rule("A11-mandatory")
def test_16_2_an_interrogation_without_av_is_flagged(scene):
    """询问未全程录音录像：应录未录。"""
    assert keys(scene("interrogation", compliant=False), "A11-mandatory") == {"absent"}


@pytest.mark.rule("A16-interrogation")
def test_16_2_an_interrogation_without_its_record_is_flagged(scene):
    """询问有录像但未制作《询问记录》：报。"""
    built = scene("interrogation", compliant=False)
    built.segment(START, END)
    assert hits(built, "A16-interrogation")


@pytest.mark.rule("A16-interrogation")
def test_16_3_a_compliant_interrogation_is_silent(scene):
    """表明身份、出示证件、告知权利义务、当事人签字均已拍摄，询问记录齐全：不报。"""
    assert hits(scene("interrogation"), "A16-interrogation") == []


@pytest.mark.rule("A16-interrogation")
def test_16_3_rights_not_told_to_the_person_questioned_is_flagged(scene):
    """询问时未告知被询问人权利义务：报。"""
    built = scene("interrogation")
    Marker.objects.filter(kind="rights_told").update(withdrawn_at=END)
    assert hits(built, "A16-interrogation")


@pytest.mark.rule("A16-service")
def test_16_4_a_penalty_decision_served_without_rights_told_is_flagged(scene):
    """送达《行政处罚决定书》未告知权利义务：报（决定书载明复议、诉讼权利）。"""
    built = _served(scene, "行政处罚决定书", rights_told=False)
    [hit] = hits(built, "A16-service")
    assert hit.key == "rights" and "《行政处罚决定书》" in hit.params["problem"]


@pytest.mark.rule("A16-service")
def test_16_4_a_penalty_decision_served_with_rights_told_is_silent(scene):
    """送达《行政处罚决定书》时拍摄了告知权利义务：不报。"""
    assert hits(_served(scene, "行政处罚决定书"), "A16-service") == []


@pytest.mark.rule("A16-service")
def test_16_4_a_reminder_served_without_rights_told_is_flagged(scene):
    """送达《催告书》未告知陈述、申辩权利：报。"""
    built = _served(scene, "催告书", rights_told=False)
    assert keys(built, "A16-service") == {"rights"}


@pytest.mark.rule("A16-service")
def test_16_4_serving_without_a_camera_is_flagged(scene):
    """送达执法文书未使用执法记录仪：应录未录。"""
    built = scene("service", compliant=False)
    built.document("行政处罚事先告知书")
    [hit] = hits(built, "A16-service")
    assert hit.key == "av" and hit.missing_record


@pytest.mark.rule("A16-service")
def test_16_4_the_rights_marker_is_configurable_per_document_type(scene):
    """配置可取消《催告书》的告知要求（法定下限以上）：不再报。"""
    built = _served(scene, "催告书", rights_told=False)
    config = config_with(
        rights_told_document_types=["行政处罚事先告知书", "行政处罚决定书", "行政处罚听证通知书"]
    )
    validate_config(config.data)
    assert hits(built, "A16-service", config=config) == []


def test_16_4_the_prior_notice_cannot_be_configured_out_of_the_rights_marker():
    """《行政处罚事先告知书》不能从告知权利义务的文书中去掉：拒绝并引用条款。"""
    data = {**defaults(), "rights_told_document_types": ["行政处罚决定书"]}
    with pytest.raises(ValidationError) as error:
        validate_config(data)
    assert "第十六条第（四）项" in str(error.value)


def test_16_4_every_catalogue_type_marked_as_carrying_rights_needs_the_marker_by_default():
    """文书目录中标记“载有权利义务”的文书，默认均需告知权利义务。"""
    marked = rights_carrying_types()
    assert {"行政处罚决定书", "催告书"} <= marked
    assert marked <= set(defaults()["rights_told_document_types"])


@pytest.mark.rule("A16-service")
def test_16_api_a_decision_served_without_rights_told_reaches_the_terminal(scene, api):
    """接口：送达决定书未告知权利义务的检查发现经接口可见，并引用第十六条第（四）项。"""
    built = _served(scene, "行政处罚决定书", rights_told=False)
    [finding] = api_findings(api, built)["A16-service"]
    assert finding["message"].endswith("（第十六条第（四）项）")

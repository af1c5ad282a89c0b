"""第十五条 监督检查全过程记录: identity and certificate on camera (一), AV from arrival with the
storefront filmed on arrival and at the end and no interruption (二), the documents and data
made at the end (三), documents complete and their times equal to the AV's (四)."""

import datetime as dt

import pytest

from quancheng.alerts.models import Alert
from quancheng.compliance.evaluate import evaluate_act
from quancheng.compliance.models import Marker
from quancheng.orgs.models import Device

from .conftest import END, MINUTE, START, api_findings, hits, keys

pytestmark = pytest.mark.django_db


def _inspection_filmed(scene, start=START, end=END):
    """An inspection whose one body camera runs from ``start`` to ``end`` with every marker."""
    built = scene(compliant=False)
    built.main = built.segment(start, end)
    for offset, kind in enumerate(
        ["arrival_door", "identity_stated", "certificate_shown", "rights_told", "party_signing"]
    ):
        built.mark(built.main, kind, 10 + offset * 60)
    built.mark(built.main, "door_at_end", (end - start).total_seconds() - 10)
    built.document("现场笔录", (start, end))
    built.data()
    built.register()
    return built


@pytest.mark.rule("A11-mandatory")
def test_15_2_an_inspection_without_av_is_an_error_and_raises_the_missing_av_alert(scene):
    """监督检查未见任何音像记录：错误（应录未录），并产生“应当音像记录而未记录”告警。"""
    built = scene(compliant=False)
    built.document("现场笔录")
    [hit] = hits(built, "A11-mandatory")
    assert hit.key == "absent" and hit.missing_record
    evaluate_act(built.act)
    alert = Alert.objects.get(kind="record.missing_av", object_id=str(built.act.pk))
    assert alert.closed_at is None and alert.detail["rules"] == ["A11-mandatory"]


@pytest.mark.rule("A11-mandatory")
def test_15_2_an_inspection_recorded_from_arrival_to_the_end_is_silent(scene):
    """自到达检查地点开启执法记录仪直至检查完毕：不报。"""
    assert hits(scene(), "A11-mandatory") == []


@pytest.mark.rule("A11-mandatory")
def test_15_2_a_camera_switched_on_five_minutes_after_arrival_is_its_own_finding(scene):
    """到达后5分钟才开启执法记录仪：单独的检查发现“未在到达现场时开启”。"""
    built = _inspection_filmed(scene, start=START + 5 * MINUTE)
    [hit] = hits(built, "A11-mandatory")
    assert hit.key == "late_start"
    assert "未在到达现场时开启" in hit.params["problem"] and "允许120秒" in hit.params["problem"]


@pytest.mark.rule("A11-mandatory")
def test_15_2_a_camera_switched_on_within_the_window_after_arrival_is_silent(scene):
    """到达后1分钟内开启（在配置的120秒以内）：不报。"""
    built = _inspection_filmed(scene, start=START + MINUTE)
    assert hits(built, "A11-mandatory") == []


@pytest.mark.rule("A15-door")
def test_15_2_the_storefront_not_filmed_on_arrival_is_flagged(scene):
    """到达时未拍摄检查地点门头及周边环境：报。"""
    built = scene()
    Marker.objects.filter(kind="arrival_door").update(withdrawn_at=END)
    assert keys(built, "A15-door")


@pytest.mark.rule("A15-door")
def test_15_2_the_storefront_filmed_on_arrival_and_at_the_end_is_silent(scene):
    """到达和检查完毕时都拍摄了门头：不报。"""
    assert hits(scene(), "A15-door") == []


@pytest.mark.rule("A15-identity")
def test_15_1_identity_and_certificate_not_shown_on_camera_are_flagged(scene):
    """未拍摄表明身份、出示执法证件：报。"""
    built = scene()
    Marker.objects.filter(kind__in=["identity_stated", "certificate_shown"]).update(
        withdrawn_at=END
    )
    assert hits(built, "A15-identity")


@pytest.mark.rule("A15-docs")
def test_15_3_an_inspection_without_its_documents_or_data_is_flagged(scene):
    """检查结束后未制作现场笔录等文书：缺少执法文书（应录未录）。"""
    built = scene(compliant=False)
    built.segment(START, END)
    assert any(h.missing_record for h in hits(built, "A15-docs"))


@pytest.mark.rule("A15-docs")
def test_15_3_a_health_supervision_opinion_satisfies_the_document_group(scene):
    """《卫生监督意见书》同样满足“现场笔录、责令改正通知书或卫生监督意见书”之一。"""
    built = scene(compliant=False)
    built.segment(START, END)
    built.document("卫生监督意见书")
    built.data()
    assert hits(built, "A15-docs") == []


@pytest.mark.rule("A15-complete")
def test_15_4_a_record_150_seconds_off_the_camera_reports_the_difference_in_seconds(scene):
    """现场笔录记载时间与执法记录仪相差150秒：报“相差150秒，允许120秒”。"""
    built = scene()
    late = dt.timedelta(seconds=150)
    doc = built.document("现场笔录", (START + late, END + late))
    [hit] = hits(built, "A15-complete")
    assert hit.key == f"doc:{doc.pk}"
    assert "相差150秒，允许120秒" in hit.params["problem"]


@pytest.mark.rule("A15-complete")
def test_15_4_a_record_100_seconds_off_is_within_the_tolerance(scene):
    """相差100秒，在允许的120秒以内：不报。"""
    built = scene()
    off = dt.timedelta(seconds=100)
    built.document("现场笔录", (START + off, END - off))
    assert hits(built, "A15-complete") == []


@pytest.mark.rule("A15-complete")
def test_15_4_a_fixed_room_camera_running_longer_than_the_body_camera_is_no_violation(scene):
    """询问室固定摄像设备比执法记录仪多录20分钟：笔录与执法记录仪一致，不报。"""
    built = scene("interrogation")
    room = built.device(Device.Kind.FIXED_CAMERA)
    built.segment(START - 10 * MINUTE, END + 10 * MINUTE, device=room)
    assert hits(built, "A15-complete") == []


@pytest.mark.rule("A15-complete")
def test_15_4_a_record_matching_no_camera_is_compared_with_the_closest_one(scene):
    """笔录时间与任何一台设备都不一致：按最接近的一台报出相差秒数。"""
    built = scene("interrogation")
    room = built.device(Device.Kind.FIXED_CAMERA)
    built.segment(START - 10 * MINUTE, END + 10 * MINUTE, device=room)
    doc = built.document("询问记录", (START + 5 * MINUTE, END + 5 * MINUTE))
    [hit] = [h for h in hits(built, "A15-complete") if h.key == f"doc:{doc.pk}"]
    assert "相差300秒" in hit.params["problem"]


@pytest.mark.rule("A11-mandatory")
def test_15_api_a_late_camera_reaches_the_terminal_as_a_finding(scene, api):
    """接口：到达后5分钟才开启执法记录仪，执法终端读到“未在到达现场时开启”的检查发现。"""
    built = _inspection_filmed(scene, start=START + 5 * MINUTE)
    found = api_findings(api, built)
    [finding] = found["A11-mandatory"]
    assert "未在到达现场时开启" in finding["message"]
    assert finding["message"].endswith("（第十一条第一款）")

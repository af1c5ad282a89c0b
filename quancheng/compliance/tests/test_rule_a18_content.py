import pytest

from quancheng.orgs.models import Device

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A18-content")]


def test_fires_on_av_without_times_or_a_fixed_camera_without_its_place(scene):
    built = scene()
    untimed = built.segment(built.act.started_at, built.act.ended_at)
    untimed.started_at = untimed.ended_at = None
    untimed.save()
    room = built.device(Device.Kind.FIXED_CAMERA)
    fixed = built.segment(built.act.started_at, built.act.ended_at, device=room)
    fixed.label_place = ""
    fixed.save()
    hits = {h.key: h for h in built.hits("A18-content")}
    assert hits[f"segment:{untimed.pk}"].params["problems"] == "无法确定录制起止时间"
    assert "未注明监控地点" in hits[f"segment:{fixed.pk}"].params["problems"]


def test_silent_on_labelled_timed_av(scene):
    assert scene().hits("A18-content") == []

"""Issue 15's hole in markers: the rules judge recordings by their markers, so only someone who
may view a segment (A24) adds or withdraws a marker on it."""

import pytest
from django.core.exceptions import PermissionDenied

from quancheng.compliance import services
from quancheng.compliance.models import Marker
from quancheng.conftest import make_person

from .scene import Scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def bystander(agency):
    """An officer of the same agency who is not on the act: the segment needs an approval."""
    return make_person("wangqiang", "王强", agency)


@pytest.fixture
def built(officer, colleague, agency, subject, settings, tmp_path):
    settings.VAR_DIR = str(tmp_path)
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"
    scene = Scene(officer, colleague, agency, subject, "inspection")
    scene.main = scene.segment(scene.act.started_at, scene.act.ended_at)
    return scene


def test_a_marker_on_a_segment_one_may_not_view_is_refused_by_the_api(
    api_as,
    bystander,
    built,
):
    api = api_as(bystander)
    r = api.post(
        f"/acts/{built.act.pk}/markers",
        {"segment_id": built.main.pk, "kind": "identity_stated", "offset_seconds": 1},
    )
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert "无权查看该音像记录" in r.json()["message"]
    assert not Marker.objects.exists()


def test_and_by_the_page(client, bystander, built):
    client.force_login(bystander)
    r = client.post(
        f"/compliance/segments/{built.main.pk}/markers/",
        {"kind": "identity_stated", "offset_seconds": "1"},
    )
    assert r.status_code == 403
    assert not Marker.objects.exists()


def test_withdrawing_needs_the_same_right(officer, bystander, built):
    marker = services.add_marker(officer, built.main, "identity_stated", 1)
    with pytest.raises(PermissionDenied):
        services.withdraw_marker(bystander, marker, "不对")
    marker.refresh_from_db()
    assert marker.withdrawn_at is None
    services.withdraw_marker(officer, marker, "时间点有误")
    marker.refresh_from_db()
    assert marker.withdrawn_at is not None

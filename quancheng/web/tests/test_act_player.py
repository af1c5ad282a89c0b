"""The act page's synchronised player data (web/act_player.py): one lane per camera on the
act's wall-clock axis, media only for what the user may play, markers only of those, document
times on the axis, segments without a start listed apart; outsiders get 404."""

import datetime as dt
import io
import json

import pytest
from django.db import transaction
from django.test import Client

from quancheng.compliance.services import add_marker
from quancheng.conftest import make_person
from quancheng.orgs.models import Device
from quancheng.records.items import create_document
from quancheng.records.services import blob_store, register_blob
from quancheng.records.tests.media_fixtures import store_segment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _stores(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"


def _ms(moment):
    return int(moment.timestamp() * 1000)


@pytest.fixture
def cameras(officer, act, clips):
    made = []
    for name, offset, clip in (("机位A", 60, "h264"), ("机位B", 600, "h265")):
        device = Device.objects.create(
            agency=act.agency, kind="body_camera", serial_number=f"P-{offset}", name=name
        )
        start = act.started_at + dt.timedelta(seconds=offset)
        made.append(
            store_segment(
                officer,
                clips[clip],
                agency=act.agency,
                act=act,
                device=device,
                officer=officer,
                started_at=start,
                ended_at=start + dt.timedelta(seconds=1),
            )
        )
    # A second segment of camera A later on: the same lane, with a gap between.
    later = act.started_at + dt.timedelta(minutes=30)
    made.append(
        store_segment(
            officer,
            clips["avi"],
            agency=act.agency,
            act=act,
            device=made[0].device,
            officer=officer,
            started_at=later,
            ended_at=later + dt.timedelta(seconds=1),
        )
    )
    undated = store_segment(officer, clips["truncated"], agency=act.agency, act=act)
    add_marker(officer, made[0], "arrival_door", 0.5)
    info = blob_store().put(io.BytesIO(b"%PDF-1.4\n%%EOF\n"))
    with transaction.atomic():
        blob = register_blob(info, act.agency)
    create_document(
        officer,
        agency=act.agency,
        blob=blob,
        source="upload",
        act=act,
        file_kind="pdf",
        content_type="application/pdf",
        doc_type="现场笔录",
        written_started_at=act.started_at + dt.timedelta(seconds=60),
    )
    return made, undated


def _player(user, act):
    client = Client()
    client.force_login(user)
    response = client.get(act.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index('<script id="act-player-data" type="application/json">')
    data = page[page.index(">", start) + 1 : page.index("</script>", start)]
    assert '<script src="/static/web/act_player.js" defer></script>' in page
    return json.loads(data)


def test_lanes_gaps_markers_and_documents_on_one_axis(officer, act, cameras):
    (a1, _b1, a2), undated = cameras
    data = _player(officer, act)
    assert data["start"] == _ms(act.started_at) and data["end"] == _ms(act.ended_at)
    lanes = {lane["label"]: lane for lane in data["lanes"]}
    assert list(lanes) == ["机位A（执法记录仪 P-60）", "机位B（执法记录仪 P-600）"]
    a = lanes["机位A（执法记录仪 P-60）"]["segments"]
    assert [s["id"] for s in a] == [a1.pk, a2.pk]  # one lane, a gap between the two
    assert a[0]["start"] == _ms(a1.started_at) and a[0]["end"] == _ms(a1.ended_at)
    assert a[0]["end"] < a[1]["start"]
    assert a[0]["src"] == f"/records/segments/{a1.pk}/media/" and a[0]["allowed"]
    assert data["markers"] == [
        {"at": _ms(a1.started_at) + 500, "label": "到达时拍摄门头及周边环境", "segment": a1.pk}
    ]
    assert data["documents"] == [
        {"at": _ms(act.started_at) + 60_000, "label": "现场笔录（文书记载开始）"}
    ]
    assert data["unplaced"] == [str(undated)]
    assert data["timezone"] == "Asia/Shanghai"


def test_who_may_not_play_gets_no_media_and_no_markers(agency, act, cameras):
    bystander = make_person("qianwei", "钱伟", agency)  # same agency, not on the act
    data = _player(bystander, act)
    segments = [s for lane in data["lanes"] for s in lane["segments"]]
    assert len(segments) == 3
    assert all(s["src"] is None and not s["allowed"] for s in segments)
    assert data["markers"] == []


def test_an_outsider_does_not_see_the_act(outsider, act, cameras):
    client = Client()
    client.force_login(outsider)
    assert client.get(act.get_absolute_url()).status_code == 404

"""第二十二条: AV of an open case is not "non-evidence" (issue 14, point 3).

Non-evidence AV is kept at least six months (A22 ¶3), but the records of a case are archived
with it once it is done (A22 ¶1): items linked to a case whose dossier is not frozen are kept at
least until it is, then follow the dossier. Only after the dossier is sealed, and only with the
reason recorded, may an AV item be found not to be evidence and fall to the six-month minimum.
Recorded 2026-01-10; six months later is 2026-07-10.
"""

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quancheng.archive import disposal
from quancheng.archive.disposal import DisposalRefused, due_items, propose_disposal
from quancheng.archive.models import DisposalProposal, Dossier, ItemRetention, RetentionClass
from quancheng.archive.retention import (
    NarrowingRefused,
    narrow_retention,
    recompute_for_dossier,
    recompute_for_items,
)
from quancheng.archive.tests.conftest import make_segment, shanghai
from quancheng.cases.services import create_act, create_case
from quancheng.ledger.models import Event
from quancheng.records.items import set_evidence

pytestmark = [pytest.mark.django_db, pytest.mark.rule("A22-retention")]

RECORDED = shanghai(2026, 1, 10)
DUE = shanghai(2026, 8, 3)  # past the six months of non-evidence AV
ARCHIVED = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _store(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.QC_BLOB_STORE = f"file://{tmp_path / 'blobs'}"


@pytest.fixture
def clock():
    with time_machine.travel(RECORDED + dt.timedelta(hours=2), tick=False) as traveller:
        yield traveller


def _act(officer, colleague, agency, subject, case=None, kind="inspection"):
    return create_act(
        officer,
        agency,
        [officer, colleague],
        kind=kind,
        started_at=RECORDED,
        ended_at=RECORDED + dt.timedelta(minutes=45),
        place=subject.address,
        subject=subject,
        case=case,
    )


@pytest.fixture
def open_case(clock, officer, colleague, agency, subject):
    return create_case(
        officer,
        agency,
        [officer, colleague],
        number="渝中卫医罚〔2026〕7号",
        cause="未取得医疗机构执业许可证擅自执业",
        subject=subject,
        filed_on=timezone.localdate(),
    )


@pytest.fixture
def case_video(clock, officer, colleague, agency, subject, open_case):
    act = _act(officer, colleague, agency, subject, case=open_case)
    segment = make_segment(officer, act, started_at=RECORDED)
    recompute_for_items([("segment", segment.pk)])
    return segment


@pytest.fixture
def lone_video(clock, officer, colleague, agency, subject):
    act = _act(officer, colleague, agency, subject)
    segment = make_segment(officer, act, started_at=RECORDED)
    recompute_for_items([("segment", segment.pk)])
    return segment


def _archive(case, custodian, retention_class=RetentionClass.Y30):
    """The case's dossier, frozen on ARCHIVED (what dossiers.freeze_dossier leaves behind)."""
    years = {RetentionClass.Y30: 30, RetentionClass.Y10: 10}[retention_class]
    dossier = Dossier.objects.create(
        agency=case.agency,
        case=case,
        kind=Dossier.Kind.PENALTY_GENERAL,
        number="渝中档〔2026〕3号",
        title="擅自执业案",
        retention_class=retention_class,
        status=Dossier.Status.FROZEN,
        custodian=custodian,
        archived_on=ARCHIVED,
        retain_until=ARCHIVED.replace(year=ARCHIVED.year + years),
        frozen_at=timezone.now(),
    )
    recompute_for_dossier(dossier)
    return dossier


def _row(segment):
    return ItemRetention.objects.get(item_kind="segment", item_id=segment.pk)


def _ref(segment):
    return [("segment", segment.pk)]


def test_non_evidence_av_of_an_open_case_is_never_due_at_six_months(clock, custodian, case_video):
    """未结案案件的非证据音像记录，办案期间满6个月也不到期。"""
    assert _row(case_video).pending and "所属案件尚未办结归档" in _row(case_video).basis
    clock.move_to(DUE)
    recompute_for_items(_ref(case_video))
    assert list(due_items(custodian)) == []
    with pytest.raises(DisposalRefused, match="所属案件尚未办结归档"):
        propose_disposal(custodian, _ref(case_video), "保管期满")
    assert not DisposalProposal.objects.exists()


def test_non_evidence_av_of_a_lone_inspection_is_due_after_six_months(clock, custodian, lone_video):
    """不属于任何案件的非证据音像记录，满6个月后到期（对照）。"""
    assert _row(lone_video).retain_until == dt.date(2026, 7, 10)
    clock.move_to(DUE)
    assert [r.item_id for r in due_items(custodian)] == [lone_video.pk]


def test_evidence_av_of_an_open_case_is_kept_pending_too(officer, case_video):
    """未结案案件的证据音像记录同样待定。"""
    set_evidence(officer, case_video, True)
    assert _row(case_video).pending


def test_once_the_case_is_archived_its_av_follows_the_dossier(
    clock, custodian, open_case, case_video
):
    """案件归档后，其音像记录随案卷保管（30年），不是6个月。"""
    _archive(open_case, custodian)
    row = _row(case_video)
    assert not row.pending and row.retain_until == dt.date(2056, 3, 2)
    clock.move_to(DUE)
    assert disposal.why_not_disposable(_ref(case_video)) == [
        f"音像记录 {case_video.pk} 保管期限未满（保管至 2056-03-02）"
    ]


def test_the_evidence_flag_cannot_narrow_retention_before_the_dossier_is_sealed(
    custodian, case_video
):
    """案卷封卷前，不能认定音像记录不作为证据使用以缩短保管期限。"""
    with pytest.raises(NarrowingRefused, match="封卷归档后才能"):
        narrow_retention(custodian, case_video, "与违法事实无关的路途录像")
    assert not Event.objects.filter(action="retention.narrowed").exists()


def test_narrowing_needs_a_reason(custodian, open_case, case_video):
    """认定不作为证据使用须写明理由。"""
    _archive(open_case, custodian)
    with pytest.raises(NarrowingRefused, match="请填写不作为证据使用的理由"):
        narrow_retention(custodian, case_video, "  ")
    assert _row(case_video).retain_until == dt.date(2056, 3, 2)


def test_evidence_av_cannot_be_narrowed(officer, custodian, open_case, case_video):
    """已标记为证据的音像记录保管期限与案卷相同，不能缩短。"""
    set_evidence(officer, case_video, True)
    _archive(open_case, custodian)
    with pytest.raises(NarrowingRefused, match="已标记为证据使用"):
        narrow_retention(custodian, case_video, "路途录像")


def test_only_archive_roles_may_narrow(officer, custodian, open_case, case_video):
    """只有记录管理专人或机构负责人可以作出认定。"""
    _archive(open_case, custodian)
    with pytest.raises(NarrowingRefused, match="只有记录管理专人或机构负责人"):
        narrow_retention(officer, case_video, "路途录像")


def test_after_sealing_with_a_reason_the_av_falls_to_six_months_and_is_logged(
    clock, custodian, open_case, case_video
):
    """封卷后写明理由认定不作为证据使用的，保管期限为录制起6个月，记入账本。"""
    _archive(open_case, custodian)
    narrow_retention(custodian, case_video, "前往检查地点途中的录像，未记录执法过程")
    row = _row(case_video)
    assert row.retain_until == dt.date(2026, 7, 10)
    assert "前往检查地点途中的录像" in row.basis
    event = Event.objects.get(action="retention.narrowed")
    assert json.loads(event.body)["reason"].startswith("前往检查地点途中")
    clock.move_to(DUE)
    assert disposal.why_not_disposable(_ref(case_video)) == []


def test_flagging_it_as_evidence_again_restores_the_dossiers_period(
    officer, custodian, open_case, case_video
):
    """认定后又标记为证据的，恢复随案卷保管。"""
    _archive(open_case, custodian)
    narrow_retention(custodian, case_video, "路途录像")
    set_evidence(officer, case_video, True)
    assert _row(case_video).retain_until == dt.date(2056, 3, 2)


def test_the_disposal_page_refuses_open_case_av_with_the_reason(clock, custodian, case_video):
    """在销毁页面提交未结案案件的音像记录，页面显示拒绝理由。"""
    clock.move_to(DUE)
    client = Client()
    client.force_login(custodian)
    response = client.post(
        reverse("retention:disposal_list"),
        {"item": [f"segment:{case_video.pk}"], "reason": "保管期满"},
        follow=True,
    )
    assert "所属案件尚未办结归档" in response.content.decode()
    assert not DisposalProposal.objects.exists()


def test_the_api_shows_the_pending_retention_and_narrows_only_after_sealing(
    api_as,
    clock,
    custodian,
    open_case,
    case_video,
):
    """接口：办案期间保管期限待定；封卷前认定被拒绝，封卷后写明理由可以认定。"""
    terminal = api_as(custodian)
    shown = terminal.get(f"/retention/segment/{case_video.pk}").json()
    assert shown["pending"] is True and shown["retain_until"] is None
    assert any("所属案件尚未办结归档" in b for b in shown["blockers"])
    url = f"/retention/segment/{case_video.pk}/narrowing"
    early = terminal.post(url, {"reason": "路途录像"})
    assert early.status_code == 400 and early.json()["code"] == "narrowing_refused"
    _archive(open_case, custodian)
    narrowed = terminal.post(url, {"reason": "路途录像"})
    assert narrowed.status_code == 200, narrowed.json()
    assert narrowed.json()["retain_until"] == "2026-07-10"
    outsider_view = terminal.get("/retention/segment/999999")
    assert outsider_view.status_code == 404

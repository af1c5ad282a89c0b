"""The subject page (A20): acts, cases, documents, AV and data records of one subject, with a
timeline, only within the user's scope, in a bounded number of queries."""

import datetime as dt
import io
import itertools
import re

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from quancheng.cases.services import create_act
from quancheng.records.items import create_data_record, create_document
from quancheng.records.models import DataKind, Document, Segment
from quancheng.records.services import blob_store, register_blob
from quancheng.records.tests.ingest_scene import make_segment

pytestmark = pytest.mark.django_db
_serial = itertools.count(1)

# Two clocks: one where Beijing and UTC share the date, and 2026-12-31 17:30 UTC, which is already
# 2027-01-01 01:30 in Beijing. "Today" and "3 hours ago" then fall on different local dates, and a
# test that assumes they do not fails at once instead of between 16:00 and 19:00 UTC every day.
CLOCKS = [
    dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 31, 17, 30, tzinfo=dt.UTC),
]


@pytest.fixture(autouse=True, params=CLOCKS, ids=["same-date", "beijing-after-midnight"])
def _clock(request):
    with time_machine.travel(request.param, tick=True):
        yield


def _blob(agency):
    # Stored for real: documents are opened at ingest to validate their signatures.
    info = blob_store().put(io.BytesIO(f"%PDF-1.4 subject-view {next(_serial)}".encode()))
    with transaction.atomic():
        return register_blob(info, agency)


@pytest.fixture
def kind(db):
    return DataKind.objects.create(
        code="inspection_items", name="检查项目记录", schema={"type": "object"}
    )


def _document(actor, act, **fields):
    return create_document(
        actor,
        agency=act.agency,
        blob=_blob(act.agency),
        source="upload",
        act=act,
        file_kind="pdf",
        doc_type=fields.pop("doc_type", "现场笔录"),
        content_type="application/pdf",
        original_filename="现场笔录.pdf",
        **fields,
    )


def _records(actor, act, kind, n=1):
    """n segments (the first with a thumbnail), documents and data records of the act."""
    made = []
    for i in range(n):
        segment = make_segment(
            actor, act.agency, start=act.started_at + dt.timedelta(minutes=i), act=act
        )
        if i == 0:
            Segment.objects.filter(pk=segment.pk).update(thumbnail=_blob(act.agency))
        document = _document(actor, act, number=f"渝中卫检〔2026〕{act.pk * 100 + i + 1}号")
        record = create_data_record(
            actor,
            agency=act.agency,
            kind=kind,
            data={"项目": f"第{i + 1}项"},
            recorded_at=act.started_at + dt.timedelta(minutes=10 + i),
            source="api",
            act=act,
        )
        made.append((segment, document, record))
    return made


def _page(client, user, subject):
    client.force_login(user)
    response = client.get(reverse("subject_detail", args=[subject.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_every_kind_of_item_and_a_timeline(client, officer, act, case, kind):
    # The case is filed on the local date the act began (the shared fixture files it "today",
    # which is the next local date when the act began before midnight in Beijing).
    type(case).objects.filter(pk=case.pk).update(filed_on=timezone.localdate(act.started_at))
    ((segment, document, record),) = _records(officer, act, kind)
    page = _page(client, officer, act.subject)
    for url in (
        act.get_absolute_url(),
        case.get_absolute_url(),
        segment.get_absolute_url(),
        document.get_absolute_url(),
        record.get_absolute_url(),
        reverse("segment_thumbnail", args=[segment.pk]),
    ):
        assert url in page
    assert document.number in page and "检查项目记录" in page
    timeline = page[page.index('id="timeline"') : page.index('id="acts"')]
    kinds = re.findall(r'data-kind="(\w+)"', timeline)
    # The case was filed at 00:00 of the act's date, the act began 3 hours ago, the segment with
    # it, the document is placed at its registration (no written time), the data 10 minutes in.
    assert sorted(kinds) == ["act", "case", "datarecord", "document", "segment"]
    assert kinds.index("case") < kinds.index("act") < kinds.index("segment")
    assert kinds.index("segment") < kinds.index("datarecord")
    assert timezone.localdate(act.started_at).strftime("%Y-%m-%d") in timeline


def test_items_linked_only_to_the_subject_or_to_its_case_are_included(
    client, officer, subject, case, agency
):
    segment = make_segment(officer, agency, start=timezone.now() - dt.timedelta(days=1))
    Segment.objects.filter(pk=segment.pk).update(subject=subject)
    with transaction.atomic():
        document = Document.objects.create(
            agency=agency,
            blob=_blob(agency),
            source="upload",
            file_kind="pdf",
            doc_type="立案报告",
            case=case,
        )
    page = _page(client, officer, subject)
    assert segment.get_absolute_url() in page
    assert document.get_absolute_url() in page


def test_items_and_acts_outside_the_scope_are_not_shown(
    client, officer, act, kind, other_agency, outsider, subject
):
    _records(officer, act, kind)
    # Rows of another district that name this subject (as a bad import might): never shown.
    foreign = make_segment(outsider, other_agency, start=timezone.now())
    Segment.objects.filter(pk=foreign.pk).update(subject=subject)
    page = _page(client, officer, subject)
    assert foreign.get_absolute_url() not in page
    assert 'data-kind="segment"' in page


def test_another_district_gets_404(client, outsider, subject):
    client.force_login(outsider)
    assert client.get(reverse("subject_detail", args=[subject.pk])).status_code == 404


def test_the_city_sees_the_subject_with_its_items(client, auditor, act, kind):
    ((segment, _, _),) = _records(act.officers.first(), act, kind)
    assert segment.get_absolute_url() in _page(client, auditor, act.subject)


def test_an_empty_subject(client, officer, subject):
    page = _page(client, officer, subject)
    assert "暂无执法行为、案件或执法记录" in page
    assert "暂无音像记录" in page and "暂无执法文书" in page and "暂无电子数据" in page


def test_long_histories_are_cut_to_the_newest_rows_with_the_total(
    client, officer, act, kind, monkeypatch
):
    monkeypatch.setattr("quancheng.web.subject_view.SHOWN", 2)
    made = _records(officer, act, kind, n=3)
    page = _page(client, officer, act.subject)
    assert "共 3 条，显示最近 2 条" in page
    oldest_segment = made[0][0]
    assert oldest_segment.get_absolute_url() not in page
    assert made[2][0].get_absolute_url() in page


def test_the_page_costs_the_same_queries_however_many_items(
    client, officer, colleague, act, case, kind, django_assert_max_num_queries
):
    _records(officer, act, kind, n=1)
    client.force_login(officer)
    url = reverse("subject_detail", args=[act.subject.pk])
    with django_assert_max_num_queries(25) as few:
        assert client.get(url).status_code == 200
    for i in range(4):
        start = act.started_at - dt.timedelta(days=i + 1)
        other = create_act(
            officer,
            act.agency,
            [officer, colleague],
            kind="inspection",
            started_at=start,
            ended_at=start + dt.timedelta(minutes=30),
            place=act.place,
            subject=act.subject,
            case=case,
        )
        _records(officer, other, kind, n=3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200

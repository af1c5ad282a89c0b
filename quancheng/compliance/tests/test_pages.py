"""The compliance panel on the act page, markers on the segment page, configuration and
traceability pages, through the client."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse

from quancheng.compliance.evaluate import evaluate_act
from quancheng.compliance.models import Explanation, Finding, Marker, RuleConfig
from quancheng.ledger.models import Event

from .scene import END, START

pytestmark = pytest.mark.django_db


def login(user, enforce_csrf=False):
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    return client


@pytest.fixture
def gapped(scene):
    built = scene(compliant=False)
    built.first = built.segment(START, START + dt.timedelta(minutes=30))
    built.second = built.segment(START + dt.timedelta(minutes=33), END)
    built.document("现场笔录", (START + dt.timedelta(minutes=10), END))
    evaluate_act(built.act)
    return built


def test_act_page_draws_the_timeline_with_links_that_play_from_the_moment(gapped):
    page = login(gapped.officer).get(gapped.act.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert '<svg class="timeline"' in html and 'class="tl-gap"' in html
    assert f'href="/records/segments/{gapped.second.pk}/?t=0"' in html
    assert f'href="/records/segments/{gapped.first.pk}/?t=30"' in html
    assert "A11-gap" in html and "第十一条第二款" in html
    assert "有待处理的检查发现" in html or "缺少必需记录" in html
    assert "<script" not in html.split('id="compliance"')[1].split("</section>")[0]


def test_segment_page_honours_t_and_marker_form_adds_a_ledger_event(gapped):
    client = login(gapped.officer)
    page = client.get(reverse("segment_detail", args=[gapped.second.pk]) + "?t=90")
    assert "#t=90" in page.content.decode()
    assert (
        "#t="
        not in client.get(reverse("segment_detail", args=[gapped.second.pk]) + "?t=evil")
        .content.decode()
        .split("<video")[-1]
        .split(">")[0]
    )
    url = reverse("compliance:marker_add", args=[gapped.second.pk])
    response = client.post(url, {"kind": "interruption_explained", "offset_seconds": "12"})
    assert response.status_code == 302
    marker = Marker.objects.get(segment=gapped.second)
    assert marker.kind == "interruption_explained" and marker.created_by == gapped.officer
    assert Event.objects.filter(action="marker.added", object_id=str(gapped.second.pk)).exists()
    evaluate_act(gapped.act)
    assert not Finding.objects.filter(act=gapped.act, rule_id="A11-gap").active().exists()


def test_bad_marker_input_is_refused_with_a_chinese_message(gapped):
    client = login(gapped.officer)
    url = reverse("compliance:marker_add", args=[gapped.second.pk])
    response = client.post(url, {"kind": "arrival_door", "offset_seconds": "99999"}, follow=True)
    assert "时间点应在" in response.content.decode()
    assert not Marker.objects.exists()


def test_outsider_gets_404_everywhere(gapped, outsider):
    client = login(outsider)
    finding = Finding.objects.filter(act=gapped.act).first()
    for url in (
        reverse("compliance:marker_add", args=[gapped.second.pk]),
        reverse("compliance:explanation_add", args=[gapped.act.pk]),
        reverse("compliance:finding_answer", args=[finding.pk]),
        reverse("compliance:finding_decide", args=[finding.pk]),
        reverse("compliance:act_evaluate", args=[gapped.act.pk]),
    ):
        assert (
            client.post(url, {"answer": "x", "kind": "written_gap", "text": "x"}).status_code == 404
        )


def test_answer_explain_and_review_through_the_pages_with_csrf(gapped, head):
    client = login(gapped.officer, enforce_csrf=True)
    page = client.get(gapped.act.get_absolute_url())
    token = page.context["csrf_token"]
    finding = Finding.objects.get(act=gapped.act, rule_id="A11-gap")
    answer_url = reverse("compliance:finding_answer", args=[finding.pk])
    assert client.post(answer_url, {"answer": "电量耗尽"}).status_code == 403  # no token
    client.post(answer_url, {"answer": "电量耗尽", "csrfmiddlewaretoken": token})
    finding.refresh_from_db()
    assert finding.status == "answered"
    client.post(
        reverse("compliance:explanation_add", args=[gapped.act.pk]),
        {"kind": "written_gap", "text": "记录仪电量耗尽，更换电池", "csrfmiddlewaretoken": token},
    )
    assert Explanation.objects.get(act=gapped.act).requested_by == gapped.officer
    boss = login(head)
    boss.post(reverse("compliance:finding_decide", args=[finding.pk]), {"decision": "return"})
    finding.refresh_from_db()
    assert finding.status == "answered"  # returning needs a note
    boss.post(
        reverse("compliance:finding_decide", args=[finding.pk]),
        {"decision": "return", "note": "请补充中断时间"},
    )
    finding.refresh_from_db()
    assert finding.status == "returned"
    assert Event.objects.filter(action="finding.returned").exists()


def test_only_the_city_admin_edits_the_configuration(city_admin, officer):
    assert login(officer).get(reverse("compliance:config")).status_code == 200
    assert login(officer).post(reverse("compliance:config"), {"data": "{}"}).status_code == 403
    client = login(city_admin)
    page = client.get(reverse("compliance:config"))
    data = json.loads(page.context["form"].initial["data"])
    data["tolerances"]["gap_seconds"] = 60
    bad = client.post(reverse("compliance:config"), {"data": "{not json"})
    assert bad.status_code == 400 and "不是有效的 JSON" in bad.content.decode()
    wrong = dict(data, av_mandatory_kinds=["flying"])
    assert client.post(reverse("compliance:config"), {"data": json.dumps(wrong)}).status_code == 400
    response = client.post(reverse("compliance:config"), {"data": json.dumps(data), "note": "放宽"})
    assert response.status_code == 302
    assert RuleConfig.objects.get().data["tolerances"]["gap_seconds"] == 60


def test_traceability_page_lists_every_article_and_rule(officer):
    html = login(officer).get(reverse("compliance:traceability")).content.decode()
    assert "第十一条" in html and "A11-gap" in html and "TWO-officers" in html
    assert "test_11_2_an_unexplained_three_minute_gap_is_flagged" in html


def test_act_and_case_lists_show_and_filter_completeness(scene, case):
    messy = scene(compliant=False)
    messy.act.case = case
    messy.act.save()
    clean = scene()
    unchecked = scene()
    evaluate_act(messy.act)
    evaluate_act(clean.act)
    client = login(messy.officer)
    acts_url = reverse("act_list")
    html = client.get(acts_url).content.decode()
    assert "缺少必需记录" in html and "记录完整" in html and "未检查" in html

    def listed(url, value):
        page = client.get(url, {"completeness": value})
        return {obj.pk for obj in page.context["page"].object_list}

    assert listed(acts_url, "complete") == {clean.act.pk}
    assert listed(acts_url, "mandatory_missing") == {messy.act.pk}
    assert listed(acts_url, "unchecked") == {unchecked.act.pk}
    assert listed(reverse("case_list"), "mandatory_missing") == {case.pk}
    assert listed(reverse("case_list"), "complete") == set()
    assert "缺少必需记录" in client.get(reverse("case_list")).content.decode()


def test_the_timeline_svg_is_well_formed_with_a_row_per_device_and_document_marks(gapped):
    from xml.etree import ElementTree

    html = login(gapped.officer).get(gapped.act.get_absolute_url()).content.decode()
    svg = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    root = ElementTree.fromstring(svg)  # noqa: S314 (our own page, parsed in a test)
    ns = {"s": "http://www.w3.org/2000/svg"}
    labels = [t.text for t in root.findall("s:text", ns) if t.get("class") == "tl-label"]
    assert labels[-1] == "文书记载时间" and len(labels) == 2
    assert len(root.findall(".//s:rect[@class='tl-gap']", ns)) == 1
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any(t.startswith("《现场笔录》记载开始") for t in titles)

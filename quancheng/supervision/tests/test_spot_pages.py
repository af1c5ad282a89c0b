"""The spot-check pages: list, new draw, detail, score entry, findings, report and download."""

import datetime as dt
import html
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from quancheng.ledger.models import Event
from quancheng.supervision import spotchecks
from quancheng.supervision.models_spot import SpotCheck

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossiers(make_dossiers, agency, officer, colleague, subject, custodian):
    return make_dossiers(agency, [officer, colleague], subject, custodian, 6)


@pytest.fixture
def spot_check(auditor, dossiers):
    return spotchecks.draw_spot_check(
        auditor,
        district="渝中区",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        sample_size=2,
        seed=2026,
    )


def _score_form(spot_check, result="pass"):
    data = {f"result-{item['code']}": result for item in spot_check.checklist}
    data["result-M-labels"] = "na"
    return data


def test_an_auditor_draws_scores_and_circulates_a_report(client, auditor, dossiers, store):
    client.force_login(auditor)
    assert "新建抽查" in client.get(reverse("spot:spotcheck_list")).text
    form = {
        "title": "2026年上半年渝中区案卷抽查",
        "district": "渝中区",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "kind": "",
        "sample_size": "2",
        "seed": "99",
    }

    response = client.post(reverse("spot:spotcheck_new"), form)

    spot_check = SpotCheck.objects.get()
    assert response.status_code == 302 and response.url == spot_check.get_absolute_url()
    detail = client.get(response.url).text
    assert "2026年上半年渝中区案卷抽查" in detail and "<code>99</code>" in detail
    assert "按记录的种子和候选案卷重新抽取，结果一致" in detail
    for sample in spot_check.samples.select_related("dossier"):
        assert sample.dossier.number in detail
        score_url = reverse("spot:spotcheck_score", args=[spot_check.pk, sample.pk])
        page = client.get(score_url).text
        assert "卷内目录完整" in page and "合规检查：无未处理的检查发现" in page
        response = client.post(score_url, _score_form(spot_check))
        assert response.status_code == 302
        sample.refresh_from_db()
        assert sample.score == 100
    finding_url = reverse("spot:spotcheck_finding", args=[spot_check.pk, sample.pk])
    client.post(finding_url, {"text": "卷内目录页码错误", "item_code": "M-catalogue"})
    assert "卷内目录页码错误" in client.get(score_url).text

    response = client.post(reverse("spot:spotcheck_report", args=[spot_check.pk]), follow=True)

    assert "已生成1份通报" in response.text
    report = spot_check.reports.get()
    download = client.get(reverse("spot:spotcheck_report_download", args=[report.pk]))
    body = b"".join(download.streaming_content)
    assert download["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
    assert "attachment" in download["Content-Disposition"]
    event = Event.objects.for_object(report).filter(action="spotcheck.report_downloaded").get()
    assert event.actor == auditor and json.loads(event.body)["sha256"] == report.sha256


def test_score_entry_shows_what_is_missing_in_chinese(client, auditor, spot_check):
    client.force_login(auditor)
    sample = spot_check.samples.first()
    url = reverse("spot:spotcheck_score", args=[spot_check.pk, sample.pk])
    data = _score_form(spot_check)
    del data["result-M-catalogue"]
    page = client.post(url, data)
    assert page.status_code == 200
    assert "请选择“卷内目录完整，与卷内材料一致”的评查结果" in page.text
    sample.refresh_from_db()
    assert sample.score is None


def test_a_bad_draw_shows_chinese_errors(client, auditor, district_auditor, dossiers):
    client.force_login(auditor)
    form = {"district": "渝中区", "period_start": "2027-01-01", "period_end": "2027-06-30"}
    page = client.post(reverse("spot:spotcheck_new"), {**form, "sample_size": "3"})
    assert "该区县在此期间没有符合条件的已归档案卷" in page.text
    # A district's auditor is offered only the district's own.
    client.force_login(district_auditor)
    page = client.post(reverse("spot:spotcheck_new"), {**form, "district": "江北区"})
    assert "选择一个有效的选项" in page.text
    assert not SpotCheck.objects.exists()


def test_the_district_commission_sees_its_districts_checks_but_cannot_score(
    client, commission, spot_check
):
    client.force_login(commission)
    assert spot_check.title in client.get(reverse("spot:spotcheck_list")).text
    assert client.get(spot_check.get_absolute_url()).status_code == 200
    sample = spot_check.samples.first()
    response = client.get(reverse("spot:spotcheck_score", args=[spot_check.pk, sample.pk]))
    assert response.status_code == 403
    assert "只有法制稽查人员可以开展案卷抽查" in response.text
    response = client.get(reverse("spot:spotcheck_new"))
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["officer", "custodian"])
def test_officers_and_custodians_are_refused_in_chinese(client, request, who, spot_check):
    client.force_login(request.getfixturevalue(who))
    for url in (reverse("spot:spotcheck_list"), spot_check.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 403
        assert "只有法制稽查、区县卫生健康行政部门、机构负责人和市级管理员可以查看" in response.text


def test_another_districts_commission_gets_404(client, other_commission, spot_check, store):
    client.force_login(other_commission)
    assert spot_check.title not in client.get(reverse("spot:spotcheck_list")).text
    assert client.get(spot_check.get_absolute_url()).status_code == 404
    sample = spot_check.samples.first()
    url = reverse("spot:spotcheck_score", args=[spot_check.pk, sample.pk])
    assert client.get(url).status_code == 404


def test_posts_need_the_csrf_token(auditor, spot_check):
    client = Client(enforce_csrf_checks=True)
    client.force_login(auditor)
    sample = spot_check.samples.first()
    url = reverse("spot:spotcheck_score", args=[spot_check.pk, sample.pk])
    assert client.post(url, _score_form(spot_check)).status_code == 403
    sample.refresh_from_db()
    assert sample.score is None


def test_the_checklist_is_configurable_and_a_new_version_applies_to_new_draws(
    client, city_admin, auditor, district_auditor, dossiers
):
    url = reverse("spot:sheet_edit", args=["spotcheck"])
    client.force_login(district_auditor)
    page = client.get(url)
    assert "A11-gap" in page.text and "卷内目录完整" in page.text
    assert client.post(url, {"items": "[]"}).status_code == 403
    client.force_login(city_admin)
    items = [
        {"code": "M-catalogue", "label": "卷内目录完整", "weight": 3, "source": "manual"},
        {"code": "A11-gap", "label": "中断有说明", "weight": 2, "source": "rule"},
    ]
    page = client.post(url, {"items": "[{"})
    assert "不是有效的JSON" in page.text
    page = client.post(url, {"items": json.dumps([{"code": "x", "weight": 0}])})
    assert "label" in page.text
    response = client.post(url, {"items": json.dumps(items), "note": "简化"})
    assert response.status_code == 302
    assert Event.objects.filter(action="scoresheet.changed").count() == 1

    spot_check = spotchecks.draw_spot_check(
        auditor,
        district="渝中区",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        sample_size=1,
    )
    assert spot_check.checklist == items and spot_check.checklist_version == 1


def test_the_redraw_link_repeats_the_draw_with_the_recorded_seed(client, auditor, spot_check):
    client.force_login(auditor)
    detail = client.get(spot_check.get_absolute_url()).text
    link = re.search(r'href="([^"]+)">以相同条件和种子重新抽取', detail).group(1)
    form = client.get(html.unescape(link)).context["form"]
    assert form.initial["seed"] == str(spot_check.seed)

    data = {name: form.initial.get(name, "") for name in form.fields}
    response = client.post(reverse("spot:spotcheck_new"), data)

    again = SpotCheck.objects.exclude(pk=spot_check.pk).get()
    assert response.url == again.get_absolute_url()
    assert spotchecks.sample_ids(again) == spotchecks.sample_ids(spot_check)
    assert again.seed == spot_check.seed == 2026

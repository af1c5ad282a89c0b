"""The home page: counts of the user's scope."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from quancheng.cases.services import change_case_stage, create_act

from .conftest import text

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def mid_march(time_machine):
    """A fixed 'now' in the middle of a month, so 'this month' does not depend on the day."""
    time_machine.move_to(dt.datetime(2026, 3, 15, 12, 0, tzinfo=SHANGHAI), tick=False)


def stat(page: str, name: str) -> int:
    match = re.search(rf'id="{name}">(\d+)<', page)
    assert match, name
    return int(match.group(1))


def test_home_counts_what_the_officer_sees(
    client, mid_march, officer, colleague, agency, subject, act, case, other_subject
):
    # An act of last month counts among the acts but not among this month's.
    start = dt.datetime(2026, 2, 27, 9, 0, tzinfo=SHANGHAI)
    create_act(
        officer,
        agency,
        [officer, colleague],
        kind="hearing",
        started_at=start,
        ended_at=start + dt.timedelta(hours=1),
        place="渝中区听证室",
        subject=subject,
    )
    client.force_login(officer)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    page = text(response)
    assert stat(page, "stat-subjects") == 1  # other_subject is 江北区's
    assert stat(page, "stat-acts") == 2
    assert stat(page, "stat-acts-month") == 1
    assert stat(page, "stat-cases") == 1
    assert stat(page, "stage-filed") == 1
    assert stat(page, "stage-investigation") == 0
    assert "渝中区范围" in page


def test_cases_are_counted_by_stage(client, officer, case):
    change_case_stage(officer, case, "investigation")
    client.force_login(officer)
    page = text(client.get(reverse("home")))
    assert stat(page, "stage-filed") == 0
    assert stat(page, "stage-investigation") == 1
    assert "调查取证" in page


def test_the_outsider_counts_nothing_of_another_district(client, outsider, act, case):
    client.force_login(outsider)
    page = text(client.get(reverse("home")))
    assert stat(page, "stat-subjects") == 0
    assert stat(page, "stat-acts") == 0
    assert stat(page, "stat-cases") == 0
    assert "解放碑口腔诊所" not in page


def test_the_city_sees_every_district(client, city_admin, subject, other_subject, act):
    client.force_login(city_admin)
    page = text(client.get(reverse("home")))
    assert stat(page, "stat-subjects") == 2
    assert stat(page, "stat-acts") == 1
    assert "全市范围" in page


def test_recent_acts_are_listed_with_a_create_button_for_writers(client, officer, act):
    client.force_login(officer)
    page = text(client.get(reverse("home")))
    assert "最近的执法行为" in page
    assert act.get_absolute_url() in page
    assert reverse("act_create") in page


def test_read_only_roles_get_no_create_button(client, auditor, commission, act):
    for user in (auditor, commission):
        client.force_login(user)
        page = text(client.get(reverse("home")))
        assert act.get_absolute_url() in page
        assert reverse("act_create") not in page


def test_the_error_pages_render_without_a_request():
    # Django renders 500.html with no context at all, 403_csrf.html without a request.
    from django.template.loader import render_to_string

    assert "系统错误" in render_to_string("500.html")
    assert "CSRF" in render_to_string("403_csrf.html")
    assert "页面不存在" in render_to_string("404.html")


def test_an_unknown_address_is_a_chinese_404(client, officer):
    client.force_login(officer)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in text(response)

"""The navigation (web/navigation.py): six menus by task and the account menu, each item shown
to those its route admits, the head's approvals badge on 审批, the current page's menu marked."""

import re

import pytest
from django.urls import reverse

from quancheng.access import requests as access_requests
from quancheng.orgs.capabilities import TABLE
from quancheng.web.navigation import MENUS
from quancheng.web.routes import NAMESPACES, ROUTES

from .conftest import text

pytestmark = pytest.mark.django_db

ROLES = [
    "officer",
    "custodian",
    "head",
    "auditor",
    "commission",
    "city_admin",
    "system_admin",
    "security_admin",
    "audit_admin",
]

MENU = re.compile(r'<details class="navmenu[^"]*" data-menu="([a-z]+)">')
LINK = re.compile(r'<ul class="navmenu-items">(.*?)</ul>', re.S)


def _home(client, person) -> str:
    client.force_login(person)
    return text(client.get(reverse("home")))


def _links(page: str) -> list[str]:
    return [href for block in LINK.findall(page) for href in re.findall(r'href="([^"]+)"', block)]


def test_every_item_is_a_declared_route_asked_when_reading():
    for menu in MENUS:
        for item in menu.items:
            reverse(item.route)
            namespace = item.route.partition(":")[0] if ":" in item.route else ""
            declared = ROUTES.get(item.route, NAMESPACES.get(namespace))
            assert declared is not None, item.route
            read = declared[0] if isinstance(declared, tuple) else declared
            assert read in TABLE or read in ("signed_in", "content", "admin"), item.route


@pytest.mark.parametrize("role", ROLES)
def test_at_most_seven_entries_and_no_item_answers_403(client, request, role):
    """Every role sees at most six menus plus the account menu, and every page its menus offer
    opens (the menus ask the capability table what routes.py declares)."""
    person = request.getfixturevalue(role)
    page = _home(client, person)
    menus = MENU.findall(page)
    assert len(menus) <= 7  # six by task and the account menu
    assert 'data-menu="account"' in page
    links = _links(page)
    assert links
    for href in links:
        if href.startswith("/admin/"):
            continue  # Django's admin site, tried by the authorization matrix
        assert client.get(href).status_code == 200, (role, href)


def test_items_follow_the_capability_table(client, officer, head, system_admin, auditor):
    officer_page = _home(client, officer)
    assert reverse("act_list") in officer_page
    assert reverse("access:inbox") not in officer_page  # requests.decide: heads only
    assert reverse("access:report") not in officer_page
    assert reverse("spot:spotcheck_list") not in officer_page
    assert reverse("admin:index") not in officer_page
    assert f'href="{reverse("signing_pin")}"' in officer_page

    head_page = _home(client, head)
    assert reverse("access:inbox") in head_page and reverse("access:report") in head_page

    auditor_page = _home(client, auditor)
    assert reverse("spot:spotcheck_list") in auditor_page
    assert reverse("access:inbox") not in auditor_page

    admin_page = _home(client, system_admin)
    assert reverse("admin:index") in admin_page
    assert f'href="{reverse("signing_pin")}"' not in admin_page  # 三员 sign nothing


def test_the_approvals_menu_carries_the_heads_pending_count(client, head, colleague, act):
    page = _home(client, head)
    assert "<summary>审批</summary>" in page
    access_requests.create_request(colleague, purpose="复核", act=act)
    page = _home(client, head)
    assert '<summary>审批 <span class="count-badge">1</span></summary>' in page
    assert '审批待办 <span class="count-badge">1</span>' in page


def test_the_current_page_marks_its_menu_and_item(client, officer, act):
    client.force_login(officer)
    page = text(client.get(act.get_absolute_url()))
    assert '<details class="navmenu current" data-menu="enforcement">' in page
    assert f'<a href="{reverse("act_list")}" aria-current="page">执法行为</a>' in page
    assert len(re.findall(r'class="navmenu current"', page)) == 1

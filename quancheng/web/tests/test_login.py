"""Login, logout, lockout, and what every page demands of an anonymous visitor."""

import pytest
from django.test import Client
from django.urls import reverse

from quancheng.conftest import PASSWORD
from quancheng.ledger.models import Event

from .conftest import text

pytestmark = pytest.mark.django_db

PAGES = [
    ("home", []),
    ("subject_list", []),
    ("subject_create", []),
    ("subject_detail", [1]),
    ("subject_edit", [1]),
    ("act_list", []),
    ("act_create", []),
    ("act_detail", [1]),
    ("act_edit", [1]),
    ("case_list", []),
    ("case_create", []),
    ("case_detail", [1]),
    ("case_edit", [1]),
]


def test_login_page_is_in_chinese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    page = text(response)
    assert "用户名" in page
    assert "密码" in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_login_page_links_only_its_own_stylesheet(client):
    page = text(client.get(reverse("login")))
    assert "/static/ui/quancheng.css" in page
    assert "<style" not in page
    assert "style=" not in page
    assert "<script" not in page


def test_pages_send_a_content_security_policy(client, officer):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    client.force_login(officer)
    assert "default-src 'self'" in client.get(reverse("home"))["Content-Security-Policy"]


def test_login_with_the_right_password_goes_home_and_is_recorded(client, officer):
    response = client.post(reverse("login"), {"username": "zhangwei", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert Event.objects.filter(action="auth.login", actor=officer).exists()
    home = client.get(reverse("home"))
    assert "张伟" in text(home)
    assert "渝中区卫生健康综合行政执法支队" in text(home)


def test_a_failed_login_shows_a_chinese_error(client, officer):
    response = client.post(reverse("login"), {"username": "zhangwei", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in text(response)
    assert "_auth_user_id" not in client.session
    failed = Event.objects.filter(action="auth.login_failed").latest("seq")
    assert failed.object_id == "zhangwei"


def test_an_empty_login_form_says_what_is_missing(client):
    response = client.post(reverse("login"), {"username": "", "password": ""})
    assert response.status_code == 200
    assert "这个字段是必填项" in text(response)


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_anonymous_posts_are_sent_to_the_login_page(client):
    response = client.post(reverse("case_stage", args=[1]), {"stage": "investigation"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_logout_is_a_post_and_is_recorded(client, officer):
    client.force_login(officer)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert Event.objects.filter(action="auth.logout", actor=officer).exists()
    assert client.get(reverse("home")).status_code == 302


def test_login_without_a_csrf_token_is_refused(officer):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "zhangwei", "password": PASSWORD})
    assert response.status_code == 403
    assert "CSRF" in text(response)
    assert not Event.objects.filter(action="auth.login").exists()


def test_the_logged_in_user_sees_name_agency_role_and_a_logout_button(client, officer):
    client.force_login(officer)
    page = text(client.get(reverse("home")))
    assert "张伟" in page
    assert "执法人员" in page
    assert f'action="{reverse("logout")}"' in page
    assert f'class="brand" href="{reverse("home")}" title="首页"' in page
    for label in ("执法对象", "执法行为", "案件"):
        assert f">{label}</a>" in page

"""The page skeleton (ui/base.html) and the page layer's base that fills in the menus."""

from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse


def _render(name: str, user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string(name, {"user": user}, request=request)


def test_the_skeleton_has_the_brand_the_shared_look_and_no_menus(db):
    page = _render("ui/base.html", AnonymousUser())
    assert "卫生健康行政执法全过程记录平台" in page and "渝卫发〔2019〕70号" in page
    assert "/static/ui/quancheng.css" in page and "/static/ui/favicon.svg" in page
    assert 'id="mainnav"' not in page and "web/nav.js" not in page


def test_the_pages_base_adds_the_menus_for_a_signed_in_person(officer):
    page = _render("web/base.html", officer)
    assert 'id="mainnav"' in page and "/static/web/nav.js" in page
    assert reverse("logout") in page and "张伟" in page

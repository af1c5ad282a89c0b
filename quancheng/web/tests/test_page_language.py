"""Every page names its language as people here write it: 简体中文 of mainland China (zh-CN), so
that screen readers and browsers pick the right voice and fonts (axe-core: html-has-lang)."""

import pytest


@pytest.mark.django_db
def test_the_login_page_says_it_is_in_chinese_of_china(client):
    page = client.get("/login/").content.decode()
    assert '<html lang="zh-CN">' in page


@pytest.mark.django_db
def test_a_signed_in_page_says_it_too(client, officer):
    client.force_login(officer)
    page = client.get("/").content.decode()
    assert '<html lang="zh-CN">' in page

"""A session ends after 30 idle minutes; activity keeps it alive."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_an_idle_session_ends_and_an_active_one_lasts(client, officer, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(officer)
        # Active every 20 minutes for an hour: still logged in.
        for _ in range(3):
            clock.shift(dt.timedelta(minutes=20))
            assert client.get(reverse("home")).status_code == 200
        # Then 31 idle minutes: back to the login page.
        clock.shift(dt.timedelta(minutes=31))
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_session_is_saved_at_most_once_a_minute(client, officer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def session_writes() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        return sum(
            1
            for q in captured.captured_queries
            if "django_session" in q["sql"] and not q["sql"].lstrip().startswith("SELECT")
        )

    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(officer)
        assert session_writes() == 1  # the first request renews
        clock.shift(dt.timedelta(seconds=30))
        assert session_writes() == 0  # within the minute: a read stays a read
        clock.shift(dt.timedelta(seconds=31))
        assert session_writes() == 1

"""Loading a year's official schedule: service, command and admin, each a ledger event."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from quancheng.ledger.models import Event
from quancheng.lib.workdays import ScheduleError
from quancheng.registration.models import HolidaySchedule
from quancheng.registration.schedules import load_schedule, remove_schedule

pytestmark = pytest.mark.django_db

# A made-up 2027 schedule, for the tests only (not the State Council's notice).
SCHEDULE = {
    "year": 2027,
    "source": "测试用：国务院办公厅关于2027年部分节假日安排的通知（示例）",
    "holidays": ["2027-01-01", "2027-02-08", "2027-02-09"],
    "workdays": ["2027-02-06"],
}


def test_loading_a_year_is_a_ledger_event(city_admin):
    schedule, outcome = load_schedule(city_admin, SCHEDULE)
    assert outcome == "created"
    assert schedule.loaded_by == city_admin
    assert schedule.holidays == ["2027-01-01", "2027-02-08", "2027-02-09"]
    event = Event.objects.for_object(schedule).get()
    assert event.action == "holiday_schedule.loaded"
    assert json.loads(event.body)["workdays"] == ["2027-02-06"]


def test_replacing_keeps_the_previous_version_in_the_ledger(city_admin):
    schedule, _ = load_schedule(city_admin, SCHEDULE)
    assert load_schedule(city_admin, SCHEDULE)[1] == "unchanged"
    changed = {**SCHEDULE, "workdays": []}
    assert load_schedule(city_admin, changed)[1] == "replaced"
    events = list(Event.objects.for_object(schedule))
    assert [e.action for e in events] == ["holiday_schedule.loaded", "holiday_schedule.replaced"]
    assert json.loads(events[1].body)["before"]["workdays"] == ["2027-02-06"]
    schedule.refresh_from_db()
    assert schedule.workdays == []


def test_only_city_administrators_load(custodian, head):
    for person in (custodian, head):
        with pytest.raises(PermissionDenied):
            load_schedule(person, SCHEDULE)
    assert not HolidaySchedule.objects.exists()


def test_bad_data_writes_nothing(city_admin):
    with pytest.raises(ScheduleError, match="source"):
        load_schedule(city_admin, {**SCHEDULE, "source": " "})
    with pytest.raises(ScheduleError, match="不属于 2027 年"):
        load_schedule(city_admin, {**SCHEDULE, "holidays": ["2028-01-01"]})
    assert not HolidaySchedule.objects.exists()
    assert not Event.objects.filter(action__startswith="holiday_schedule").exists()


def test_removing_a_year_is_a_ledger_event(city_admin, custodian):
    schedule, _ = load_schedule(city_admin, SCHEDULE)
    with pytest.raises(PermissionDenied):
        remove_schedule(custodian, schedule)
    remove_schedule(city_admin, schedule)
    assert not HolidaySchedule.objects.exists()
    actions = [e.action for e in Event.objects.filter(object_type="registration.holidayschedule")]
    assert actions == ["holiday_schedule.loaded", "holiday_schedule.removed"]


def test_command_loads_a_file(city_admin, tmp_path, capsys):
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(SCHEDULE, ensure_ascii=False), encoding="utf-8")
    call_command("load_holiday_schedule", str(path), by=city_admin.username)
    assert "已载入 2027 年节假日安排：节假日 3 天，调休上班日 1 天" in capsys.readouterr().out
    assert HolidaySchedule.objects.get().source == SCHEDULE["source"]
    call_command("load_holiday_schedule", str(path), by=city_admin.username)
    assert "内容未变化" in capsys.readouterr().out


def test_command_refuses_bad_files_and_people(city_admin, custodian, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="不是有效的 JSON"):
        call_command("load_holiday_schedule", str(broken), by=city_admin.username)
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("load_holiday_schedule", str(tmp_path / "none.json"), by=city_admin.username)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**SCHEDULE, "holidays": ["2027-13-01"]}), encoding="utf-8")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("load_holiday_schedule", str(bad), by=city_admin.username)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(SCHEDULE), encoding="utf-8")
    with pytest.raises(CommandError, match="市级管理员"):
        call_command("load_holiday_schedule", str(good), by=custodian.username)
    with pytest.raises(CommandError, match="不存在"):
        call_command("load_holiday_schedule", str(good), by="nobody")
    assert not HolidaySchedule.objects.exists()


@pytest.fixture
def superuser(system_admin):
    """The holiday schedule is configuration: the system administrator's (三员分立)."""
    return system_admin


def test_admin_adds_and_changes_through_the_service(client, superuser):
    client.force_login(superuser)
    response = client.post(
        "/admin/registration/holidayschedule/add/",
        {
            "year": "2027",
            "holidays": '["2027-01-01"]',
            "workdays": "[]",
            "source": "测试用通知",
        },
    )
    assert response.status_code == 302, response.text
    schedule = HolidaySchedule.objects.get()
    assert schedule.loaded_by == superuser
    response = client.post(
        f"/admin/registration/holidayschedule/{schedule.pk}/change/",
        {"holidays": '["2027-01-01", "2027-02-08"]', "workdays": "[]", "source": "测试用通知"},
    )
    assert response.status_code == 302, response.text
    actions = [e.action for e in Event.objects.for_object(schedule)]
    assert actions == ["holiday_schedule.loaded", "holiday_schedule.replaced"]
    bad = client.post(
        f"/admin/registration/holidayschedule/{schedule.pk}/change/",
        {"holidays": '["2027-02-30"]', "workdays": "[]", "source": "测试用通知"},
    )
    assert bad.status_code == 200 and "YYYY-MM-DD" in bad.text
    response = client.post(
        f"/admin/registration/holidayschedule/{schedule.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not HolidaySchedule.objects.exists()
    assert Event.objects.for_object(schedule).last().action == "holiday_schedule.removed"

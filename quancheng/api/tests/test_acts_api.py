import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from quancheng.cases.models import Act
from quancheng.conftest import make_person
from quancheng.ledger.models import Event

from .client import assert_error, counts

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _start():
    return (timezone.now() - dt.timedelta(hours=2)).astimezone(SHANGHAI).replace(microsecond=0)


def act_body(subject, officers, **extra):
    start = _start()
    return {
        "kind": "inspection",
        "started_at": start.isoformat(),
        "ended_at": (start + dt.timedelta(minutes=40)).isoformat(),
        "place": subject.address,
        "subject_id": subject.pk,
        "officer_ids": [o.pk for o in officers],
        **extra,
    }


def test_create_act_writes_the_act_and_its_ledger_event(officer, colleague, subject, api_as):
    before = counts()
    body = act_body(subject, [officer, colleague], involves_life_or_property=True)
    response = api_as(officer).post("/acts", body)
    assert response.status_code == 201, response.content
    out = response.json()
    act = Act.objects.get(pk=out["id"])
    assert act.agency == officer.agency
    assert sorted(o.pk for o in act.officers.all()) == sorted([officer.pk, colleague.pk])
    assert out["subject"]["id"] == subject.pk
    assert [o["username"] for o in out["officers"]] == ["zhangwei", "lina"]
    assert out["started_at"] == body["started_at"]
    assert out["started_at"].endswith("+08:00")
    assert out["kind_label"] == "监督检查"
    assert out["case"] is None
    assert Event.objects.for_object(act).get().action == "act.created"
    assert counts() == {**before, "acts": before["acts"] + 1, "events": before["events"] + 1}


def test_datetimes_in_other_offsets_are_stored_as_the_same_instant(
    officer, colleague, subject, api_as
):
    start = _start().astimezone(dt.UTC)
    body = act_body(
        subject,
        [officer, colleague],
        started_at=start.isoformat().replace("+00:00", "Z"),
        ended_at=(start + dt.timedelta(hours=1)).isoformat(),
    )
    out = api_as(officer).post("/acts", body).json()
    assert Act.objects.get(pk=out["id"]).started_at == start
    assert dt.datetime.fromisoformat(out["started_at"]) == start
    assert out["started_at"].endswith("+08:00")


def test_naive_datetime_is_refused(officer, colleague, subject, api_as):
    before = counts()
    body = act_body(subject, [officer, colleague], started_at="2026-03-01T09:30:00")
    out = assert_error(api_as(officer).post("/acts", body), 400, "naive_datetime")
    assert "started_at" in out["fields"]
    assert counts() == before


def test_another_agencys_subject_cannot_be_referenced(
    outsider, outsider_colleague, subject, api_as
):
    before = counts()
    body = act_body(subject, [outsider, outsider_colleague])
    out = assert_error(api_as(outsider).post("/acts", body), 400, "not_found")
    assert list(out["fields"]) == ["subject_id"]
    assert subject.name not in response_text(out)
    assert counts() == before


def test_another_agencys_officer_cannot_be_referenced(officer, outsider, subject, api_as):
    before = counts()
    out = assert_error(
        api_as(officer).post("/acts", act_body(subject, [officer, outsider])), 400, "not_found"
    )
    assert list(out["fields"]) == ["officer_ids"]
    assert "周杰" not in response_text(out)
    assert counts() == before


def test_one_officer_is_too_few(officer, subject, api_as):
    before = counts()
    out = assert_error(
        api_as(officer).post("/acts", act_body(subject, [officer])), 400, "too_few_officers"
    )
    assert "officer_ids" in out["fields"]
    assert counts() == before


def test_the_same_officer_twice_is_still_one(officer, subject, api_as):
    before = counts()
    assert_error(
        api_as(officer).post("/acts", act_body(subject, [officer, officer])),
        400,
        "too_few_officers",
    )
    assert counts() == before


def test_end_before_start_is_refused(officer, colleague, subject, api_as):
    before = counts()
    start = _start()
    body = act_body(
        subject, [officer, colleague], ended_at=(start - dt.timedelta(minutes=5)).isoformat()
    )
    out = assert_error(api_as(officer).post("/acts", body), 400, "end_before_start")
    assert out["fields"]["ended_at"] == ["结束时间必须晚于开始时间"]
    assert counts() == before


def test_expired_certificate_is_refused(officer, agency, subject, api_as):
    # Expired before the act's own day (in Beijing), which near midnight is not today.
    today = timezone.localtime(_start()).date()
    expired = make_person(
        "qianqiang",
        "钱强",
        agency,
        certificate_valid_from=today - dt.timedelta(days=800),
        certificate_valid_until=today - dt.timedelta(days=1),
    )
    before = counts()
    out = assert_error(
        api_as(officer).post("/acts", act_body(subject, [officer, expired])),
        400,
        "certificate_invalid",
    )
    assert "钱强" in out["message"]
    assert counts() == before


def test_case_of_another_subject_is_refused(officer, colleague, agency, subject, case, api_as):
    from quancheng.subjects.services import create_subject

    other = create_subject(
        officer, agency, name="渝中区某宾馆", kind="public_place", address="渝中区民族路1号"
    )
    before = counts()
    body = act_body(other, [officer, colleague], case_id=case.pk)
    assert_error(api_as(officer).post("/acts", body), 400, "case_subject_mismatch")
    assert counts() == before


def test_another_districts_act_is_not_found(outsider, act, api_as):
    api = api_as(outsider)
    assert_error(api.get(f"/acts/{act.pk}"), 404, "not_found")
    assert_error(api.patch(f"/acts/{act.pk}", {"place": "x"}), 404, "not_found")
    assert api.get("/acts").json()["count"] == 0


def test_list_filters(officer, colleague, subject, act, case, api_as):
    from quancheng.cases.services import create_act

    start = act.started_at - dt.timedelta(days=1)
    hearing = create_act(
        officer,
        officer.agency,
        [officer, colleague],
        kind="hearing",
        started_at=start,
        ended_at=start + dt.timedelta(hours=1),
        place="执法支队听证室",
        subject=subject,
        case=case,
    )
    api = api_as(officer)

    def ids(**params):
        response = api.get("/acts", params)
        assert response.status_code == 200, response.content
        return [a["id"] for a in response.json()["items"]]

    assert ids() == [act.pk, hearing.pk]  # newest first
    assert ids(kind="hearing") == [hearing.pk]
    assert ids(case_id=case.pk) == [hearing.pk]
    assert ids(subject_id=subject.pk) == [act.pk, hearing.pk]
    boundary = (act.started_at - dt.timedelta(hours=1)).astimezone(SHANGHAI).isoformat()
    assert ids(started_after=boundary) == [act.pk]
    assert ids(started_before=boundary) == [hearing.pk]
    # An unencoded "+08:00" arrives as " 08:00" in a query string: still understood.
    raw = api.client.get(f"/api/v1/acts?started_after={boundary}", headers=api._headers())
    assert [a["id"] for a in raw.json()["items"]] == [act.pk]
    assert_error(api.get("/acts", {"started_after": "2026-03-01T09:00:00"}), 400, "naive_datetime")


def test_patch_act(officer, colleague, act, case, api_as):
    api = api_as(officer)
    response = api.patch(f"/acts/{act.pk}", {"place": "渝中区邹容路100号二楼", "case_id": case.pk})
    assert response.status_code == 200, response.content
    assert response.json()["case"] == {"id": case.pk, "number": case.number}
    act.refresh_from_db()
    assert act.place == "渝中区邹容路100号二楼"
    assert Event.objects.for_object(act).order_by("-seq").first().action == "act.updated"
    response = api.patch(f"/acts/{act.pk}", {"case_id": None})
    assert response.status_code == 200, response.content
    assert response.json()["case"] is None


def test_patch_act_checks_like_create(officer, outsider, other_subject, act, api_as):
    api = api_as(officer)
    before = counts()
    out = assert_error(
        api.patch(f"/acts/{act.pk}", {"subject_id": other_subject.pk}), 400, "not_found"
    )
    assert list(out["fields"]) == ["subject_id"]
    assert_error(
        api.patch(f"/acts/{act.pk}", {"officer_ids": [officer.pk]}), 400, "too_few_officers"
    )
    late = (act.started_at - dt.timedelta(minutes=1)).isoformat()
    assert_error(api.patch(f"/acts/{act.pk}", {"ended_at": late}), 400, "end_before_start")
    assert_error(api.patch(f"/acts/{act.pk}", {"place": None}), 422, "invalid_input")
    assert counts() == before


def test_auditor_reads_but_cannot_change_acts(auditor, act, api_as):
    api = api_as(auditor)
    assert api.get(f"/acts/{act.pk}").status_code == 200
    before = counts()
    assert_error(api.patch(f"/acts/{act.pk}", {"place": "x"}), 403, "forbidden")
    assert counts() == before


def response_text(body) -> str:
    import json

    return json.dumps(body, ensure_ascii=False)


def test_city_users_act_is_filed_under_the_subjects_agency_as_on_the_page(
    city_admin, officer, colleague, subject, api_as
):
    # The page files a city user's new act under the subject's agency; the API agrees.
    response = api_as(city_admin).post("/acts", act_body(subject, [officer, colleague]))
    assert response.status_code == 201, response.content
    assert Act.objects.get(pk=response.json()["id"]).agency == subject.agency
    assert subject.agency != city_admin.agency

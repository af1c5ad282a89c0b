import datetime as dt

from django.utils import timezone

from quancheng.cases.models import Case
from quancheng.ledger.models import Event

from .client import assert_error, counts


def case_body(subject, officers, **extra):
    return {
        "number": "渝中卫医罚〔2026〕2号",
        "cause": "使用非卫生技术人员从事医疗卫生技术工作",
        "subject_id": subject.pk,
        "officer_ids": [o.pk for o in officers],
        "filed_on": timezone.localdate().isoformat(),
        **extra,
    }


def test_create_case_writes_the_case_and_its_ledger_event(officer, colleague, subject, api_as):
    before = counts()
    response = api_as(officer).post("/cases", case_body(subject, [officer, colleague]))
    assert response.status_code == 201, response.content
    out = response.json()
    case = Case.objects.get(pk=out["id"])
    assert case.agency == officer.agency
    assert out["stage"] == "filed"
    assert out["stage_label"] == "立案"
    assert out["allowed_next_stages"] == ["investigation"]
    assert out["subject"]["id"] == subject.pk
    assert Event.objects.for_object(case).get().action == "case.created"
    assert counts() == {**before, "cases": before["cases"] + 1, "events": before["events"] + 1}


def test_duplicate_number_is_refused(officer, colleague, subject, case, api_as):
    before = counts()
    body = case_body(subject, [officer, colleague], number=case.number)
    out = assert_error(api_as(officer).post("/cases", body), 400, "duplicate")
    assert "number" in out["fields"]
    assert counts() == before


def test_case_needs_two_officers_with_valid_certificates(officer, subject, api_as):
    before = counts()
    assert_error(
        api_as(officer).post("/cases", case_body(subject, [officer])), 400, "too_few_officers"
    )
    assert counts() == before


def test_case_for_another_agencys_subject_is_refused(outsider, outsider_colleague, subject, api_as):
    before = counts()
    out = assert_error(
        api_as(outsider).post("/cases", case_body(subject, [outsider, outsider_colleague])),
        400,
        "not_found",
    )
    assert list(out["fields"]) == ["subject_id"]
    assert counts() == before


def test_stage_moves_forward_and_is_recorded(officer, case, api_as):
    response = api_as(officer).post(
        f"/cases/{case.pk}/stage", {"stage": "investigation", "note": "开始调查取证"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["stage"] == "investigation"
    assert response.json()["allowed_next_stages"] == ["review"]
    event = Event.objects.for_object(case).order_by("-seq").first()
    assert event.action == "case.stage_changed"
    assert "开始调查取证" in event.body


def test_illegal_stage_change_is_400_and_changes_nothing(officer, case, api_as):
    before = counts()
    out = assert_error(
        api_as(officer).post(f"/cases/{case.pk}/stage", {"stage": "closed"}),
        400,
        "illegal_stage_change",
    )
    assert out["message"] == "案件不能从“立案”变更为“结案”"
    assert out["fields"] == {"stage": [out["message"]]}
    case.refresh_from_db()
    assert case.stage == "filed"
    assert counts() == before


def test_unknown_stage_is_422(officer, case, api_as):
    assert_error(
        api_as(officer).post(f"/cases/{case.pk}/stage", {"stage": "pardoned"}), 422, "invalid_input"
    )


def test_another_districts_case_is_not_found(outsider, case, api_as):
    api = api_as(outsider)
    before = counts()
    assert_error(api.get(f"/cases/{case.pk}"), 404, "not_found")
    assert_error(api.patch(f"/cases/{case.pk}", {"cause": "x"}), 404, "not_found")
    assert_error(api.post(f"/cases/{case.pk}/stage", {"stage": "investigation"}), 404, "not_found")
    assert api.get("/cases").json()["count"] == 0
    assert counts() == before


def test_list_filters(officer, colleague, subject, case, api_as):
    from quancheng.cases.services import change_case_stage, create_case

    second = create_case(
        officer,
        officer.agency,
        [officer, colleague],
        number="渝中卫医罚〔2026〕3号",
        cause="超范围执业",
        subject=subject,
        filed_on=timezone.localdate() - dt.timedelta(days=3),
    )
    change_case_stage(officer, second, "investigation")
    api = api_as(officer)
    ids = lambda **p: [c["id"] for c in api.get("/cases", p).json()["items"]]  # noqa: E731
    assert ids() == [case.pk, second.pk]
    assert ids(stage="investigation") == [second.pk]
    assert ids(subject_id=subject.pk) == [case.pk, second.pk]
    assert ids(limit=1, offset=1) == [second.pk]


def test_patch_case(officer, colleague, head, case, api_as):
    api = api_as(officer)
    response = api.patch(
        f"/cases/{case.pk}",
        {
            "cause": "未取得医疗机构执业许可证擅自执业（复核）",
            "officer_ids": [officer.pk, colleague.pk, head.pk],
        },
    )
    assert response.status_code == 200, response.content
    assert [o["username"] for o in response.json()["officers"]] == ["zhangwei", "lina", "liuyang"]
    case.refresh_from_db()
    assert case.cause.endswith("（复核）")
    assert Event.objects.for_object(case).order_by("-seq").first().action == "case.updated"
    # Removing an officer is the head's (issue 15).
    removal = api.patch(f"/cases/{case.pk}", {"officer_ids": [colleague.pk, head.pk]})
    assert_error(removal, 403, "forbidden")
    head_api = api_as(head)
    assert (
        head_api.patch(f"/cases/{case.pk}", {"officer_ids": [colleague.pk, head.pk]}).status_code
        == 200
    )


def test_patch_case_checks_like_create(officer, outsider, case, api_as):
    before = counts()
    api = api_as(officer)
    assert_error(
        api.patch(f"/cases/{case.pk}", {"officer_ids": [officer.pk, outsider.pk]}), 400, "not_found"
    )
    assert_error(api.patch(f"/cases/{case.pk}", {"number": ""}), 400, "required")
    assert_error(api.patch(f"/cases/{case.pk}", {"filed_on": "2026-13-01"}), 422, "invalid_input")
    assert counts() == before


def test_read_only_roles_cannot_move_a_case(auditor, commission, case, api_as):
    before = counts()
    for user in (auditor, commission):
        api = api_as(user)
        assert api.get(f"/cases/{case.pk}").status_code == 200
        assert_error(
            api.post(f"/cases/{case.pk}/stage", {"stage": "investigation"}), 403, "forbidden"
        )
    assert counts() == before

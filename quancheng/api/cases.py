"""Penalty cases (行政处罚案件) and their stages."""

from django.db.models import Prefetch
from ninja import Query, Router, Status

from quancheng.cases.models import Case
from quancheng.cases.services import change_case_stage, create_case, default_agency, update_case
from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import User
from quancheng.orgs.scoping import get_visible_or_404

from . import responses
from .schemas import CaseCreate, CaseFilters, CaseOut, CasePage, CasePatch, StageChange
from .scope import References, agency_for_new, page

router = Router(tags=["案件"])


def _cases(user: User):
    return (
        Case.objects.visible_to(user)
        .select_related("agency", "subject")
        .prefetch_related(Prefetch("officers", queryset=User.objects.order_by("pk")))
    )


def _out(user: User, case: Case) -> Case:
    return get_visible_or_404(_cases(user), user, pk=case.pk)


@router.get("/cases", response={200: CasePage, **responses.LIST}, summary="案件列表")
def list_cases(request, filters: Query[CaseFilters]):
    cases = _cases(request.user)
    if filters.stage:
        cases = cases.filter(stage=filters.stage)
    if filters.subject_id is not None:
        cases = cases.filter(subject_id=filters.subject_id)
    return page(cases, filters)


@router.get("/cases/{case_id}", response={200: CaseOut, **responses.READ}, summary="案件详情")
def get_case(request, case_id: int):
    return get_visible_or_404(_cases(request.user), request.user, pk=case_id)


@router.post("/cases", response={201: CaseOut, **responses.CREATE}, summary="立案")
def post_case(request, payload: CaseCreate):
    refs = References(request.user)
    subject = refs.subject(payload.subject_id)
    officers = refs.officers(payload.officer_ids)
    refs.raise_any()
    agency = agency_for_new(
        request.user,
        payload.agency_id,
        caps.CASE_CREATE,
        default=default_agency(request.user, subject),
    )
    data = payload.model_dump(exclude={"agency_id", "subject_id", "officer_ids"})
    case = create_case(request.user, agency, officers, subject=subject, **data)
    return Status(201, _out(request.user, case))


@router.patch("/cases/{case_id}", response={200: CaseOut, **responses.CHANGE}, summary="修改案件")
def patch_case(request, case_id: int, payload: CasePatch):
    case = get_visible_or_404(Case, request.user, pk=case_id)
    caps.require(request.user, caps.CASE_EDIT, case)
    data = payload.changes()
    refs = References(request.user)
    if "subject_id" in data:
        data["subject"] = refs.subject(data.pop("subject_id"))
    officers = refs.officers(data.pop("officer_ids")) if "officer_ids" in data else None
    refs.raise_any()
    update_case(request.user, case, officers, **data)
    return _out(request.user, case)


@router.post(
    "/cases/{case_id}/stage", response={200: CaseOut, **responses.CHANGE}, summary="变更案件阶段"
)
def post_case_stage(request, case_id: int, payload: StageChange):
    case = get_visible_or_404(Case, request.user, pk=case_id)
    change_case_stage(request.user, case, payload.stage, payload.note)
    return _out(request.user, case)

"""Enforcement acts (执法行为)."""

from django.db.models import Prefetch
from ninja import Query, Router, Status

from quancheng.cases.models import Act
from quancheng.cases.services import create_act, default_agency, update_act
from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import User
from quancheng.orgs.scoping import get_visible_or_404

from . import responses
from .schemas import ActCreate, ActFilters, ActOut, ActPage, ActPatch
from .scope import References, agency_for_new, page

router = Router(tags=["执法行为"])


def _acts(user: User):
    return (
        Act.objects.visible_to(user)
        .select_related("agency", "subject", "case")
        .prefetch_related(Prefetch("officers", queryset=User.objects.order_by("pk")))
    )


@router.get("/acts", response={200: ActPage, **responses.LIST}, summary="执法行为列表")
def list_acts(request, filters: Query[ActFilters]):
    acts = _acts(request.user)
    if filters.kind:
        acts = acts.filter(kind=filters.kind)
    if filters.subject_id is not None:
        acts = acts.filter(subject_id=filters.subject_id)
    if filters.case_id is not None:
        acts = acts.filter(case_id=filters.case_id)
    if filters.started_after is not None:
        acts = acts.filter(started_at__gte=filters.started_after)
    if filters.started_before is not None:
        acts = acts.filter(started_at__lt=filters.started_before)
    return page(acts, filters)


@router.get("/acts/{act_id}", response={200: ActOut, **responses.READ}, summary="执法行为详情")
def get_act(request, act_id: int):
    return get_visible_or_404(_acts(request.user), request.user, pk=act_id)


@router.post("/acts", response={201: ActOut, **responses.CREATE}, summary="登记执法行为")
def post_act(request, payload: ActCreate):
    refs = References(request.user)
    subject = refs.subject(payload.subject_id)
    case = refs.case(payload.case_id)
    officers = refs.officers(payload.officer_ids)
    refs.raise_any()
    agency = agency_for_new(
        request.user,
        payload.agency_id,
        caps.ACT_CREATE,
        default=default_agency(request.user, subject),
    )
    data = payload.model_dump(exclude={"agency_id", "subject_id", "case_id", "officer_ids"})
    act = create_act(request.user, agency, officers, subject=subject, case=case, **data)
    return Status(201, get_visible_or_404(_acts(request.user), request.user, pk=act.pk))


@router.patch("/acts/{act_id}", response={200: ActOut, **responses.CHANGE}, summary="修改执法行为")
def patch_act(request, act_id: int, payload: ActPatch):
    act = get_visible_or_404(Act, request.user, pk=act_id)
    caps.require(request.user, caps.ACT_EDIT, act)
    data = payload.changes()
    refs = References(request.user)
    if "subject_id" in data:
        data["subject"] = refs.subject(data.pop("subject_id"))
    if "case_id" in data:
        data["case"] = refs.case(data.pop("case_id"))
    officers = refs.officers(data.pop("officer_ids")) if "officer_ids" in data else None
    refs.raise_any()
    update_act(request.user, act, officers, **data)
    return get_visible_or_404(_acts(request.user), request.user, pk=act.pk)

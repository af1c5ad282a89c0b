"""Enforcement subjects (执法对象)."""

from ninja import Query, Router, Status

from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.subjects.models import Subject
from quancheng.subjects.services import create_subject, update_subject

from . import responses
from .schemas import SubjectCreate, SubjectFilters, SubjectOut, SubjectPage, SubjectPatch
from .scope import agency_for_new, page

router = Router(tags=["执法对象"])


@router.get("/subjects", response={200: SubjectPage, **responses.LIST}, summary="执法对象列表")
def list_subjects(request, filters: Query[SubjectFilters]):
    subjects = Subject.objects.visible_to(request.user).select_related("agency")
    if filters.q:
        subjects = subjects.search(filters.q)
    if filters.kind:
        subjects = subjects.filter(kind=filters.kind)
    return page(subjects, filters)


@router.get(
    "/subjects/{subject_id}", response={200: SubjectOut, **responses.READ}, summary="执法对象详情"
)
def get_subject(request, subject_id: int):
    return get_visible_or_404(Subject.objects.select_related("agency"), request.user, pk=subject_id)


@router.post("/subjects", response={201: SubjectOut, **responses.CREATE}, summary="登记执法对象")
def post_subject(request, payload: SubjectCreate):
    data = payload.model_dump(exclude={"agency_id"})
    agency = agency_for_new(request.user, payload.agency_id, caps.SUBJECT_CHANGE)
    return Status(201, create_subject(request.user, agency, **data))


@router.patch(
    "/subjects/{subject_id}", response={200: SubjectOut, **responses.CHANGE}, summary="修改执法对象"
)
def patch_subject(request, subject_id: int, payload: SubjectPatch):
    subject = get_visible_or_404(Subject, request.user, pk=subject_id)
    caps.require(request.user, caps.SUBJECT_CHANGE, subject)
    return update_subject(request.user, subject, **payload.changes())

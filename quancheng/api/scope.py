"""Scoping for API requests: which agency a new object belongs to, and which ids a body may name.

Ids in a request body are resolved only within the caller's scope, so an id from another
district is "not found" exactly like an id that does not exist.
"""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from quancheng.cases.models import Case
from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import Agency, User
from quancheng.orgs.scoping import agencies_visible_to
from quancheng.subjects.models import Subject

from .schemas import Paging


def page(queryset: QuerySet, paging: Paging) -> dict:
    return {
        "count": queryset.count(),
        "limit": paging.limit,
        "offset": paging.offset,
        "items": list(queryset[paging.offset : paging.offset + paging.limit]),
    }


def _not_found(field: str, message: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code="not_found")]})


def agency_for_new(
    user: User, agency_id: int | None, capability: str, default: Agency | None = None
) -> Agency:
    """The agency a new object is created in: the one named (city users may name any), else
    ``default`` when given, else the caller's own.

    The caller must hold ``capability`` there (read-only roles get PermissionDenied).
    """
    agency: Agency | None
    if agency_id is None and default is not None:
        agency = default
    elif agency_id is None:
        if user.agency is None:
            raise ValidationError(
                {"agency_id": [ValidationError("请指定所属机构", code="required")]}
            )
        agency = user.agency
    elif user.sees_whole_city:
        agency = agencies_visible_to(user).filter(pk=agency_id).first()
    else:
        agency = user.agency if agency_id == user.agency_id else None
    if agency is None:
        raise _not_found("agency_id", "机构不存在或不在您的管辖范围内")
    caps.require(user, capability, agency)
    return agency


class References:
    """Resolves the ids named in a body, collecting every problem before raising them together."""

    def __init__(self, user: User):
        self.user = user
        self.errors: dict[str, list[ValidationError]] = {}

    def _fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(ValidationError(message, code="not_found"))

    def subject(self, pk: int, field: str = "subject_id") -> Subject | None:
        subject = Subject.objects.visible_to(self.user).filter(pk=pk).first()
        if subject is None:
            self._fail(field, "执法对象不存在或不在您的管辖范围内")
        return subject

    def case(self, pk: int | None, field: str = "case_id") -> Case | None:
        if pk is None:
            return None
        case = Case.objects.visible_to(self.user).filter(pk=pk).first()
        if case is None:
            self._fail(field, "案件不存在或不在您的管辖范围内")
        return case

    def officers(self, pks: list[int], field: str = "officer_ids") -> list[User]:
        wanted = list(dict.fromkeys(pks))
        found = {
            u.pk: u
            for u in User.objects.filter(
                pk__in=wanted, agency__in=agencies_visible_to(self.user)
            ).select_related("agency")
        }
        for pk in wanted:
            if pk not in found:
                self._fail(field, f"执法人员（编号{pk}）不存在或不在您的管辖范围内")
        return [found[pk] for pk in wanted if pk in found]

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)

"""Data scoping, in one place: district people see and change only their district's data.

Every model that belongs to an agency uses AgencyScopedQuerySet; every page, API endpoint and
command reaches such objects through visible_to(user) or get_visible_or_404().
"""

from django.db import models
from django.http import Http404

from .models import Agency, User


def agencies_visible_to(user: "User") -> models.QuerySet[Agency]:
    if not getattr(user, "is_authenticated", False):
        return Agency.objects.none()
    if user.sees_whole_city:
        return Agency.objects.all()
    if user.agency is None:
        return Agency.objects.none()
    return Agency.objects.filter(district=user.agency.district)


def officers_visible_to(user: "User") -> models.QuerySet[User]:
    """People in the user's scope who hold an enforcement certificate (valid or not: the service
    says which one is not valid on the day)."""
    return (
        User.objects.filter(agency__in=agencies_visible_to(user), is_active=True)
        .exclude(certificate_number="")
        .select_related("agency")
        .order_by("agency__code", "username")
    )


class AgencyScopedQuerySet(models.QuerySet):
    agency_field = "agency"

    def visible_to(self, user: "User"):
        if getattr(user, "is_authenticated", False) and user.sees_whole_city:
            return self
        return self.filter(**{f"{self.agency_field}__in": agencies_visible_to(user)})


def get_visible_or_404(queryset_or_model, user: "User", **lookup):
    """The object if it exists in the user's scope; otherwise 404, never a hint it exists."""
    qs = queryset_or_model
    if isinstance(qs, type) and issubclass(qs, models.Model):
        qs = qs.objects.all()  # type: ignore[attr-defined]  # every scoped model has objects
    try:
        return qs.visible_to(user).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError) as e:
        raise Http404("对象不存在") from e

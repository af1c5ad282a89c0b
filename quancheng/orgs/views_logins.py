"""Failed logins of the agency's people, and their unlocking by the head (docs/security.md)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import capabilities as caps
from .lockout import locked_users, unlock_login
from .models import Role, User
from .scoping import agencies_visible_to


def _people(user):
    people = User.objects.filter(is_active=True)
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.SECURITY_ADMIN):
        return people
    return people.filter(agency=user.agency_id)


@require_GET
def login_lock_list(request):
    """People of the head's agency with recent failed logins: locked or delayed."""
    caps.require(request.user, caps.LOGINS_UNLOCK)
    people = list(_people(request.user).order_by("username"))
    return render(request, "orgs/login_locks.html", {"rows": locked_users(people)})


@require_POST
def login_unlock(request, pk):
    scope = agencies_visible_to(request.user)
    person = get_object_or_404(User.objects.filter(agency__in=scope), pk=pk)
    unlock_login(request.user, person)
    messages.success(request, f"已解除 {person.full_name}（{person.username}）的登录锁定")
    return redirect("login_lock_list")

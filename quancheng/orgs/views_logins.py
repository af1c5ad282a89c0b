"""Failed logins of the agency's people, and their unlocking by the head (docs/security.md)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from .lockout import locked_users, may_unlock, unlock_login
from .models import Role, User
from .scoping import agencies_visible_to


def _people(user):
    if user.role == Role.CITY_ADMIN:
        return User.objects.filter(is_active=True)
    if user.role == Role.HEAD:
        return User.objects.filter(is_active=True, agency=user.agency_id)
    raise PermissionDenied("只有机构负责人或市级管理员可以查看和解除登录锁定")


@require_GET
def login_lock_list(request):
    """People of the head's agency with recent failed logins: locked or delayed."""
    people = list(_people(request.user).order_by("username"))
    return render(request, "orgs/login_locks.html", {"rows": locked_users(people)})


@require_POST
def login_unlock(request, pk):
    scope = agencies_visible_to(request.user)
    person = get_object_or_404(User.objects.filter(agency__in=scope), pk=pk)
    if not may_unlock(request.user, person):
        raise PermissionDenied("只有本机构负责人或市级管理员可以解除登录锁定")
    unlock_login(request.user, person)
    messages.success(request, f"已解除 {person.full_name}（{person.username}）的登录锁定")
    return redirect("login_lock_list")

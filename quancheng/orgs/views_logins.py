"""Failed logins of the agency's people, and their unlocking by the head; signing PINs: each
officer's own, and their reset by the head (docs/security.md)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import capabilities as caps
from .lockout import SecretThrottled, locked_users, unlock_login
from .models import User
from .pins import PIN_MAX, PIN_MIN, reset_signing_pin, set_signing_pin
from .scoping import agencies_visible_to


def _people(user: User) -> list[User]:
    """The people whose logins the user may unlock (the table's row, person by person)."""
    people = User.objects.filter(is_active=True).select_related("agency").order_by("username")
    if not user.sees_whole_city:
        people = people.filter(agency__in=agencies_visible_to(user))
    return [p for p in people if caps.can(user, caps.LOGINS_UNLOCK, p)]


@require_GET
def login_lock_list(request):
    """People of the head's agency with recent failed logins: locked or delayed; and those who
    have a signing PIN (which the head may reset)."""
    caps.require(request.user, caps.LOGINS_UNLOCK)
    people = _people(request.user)
    with_pin = [
        p for p in people if p.signing_pin and caps.can(request.user, caps.SIGNING_PIN_RESET, p)
    ]
    return render(
        request, "orgs/login_locks.html", {"rows": locked_users(people), "with_pin": with_pin}
    )


@require_POST
def login_unlock(request, pk):
    scope = agencies_visible_to(request.user)
    person = get_object_or_404(User.objects.filter(agency__in=scope), pk=pk)
    unlock_login(request.user, person)
    messages.success(request, f"已解除 {person.full_name}（{person.username}）的登录锁定")
    return redirect("login_lock_list")


@require_POST
def signing_pin_reset(request, pk):
    """The head clears a person's signing PIN; the person sets a new one (ledger event)."""
    scope = agencies_visible_to(request.user)
    person = get_object_or_404(User.objects.filter(agency__in=scope), pk=pk)
    reset_signing_pin(request.user, person)
    messages.success(request, f"已重置 {person.full_name}（{person.username}）的签名PIN")
    return redirect("login_lock_list")


@require_http_methods(["GET", "POST"])
def signing_pin(request):
    """The officer's own signing PIN: set or change it, confirming with the login password."""
    user = request.user
    verdict = caps.check(user, caps.SIGNING_PIN_SET, user)
    status, errors = 200, []
    if request.method == "POST":
        if not verdict:
            errors, status = [verdict.reason], 403
        else:
            try:
                set_signing_pin(
                    request,
                    user,
                    password=request.POST.get("password", ""),
                    pin=request.POST.get("pin", ""),
                    again=request.POST.get("pin_again", ""),
                )
            except SecretThrottled as e:
                errors, status = [str(e)], 429
            except ValidationError as e:
                errors, status = e.messages, 400
            else:
                messages.success(request, "签名PIN已保存。在他人设备上签名时输入此PIN即可。")
                return redirect("signing_pin")
    context = {
        "may_set": bool(verdict),
        "reason": verdict.reason,
        "has_pin": bool(user.signing_pin),
        "set_at": user.signing_pin_set_at,
        "errors": errors,
        "pin_min": PIN_MIN,
        "pin_max": PIN_MAX,
    }
    return render(request, "orgs/signing_pin.html", context, status=status)

"""The 审计管理员's page: every action of the three administrators and the break-glass account.

三员分立 (docs/security.md): the system and security administrators' actions, and the audit
administrator's own, are ledger events like every other; this page lists them (GB/T 22239-2019
8.1.5.2 审计管理: the audit administrator reviews the audit records, through given pages only).
Reading it changes nothing and is not itself a ledger event (it shows no record content).
"""

from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.views.decorators.http import require_GET

from quancheng.ledger.models import Event

from . import capabilities as caps
from .models import ADMIN_ROLES, Role

PER_PAGE = 100
WATCHED = (*ADMIN_ROLES, Role.BREAK_GLASS)
ROLE_FILTERS = {value: label for value, label in Role.choices if value in WATCHED}


def administrator_events(role: str = ""):
    """Events done by an administrator (or about a break-glass account), newest first."""
    roles = [role] if role in ROLE_FILTERS else list(WATCHED)
    query = Q(actor__role__in=roles)
    if role in ("", Role.BREAK_GLASS):
        # Opened and closed from the command line: no signed-in actor, the account is the object.
        query |= Q(action__startswith="auth.break_glass")
    return Event.objects.filter(query).select_related("actor").order_by("-seq")


@require_GET
def admin_action_list(request):
    caps.require(request.user, caps.ADMIN_AUDIT)
    role = request.GET.get("role", "")
    page = Paginator(administrator_events(role), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "orgs/admin_actions.html",
        {"page": page, "role": role, "roles": ROLE_FILTERS},
    )

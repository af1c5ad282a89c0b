"""The ledger page (账本与校验): tree size, signed checkpoints, verifier key, verifications."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from quancheng.orgs.models import Role

from .checkpoints import verifier_key
from .models import Checkpoint
from .services import record_event
from .tasks import verify_whole_ledger
from .tree import tree_size
from .verify import latest_verifications

# Who may start a verification: the records custodian (A19), the agency head, the legal
# auditor (A26) and the city's administrator.
VERIFYING_ROLES = {Role.CUSTODIAN, Role.HEAD, Role.AUDITOR, Role.CITY_ADMIN}


def _can_verify(user) -> bool:
    return getattr(user, "role", None) in VERIFYING_ROLES


@require_GET
def ledger_overview(request):
    return render(
        request,
        "ledger/ledger.html",
        {
            "size": tree_size(),
            "checkpoints": Checkpoint.objects.order_by("-size")[:5],
            "checkpoint_count": Checkpoint.objects.count(),
            "verifier_key": verifier_key(),
            "verifications": latest_verifications(10),
            "can_verify": _can_verify(request.user),
        },
    )


@require_POST
def ledger_verify(request):
    if not _can_verify(request.user):
        raise PermissionDenied("只有记录管理专人、机构负责人、法制稽查和市级管理员可以发起校验")
    with transaction.atomic():
        result = verify_whole_ledger.enqueue(request.user.pk)
        record_event(
            request.user,
            "ledger.verification_requested",
            None,
            {"task": str(result.id)},
            object_type="ledger",
            object_id="log",
        )
    messages.success(request, "已提交账本校验，完成后结果显示在下方")
    return redirect("ledger")

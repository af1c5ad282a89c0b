"""The ledger page (账本与校验): tree size, signed checkpoints, verifier key, verifications."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from quancheng.ledger import keys
from quancheng.ledger.checkpoints import sm2_verifier_key, verifier_key
from quancheng.ledger.models import Checkpoint
from quancheng.ledger.tasks import request_verification
from quancheng.ledger.tree import tree_size
from quancheng.ledger.verify import latest_verifications
from quancheng.orgs import capabilities as caps
from quancheng.orgs.keyrotation import rotate_ledger_keys


@require_GET
def ledger_overview(request):
    return render(
        request,
        "web/ledger.html",
        {
            "size": tree_size(),
            "checkpoints": Checkpoint.objects.order_by("-size")[:5],
            "checkpoint_count": Checkpoint.objects.count(),
            "verifier_key": verifier_key(),
            "sm2_verifier_key": sm2_verifier_key(),
            "verifications": latest_verifications(10),
            "can_verify": caps.can(request.user, caps.LEDGER_VERIFY),
            "keys": keys.history(),
            "can_rotate": caps.can(request.user, caps.KEYS_ROTATE),
        },
    )


@require_POST
def ledger_rotate_keys(request):
    """The security administrator rotates the checkpoint keys (ledger/keys.py)."""
    caps.require(request.user, caps.KEYS_ROTATE)
    result = rotate_ledger_keys(request.user)
    messages.success(
        request,
        f"已轮换账本签名密钥：过渡检查点（大小 {result['checkpoint']}）由新旧密钥共同签名，"
        "旧验证公钥继续公布于下方",
    )
    return redirect("ledger")


@require_POST
def ledger_verify(request):
    caps.require(request.user, caps.LEDGER_VERIFY)
    request_verification(request.user)
    messages.success(request, "已提交账本校验，完成后结果显示在下方")
    return redirect("ledger")

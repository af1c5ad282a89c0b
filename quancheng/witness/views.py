"""The witness's add-checkpoint endpoint, and the witnessing page (见证)."""

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from quancheng.ledger.models import Checkpoint
from quancheng.orgs.scoping import get_visible_or_404

from .config import configured_witnesses, own_witness_vkey, witness_name
from .models import Submission, WitnessedLog, WitnessState
from .submission import cosigned_note
from .witnessing import add_checkpoint as answer_add_checkpoint
from .witnessing import latest_cosigned_note


# A log authenticates by its checkpoint's signature, not by a session or a CSRF token.
@csrf_exempt
@login_not_required
@require_POST
def add_checkpoint(request):
    answer = answer_add_checkpoint(request.body)
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)


# The monitoring prefix is public, like add-checkpoint: anyone may read what was cosigned.
@login_not_required
@require_GET
def witnessed_checkpoint(request, origin_hash):
    """GET <monitoring prefix>/<origin hash>/checkpoint (C2SP tlog-witness)."""
    body = latest_cosigned_note(origin_hash)
    if body is None:
        return HttpResponse("no checkpoint of this log was cosigned\n", status=404)
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


@require_GET
def witness_overview(request):
    logs = WitnessedLog.objects.visible_to(request.user).select_related("agency")
    states = {s.name: s for s in WitnessState.objects.all()}
    witnesses = [(w, states.get(w.name)) for w in configured_witnesses()]
    checkpoints = Checkpoint.objects.order_by("-size").prefetch_related("cosignatures")[:10]
    context = {
        "logs": logs,
        "own_name": witness_name(),
        "own_vkey": own_witness_vkey(),
        "witnesses": witnesses,
        "checkpoints": checkpoints,
        "submissions": Submission.objects.select_related("checkpoint")[:20],
    }
    return render(request, "witness/overview.html", context)


@require_GET
def witnessed_log_detail(request, pk):
    log = get_visible_or_404(WitnessedLog, request.user, pk=pk)
    observations = log.observations.all()[:50]
    return render(request, "witness/log_detail.html", {"log": log, "observations": observations})


@require_GET
def checkpoint_note(request, size=None):
    """The checkpoint's signed note with the witnesses' cosignatures, as text."""
    checkpoints = Checkpoint.objects.order_by("-size")
    checkpoint = checkpoints.filter(size=size).first() if size else checkpoints.first()
    if checkpoint is None:
        raise Http404("没有该检查点")
    return HttpResponse(cosigned_note(checkpoint), content_type="text/plain; charset=utf-8")

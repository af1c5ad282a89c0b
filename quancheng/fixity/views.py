"""The fixity page (完整性校验): sweeps, their progress, and a button to start one."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from quancheng.orgs import capabilities as caps

from .models import FixitySweep
from .services import SweepAlreadyRunning, request_sweep


def _require_fixity_role(request) -> None:
    caps.require(request.user, caps.FIXITY_VIEW)


@require_GET
def sweep_list(request):
    _require_fixity_role(request)
    sweeps = list(FixitySweep.objects.select_related("started_by")[:20])
    current = next((s for s in sweeps if s.status == FixitySweep.Status.RUNNING), None)
    return render(request, "fixity/sweep_list.html", {"sweeps": sweeps, "current": current})


@require_POST
def sweep_start(request):
    _require_fixity_role(request)
    try:
        request_sweep(request.user)
    except SweepAlreadyRunning as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "已提交完整性校验任务，后台将依次校验全部文件")
    return redirect("fixity_sweeps")

"""The alerts page (告警): open alerts for the user's role and scope, and closing them."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from .models import KIND_LABELS, Alert
from .services import AlertAlreadyClosed, close_alert

STATUSES = {"open": "未处理", "closed": "已处理", "all": "全部"}


@require_GET
def alert_list(request):
    """Alerts for the user's role and scope, filtered by status (open by default) and kind."""
    show = request.GET.get("show", "open")
    if show not in STATUSES:
        show = "open"
    visible = Alert.objects.visible_to(request.user)
    kinds = sorted(set(visible.order_by().values_list("kind", flat=True).distinct()))
    kind = request.GET.get("kind", "")
    alerts = visible.select_related("agency", "closed_by")
    if show == "open":
        alerts = alerts.open()
    elif show == "closed":
        alerts = alerts.filter(closed_at__isnull=False)
    if kind:
        alerts = alerts.filter(kind=kind)
    page = Paginator(alerts, settings.QC_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "show": show,
        "kind": kind,
        "statuses": STATUSES,
        "kinds": [(k, KIND_LABELS.get(k, k)) for k in kinds],
    }
    return render(request, "alerts/alert_list.html", context)


@require_POST
def alert_close(request, pk):
    alert = get_object_or_404(Alert.objects.visible_to(request.user), pk=pk)
    try:
        close_alert(request.user, alert, request.POST.get("note", ""))
    except (ValueError, AlertAlreadyClosed) as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "告警已处理")
    return redirect("alert_list")

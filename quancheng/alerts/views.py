"""The alerts page (告警): open alerts for the user's role and scope, and closing them."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from .models import Alert
from .services import AlertAlreadyClosed, close_alert


@require_GET
def alert_list(request):
    show = request.GET.get("show", "open")
    alerts = Alert.objects.visible_to(request.user).select_related("agency", "closed_by")
    if show != "all":
        alerts = alerts.open()
    page = Paginator(alerts, settings.QC_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "alerts/alert_list.html", {"page": page, "show": show})


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

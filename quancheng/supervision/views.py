"""The statistics pages (统计, A7): figures, charts, tables and their downloads."""

from dataclasses import replace

from csp.decorators import csp_update
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .charts import chart_json
from .exports import table_csv, table_xlsx
from .forms import StatisticsFilterForm
from .statistics import compute

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report(request, paged: bool = False):
    form = StatisticsFilterForm(request.user, request.GET)
    filters = form.filters()
    if paged and filters.by == "officer":
        filters = replace(filters, page=_page_number(request.GET.get("page")))
    return form, compute(request.user, filters)


def _page_number(value: str | None) -> int:
    """The page asked for; anything but a whole number from 1 is the first page."""
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


# plotly.js styles its charts with inline styles (plotly/plotly.js#2355): this page alone allows
# them. Scripts stay 'self' only: the figures arrive as JSON data, never as inline script.
@csp_update({"style-src": ["'unsafe-inline'"]})
@require_GET
def statistics_page(request):
    form, report = _report(request, paged=True)
    sections = [
        {
            "table": table,
            "chart": chart_json(table),
            "id": f"chart-{table.name}",
            "data_id": f"chart-{table.name}-data",
        }
        for table in report.tables
    ]
    return render(
        request,
        "supervision/statistics.html",
        {"form": form, "report": report, "sections": sections, "query": request.GET.urlencode()},
    )


@require_GET
def statistics_download(request, name, fmt):
    if fmt not in ("csv", "xlsx"):
        raise Http404("只能下载 CSV 或 XLSX")
    _, report = _report(request)
    try:
        table = report.table(name)
    except StopIteration:
        raise Http404("没有这张统计表") from None
    filename = f"statistics-{name}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(table_xlsx(table), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

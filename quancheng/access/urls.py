"""Pages of the access app under /access/: requests (调阅申请), the access report, the head's
approvals inbox (审批待办), and the extraction and provision pages. One list of routes."""

from django.urls import path

from . import views_inbox, views_report, views_requests

app_name = "access"

urlpatterns = [
    path("requests/", views_requests.request_list, name="request_list"),
    path("requests/new/", views_requests.request_new, name="request_new"),
    path("requests/<int:pk>/", views_requests.request_detail, name="request_detail"),
    path("requests/<int:pk>/decide/", views_requests.request_decide, name="request_decide"),
    path("requests/<int:pk>/withdraw/", views_requests.request_withdraw, name="request_withdraw"),
    path("report/", views_report.access_report, name="report"),
    path("report.csv", views_report.access_report_csv, name="report_csv"),
    path("inbox/", views_inbox.inbox, name="inbox"),
]

from django.contrib import admin
from django.urls import include, path

from quancheng.api.urls import api

urlpatterns = [
    path("admin/", admin.site.urls),
    # tus resumable uploads: plain Django views, before the ninja API that owns api/v1/.
    path("api/v1/uploads/", include("quancheng.records.urls")),
    path("api/v1/", api.urls),
    path("alerts/", include("quancheng.alerts.urls")),
    path("ledger/", include("quancheng.web.urls_ledger")),
    path("records/", include("quancheng.web.urls_items")),
    path("records/", include("quancheng.records.urls_web")),
    path("documents/", include("quancheng.web.urls_documents")),
    path("witness/", include("quancheng.witness.urls")),
    path("registration/", include("quancheng.registration.urls")),
    path("devices/", include("quancheng.web.urls_devices")),
    path("logins/", include("quancheng.orgs.urls_logins")),
    path("compliance/", include("quancheng.compliance.urls")),
    path("content/", include("quancheng.content.urls")),
    path("", include("quancheng.records.urls_upload")),
    path("fixity/", include("quancheng.fixity.urls")),
    path("supervision/", include("quancheng.supervision.urls_spot")),
    path("retention/", include("quancheng.archive.urls_retention")),
    path("archive/", include("quancheng.archive.urls")),
    path("access/", include("quancheng.access.urls")),
    path("", include("quancheng.access.urls_extraction")),
    path("statistics/", include("quancheng.supervision.urls")),
    path("", include("quancheng.web.urls")),
]

# A refusal by the access policy (A24) offers the request form; other 403s render 403.html.
handler403 = "quancheng.access.views_requests.permission_denied"

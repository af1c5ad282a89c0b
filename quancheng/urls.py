from django.contrib import admin
from django.urls import include, path

from quancheng.api.urls import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("quancheng.web.urls")),
]

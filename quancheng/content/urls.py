from django.urls import path

from . import views

app_name = "content"

urlpatterns = [
    path("documents/<int:pk>/scan/", views.scan_confirm, name="scan_confirm"),
    path(
        "segments/<int:pk>/picture-offset/",
        views.picture_offset_confirm,
        name="picture_offset_confirm",
    ),
]

from django.urls import path

from . import views

urlpatterns = [
    path("", views.statistics_page, name="statistics"),
    path(
        "<slug:name>.<str:fmt>",
        views.statistics_download,
        name="statistics_download",
    ),
]

"""Device pages, included at devices/."""

from django.urls import path

from . import views_devices as views

urlpatterns = [
    path("", views.device_list, name="device_list"),
    path("undocked/", views.device_undocked, name="device_undocked"),
    path("new/", views.device_create, name="device_create"),
    path("<int:pk>/", views.device_detail, name="device_detail"),
    path("<int:pk>/assign/", views.device_assign, name="device_assign"),
    path(
        "<int:pk>/assignments/<int:assignment_pk>/end/",
        views.device_assignment_end,
        name="device_assignment_end",
    ),
    path("<int:pk>/clock/", views.device_clock, name="device_clock"),
    path("<int:pk>/status/", views.device_status, name="device_status"),
    path("<int:pk>/maintenance/", views.device_maintenance_add, name="device_maintenance"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("", views.registration_list, name="registration_list"),
    path("acts/<int:act_pk>/register/", views.act_register, name="registration_register"),
    path(
        "acts/<int:act_pk>/late-request/",
        views.late_request_create,
        name="registration_late_request",
    ),
    path(
        "late-requests/<int:pk>/decide/",
        views.late_request_decide,
        name="registration_late_decide",
    ),
]

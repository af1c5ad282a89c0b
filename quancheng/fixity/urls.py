from django.urls import path

from . import views

urlpatterns = [
    path("", views.sweep_list, name="fixity_sweeps"),
    path("start/", views.sweep_start, name="fixity_sweep_start"),
]

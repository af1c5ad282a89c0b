from django.urls import path

from . import views

urlpatterns = [
    path("", views.alert_list, name="alert_list"),
    path("<int:pk>/close/", views.alert_close, name="alert_close"),
]

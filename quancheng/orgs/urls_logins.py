"""Login locks, included at logins/."""

from django.urls import path

from . import views_logins as views

urlpatterns = [
    path("locks/", views.login_lock_list, name="login_lock_list"),
    path("locks/<int:pk>/unlock/", views.login_unlock, name="login_unlock"),
]

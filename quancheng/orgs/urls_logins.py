"""Login locks and signing PINs, included at logins/."""

from django.urls import path

from . import views_admin_audit
from . import views_logins as views

urlpatterns = [
    path("administrators/", views_admin_audit.admin_action_list, name="admin_action_list"),
    path("locks/", views.login_lock_list, name="login_lock_list"),
    path("locks/<int:pk>/unlock/", views.login_unlock, name="login_unlock"),
    path("pin/", views.signing_pin, name="signing_pin"),
    path("people/<int:pk>/pin/reset/", views.signing_pin_reset, name="signing_pin_reset"),
]

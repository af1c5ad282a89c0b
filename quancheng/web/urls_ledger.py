"""The ledger page, included at ledger/."""

from django.urls import path

from . import views_ledger as views

urlpatterns = [
    path("", views.ledger_overview, name="ledger"),
    path("verify/", views.ledger_verify, name="ledger_verify"),
    path("keys/rotate/", views.ledger_rotate_keys, name="ledger_rotate_keys"),
]

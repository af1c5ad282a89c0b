"""Pages of the archive (/archive/): dossiers here; retention, holds and disposal add theirs."""

from django.urls import path

from . import views_dossiers, views_retention, views_transfer

app_name = "archive"

urlpatterns = [
    path("queue/", views_dossiers.dossier_queue, name="dossier_queue"),
    path("dossiers/", views_dossiers.dossier_list, name="dossier_list"),
    path("dossiers/<int:pk>/", views_dossiers.dossier_detail, name="dossier_detail"),
    path("dossiers/<int:pk>/refresh/", views_dossiers.dossier_refresh, name="dossier_refresh"),
    path("dossiers/<int:pk>/freeze/", views_dossiers.dossier_freeze, name="dossier_freeze"),
    path(
        "dossiers/<int:pk>/supplement/",
        views_dossiers.dossier_supplement,
        name="dossier_supplement",
    ),
    path(
        "supplement-requests/<int:pk>/decide/",
        views_dossiers.supplement_decide,
        name="supplement_decide",
    ),
    path("dossiers/<int:pk>/toc.pdf", views_dossiers.dossier_toc, name="dossier_toc"),
    path(
        "assemble/case/<int:pk>/",
        views_dossiers.dossier_assemble_case,
        name="dossier_assemble_case",
    ),
    path(
        "assemble/act/<int:pk>/", views_dossiers.dossier_assemble_act, name="dossier_assemble_act"
    ),
    # Moved to /retention/config/ (one page of the retention configuration, issue 17).
    path("config/", views_retention.retention_config_moved, name="dossier_config"),
    path("reports/<int:pk>.pdf", views_transfer.fourchecks_report, name="fourchecks_report"),
    path("dossiers/<int:pk>/transfer/", views_transfer.transfer_request, name="transfer_request"),
    path("transfers/<int:pk>/", views_transfer.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/decide/", views_transfer.transfer_decide, name="transfer_decide"),
    path(
        "transfers/<int:pk>/package.zip",
        views_transfer.transfer_package,
        name="transfer_package",
    ),
]

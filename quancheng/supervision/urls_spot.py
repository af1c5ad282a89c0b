from django.urls import path

from . import views_spot as views

app_name = "spot"

urlpatterns = [
    path("spotchecks/", views.spotcheck_list, name="spotcheck_list"),
    path("spotchecks/new/", views.spotcheck_new, name="spotcheck_new"),
    path("spotchecks/<int:pk>/", views.spotcheck_detail, name="spotcheck_detail"),
    path(
        "spotchecks/<int:pk>/samples/<int:sample_pk>/",
        views.spotcheck_score,
        name="spotcheck_score",
    ),
    path(
        "spotchecks/<int:pk>/samples/<int:sample_pk>/findings/",
        views.spotcheck_finding,
        name="spotcheck_finding",
    ),
    path("spotchecks/<int:pk>/reports/", views.spotcheck_report_issue, name="spotcheck_report"),
    path(
        "spotchecks/reports/<int:report_pk>/download/",
        views.spotcheck_report_download,
        name="spotcheck_report_download",
    ),
    path("evaluations/", views.evaluation_list, name="evaluation_list"),
    path("evaluations/new/", views.evaluation_new, name="evaluation_new"),
    path("evaluations/trend/", views.evaluation_trend, name="evaluation_trend"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("evaluations/<int:pk>/finalise/", views.evaluation_finalise, name="evaluation_finalise"),
    path("sheets/<str:kind>/", views.sheet_edit, name="sheet_edit"),
]

from django.urls import path

from . import views

app_name = "compliance"

urlpatterns = [
    path("segments/<int:pk>/markers/", views.marker_add, name="marker_add"),
    path("markers/<int:pk>/withdraw/", views.marker_withdraw, name="marker_withdraw"),
    path("acts/<int:pk>/explanations/", views.explanation_add, name="explanation_add"),
    path("acts/<int:pk>/evaluate/", views.act_evaluate, name="act_evaluate"),
    path("explanations/<int:pk>/review/", views.explanation_review, name="explanation_review"),
    path("findings/<int:pk>/answer/", views.finding_answer, name="finding_answer"),
    path("findings/<int:pk>/decide/", views.finding_decide, name="finding_decide"),
    path("config/", views.config_edit, name="config"),
    path("traceability/", views.traceability, name="traceability"),
]

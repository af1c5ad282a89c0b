from django.urls import path, re_path

from . import views

urlpatterns = [
    path("", views.witness_overview, name="witness_overview"),
    path("add-checkpoint", views.add_checkpoint, name="witness_add_checkpoint"),
    re_path(
        r"^(?P<origin_hash>[0-9a-f]{64})/checkpoint$",
        views.witnessed_checkpoint,
        name="witnessed_checkpoint",
    ),
    path("logs/<int:pk>/", views.witnessed_log_detail, name="witness_log_detail"),
    path("checkpoint", views.checkpoint_note, name="witness_checkpoint_latest"),
    path("checkpoint/<int:size>", views.checkpoint_note, name="witness_checkpoint"),
]

"""Pages and files of record items, under /records/ (names without a namespace: models'
get_absolute_url reverses ``segment_detail``, ``document_detail`` and ``datarecord_detail``)."""

from django.urls import path

from . import views_items as views

urlpatterns = [
    path("segments/<int:pk>/", views.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/media/", views.segment_media, name="segment_media"),
    path("segments/<int:pk>/thumbnail/", views.segment_thumbnail, name="segment_thumbnail"),
    path("segments/<int:pk>/download/", views.segment_download, name="segment_download"),
    path("segments/<int:pk>/time/", views.segment_time, name="segment_time"),
    path("documents/<int:pk>/", views.document_detail, name="document_detail"),
    path("documents/<int:pk>/file/", views.document_file, name="document_file"),
    path("documents/<int:pk>/download/", views.document_download, name="document_download"),
    path("data/<int:pk>/", views.datarecord_detail, name="datarecord_detail"),
    path(
        "segments/<int:pk>/evidence/",
        views.item_evidence,
        {"kind": "segment"},
        name="segment_evidence",
    ),
    path(
        "documents/<int:pk>/evidence/",
        views.item_evidence,
        {"kind": "document"},
        name="document_evidence",
    ),
    path(
        "data/<int:pk>/evidence/",
        views.item_evidence,
        {"kind": "datarecord"},
        name="datarecord_evidence",
    ),
]

from django.urls import path

from . import views_upload

urlpatterns = [
    path("acts/<int:act_id>/upload/", views_upload.upload_page, name="act_upload"),
    path("acts/<int:act_id>/upload/attach", views_upload.attach, name="act_upload_attach"),
]

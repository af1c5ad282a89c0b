from django.urls import path

from . import tus

app_name = "records"

urlpatterns = [
    path("", tus.collection, name="uploads"),
    path("<uuid:upload_id>", tus.resource, name="upload"),
]

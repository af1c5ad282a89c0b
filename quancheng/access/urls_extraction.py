"""Pages of evidence extractions (/extractions/) and the provisions register (/provisions/),
namespace "extraction"."""

from django.urls import path

from . import views_extraction as ex
from . import views_provisions as pv

app_name = "extraction"

urlpatterns = [
    path("extractions/", ex.extraction_list, name="extraction_list"),
    path("extractions/new", ex.extraction_new, name="extraction_new"),
    path("extractions/<int:pk>/", ex.extraction_detail, name="extraction_detail"),
    path("extractions/<int:pk>/decide", ex.extraction_decide, name="extraction_decide"),
    path("extractions/<int:pk>/retry", ex.extraction_retry, name="extraction_retry"),
    path("extractions/<int:pk>/package", ex.extraction_download, name="extraction_download"),
    path("extractions/<int:pk>/note", ex.extraction_note, name="extraction_note"),
    path("provisions/", pv.provision_list, name="provision_list"),
    path("provisions/new", pv.provision_new, name="provision_new"),
    path("provisions/export", pv.provision_export, name="provision_export"),
    path("provisions/<int:pk>/", pv.provision_detail, name="provision_detail"),
    path("provisions/<int:pk>/decide", pv.provision_decide, name="provision_decide"),
    path("provisions/<int:pk>/provided", pv.provision_provided, name="provision_provided"),
]

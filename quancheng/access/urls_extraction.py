"""Pages of evidence extractions (/extractions/) and the provisions register (/provisions/),
namespace "extraction"."""

from django.urls import path

from . import views_extraction as ex
from . import views_provisions as pv
from . import views_redaction as rd

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
    path("provisions/<int:pk>/redactions/new", rd.redaction_new, name="redaction_new"),
    path("provisions/redactions/<int:pk>/", rd.redaction_detail, name="redaction_detail"),
    path("provisions/redactions/<int:pk>/media", rd.redaction_media, name="redaction_media"),
    path(
        "provisions/redactions/<int:pk>/download", rd.redaction_download, name="redaction_download"
    ),
    path("provisions/redactions/<int:pk>/decide", rd.redaction_decide, name="redaction_decide"),
]

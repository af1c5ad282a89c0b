"""Document pages, included at documents/ (namespace ``documents``)."""

from django.urls import path

from . import views_documents as views

app_name = "documents"

urlpatterns = [
    path("acts/<int:act_id>/new/", views.draft_new, name="draft_new"),
    path("drafts/<int:pk>/", views.draft_detail, name="draft_detail"),
    path("drafts/<int:pk>/preview.pdf", views.draft_preview, name="draft_preview"),
    path("drafts/<int:pk>/sign/", views.draft_sign, name="draft_sign"),
    path("drafts/<int:pk>/refuse/", views.draft_refuse, name="draft_refuse"),
    path("drafts/<int:pk>/finalise/", views.draft_finalise, name="draft_finalise"),
    path("drafts/<int:pk>/correct/", views.draft_correct, name="draft_correct"),
    path("drafts/<int:pk>/party-copy/", views.party_copy_make, name="party_copy_make"),
    path("party-copies/<int:pk>.pdf", views.party_copy_file, name="party_copy_file"),
    path("party-copies/<int:pk>/serve/", views.party_copy_serve, name="party_copy_serve"),
    path(
        "documents/<int:pk>/sm2-signature/",
        views.document_sm2_signature,
        name="document_sm2_signature",
    ),
]

from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "quancheng.documents"
    verbose_name = "执法文书制作"

    def ready(self):
        # Documents registered by records are checked here (docs/architecture.md).
        from quancheng.records.models import Document
        from quancheng.records.signals import document_number_claimed, item_created

        from .numbering import check_claimed_number
        from .validation import check_received_pdf

        document_number_claimed.connect(
            check_claimed_number, sender=Document, dispatch_uid="documents.claimed_number"
        )
        item_created.connect(
            check_received_pdf, sender=Document, dispatch_uid="documents.received_pdf"
        )

"""The detached SM2 signatures (``.p7s``) that go into packages beside their documents' PDFs."""

from quancheng.ledger.bundle import BundleFile, safe_name
from quancheng.records.models import Document

from .models import Sm2DocumentSignature


def signature_files(items, files: list[BundleFile]) -> list[BundleFile]:
    """The detached SM2 signatures (``.p7s``, GM/T 0010) of the documents, each beside its PDF.

    ``items`` and ``files`` are parallel: an item's file in the package. Items that are not
    documents, and documents without an SM2 signature, give nothing.
    """
    by_document = dict(
        Sm2DocumentSignature.objects.filter(
            document__in=[i for i in items if isinstance(i, Document)]
        ).values_list("document_id", "blob_id")
    )
    return [
        BundleFile(safe_name(f"{file.name}.p7s"), by_document[item.pk], signs=file.name)
        for item, file in zip(items, files, strict=True)
        if isinstance(item, Document) and item.pk in by_document
    ]

"""A finalised document's bytes are write-once, and a lost PDF is a clear page, never a 500.

Issue 16, point 8: deployed on SeaweedFS with Object Lock, the PDF of a finalised 卫生监督意见书
and its signature images were stored without a retain-until date, so deleting them through the
S3 API succeeded; the document page then failed with 500.
"""

import json

import pytest
from botocore.exceptions import ClientError
from django.test import Client
from django.urls import reverse

from quancheng.alerts.models import Alert
from quancheng.documents import services
from quancheng.ledger.models import Event
from quancheng.records.services import blob_store
from quancheng.records.tests.s3 import delete_every_version, locked_bucket

from .conftest import doc_type, signature_png


def _finalised(officer, colleague, act):
    draft = services.create_draft(officer, act, doc_type("卫生监督意见书"), {"opinion": "整改"})
    for person in (officer, colleague):
        # Each officer signs in person (a colleague's signature would need their password).
        services.add_signature(person, draft, role="officer", officer=person, image=signature_png())
    services.add_signature(officer, draft, role="party", name="王建国", image=signature_png())
    return services.finalise(officer, draft), draft


@pytest.mark.django_db
def test_the_pdf_and_signature_images_are_locked_on_s3(
    seaweedfs,
    settings,
    officer,
    colleague,
    act,
    certified,
):
    locked_bucket(seaweedfs, settings)
    document, draft = _finalised(officer, colleague, act)
    kinds = {"document PDF": document.blob_id}
    kinds |= {f"signature {s.role} {s.pk}": s.image_id for s in draft.signatures.all()}
    assert len(kinds) == 4

    for kind, sha256 in kinds.items():
        with pytest.raises(ClientError) as refused:
            delete_every_version(seaweedfs, settings, sha256)
        assert refused.value.response["Error"]["Code"] == "AccessDenied", kind
        assert blob_store().verify(sha256).ok, kind


def _lose(sha256):
    """What an operator's mistake (or an intruder) does to the local folder."""
    path = blob_store().path(sha256)
    path.chmod(0o644)
    path.unlink()


@pytest.mark.django_db
def test_a_missing_pdf_is_a_clear_page_and_an_alert(officer, colleague, act, certified):
    document, _ = _finalised(officer, colleague, act)
    _lose(document.blob_id)
    client = Client()
    client.force_login(officer)

    download = client.get(reverse("document_download", args=[document.pk]))
    page = client.get(document.get_absolute_url())
    again = client.get(reverse("document_download", args=[document.pk]))

    for response in (download, page):
        assert response.status_code == 404, response.content[:500]
        assert "文件缺失" in response.content.decode()
    # Known damaged now (Blob.damaged_at): refused with the reason until it is repaired.
    assert again.status_code == 409
    assert "缺失" in again.content.decode()
    alert = Alert.objects.get(kind="fixity.missing")
    assert alert.object_id == document.blob_id and alert.agency == document.agency
    checks = Event.objects.filter(action="fixity.checked", object_id=document.blob_id)
    assert [json.loads(e.body)["eventOutcome"] for e in checks] == ["missing", "missing"]

"""What the ledger's export bundles (ledger/bundle.py) ask of the blob registry: which files are
stored blobs, and the SM3 registered for each. Registered at ready() (records/apps.py)."""

from quancheng.ledger.bundle import BlobSource

from .models import Blob


def stored(sha256s: list[str]) -> set[str]:
    return set(Blob.objects.filter(sha256__in=sha256s).values_list("sha256", flat=True))


def registered_sm3(sha256s: list[str]) -> dict[str, str]:
    rows = Blob.objects.filter(sha256__in=sha256s).exclude(sm3="").values_list("sha256", "sm3")
    return dict(rows)


BLOBS = BlobSource(stored=stored, registered_sm3=registered_sm3)

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from quancheng.lib.blobstore import BlobStoreError, LocalBlobStore, S3BlobStore
from quancheng.records.services import blob_store


class Command(BaseCommand):
    help = (
        "Prepare the blob store named by QC_BLOB_STORE: create the S3 bucket with Object Lock "
        "(or check that an existing one has it), or create the local folder. Run once at "
        "installation; safe to run again."
    )

    def handle(self, *args, **options):
        try:
            store = blob_store()
            if isinstance(store, S3BlobStore):
                store.ensure_bucket()
                self.stdout.write(
                    f"bucket {store.bucket}: Object Lock enabled; every record is stored in "
                    f"COMPLIANCE mode for at least {settings.QC_BLOB_MIN_RETENTION_DAYS} days"
                )
            elif isinstance(store, LocalBlobStore):
                store.root.mkdir(parents=True, exist_ok=True)
                self.stdout.write(f"folder {store.root}: write-once is not enforced (no WORM)")
        except (BlobStoreError, OSError) as e:
            raise CommandError(f"QC_BLOB_STORE: {e}") from e
        except Exception as e:  # botocore: endpoint unreachable, credentials refused
            raise CommandError(f"QC_BLOB_STORE: {type(e).__name__}: {e}") from e

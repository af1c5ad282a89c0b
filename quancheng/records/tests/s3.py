"""Helpers of the tests that store records on SeaweedFS (the ``seaweedfs`` session fixture)."""

from urllib.parse import urlencode

from quancheng.lib.blobstore.s3 import S3BlobStore
from quancheng.lib.blobstore.tests.seaweed import new_bucket_name


def locked_bucket(seaweedfs, settings) -> str:
    """Point QC_BLOB_STORE at a fresh Object Lock bucket; its name."""
    bucket = new_bucket_name()
    S3BlobStore(seaweedfs.client(), bucket).ensure_bucket()
    query = urlencode(
        {
            "endpoint_url": seaweedfs.s3_url,
            "region": "us-east-1",
            "access_key_id": seaweedfs.access_key,
            "secret_access_key": seaweedfs.secret_key,
            "part_size_mib": "5",
        }
    )
    settings.QC_BLOB_STORE = f"s3://{bucket}?{query}"
    return bucket


def delete_every_version(seaweedfs, settings, sha256: str) -> None:
    """What someone holding the bucket's keys can try: delete the blob's versions by id.

    Raises botocore's ClientError (``AccessDenied``) at the first version the lock protects.
    """
    bucket = settings.QC_BLOB_STORE.removeprefix("s3://").split("?", 1)[0]
    client = seaweedfs.client()
    key = f"blobs/{sha256}"
    versions = client.list_object_versions(Bucket=bucket, Prefix=key).get("Versions") or []
    assert versions, f"{key} is not stored"
    for version in versions:
        client.delete_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])

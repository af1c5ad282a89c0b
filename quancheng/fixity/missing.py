"""A registered file found missing while a request serves it: the failed check and the status.

The pages (quancheng.web.middleware.BlobMissingMiddleware) and the API (quancheng.api.errors)
both answer ``BlobNotFound``; each reports it here and tells the user in its own form.
"""

from __future__ import annotations

from quancheng.records.models import Blob

from .checks import report_missing


def missing_blob(request, sha256: str) -> tuple[Blob | None, int]:
    """Report a blob found missing while serving ``request``; its registry row and the status.

    404 while the file is missing (a backup or the custodian's copy may restore it), 410 once it
    was disposed of on purpose.
    """
    user = getattr(request, "user", None)
    actor = user if user is not None and user.is_authenticated else None
    blob = report_missing(sha256, {"request": request.path[:200]}, actor=actor)
    disposed = blob is not None and blob.disposed_at is not None
    return blob, 410 if disposed else 404

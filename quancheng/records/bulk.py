"""Records written in bulk, for generated data (the demo city at scale, docs/demo-city.md).

The one way generated blobs, segments, documents and data records reach the database: the rows
go by COPY on PostgreSQL (``lib.copyload.write_rows`` for the many blobs, segments and documents,
given as plain dicts; ``write_objects`` for data records), and each record gets its
``*.created`` event, appended in the caller's transaction by the ledger's bulk writer, so that
rows and events commit together. Real records go through ``items.create_*`` and ingest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from quancheng.ledger.actions import Action
from quancheng.ledger.bulk import EventSpec, append_events
from quancheng.lib.copyload import copy_supported, write_objects, write_rows

from .models import Blob, DataRecord, Document, Segment


def add_blobs(blobs: Sequence[dict[str, Any]], written: set[str]) -> None:
    """Write the blob rows (dicts of ``sha256``, ``size``, ``agency_id``) whose digest is not in
    ``written`` (which the caller keeps across calls: COPY has no ON CONFLICT, and documents
    share blobs). A blob row has no event of its own: the record that uses it has (as
    ``services.register_blob``)."""
    fresh = {b["sha256"]: b for b in blobs if b["sha256"] not in written}
    written.update(fresh)
    if copy_supported():
        write_rows(Blob, list(fresh.values()))
    else:
        Blob.objects.bulk_create([Blob(**b) for b in fresh.values()], ignore_conflicts=True)


def add_segments(segments: Sequence[dict[str, Any]], extra: Mapping[str, Any]) -> int:
    """Write segment rows (dicts of field attname → value, as ``copyload.write_rows`` takes
    them, plus ``created_by``: the User, actor of the event; their blobs written) and their
    ``segment.created`` events, with ``extra`` in each body; set each row's ``id``; return the
    number of events."""
    write_rows(Segment, segments)
    return append_events(
        EventSpec(
            Action.SEGMENT_CREATED,
            "records.segment",
            str(s["id"]),
            {
                **extra,
                "blob": s["blob_id"],
                "act": s["act_id"],
                "device": s["device_id"],
                "started_at": s["started_at"].isoformat() if s["started_at"] else None,
            },
            s["created_by"],
            s["agency_id"],
        )
        for s in segments
    )


def add_documents(documents: Sequence[dict[str, Any]], extra: Mapping[str, Any]) -> int:
    """Write document rows (dicts as ``add_segments`` takes them, ``created_by`` the User) and
    their ``document.created`` events; set each row's ``id``; return how many events."""
    write_rows(Document, documents)
    return append_events(
        EventSpec(
            Action.DOCUMENT_CREATED,
            "records.document",
            str(d["id"]),
            {**extra, "act": d["act_id"], "doc_type": d["doc_type"]},
            d["created_by"],
            d["agency_id"],
        )
        for d in documents
    )


def add_data_records(records: Sequence[DataRecord], extra: Mapping[str, Any]) -> int:
    """Write unsaved data records and their ``datarecord.created`` events; return how many."""
    write_objects(DataRecord, records)
    return append_events(
        EventSpec(
            Action.DATARECORD_CREATED,
            "records.datarecord",
            str(r.pk),
            {**extra, "act": r.act_id, "sha256": r.sha256},
            r.created_by,
            r.agency_id,
        )
        for r in records
    )

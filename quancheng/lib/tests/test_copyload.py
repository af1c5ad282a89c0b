"""copyload.write_rows: plain dicts give the rows that model instances give (write_objects),
on PostgreSQL by COPY and elsewhere by bulk_create; copyload.copy_text: text formatted by the
caller gives the rows that copy_rows gives."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from quancheng.alerts.models import Alert, Severity
from quancheng.lib.copyload import (
    copy_bytea,
    copy_field,
    copy_rows,
    copy_text,
    write_objects,
    write_rows,
)

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 6, 15, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
# Every kind of value a writer passes: a choices enum member, a JSON value, a null, a timestamp;
# and fields left out (severity's, closing_note's and closed_at's defaults).
GIVEN = [
    {
        "kind": "record.gap",
        "severity": Severity.CRITICAL,
        "title": "音像记录中断",
        "detail": {"act": n, "gaps": [[1, 2]], "note": "未说明"},
        "audience": "custodian",
        "object_type": "cases.act",
        "object_id": str(n),
        "created_at": AT + dt.timedelta(minutes=n),
    }
    for n in range(3)
]


def _rows():
    fields = [f.attname for f in Alert._meta.concrete_fields if f.attname != "id"]
    return list(Alert.objects.order_by("id").values_list(*fields))


def test_plain_rows_are_written_as_the_instances_they_describe():
    write_objects(Alert, [Alert(**row) for row in GIVEN])
    from_instances = _rows()
    Alert.objects.all().delete()
    rows = [dict(row, extra="not a column") for row in GIVEN]  # other keys are ignored
    write_rows(Alert, rows)
    assert _rows() == from_instances
    assert [row["id"] for row in rows] == list(
        Alert.objects.order_by("id").values_list("id", flat=True)
    )
    assert Alert.objects.filter(severity="critical").count() == 3
    assert Alert.objects.get(object_id="2").detail == {"act": 2, "gaps": [[1, 2]], "note": "未说明"}


def test_a_left_out_field_takes_its_default():
    write_rows(Alert, [{k: v for k, v in row.items() if k != "severity"} for row in GIVEN[:1]])
    alert = Alert.objects.get()
    assert (alert.severity, alert.closing_note, alert.closed_at) == ("warning", "", None)


TRICKY = ["plain", "back\\slash", "tab\there", "new\nline", "carriage\rreturn", "\\N", "\\.", None]


@pytest.mark.postgres
def test_copy_text_writes_what_copy_rows_writes():
    """Text the caller formats with copy_field and copy_bytea reads back as the values
    copy_rows' write_row dumps: escapes, NULL, bytea, times with an offset."""
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE copied (n int, label text, digest bytea, at timestamptz)")
    columns = ("n", "label", "digest", "at")
    rows = [
        (n, label, bytes([n, 0, 92, 9, 10]), AT + dt.timedelta(microseconds=n))
        for n, label in enumerate(TRICKY)
    ]
    copy_rows("copied", columns, rows)
    lines = [
        f"{n}\t{copy_field(label)}\t{copy_bytea(digest)}\t{at.isoformat()}\n"
        for n, label, digest, at in rows
    ]
    copy_text("copied", columns, ["".join(lines[:3]), "".join(lines[3:])])
    with connection.cursor() as cursor:
        cursor.execute("SELECT n, label, digest, at FROM copied ORDER BY n, ctid")
        read = [(n, label, bytes(digest), at) for n, label, digest, at in cursor.fetchall()]
    assert read == sorted(rows + rows, key=lambda row: row[0])

"""copyload.write_rows: plain dicts give the rows that model instances give (write_objects),
on PostgreSQL by COPY and elsewhere by bulk_create."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from quancheng.alerts.models import Alert, Severity
from quancheng.lib.copyload import write_objects, write_rows

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

"""Values of a document's fields: parsing form/API input and showing it (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


def parse_value(field: dict, raw):
    """The stored form of a value (dates and times as ISO text, item tables as lists)."""
    kind = field.get("type", "text")
    if raw in (None, "", []):
        return None
    if kind == "items-table":
        if isinstance(raw, list):
            return [
                {c: str(row.get(c, "")).strip() for c in field.get("columns", [])}
                for row in raw
                if isinstance(row, dict)
            ] or None
        rows = []
        for line in str(raw).splitlines():
            if not line.strip():
                continue
            cells = [c.strip() for c in line.replace("｜", "|").split("|")]
            rows.append(dict(zip(field.get("columns", []), cells + [""] * 10, strict=False)))
        return rows or None
    if kind == "datetime":
        value = raw if isinstance(raw, dt.datetime) else parse_datetime(str(raw))
        if value is None:
            raise ValueError(f"“{field['label']}”不是有效的日期时间")
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(dt.UTC).isoformat()
    if kind == "date":
        day = raw if isinstance(raw, dt.date) else parse_date(str(raw))
        if day is None:
            raise ValueError(f"“{field['label']}”不是有效的日期")
        return day.isoformat()
    return str(raw).strip() or None


def as_datetime(value) -> dt.datetime | None:
    return parse_datetime(value) if value else None


# 87号 第六条: every preset item is filled in; an item left empty is struck with "/" so that no
# blank remains for anyone to fill in after signing.
EMPTY = "/"


def display_value(field: dict, value) -> str:
    if value in (None, "", []):
        return ""
    if field.get("type") == "items-table":
        columns = field.get("columns", [])
        return "；".join("，".join(row.get(c, "") or EMPTY for c in columns) for row in value)
    if field.get("type") == "datetime":
        moment = parse_datetime(value)
        if moment is not None:  # else shown as stored (localtime(None) would show the clock)
            return timezone.localtime(moment).strftime("%Y年%m月%d日 %H时%M分")
    if field.get("type") == "date":
        d = parse_date(value)
        if d is not None:  # else shown as stored
            return f"{d.year}年{d.month}月{d.day}日"
    return str(value)


def input_value(field: dict, value) -> str:
    """The value as an HTML input shows it."""
    if value in (None, ""):
        return ""
    if field.get("type") == "datetime":
        return timezone.localtime(parse_datetime(value)).strftime("%Y-%m-%dT%H:%M:%S")
    if field.get("type") == "items-table":
        columns = field.get("columns", [])
        return "\n".join(" | ".join(row.get(c, "") for c in columns) for row in value)
    return str(value)

"""The picture's clock on the segment page, a scan's reading on the document page."""

from django import template

from quancheng.content.models import OsdReading, ScanReading
from quancheng.content.osd import offset_from_picture, picture_difference
from quancheng.orgs import capabilities as caps

register = template.Library()


@register.inclusion_tag("content/_osd_panel.html", takes_context=True)
def osd_panel(context, segment):
    reading = OsdReading.objects.filter(segment=segment).select_related("segment").first()
    user = context["request"].user
    difference = picture_difference(reading) if reading else None
    return {
        "segment": segment,
        "reading": reading,
        "difference": difference,
        "abs_difference": abs(difference) if difference is not None else None,
        "suggested_offset": offset_from_picture(reading) if reading else None,
        "may_confirm": (
            reading is not None
            and reading.status == OsdReading.Status.READ
            and segment.device_id is not None
            and caps.can(user, caps.PICTURE_OFFSET_CONFIRM, segment)
        ),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("content/_scan_panel.html")
def scan_panel(document):
    return {
        "document": document,
        "reading": ScanReading.objects.filter(document=document).first(),
    }
